import { ModelBundleError } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { elementCount } from './dtypes.js';

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
    const probe = tfl.layers.dense({ units: 1, name: 'modelbundle_initializer_probe', kernelInitializer: config.original as 'zeros' });
    this.original = (probe as unknown as { kernelInitializer: Initializer }).kernelInitializer;
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
    return tf.zeros(shape, dtype);
  }

  override getClassName(): string {
    return this.original.getClassName();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.original.getConfig();
  }
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

const INITIALIZER_KEY = /_initializer$/;
const MAX_DEPTH = 256;

/** A copy of the topology with every initializer wrapped in a guard that draws on `budget`. */
function guardTopology(topology: unknown, budget: number): unknown {
  const visit = (value: unknown, layer: string, depth: number): unknown => {
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) return value.map((item) => visit(item, layer, depth + 1));
    const record = value as Record<string, unknown>;
    const config = record.config as Record<string, unknown> | undefined;
    const here = typeof record.class_name === 'string' && typeof config?.name === 'string' ? config.name : layer;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record)) {
      out[key] = INITIALIZER_KEY.test(key) && isInitializerIdentifier(item) ? guardConfig(item, budget, here, key) : visit(item, here, depth + 1);
    }
    return out;
  };
  return visit(topology, '(model)', 0);
}

function isInitializerIdentifier(value: unknown): boolean {
  if (typeof value === 'string') return true;
  const record = value as { class_name?: unknown; config?: unknown } | null;
  return typeof record === 'object' && record !== null && typeof record.class_name === 'string';
}

function guardConfig(original: unknown, budget: number, name: string, role: string): { class_name: string; config: Record<string, unknown> } {
  return { class_name: GUARD_CLASS, config: { original, budget, name, role: role.replace(/_/g, ' ') } };
}

/** Model weights (not optimizer state) a manifest lists: the most a topology may initialize. */
function budgetFor(specs: readonly tf.io.WeightsManifestEntry[]): Budget {
  let largest = 0;
  let total = 0;
  for (const spec of specs) {
    if (spec.group === 'optimizer') continue;
    const count = elementCount(spec.shape);
    largest = Math.max(largest, count);
    total += count;
  }
  return { largest, remaining: total, total };
}

/**
 * Builds the model of validated artifacts with tfjs, without its weights,
 * never initializing more than the weight specs hold (each spec's size was
 * checked against its bytes), then puts the topology's own initializers back
 * in every layer, so the model serializes exactly as the topology said.
 * The weights are left to the caller: given weights, tfjs would initialize
 * the top-level layers with plain zeros, past the guards.
 */
export async function buildGuarded(artifacts: tf.io.ModelArtifacts): Promise<tfl.LayersModel> {
  registerGuard();
  const id = nextBudget++;
  budgets.set(id, budgetFor(artifacts.weightSpecs ?? []));
  try {
    const { weightSpecs: _specs, weightData: _data, ...topologyOnly } = artifacts;
    const guarded = guardTopology(artifacts.modelTopology, id) as tf.io.ModelArtifacts['modelTopology'];
    const model = await tfl.loadLayersModel(tf.io.fromMemory({ ...topologyOnly, modelTopology: guarded }));
    restoreInitializers(model);
    return model;
  } finally {
    budgets.delete(id);
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
