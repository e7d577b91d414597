import { ModelBundleError } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { elementCount } from './dtypes.js';
import { checkRowOutputs } from './output-budget.js';
import { installStateGuard } from './state-budget.js';
import { checkTopologyGraph } from './topology-graph.js';
import { MAX_TOPOLOGY_DEPTH, tooDeep } from './topology-walk.js';

/**
 * tfjs runs every layer's weight initializers while it builds a model from
 * its topology, before any weight is loaded. A topology that lies (a Dense
 * layer of 10^8 units beside a six-number kernel) would make it allocate
 * gigabytes. Before tfjs sees the topology, every initializer in it is
 * wrapped in {@link GuardedInitializer}, which refuses any tensor the
 * weight manifest does not justify and otherwise returns zeros (the real
 * weights overwrite them right after, so random values would be wasted).
 */

/** What the weight manifest allows one restore to initialize, in elements. */
interface Budget {
  largest: number;
  remaining: number;
  total: number;
  /** Initializers resolved in this restore, by their JSON config: resolving one builds a throwaway layer, which a 200-weight model would otherwise do 200 times. */
  resolved: Map<string, Initializer>;
  /** Zero-state values stateful RNN layers of this restore allocated so far (state-budget.ts). */
  states: number;
  /** Data of the tensors the guards gave out: a restore that fails frees the variables made from them. */
  given: Set<object>;
  /** Weights are left unwritten on wasm, and share one zero buffer on cpu: see {@link BuildGuardedOptions.unwritten}. */
  unwritten: boolean;
  /** That zero buffer (the largest weight's size), made when first needed. */
  zeros?: ArrayBuffer;
}

/** Options for {@link buildGuarded}. */
export interface BuildGuardedOptions {
  /**
   * For a build that is disposed unread (a check of the layers and their
   * weights' shapes) or whose every weight is set next (a restore): on the
   * wasm backend the weights are left unwritten (whatever its heap held)
   * instead of zeroed, which would copy a buffer of the model's size into
   * the heap; on cpu every weight views one shared zero buffer, instead of
   * each allocating and clearing its own.
   */
  unwritten?: boolean;
}

/** Budgets of the restores in progress, by id: each restore has its own, deleted when it ends. */
const budgets = new Map<number, Budget>();
let nextBudget = 1;

const GUARD_CLASS = 'ModelBundleGuardedInitializer';
/** The same key tfjs uses for the layer name, so its camel-casing leaves the value alone. */
type GuardConfig = { original: unknown; budget: number; name: string; role: string };

/** tfjs-layers' Initializer (its class is not exported by name). */
type Initializer = ReturnType<typeof tfl.initializers.zeros>;
// Every initializer instance has the base class on its prototype chain.
const InitializerBase = Object.getPrototypeOf(tfl.initializers.zeros().constructor) as new () => Initializer;

/** Stands in for one initializer of the topology while the model is built. */
class GuardedInitializer extends InitializerBase {
  static className = GUARD_CLASS;
  /** The initializer the topology names, exactly as tfjs would have made it. */
  readonly original: Initializer;
  readonly #config: GuardConfig;

  constructor(config: GuardConfig) {
    super();
    this.#config = config;
    // A throwaway Dense resolves the identifier with tfjs's own rules (strings, class aliases, registered classes).
    // Naming it keeps tfjs's automatic layer-name counter untouched.
    const cache = budgets.get(config.budget)?.resolved;
    const key = JSON.stringify(config.original);
    const known = cache?.get(key);
    if (known) {
      this.original = known;
      return;
    }
    const probe = tfl.layers.dense({ units: 1, name: 'modelbundle_initializer_probe', kernelInitializer: config.original as 'zeros' });
    this.original = (probe as unknown as { kernelInitializer: Initializer }).kernelInitializer;
    cache?.set(key, this.original);
  }

  static fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config as unknown as GuardConfig);
  }

  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    const budget = budgets.get(this.#config.budget);
    // After its restore ended (the layer is rebuilt later), the guard is the original initializer.
    if (!budget) return this.original.apply(shape, dtype);
    const count = shapeElements(shape);
    if (count > budget.largest || count > budget.remaining) {
      const { name, role } = this.#config;
      const limit =
        count > budget.largest
          ? `the largest weight in the bundle holds ${budget.largest}`
          : `the bundle's weights hold ${budget.total} in all and ${budget.remaining} are left`;
      throw new ModelBundleError(
        'MALFORMED',
        `Layer "${name}" asks its ${role} for a tensor of shape [${shape.join(', ')}] (${count} elements), but ${limit}: the topology disagrees with its weights; the bundle is damaged or hostile. Nothing was allocated; re-save the model from its source.`,
        { details: { layer: name, initializer: role, shape: [...shape], elements: count, largest: budget.largest, remaining: budget.remaining } },
      );
    }
    budget.remaining -= count;
    const zeros = placeholder(budget, shape, count, dtype);
    budget.given.add(zeros.dataId);
    return zeros;
  }

  /** Which restore's budget this guard draws on. */
  get budgetId(): number {
    return this.#config.budget;
  }

  // While its restore runs, a guard serializes as itself: tfjs rebuilds some layers from their live config (a
  // Bidirectional wrapper's two directions), and those copies must stay guarded too. Afterwards it is the original.
  override getClassName(): string {
    return budgets.has(this.#config.budget) ? GUARD_CLASS : this.original.getClassName();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return budgets.has(this.#config.budget) ? (this.#config as unknown as tf.serialization.ConfigDict) : this.original.getConfig();
  }
}

/** What a guarded initializer gives: zeros, or on an unwritten build a tensor that costs no copy (see {@link BuildGuardedOptions.unwritten}). */
function placeholder(budget: Budget, shape: number[], count: number, dtype: tf.DataType = 'float32'): tf.Tensor {
  if (!budget.unwritten) return tf.zeros(shape, dtype);
  const backend = tf.getBackend();
  if (backend === 'wasm' && dtype !== 'string') return unwrittenOnWasm(shape, dtype);
  if (backend !== 'cpu') return tf.zeros(shape, dtype);
  // The cpu backend keeps the typed array a tensor is made from, and no kernel writes into its inputs.
  budget.zeros ??= new ArrayBuffer(budget.largest * 4);
  if (dtype === 'float32') return tf.tensor(new Float32Array(budget.zeros, 0, count), shape, dtype);
  if (dtype === 'int32') return tf.tensor(new Int32Array(budget.zeros, 0, count), shape, dtype);
  if (dtype === 'bool') return tf.tensor(new Uint8Array(budget.zeros, 0, count), shape, dtype);
  return tf.zeros(shape, dtype);
}

/**
 * A tensor of `shape` the wasm backend allocates without writing: its values are whatever its heap held.
 * tf.zeros would copy a zero buffer of the whole size into the heap.
 */
function unwrittenOnWasm(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
  const backend = tf.backend();
  // The wasm backend's write allocates and copies only the values it is given.
  const dataId = backend.write(null as unknown as tf.backend_util.BackendValues, shape, dtype);
  return tf.engine().makeTensorFromDataId(dataId, shape, dtype, backend);
}

/** Elements of a shape a layer asks for; anything that is not a list of non-negative integers counts as infinite. */
function shapeElements(shape: readonly unknown[]): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) return Number.POSITIVE_INFINITY;
  return elementCount(shape as number[]);
}

let registered = false;
function registerGuard(): void {
  if (registered) return;
  tf.serialization.registerClass(GuardedInitializer);
  registered = true;
}

/** Per restore: each distinct layer config (name aside) to its full config as tfjs fills it in, or null when it cannot be made. */
type DefaultsCache = Map<string, tf.serialization.ConfigDict | null>;

/** `kernel_initializer` as tfjs writes it, or `kernelInitializer` as tfjs reads it after camel-casing keys. */
const INITIALIZER_KEY = /(_i|I)nitializer$/;

/** A copy of the topology with every initializer, defaults included, wrapped in a guard that draws on `budget`. */
function guardTopology(topology: unknown, budget: number): unknown {
  const defaults: DefaultsCache = new Map();
  const visit = (value: unknown, layer: string, depth: number): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (depth > MAX_TOPOLOGY_DEPTH) throw tooDeep();
    if (Array.isArray(value)) return value.map((item) => visit(item, layer, depth + 1));
    const record = value as Record<string, unknown>;
    const config = record.config;
    const isClass = typeof record.class_name === 'string' && typeof config === 'object' && config !== null && !Array.isArray(config);
    const here = isClass && typeof (config as { name?: unknown }).name === 'string' ? ((config as { name: string }).name as string) : layer;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record)) {
      if (INITIALIZER_KEY.test(key) && item !== null && item !== undefined) out[key] = guardConfig(item, budget, here, key);
      else if (key === 'config' && isClass)
        out[key] = visit(withDefaultInitializers(record.class_name as string, item as Record<string, unknown>, defaults), here, depth + 1);
      else out[key] = visit(item, here, depth + 1);
    }
    return out;
  };
  return visit(topology, '(model)', 0);
}

/**
 * A layer's config with the initializers it leaves out (or sets to null) written in, as the layer
 * class's defaults: tfjs would otherwise use those defaults unguarded. The defaults come from a
 * layer of that class made from the config's plain values (a layer allocates nothing until built).
 */
function withDefaultInitializers(className: string, config: Record<string, unknown>, cache: DefaultsCache): Record<string, unknown> {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) return config;
  const [cls, fromConfig] = entry;
  // Containers build their layers when made; their layers' own configs are filled in one by one.
  if (!(cls.prototype instanceof tfl.layers.Layer) || cls.prototype instanceof tfl.LayersModel) return config;
  // Layers that differ only by name have the same defaults: a 100-layer stack makes one probe layer per distinct config, not 100.
  const { name: _name, ...unnamed } = config;
  const key = `${className} ${JSON.stringify(unnamed)}`;
  let full = cache.get(key);
  if (full === undefined) {
    try {
      full = (fromConfig(cls, probeConfig(config)) as unknown as tfl.layers.Layer).getConfig();
    } catch {
      full = null; // wrappers without their inner layer, or odd values: tfjs judges the real config itself
    }
    cache.set(key, full);
  }
  if (full === null) return config;
  const filled = { ...config };
  for (const [key, value] of Object.entries(full)) {
    if (!INITIALIZER_KEY.test(key) || value === null || value === undefined) continue;
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if ((filled[key] ?? filled[snake]) === null || (filled[key] ?? filled[snake]) === undefined) filled[snake] = JSON.parse(JSON.stringify(value)); // as JSON: tfjs's key conversion fails on undefined fields
  }
  return filled;
}

/** The plain values of a layer config the way tfjs reads them (camel-cased keys and strings); nested objects are left out. */
function probeConfig(config: Record<string, unknown>): tf.serialization.ConfigDict {
  const camel = (text: string): string => text.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const out: tf.serialization.ConfigDict = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) continue;
    out[key === 'name' ? key : camel(key)] = (typeof value === 'string' && key !== 'name' ? camel(value) : value) as tf.serialization.ConfigDictValue;
  }
  return out;
}

function guardConfig(original: unknown, budget: number, name: string, role: string): { class_name: string; config: Record<string, unknown> } {
  return { class_name: GUARD_CLASS, config: { original, budget, name, role: role.replace(/_|(?=I)/g, ' ').toLowerCase() } };
}

/** Model weights (not optimizer state) a manifest lists: the most a topology may initialize. */
function budgetFor(specs: readonly tf.io.WeightsManifestEntry[], unwritten: boolean): Budget {
  let largest = 0;
  let total = 0;
  for (const spec of specs) {
    if (spec.group === 'optimizer') continue;
    const count = elementCount(spec.shape);
    largest = Math.max(largest, count);
    total += count;
  }
  return { largest, remaining: total, total, resolved: new Map(), states: 0, given: new Set(), unwritten };
}

/**
 * Builds the model of validated artifacts with tfjs, without its weights,
 * never initializing more than the weight specs hold (each spec's size was
 * checked against its bytes), then puts the topology's own initializers back
 * in every layer, so the model serializes exactly as the topology said.
 * The weights are left to the caller: given weights, tfjs would initialize
 * the top-level layers with plain zeros, past the guards.
 */
export async function buildGuarded(artifacts: tf.io.ModelArtifacts, options: BuildGuardedOptions = {}): Promise<tfl.LayersModel> {
  registerGuard();
  installStateGuard();
  const id = nextBudget++;
  const budget = budgetFor(artifacts.weightSpecs ?? [], options.unwritten === true);
  budgets.set(id, budget);
  try {
    const { weightSpecs: _specs, weightData: _data, ...topologyOnly } = artifacts;
    checkTopologyGraph(artifacts.modelTopology);
    const guarded = guardTopology(artifacts.modelTopology, id) as tf.io.ModelArtifacts['modelTopology'];
    const model = await tfl.loadLayersModel(tf.io.fromMemory({ ...topologyOnly, modelTopology: guarded }));
    restoreInitializers(model);
    try {
      checkRowOutputs(model);
    } catch (cause) {
      model.dispose();
      throw cause;
    }
    return model;
  } catch (cause) {
    freeHalfBuilt(budget);
    throw cause;
  } finally {
    budgets.delete(id);
  }
}

/**
 * Disposes the weight variables a failed build made from this restore's
 * zeros (tfjs drops a half-built model without disposing it). A variable
 * shares the data of the tensor it was made from, so they are found by it.
 */
function freeHalfBuilt(budget: Budget): void {
  const registered = (tf.engine().state as unknown as { registeredVariables: Record<string, tf.Variable> }).registeredVariables;
  for (const variable of Object.values(registered)) {
    if (budget.given.has(variable.dataId) && !variable.isDisposed) variable.dispose();
  }
}

/** Replaces every guard a layer holds (nested models, wrapped layers and RNN cells included) by the initializer it stands for. */
function restoreInitializers(model: tfl.LayersModel): void {
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!(value instanceof tfl.layers.Layer) || seen.has(value)) return;
    seen.add(value);
    const fields = value as unknown as Record<string, unknown>;
    for (const [key, item] of Object.entries(fields)) {
      if (item instanceof GuardedInitializer) fields[key] = item.original;
      else visit(item);
    }
  };
  visit(model);
}

/**
 * The budget of the restore that built `layer` (an RNN cell, or a stacked
 * cell): found through the guarded initializers it holds while it is built.
 * Undefined outside a restore, or for a layer no restore is building.
 */
export function restoreBudgetOf(layer: unknown): Pick<Budget, 'states'> | undefined {
  const seen = new Set<unknown>();
  const find = (value: unknown, depth: number): Budget | undefined => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 4) return undefined;
    seen.add(value);
    if (value instanceof GuardedInitializer) return budgets.get(value.budgetId);
    if (Array.isArray(value)) {
      for (const item of value) {
        const found = find(item, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    if (!(value instanceof tfl.layers.Layer) && depth > 0) return undefined;
    for (const item of Object.values(value)) {
      const found = find(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return find(layer, 0);
}

/** True while at least one guarded restore is building a model. */
export function restoreInProgress(): boolean {
  return budgets.size > 0;
}
