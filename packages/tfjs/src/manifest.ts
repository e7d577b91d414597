import { ModelBundleError } from '@modelbundle/core';
import { parseJson } from '@modelbundle/core/internal';
import { isWeightDtype, tensorByteLength, type WeightDtype } from './dtypes.js';
import { HIDDEN_OPTIMIZER_STATE } from './optimizer-state.js';

/** One weight tensor of a bundled model: its tfjs spec plus the section that holds its bytes. */
export type WeightEntry = {
  /** The tfjs weight name, e.g. `dense_Dense1/kernel`. */
  name: string;
  shape: number[];
  dtype: WeightDtype;
  /** Name of the section holding the tensor's raw little-endian bytes. */
  section: string;
  /**
   * Where the tensor starts in its section, when the section holds several
   * small tensors (payload 2.0): 0 for the first, then each one at the next
   * multiple of 64 after the one before. Absent: the section is the tensor's alone.
   */
  offset?: number;
  /** `optimizer` for optimizer state (tfjs's weight group); absent for model weights. */
  group?: string;
};

/** The payload a tfjs model keeps in the header: where its topology is and what each weight section holds. */
export type TfjsPayload = {
  /** Name of the section holding the topology document (JSON). */
  topology: string;
  weights: WeightEntry[];
  /** True when optimizer state is included. */
  optimizer: boolean;
  /** Optimizer variables tfjs's getWeights() omits (see HIDDEN_OPTIMIZER_STATE): float32 values by section. */
  optimizerState?: { name: string; section: string }[];
};

/**
 * The topology section: `model.json` minus its weights manifest. Large, so
 * it lives in a section rather than in the header.
 */
export interface TopologyDocument {
  modelTopology: Record<string, unknown>;
  trainingConfig?: Record<string, unknown>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: Record<string, unknown>;
}

/** Checks an untrusted payload and returns it typed. Sizes are checked against the sections (or their lengths, before they are read). */
export function readPayload(payload: Record<string, unknown>, sections: ReadonlyMap<string, { readonly byteLength: number }>): TfjsPayload {
  // Callers pass what a file holds (workflows passes its payload.model), which may be no object at all.
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw malformed(`the tfjs payload is ${JSON.stringify(payload) ?? 'missing'}; expected a map`);
  const { topology, weights, optimizer } = payload;
  if (typeof topology !== 'string' || !sections.has(topology)) {
    throw malformed(`payload.topology is ${JSON.stringify(topology)}; expected the name of a section that holds the model topology`);
  }
  // Each weight has a section of its own or a 64-byte slot in a shared one (zero-size tensors aside, which the header's own entry limit bounds).
  const slots = [...sections.values()].reduce((sum, data) => sum + 1 + Math.floor(data.byteLength / 64), 0);
  if (!Array.isArray(weights) || weights.length > slots) {
    throw malformed(`payload.weights is not a list of at most ${slots} weight entries`);
  }
  const seen = new Set<string>();
  /** Shared sections: where the last tensor read so far ends in each. */
  const sharedEnds = new Map<string, number>();
  const entries = weights.map((raw, i): WeightEntry => {
    const w = raw as Partial<WeightEntry> | null;
    const where = `payload.weights[${i}]`;
    if (!w || typeof w !== 'object' || typeof w.name !== 'string' || typeof w.section !== 'string' || !Array.isArray(w.shape)) {
      throw malformed(`${where} lacks a string name, a string section or a shape list`);
    }
    if (!isWeightDtype(w.dtype)) throw malformed(`${where} ("${w.name}") has dtype ${JSON.stringify(w.dtype)}; expected float32, int32, bool or complex64`);
    if (w.group !== undefined && typeof w.group !== 'string') throw malformed(`${where} ("${w.name}") has a non-string group`);
    const data = sections.get(w.section);
    const expected = tensorByteLength(w.shape, w.dtype, `Weight "${w.name}"`);
    if (w.offset !== undefined) {
      // A shared section: tensors tile it in payload order, each at the next multiple of 64.
      const end = sharedEnds.get(w.section);
      const at = end === undefined ? 0 : Math.ceil(end / 64) * 64;
      if (!data || w.section === topology || (end === undefined && seen.has(w.section))) {
        throw malformed(`${where} ("${w.name}") names section "${w.section}", which is missing, is the topology or is used by another entry`);
      }
      if (w.offset !== at || at + expected > data.byteLength) {
        throw new ModelBundleError(
          'MALFORMED',
          `Weight "${w.name}" (${expected} bytes) is at offset ${JSON.stringify(w.offset)} of section "${w.section}" (${data.byteLength} bytes), but the next weight there must start at ${at} and fit in the section. The bundle was written by a non-conforming writer or is damaged.`,
          { details: { weight: w.name, section: w.section, expected: at, found: w.offset } },
        );
      }
      seen.add(w.section);
      sharedEnds.set(w.section, at + expected);
      return { name: w.name, shape: w.shape as number[], dtype: w.dtype, section: w.section, offset: at, ...(w.group === undefined ? {} : { group: w.group }) };
    }
    if (!data || w.section === topology || seen.has(w.section)) {
      throw malformed(`${where} ("${w.name}") names section "${w.section}", which is missing, is the topology or is used twice`);
    }
    seen.add(w.section);
    if (expected !== data.byteLength) {
      throw new ModelBundleError(
        'MALFORMED',
        `Weight "${w.name}" is ${w.dtype}[${w.shape.join(', ')}], which takes ${expected} bytes, but its section "${w.section}" holds ${data.byteLength}. The bundle was written by a non-conforming writer or is damaged.`,
        { details: { weight: w.name, section: w.section, expected, found: data.byteLength } },
      );
    }
    return { name: w.name, shape: w.shape as number[], dtype: w.dtype, section: w.section, ...(w.group === undefined ? {} : { group: w.group }) };
  });
  for (const [section, end] of sharedEnds) {
    const length = (sections.get(section) as { readonly byteLength: number }).byteLength;
    if (end !== length) {
      throw new ModelBundleError(
        'MALFORMED',
        `Section "${section}" holds ${length} bytes, but its weights end at byte ${end}: a shared weight section ends with its last weight. The bundle was written by a non-conforming writer or is damaged.`,
        { details: { section, expected: end, found: length } },
      );
    }
  }
  const state = readOptimizerState(payload.optimizerState, sections, seen);
  return { topology, weights: entries, optimizer: optimizer === true, ...(state ? { optimizerState: state } : {}) };
}

function readOptimizerState(raw: unknown, sections: ReadonlyMap<string, { readonly byteLength: number }>, used: Set<string>): TfjsPayload['optimizerState'] {
  if (raw === undefined) return undefined;
  const known = new Set(Object.values(HIDDEN_OPTIMIZER_STATE).flat());
  if (!Array.isArray(raw) || raw.length > known.size) throw malformed('payload.optimizerState is not a short list');
  return raw.map((item, i) => {
    const { name, section } = (item ?? {}) as { name?: unknown; section?: unknown };
    if (typeof name !== 'string' || !known.has(name))
      throw malformed(`payload.optimizerState[${i}] names ${JSON.stringify(name)}; expected one of ${[...known].join(', ')}`);
    if (typeof section !== 'string' || used.has(section) || sections.get(section)?.byteLength !== 4) {
      throw malformed(`payload.optimizerState[${i}] ("${name}") needs its own 4-byte section; "${String(section)}" is missing, shared or of another size`);
    }
    used.add(section);
    return { name, section };
  });
}

/** Parses the topology section (plain JSON: nothing in it is evaluated). */
export function readTopology(bytes: Uint8Array, section: string): TopologyDocument {
  const doc = parseJson(bytes, `Section "${section}"`, 'The bundle was written by a non-conforming writer.');
  const topology = (doc as TopologyDocument | null)?.modelTopology;
  if (!doc || typeof doc !== 'object' || !topology || typeof topology !== 'object' || Array.isArray(topology)) {
    throw malformed(`section "${section}" has no modelTopology object`);
  }
  return doc as TopologyDocument;
}

/** The model config inside a topology, unwrapping the Keras `model_config` envelope the converter writes. */
export function modelConfig(topology: Record<string, unknown>): { class_name?: unknown; config?: unknown } {
  const inner = topology.model_config;
  return (inner && typeof inner === 'object' ? inner : topology) as { class_name?: unknown; config?: unknown };
}

function malformed(what: string): ModelBundleError {
  return new ModelBundleError(
    'MALFORMED',
    `The tfjs payload is invalid: ${what}. The bundle was written by a non-conforming writer or is damaged; re-save the model.`,
  );
}
