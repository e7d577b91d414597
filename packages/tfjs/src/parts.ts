import { type BundleParts, ModelBundleError, type SectionData, type SectionSource, type UnbundleParts } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { artifactsFromModel, type BundlableArtifacts, type ModelArtifacts, modelFromArtifacts, type WeightBytes, type WeightReader } from './artifacts.js';
import { copiesWrittenValues, currentBackend, ensureBackend } from './backend.js';
import { ChunkReader } from './chunks.js';
import { assertClassesRegistered, customClassNames, isClassRegistered, topologyClassNames } from './classes.js';
import { fromLittleEndian, isWeightDtype, tensorByteLength, toLittleEndian } from './dtypes.js';
import { readPayload, readTopology, type TfjsPayload, type TopologyDocument, type WeightEntry } from './manifest.js';
import { hiddenOptimizerState, restoreHiddenOptimizerState } from './optimizer-state.js';
import { describeModel, type TfjsSummary } from './summary.js';
import { LAYERS_RANGE } from './version.js';

/** Options for {@link modelParts}. */
export interface ModelPartsOptions {
  /** Save the optimizer state too, so training can resume exactly (default false). */
  includeOptimizer?: boolean;
  /** Read each weight from the model only when its section is written (see `TfjsBundleOptions.deferWeights`). */
  deferWeights?: boolean;
  /**
   * Prepended to every section name, so a model's sections can sit beside
   * others in a larger bundle (e.g. `model/`). Letters, digits and `_ . : / -`.
   */
  prefix?: string;
}

/** {@link BundleParts} whose payload and summary are those of a tfjs model. */
export interface TfjsBundleParts extends BundleParts {
  payload: TfjsPayload;
  sections: [string, SectionData][];
  summary: TfjsSummary;
  ptype: { inputs: TfjsSummary['inputs']; outputs: TfjsSummary['outputs'] };
  requires: Record<string, string>;
}

const PREFIX = /^[A-Za-z0-9_.:/-]*$/;

/**
 * The parts of a bundle for a live model: payload (weight manifest), one
 * raw little-endian section per weight tensor, the topology section, a
 * summary and a ptype. Another serializer may embed these in its own bundle.
 */
export async function modelParts(model: LayersModel, options: ModelPartsOptions = {}): Promise<TfjsBundleParts> {
  await ensureBackend();
  const includeOptimizer = options.includeOptimizer === true;
  const artifacts = await artifactsFromModel(model, includeOptimizer, options.deferWeights === true);
  // A class tfjs cannot resolve would make bytes no process can restore: refuse now, not at load.
  assertClassesRegistered(topologyClassNames(artifacts.modelTopology));
  return partsFromArtifacts(artifacts, options.prefix ?? '', model, includeOptimizer ? hiddenOptimizerState(model) : undefined);
}

/**
 * The parts of a bundle for tfjs model artifacts (what `model.save` gives an
 * IOHandler, or a model.json read from disk). Quantized or string weights
 * are decoded first: sections always hold plain tensors.
 */
export function partsFromArtifacts(
  artifacts: BundlableArtifacts,
  prefix = '',
  model?: LayersModel,
  optimizerState?: ReadonlyMap<string, Float32Array>,
): TfjsBundleParts {
  if (!PREFIX.test(prefix)) {
    throw new ModelBundleError('INVALID_ARGUMENT', `Section prefix "${prefix}" has characters a section name cannot hold; use letters, digits and _ . : / -.`);
  }
  const topology = artifacts.modelTopology;
  if (!topology || typeof topology !== 'object' || topology instanceof ArrayBuffer) {
    throw new ModelBundleError('SERIALIZATION_FAILED', 'The model artifacts hold no JSON topology; only layers models (not graph models) can be bundled.');
  }
  const doc: TopologyDocument = {
    modelTopology: topology as Record<string, unknown>,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig as unknown as Record<string, unknown> } : {}),
    ...(artifacts.format ? { format: artifacts.format } : {}),
    ...(artifacts.generatedBy ? { generatedBy: artifacts.generatedBy } : {}),
    ...(artifacts.convertedBy !== undefined ? { convertedBy: artifacts.convertedBy } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  const topologySection = `${prefix}topology.json`;
  const sections: [string, SectionData][] = [[topologySection, new TextEncoder().encode(JSON.stringify(doc))]];
  const weights: WeightEntry[] = [];
  for (const { section, tensors, bytes } of weightSections(weightTensors(artifacts), prefix)) {
    for (const { spec, offset } of tensors) {
      weights.push({
        name: spec.name,
        shape: [...spec.shape],
        dtype: spec.dtype as WeightEntry['dtype'],
        section,
        ...(tensors.length > 1 ? { offset } : {}),
        ...(spec.group ? { group: spec.group } : {}),
      });
    }
    sections.push([section, bytes]);
  }
  const state: { name: string; section: string }[] = [];
  for (const [name, value] of optimizerState ?? []) {
    const section = `${prefix}optimizer/${name}`;
    state.push({ name, section });
    sections.push([section, toLittleEndian(new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice(), 'float32')]);
  }
  const optimizer = weights.some((w) => w.group === 'optimizer');
  const classes = [...topologyClassNames(doc.modelTopology), ...topologyClassNames(doc.trainingConfig)];
  const summary = describeModel(doc, weights, model, {
    customClasses: customClassNames(classes),
    backend: currentBackend() ?? null,
    tfjsLayers: versionThatWrote(doc),
    optimizer,
  });
  return {
    payload: { topology: topologySection, weights, optimizer, ...(state.length > 0 ? { optimizerState: state } : {}) },
    sections,
    summary,
    ptype: { inputs: summary.inputs, outputs: summary.outputs },
    requires: { '@tensorflow/tfjs-layers': LAYERS_RANGE },
  };
}

/**
 * Validated tfjs artifacts from bundle parts: the payload is checked, every
 * class the topology names must be registered, and every section's length
 * must match its tensor's shape and dtype, all before any tensor exists.
 */
export function artifactsFromParts(parts: Pick<UnbundleParts, 'payload' | 'sections'>): ModelArtifacts {
  const { artifacts, weightBytes } = checkedParts(parts);
  // One exact ArrayBuffer per tensor, never one joined buffer: a joined copy
  // would cost a full extra copy and cap the model at 4 GiB. tfjs reads each
  // list item's whole `.buffer` (it ignores view offsets), so a section that
  // is a view into a larger buffer is copied; one that is its own buffer is passed as is.
  const weightData = weightBytes.map((bytes) => {
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    return (own ? bytes.buffer : new Uint8Array(bytes).buffer) as ArrayBuffer; // not .slice(): on a Node Buffer it is a view
  });
  return { ...artifacts, weightData };
}

/** The checks of {@link artifactsFromParts}: artifacts without weight data, and each weight's bytes (little-endian views of the sections). */
function checkedParts(parts: Pick<UnbundleParts, 'payload' | 'sections'>): { artifacts: ModelArtifacts; weightBytes: Uint8Array[]; payload: TfjsPayload } {
  const payload = readPayload(parts.payload, parts.sections);
  const artifacts = checkedArtifacts(payload, parts.sections.get(payload.topology) as Uint8Array);
  const weightBytes = payload.weights.map((w) => weightIn(parts.sections.get(w.section) as Uint8Array, w));
  return { artifacts, weightBytes, payload };
}

/** A weight's bytes in platform order: a view of its section (a copy on a big-endian platform). */
function weightIn(section: Uint8Array, w: WeightEntry): Uint8Array {
  const offset = w.offset ?? 0;
  return fromLittleEndian(section.subarray(offset, offset + tensorByteLength(w.shape, w.dtype, `Weight "${w.name}"`)), w.dtype);
}

/** The artifacts (without weight data) of a checked payload and its topology section; every class they need must be registered. */
function checkedArtifacts(payload: TfjsPayload, topologyBytes: Uint8Array): ModelArtifacts {
  const doc = readTopology(topologyBytes, payload.topology);
  // The training config is data: its loss and optimizer classes are required only to restore optimizer state.
  // Without that state, a config tfjs cannot resolve (Keras's BinaryCrossentropy, RMSprop) is kept, and restore() leaves the model uncompiled.
  assertClassesRegistered([...topologyClassNames(doc.modelTopology), ...(payload.optimizer ? topologyClassNames(doc.trainingConfig) : [])]);
  return {
    modelTopology: doc.modelTopology,
    weightSpecs: payload.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype, ...(w.group ? { group: w.group as tf.io.WeightGroup } : {}) })),
    ...(doc.trainingConfig ? { trainingConfig: doc.trainingConfig as unknown as tf.io.TrainingConfig } : {}),
    ...(doc.format ? { format: doc.format } : {}),
    ...(doc.generatedBy ? { generatedBy: doc.generatedBy } : {}),
    ...(doc.convertedBy !== undefined ? { convertedBy: doc.convertedBy } : {}),
    ...(doc.userDefinedMetadata ? { userDefinedMetadata: doc.userDefinedMetadata as Record<string, object> } : {}),
  };
}

/**
 * Restores a live model from bundle parts (its own bundle's, or a model
 * embedded in another bundle). Weights are made from the section bytes
 * without tfjs's per-weight copy (on the cpu backend the model then shares
 * the section buffers: do not modify them afterwards).
 */
export async function modelFromParts(parts: Pick<UnbundleParts, 'payload' | 'sections'>): Promise<LayersModel> {
  const { artifacts, weightBytes, payload } = checkedParts(parts);
  return restore(artifacts, payload, weightBytes, async (section) => parts.sections.get(section) as Uint8Array);
}

/**
 * Restores a live model whose sections are read one at a time, with the
 * same checks as {@link modelFromParts} (sizes against the section table
 * before any section is read). On a backend that copies each weight into
 * memory of its own (wasm), every weight section is read into one reused
 * buffer, so the weights are held only once; elsewhere each section gets
 * its own buffer, which the model keeps.
 */
export async function modelFromSections(rawPayload: Record<string, unknown>, source: SectionSource): Promise<LayersModel> {
  const payload = readPayload(rawPayload, source.lengths);
  const artifacts = checkedArtifacts(payload, await source.read(payload.topology));
  await ensureBackend();
  const largest = Math.max(0, ...payload.weights.map((w) => source.lengths.get(w.section)?.byteLength ?? 0));
  const reused = copiesWrittenValues() ? new Uint8Array(largest) : undefined;
  let current: { section: string; bytes: Uint8Array } | undefined;
  const weights: WeightReader = {
    async weight(i) {
      const w = payload.weights[i] as WeightEntry;
      if (current?.section !== w.section) current = { section: w.section, bytes: await source.read(w.section, reused) };
      return weightIn(current.bytes, w);
    },
    async all() {
      const own = new Map<string, Uint8Array>();
      for (const w of payload.weights) if (!own.has(w.section)) own.set(w.section, await source.read(w.section));
      return payload.weights.map((w) => weightIn(own.get(w.section) as Uint8Array, w));
    },
  };
  return restore(artifacts, payload, weights, (section) => source.read(section));
}

/** The model from checked artifacts and its weights, the optimizer's hidden state restored (`section` gives a state section's bytes). */
async function restore(
  artifacts: ModelArtifacts,
  payload: TfjsPayload,
  weights: WeightBytes,
  section: (name: string) => Promise<Uint8Array>,
): Promise<LayersModel> {
  if (!payload.optimizer && !topologyClassNames(artifacts.trainingConfig).every(isClassRegistered)) delete artifacts.trainingConfig;
  await ensureBackend();
  const model = await modelFromArtifacts(artifacts, weights);
  try {
    const values = new Map<string, Float32Array>();
    for (const { name, section: state } of payload.optimizerState ?? []) {
      values.set(name, new Float32Array(new Uint8Array(fromLittleEndian(await section(state), 'float32')).buffer));
    }
    restoreHiddenOptimizerState(model, values);
  } catch (cause) {
    model.dispose();
    throw cause;
  }
  return model;
}

/** Weights smaller than this share a section with their small neighbours: a section costs a table row and a digest (about 110 bytes) and a read. */
const SHARED_WEIGHT_BYTES = 64 * 1024;
/** The most bytes one shared section holds. */
const SHARED_SECTION_BYTES = 1024 * 1024;
/** Weights inside a shared section start at multiples of this, as sections do, so typed arrays view them in place. */
const WEIGHT_ALIGNMENT = 64;

/**
 * The weight sections: a large weight alone in its section (its bytes as
 * they are, no copy); a run of small ones together in one, each at a
 * 64-byte-aligned offset. A section is named after the index of its first weight.
 */
function weightSections(
  tensors: [tf.io.WeightsManifestEntry, SectionData][],
  prefix: string,
): { section: string; tensors: { spec: tf.io.WeightsManifestEntry; offset: number }[]; bytes: SectionData }[] {
  const out: ReturnType<typeof weightSections> = [];
  let run: { index: number; spec: tf.io.WeightsManifestEntry; bytes: SectionData; offset: number }[] = [];
  let runEnd = 0;
  const close = () => {
    if (run.length === 0) return;
    const first = run[0] as (typeof run)[number];
    let bytes = first.bytes;
    if (run.length > 1) {
      // Small weights are packed now (a deferred one read at once): a shared section holds at most 1 MiB.
      const packed = new Uint8Array(runEnd);
      for (const t of run) {
        const { bytes: data } = t;
        packed.set(data instanceof Uint8Array ? data : data.read(0, data.byteLength, packed.subarray(t.offset)), t.offset);
      }
      bytes = packed;
    }
    out.push({ section: `${prefix}weights/${first.index}`, tensors: run.map(({ spec, offset }) => ({ spec, offset })), bytes });
    run = [];
    runEnd = 0;
  };
  for (const [index, [spec, bytes]] of tensors.entries()) {
    if (bytes.byteLength >= SHARED_WEIGHT_BYTES) {
      close();
      out.push({ section: `${prefix}weights/${index}`, tensors: [{ spec, offset: 0 }], bytes });
      continue;
    }
    const offset = Math.ceil(runEnd / WEIGHT_ALIGNMENT) * WEIGHT_ALIGNMENT;
    if (run.length > 0 && offset + bytes.byteLength > SHARED_SECTION_BYTES) {
      close();
      run.push({ index, spec, bytes, offset: 0 });
      runEnd = bytes.byteLength;
      continue;
    }
    run.push({ index, spec, bytes, offset });
    runEnd = offset + bytes.byteLength;
  }
  close();
  return out;
}

/** Each weight's spec and its raw little-endian bytes, decoding quantized or string weights to plain tensors first. */
function weightTensors(artifacts: BundlableArtifacts): [tf.io.WeightsManifestEntry, SectionData][] {
  const specs = artifacts.weightSpecs ?? [];
  if (specs.length === 0) return [];
  if (artifacts.weightData === undefined) {
    throw new ModelBundleError('SERIALIZATION_FAILED', 'The model artifacts list weight specs but hold no weight data; load the weights before bundling.');
  }
  const plain = specs.every((s) => isWeightDtype(s.dtype) && s.quantization === undefined);
  const list = Array.isArray(artifacts.weightData) ? (artifacts.weightData as SectionData[]) : undefined;
  if (list?.some((entry) => !(entry instanceof Uint8Array || entry instanceof ArrayBuffer))) return deferredTensors(list, specs, plain);
  if (!plain) return decodedTensors(artifacts.weightData as tf.io.WeightData | Uint8Array[], specs);
  const data = new ChunkReader(artifacts.weightData as tf.io.WeightData | Uint8Array[]);
  let offset = 0;
  return specs.map((spec) => {
    const length = tensorByteLength(spec.shape, spec.dtype as WeightEntry['dtype'], `Weight "${spec.name}"`);
    if (offset + length > data.byteLength) {
      throw new ModelBundleError(
        'SERIALIZATION_FAILED',
        `The weight data ends at byte ${data.byteLength}, but weight "${spec.name}" needs bytes ${offset} to ${offset + length}. The weights do not match their manifest.`,
      );
    }
    // A view, not a copy: sections are hashed and streamed to disk one by one, so saving needs no second copy of the weights.
    const bytes = toLittleEndian(data.view(offset, offset + length), spec.dtype as WeightEntry['dtype']);
    offset += length;
    return [spec, bytes];
  });
}

/** Weights given one entry each, some of them deferred: each checked against its spec, made little-endian when read. */
function deferredTensors(list: readonly SectionData[], specs: tf.io.WeightsManifestEntry[], plain: boolean): [tf.io.WeightsManifestEntry, SectionData][] {
  if (!plain || list.length !== specs.length) {
    throw new ModelBundleError(
      'SERIALIZATION_FAILED',
      `Deferred weights need one plain (float32, int32 or bool, unquantized) entry per weight spec; got ${list.length} entries for ${specs.length} specs.`,
    );
  }
  return specs.map((spec, i) => {
    const dtype = spec.dtype as WeightEntry['dtype'];
    const entry = list[i] as SectionData | ArrayBuffer;
    const length = tensorByteLength(spec.shape, dtype, `Weight "${spec.name}"`);
    if (entry.byteLength !== length) {
      throw new ModelBundleError('SERIALIZATION_FAILED', `Weight "${spec.name}" has ${entry.byteLength} bytes; its shape and dtype need ${length}.`);
    }
    if (entry instanceof ArrayBuffer) return [spec, toLittleEndian(new Uint8Array(entry), dtype)];
    if (entry instanceof Uint8Array) return [spec, toLittleEndian(entry, dtype)];
    return [spec, { byteLength: length, read: (start, end, into) => toLittleEndian(entry.read(start, end, into), dtype) }];
  });
}

function decodedTensors(weightData: tf.io.WeightData | Uint8Array[], specs: tf.io.WeightsManifestEntry[]): [tf.io.WeightsManifestEntry, Uint8Array][] {
  const reader = new ChunkReader(weightData);
  const tensors = tf.io.decodeWeights(reader.slice(0, reader.byteLength).buffer as ArrayBuffer, specs);
  try {
    return specs.map((spec) => {
      const tensor = tensors[spec.name] as tf.Tensor;
      if (!isWeightDtype(tensor.dtype)) {
        throw new ModelBundleError(
          'SERIALIZATION_FAILED',
          `Weight "${spec.name}" has dtype ${tensor.dtype}; a layers model's weights are float32, int32 or bool.`,
        );
      }
      const values = tensor.dataSync() as Float32Array | Int32Array | Uint8Array;
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
      const { quantization: _dropped, ...rest } = spec;
      return [{ ...rest, dtype: tensor.dtype }, toLittleEndian(bytes, tensor.dtype)];
    });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

function versionThatWrote(doc: TopologyDocument): string {
  const written = doc.modelTopology.keras_version;
  return typeof written === 'string' ? written : (doc.generatedBy ?? 'unknown');
}
