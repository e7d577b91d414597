/// <reference path="./jsfive.d.ts" />
import { ModelBundleError } from '@modelbundle/core';
import * as jsfive from 'jsfive';
import type { KerasLimits } from '../limits.js';
import { copyBytes } from './copy.js';

/** A float32 tensor read from an HDF5 dataset. */
export interface H5Tensor {
  shape: number[];
  values: Float32Array;
}

const DATA_LAYOUT_MESSAGE = 8;
const UNDEFINED_ADDRESS = 2 ** 64 - 1;
const FLOAT_TYPES = /^([<>|=]?)f(4|8|2)$/;
const INT_TYPES = /^([<>|=]?)([iu])(1|2|4|8)$/;

function malformed(what: string, cause?: unknown): ModelBundleError {
  const reason = cause === undefined ? '' : ` (${cause instanceof Error ? cause.message : String(cause)})`;
  return new ModelBundleError(
    'MALFORMED',
    `The HDF5 data is damaged or uses features Keras never writes: ${what}${reason}. Save the model again or copy the whole file.`,
    {
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** Runs a jsfive call, turning whatever it throws (strings, RangeErrors, asserts) into MALFORMED. */
function guarded<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    if (cause instanceof ModelBundleError) throw cause;
    throw malformed(what, cause);
  }
}

/** A decoded HDF5 string: jsfive returns fixed-length strings with their NUL padding. */
function cleanString(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/\0+$/, '') : value;
}

/**
 * An HDF5 file read as untrusted input through jsfive (pure JS, Node and
 * browsers). Every read is wrapped so a parser failure becomes MALFORMED;
 * paths are bounded in depth; a dataset may not claim more elements than
 * its file could hold; contiguous little-endian float32 data (what h5py
 * writes for Keras) comes straight from the file's bytes: a view when those
 * bytes are this reader's own, a copy when they are the caller's.
 */
export class Hdf5File {
  readonly #file: jsfive.File;
  readonly #bytes: Uint8Array;
  readonly #limits: KerasLimits;
  /** True when nobody else holds #bytes, so tensors may view them. */
  readonly #owned: boolean;
  /** Bytes of dataset values read so far: bounded by a multiple of the file size. */
  #read = 0;

  /** `owned`: the caller hands `bytes` over (an inflated zip entry) and keeps no other reference to them. */
  constructor(bytes: Uint8Array, limits: KerasLimits, owned = false) {
    if (bytes.byteLength < 48) throw malformed(`the file is only ${bytes.byteLength} bytes long (truncated)`);
    // jsfive reads from an ArrayBuffer from its start: give it one of exactly these bytes.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const own = whole ? bytes : copyBytes(bytes);
    this.#bytes = own;
    this.#owned = owned || !whole;
    this.#limits = limits;
    this.#file = guarded('its superblock cannot be read', () => new jsfive.File(own.buffer as ArrayBuffer, 'model.h5'));
  }

  #object(path: string): jsfive.Group | jsfive.Dataset | undefined {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length > this.#limits.maxDepth) {
      throw new ModelBundleError(
        'LIMIT_EXCEEDED',
        `The HDF5 path "${path.slice(0, 200)}" is nested ${parts.length} deep; at most ${this.#limits.maxDepth} levels are read.`,
      );
    }
    let node: jsfive.Group | jsfive.Dataset = this.#file;
    for (const part of parts) {
      if (!(node instanceof jsfive.Group)) return undefined;
      const group: jsfive.Group = node;
      const keys = guarded(`the members of a group cannot be listed`, () => group.keys);
      if (!keys.includes(part)) return undefined;
      node = guarded(`the object "${path}" cannot be opened`, () => group.get(part));
    }
    return node;
  }

  /** True when `path` names a group. */
  isGroup(path: string): boolean {
    return this.#object(path) instanceof jsfive.Group;
  }

  /** True when `path` names a dataset. */
  isDataset(path: string): boolean {
    const node = this.#object(path);
    return node !== undefined && !(node instanceof jsfive.Group);
  }

  /** The member names of a group (empty when it is missing). */
  keys(path: string): string[] {
    const node = this.#object(path);
    if (!(node instanceof jsfive.Group)) return [];
    return guarded(`the members of "${path}" cannot be listed`, () => [...node.keys]);
  }

  /** The attributes of a group or dataset, strings without their NUL padding. */
  attrs(path: string): Record<string, unknown> {
    const node = this.#object(path);
    if (!node) return {};
    const attrs = guarded(`the attributes of "${path || '/'}" cannot be read`, () => node.attrs);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(attrs)) out[k] = Array.isArray(v) ? v.map(cleanString) : cleanString(v);
    return out;
  }

  /** A dataset as float32 (float16/64 and integer data converted), its size checked against the file first. */
  tensor(path: string): H5Tensor {
    const node = this.#object(path);
    if (!node || node instanceof jsfive.Group) throw malformed(`the dataset "${path}" is missing`);
    const dataset = node;
    const shape = guarded(`the shape of "${path}" cannot be read`, () => [...dataset.shape]);
    const dtype = guarded(`the type of "${path}" cannot be read`, () => dataset.dtype);
    const count = shape.reduce((a, b) => a * b, 1);
    const float = typeof dtype === 'string' ? FLOAT_TYPES.exec(dtype) : null;
    const int = typeof dtype === 'string' ? INT_TYPES.exec(dtype) : null;
    const itemSize = float ? Number(float[2]) : int ? Number(int[3]) : 0;
    if (itemSize === 0) throw malformed(`the dataset "${path}" holds ${JSON.stringify(dtype)} values, not numbers`);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Number.isSafeInteger(count * itemSize)) {
      throw malformed(`the dataset "${path}" has the impossible shape [${shape.join(', ')}]`);
    }
    // Keras writes weights uncompressed: their values cannot outweigh the file (twice, for float16 read as float32).
    if (count * itemSize + this.#read > this.#bytes.byteLength * 2 + 65536) {
      throw new ModelBundleError(
        'LIMIT_EXCEEDED',
        `The HDF5 dataset "${path}" claims ${count * itemSize} bytes of values, more than its ${this.#bytes.byteLength}-byte file can hold: the file is damaged or hostile.`,
        { details: { dataset: path, shape, bytes: count * itemSize, fileBytes: this.#bytes.byteLength } },
      );
    }
    this.#read += count * itemSize;
    const direct = dtype === '<f4' ? this.#contiguousFloat32(dataset, count) : undefined;
    if (direct) return { shape, values: direct };
    const values = guarded(`the values of "${path}" cannot be read`, () => dataset.value);
    if (values.length !== count) throw malformed(`the dataset "${path}" holds ${values.length} values, its shape says ${count}`);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = Number(values[i]);
    return { shape, values: out };
  }

  /** Contiguous little-endian float32 data straight from the file (jsfive would build a JS array): a view of owned, aligned bytes, else a copy. */
  #contiguousFloat32(dataset: jsfive.Dataset, count: number): Float32Array | undefined {
    const objects = (dataset as unknown as { _dataobjects?: DataObjects })._dataobjects;
    if (!objects || typeof objects.find_msg_type !== 'function' || typeof objects._get_data_message_properties !== 'function') return undefined;
    return guarded('the data layout cannot be read', () => {
      const message = objects.find_msg_type(DATA_LAYOUT_MESSAGE)[0];
      if (!message) return undefined;
      const [, , layoutClass, propertyOffset] = objects._get_data_message_properties(message.get('offset_to_message'));
      if (layoutClass !== 1) return undefined;
      const view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
      if (propertyOffset + 8 > this.#bytes.byteLength) throw malformed('a data layout message runs past the end of the file');
      const address = view.getUint32(propertyOffset, true) + view.getUint32(propertyOffset + 4, true) * 2 ** 32;
      if (address === UNDEFINED_ADDRESS || count === 0) return new Float32Array(count);
      if (address + count * 4 > this.#bytes.byteLength) throw malformed(`a dataset's values run past the end of the file (truncated)`);
      const at = this.#bytes.byteOffset + address;
      if (this.#owned && at % 4 === 0) return new Float32Array(this.#bytes.buffer, at, count);
      return new Float32Array(copyBytes(this.#bytes.subarray(address, address + count * 4)).buffer);
    });
  }
}

/** jsfive's internal data-object API used for the fast path (pinned jsfive version). */
interface DataObjects {
  find_msg_type(type: number): { get(key: string): number }[];
  _get_data_message_properties(offset: number): [number, number, number, number];
}
