import { ModelBundleError } from '@modelbundle/core';
import { describeValue as describe, isRecord } from '@modelbundle/core/internal';
import { type FunctionalSpec, INPUT_NODE, type ModelSpec, type SequentialSpec } from './types.js';

/** Throws INVALID_ARGUMENT listing every problem of a spec; returns it typed when it is sound. */
export function assertSpec(spec: unknown): asserts spec is ModelSpec {
  const problems: string[] = [];
  if (!isRecord(spec)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `A model spec must be an object; got ${describe(spec)}. Build one with sequentialSpec({...}) or functionalSpec({...}).`,
    );
  }
  if (spec.mode !== 'classification' && spec.mode !== 'regression')
    problems.push(`mode is ${JSON.stringify(spec.mode)}; expected "classification" or "regression"`);
  if (spec.type === 'sequential') {
    if (!Array.isArray(spec.blocks)) problems.push('blocks must be an array of { block, repeat?, args? }');
    else for (const [i, step] of spec.blocks.entries()) checkStep(step, `blocks[${i}]`, problems);
  } else if (spec.type === 'functional') {
    checkGraph(spec, problems);
  } else {
    problems.push(`type is ${JSON.stringify(spec.type)}; expected "sequential" or "functional"`);
  }
  checkCompile(spec.compile, problems);
  checkFit(spec.fit, problems);
  if (!isPlainData(spec)) problems.push('the spec must be plain data (no functions, class instances or symbols); put code in block builders');
  if (problems.length > 0) {
    throw new ModelBundleError('INVALID_ARGUMENT', `The model spec is not valid: ${problems.join('; ')}. Fix these fields.`, { details: { problems } });
  }
}

function checkStep(step: unknown, where: string, problems: string[]): void {
  if (!isRecord(step)) {
    problems.push(`${where} is ${describe(step)}; expected { block, repeat?, args? }`);
    return;
  }
  if (typeof step.block !== 'string' || step.block === '') problems.push(`${where}.block must be a block name`);
  if (step.repeat !== undefined && !(Number.isInteger(step.repeat) && (step.repeat as number) >= 1))
    problems.push(`${where}.repeat is ${JSON.stringify(step.repeat)}; expected an integer >= 1`);
  if (step.args !== undefined && !isRecord(step.args)) problems.push(`${where}.args must be an object of hyperparameters`);
}

function checkGraph(spec: Record<string, unknown>, problems: string[]): void {
  const nodes = spec.nodes;
  if (!isRecord(nodes) || Object.keys(nodes).length === 0) {
    problems.push('nodes must be an object of named { block, inputs, repeat?, args? }');
    return;
  }
  if (Object.hasOwn(nodes, INPUT_NODE)) problems.push(`"${INPUT_NODE}" is reserved for the predictors; rename that node`);
  for (const [name, node] of Object.entries(nodes)) {
    checkStep(node, `nodes.${name}`, problems);
    const inputs = isRecord(node) ? node.inputs : undefined;
    if (!Array.isArray(inputs) || inputs.length === 0) {
      problems.push(`nodes.${name}.inputs must list at least one node name (or "${INPUT_NODE}")`);
      continue;
    }
    for (const input of inputs) {
      if (input !== INPUT_NODE && !(typeof input === 'string' && Object.hasOwn(nodes, input)))
        problems.push(`nodes.${name}.inputs names ${JSON.stringify(input)}, which is not a node`);
    }
  }
  if (typeof spec.output !== 'string' || !Object.hasOwn(nodes, spec.output))
    problems.push(`output is ${JSON.stringify(spec.output)}; expected the name of a node`);
  const cycle = findCycle(nodes as FunctionalSpec['nodes']);
  if (cycle) problems.push(`the graph has a cycle: ${cycle.join(' -> ')}`);
}

function findCycle(nodes: FunctionalSpec['nodes']): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (state.get(name) === 'done' || name === INPUT_NODE || !Object.hasOwn(nodes, name)) return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    for (const input of Array.isArray(nodes[name]?.inputs) ? nodes[name].inputs : []) {
      const found = visit(input, [...path, name]);
      if (found) return found;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(nodes)) {
    const found = visit(name, []);
    if (found) return found;
  }
  return undefined;
}

function checkCompile(compile: unknown, problems: string[]): void {
  if (compile === undefined) return;
  if (!isRecord(compile)) {
    problems.push('compile must be an object { optimizer?, loss?, metrics? }');
    return;
  }
  const { optimizer, loss, metrics } = compile;
  if (optimizer !== undefined && typeof optimizer !== 'string' && !(isRecord(optimizer) && typeof optimizer.name === 'string')) {
    problems.push('compile.optimizer must be a name or { name, learningRate? }');
  }
  if (loss !== undefined && typeof loss !== 'string') problems.push('compile.loss must be a loss name');
  if (metrics !== undefined && !(Array.isArray(metrics) && metrics.every((m) => typeof m === 'string')))
    problems.push('compile.metrics must be an array of names');
}

function checkFit(fit: unknown, problems: string[]): void {
  if (fit === undefined) return;
  if (!isRecord(fit)) {
    problems.push('fit must be an object { epochs?, batchSize?, validationSplit?, seed? }');
    return;
  }
  const positiveInt = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 1);
  if (!positiveInt(fit.epochs)) problems.push(`fit.epochs is ${JSON.stringify(fit.epochs)}; expected an integer >= 1`);
  if (!positiveInt(fit.batchSize)) problems.push(`fit.batchSize is ${JSON.stringify(fit.batchSize)}; expected an integer >= 1`);
  const split = fit.validationSplit;
  if (split !== undefined && !(typeof split === 'number' && split >= 0 && split < 1))
    problems.push(`fit.validationSplit is ${JSON.stringify(split)}; expected a number in [0, 1)`);
  if (fit.seed !== undefined && !Number.isInteger(fit.seed)) problems.push(`fit.seed is ${JSON.stringify(fit.seed)}; expected an integer`);
}

/** True when a value is JSON-like data: what survives structuredClone, JSON and msgpack alike. */
export function isPlainData(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isPlainData(v, depth + 1));
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((v) => v === undefined || isPlainData(v, depth + 1));
}

/** Checks and returns a sequential spec (a deep copy, so later edits to the input do not leak in). */
export function sequentialSpec(spec: Omit<SequentialSpec, 'type'>): SequentialSpec {
  const copy = { type: 'sequential' as const, ...structuredClone(spec) };
  assertSpec(copy);
  return copy;
}

/** Checks and returns a functional spec (a deep copy). */
export function functionalSpec(spec: Omit<FunctionalSpec, 'type'>): FunctionalSpec {
  const copy = { type: 'functional' as const, ...structuredClone(spec) };
  assertSpec(copy);
  return copy;
}
