import { ModelBundleError } from '@modelbundle/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { restoreBudgetOf, restoreInProgress } from './initializer-guard.js';

/**
 * A `stateful: true` recurrent layer allocates its zero states while it is
 * built: batch size x each state's size, outside any weight initializer and
 * unrelated to the weights. Reading the topology's fields to bound them
 * misses what is not written there (units only in a cell config, a stacked
 * cell, ConvLSTM2D's filters x rows x cols). Instead, tfjs's own
 * `resetStates` is wrapped: right before it allocates, the state size is
 * taken from the layer tfjs really built (`cell.stateSize`, the ConvRNN2D
 * output shape, the batch size of its input spec), and the restore's states,
 * all layers together, are refused past {@link MAX_STATE_ELEMENTS}.
 * Outside a restore the wrapper only passes the call on.
 */

/** Most zero-state values the stateful RNN layers of one restored model may hold: 16,777,216 (64 MiB of float32). */
export const MAX_STATE_ELEMENTS = 16 * 1024 * 1024;

type Shape = (number | null)[];
interface RecurrentLayer {
  name: string;
  stateful: boolean;
  inputSpec: { shape?: Shape }[] | null;
  cell: { stateSize: number | number[] };
  computeSingleOutputShape?(shape: Shape): Shape;
}
type ResetStates = (this: RecurrentLayer, states?: unknown, training?: boolean) => void;

let installed = false;

/** Wraps `resetStates` of tfjs's RNN and ConvRNN2D classes once per process. */
export function installStateGuard(): void {
  if (installed) return;
  installed = true;
  const samples = [
    tfl.layers.simpleRNN({ units: 1, name: 'modelbundle_state_probe_rnn' }),
    tfl.layers.convLstm2d({ filters: 1, kernelSize: 1, name: 'modelbundle_state_probe_conv' }),
  ];
  const wrapped = new Set<object>();
  for (const sample of samples) {
    // The nearest class up the chain that defines resetStates: RNN, and ConvRNN2D (which overrides it).
    let proto = Object.getPrototypeOf(sample) as Record<string, unknown> | null;
    while (proto && !Object.hasOwn(proto, 'resetStates')) proto = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
    if (!proto || wrapped.has(proto)) continue;
    wrapped.add(proto);
    const original = proto.resetStates as ResetStates;
    proto.resetStates = function guardedResetStates(this: RecurrentLayer, states?: unknown, training?: boolean) {
      if (states == null && this.stateful && restoreInProgress()) chargeStates(this);
      return original.call(this, states, training);
    };
  }
}

/** Counts the zero states `layer` is about to allocate against its restore's budget; throws past it. */
function chargeStates(layer: RecurrentLayer): void {
  const count = stateElements(layer);
  const budget = restoreBudgetOf(layer.cell);
  const before = budget?.states ?? 0;
  if (!(before + count <= MAX_STATE_ELEMENTS)) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `Stateful recurrent layer "${layer.name}" would allocate ${count} zero-state values${before > 0 ? ` on top of ${before} already held by other layers` : ''}; the limit is ${MAX_STATE_ELEMENTS} per model. No model needs states that large; the bundle is damaged or hostile. Nothing was allocated.`,
      { details: { layer: layer.name, stateElements: count, heldBefore: before, limit: MAX_STATE_ELEMENTS } },
    );
  }
  if (budget) budget.states = before + count;
}

/** The values tfjs's resetStates allocates for `layer`: batch x state size, for every state. Infinite when it cannot tell. */
function stateElements(layer: RecurrentLayer): number {
  const input = layer.inputSpec?.[0]?.shape;
  const batch = input?.[0];
  if (batch === null || batch === undefined) return 0; // tfjs refuses a stateful layer without a batch size, allocating nothing
  const sizes = Array.isArray(layer.cell.stateSize) ? layer.cell.stateSize : [layer.cell.stateSize];
  let perRow: number[];
  if (typeof layer.computeSingleOutputShape === 'function') {
    // ConvRNN2D: every state has the shape of one output step, [batch, rows, cols, filters].
    const out = layer.computeSingleOutputShape(input as Shape);
    const step = [out[0], ...out.slice(2)].slice(1);
    perRow = sizes.map(() => step.reduce<number>((a, d) => a * (typeof d === 'number' ? d : Number.NaN), 1));
  } else perRow = sizes;
  let total = 0;
  for (const size of perRow) {
    if (!Number.isSafeInteger(size) || size < 0) return Number.POSITIVE_INFINITY;
    total += batch * size;
  }
  return Number.isFinite(total) ? total : Number.POSITIVE_INFINITY;
}
