import { ModelBundleError } from '@modelbundle/core';
import { inflateSync } from 'fflate';
import type { KerasLimits } from '../limits.js';
import { crc32 } from './crc32.js';

/** One entry of a zip's central directory. */
export interface ZipEntry {
  /** The name with `\` separators (Windows writers) turned into `/`. */
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MIB = 1024 * 1024;

function malformed(what: string, details: Record<string, unknown> = {}): ModelBundleError {
  return new ModelBundleError('MALFORMED', `The .keras zip is damaged or not a zip Keras wrote: ${what}. Save the model again or copy the whole file.`, {
    details,
  });
}

/**
 * A zip read as untrusted input: its central directory is parsed with every
 * offset and size checked against the file, entry counts bounded, and an
 * entry is decompressed only on request, into a buffer of its declared size
 * (bounded by the limits and a ratio to its compressed size), then checked
 * against its declared length and CRC-32.
 */
export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #limits: KerasLimits;
  #decompressed = 0;

  constructor(bytes: Uint8Array, limits: KerasLimits) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#limits = limits;
    this.entries = this.#readDirectory();
  }

  #u16(at: number): number {
    if (at + 2 > this.#bytes.byteLength) throw malformed(`a header at byte ${at} runs past the end of the file`);
    return this.#view.getUint16(at, true);
  }

  #u32(at: number): number {
    if (at + 4 > this.#bytes.byteLength) throw malformed(`a header at byte ${at} runs past the end of the file`);
    return this.#view.getUint32(at, true);
  }

  #u64(at: number): number {
    const low = this.#u32(at);
    const high = this.#u32(at + 4);
    const value = high * 2 ** 32 + low;
    if (!Number.isSafeInteger(value)) throw malformed(`a 64-bit size at byte ${at} is larger than any file`);
    return value;
  }

  #findEnd(): number {
    const last = this.#bytes.byteLength - 22;
    const first = Math.max(0, last - 0xffff);
    for (let at = last; at >= first; at--) if (this.#view.getUint32(at, true) === EOCD) return at;
    throw malformed('no end-of-central-directory record (the file is truncated)');
  }

  #readDirectory(): Map<string, ZipEntry> {
    if (this.#bytes.byteLength < 22) throw malformed(`the file is only ${this.#bytes.byteLength} bytes long (truncated)`);
    const end = this.#findEnd();
    let count = this.#u16(end + 10);
    let size = this.#u32(end + 12);
    let offset = this.#u32(end + 16);
    if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
      const locator = end - 20;
      if (locator < 0 || this.#u32(locator) !== ZIP64_LOCATOR) throw malformed('a zip64 size without its zip64 locator');
      const record = this.#u64(locator + 8);
      if (this.#u32(record) !== ZIP64_EOCD) throw malformed('the zip64 locator points at no zip64 directory record');
      count = this.#u64(record + 32);
      size = this.#u64(record + 40);
      offset = this.#u64(record + 48);
    }
    if (count > this.#limits.maxZipEntries) {
      throw new ModelBundleError('LIMIT_EXCEEDED', `The .keras zip lists ${count} entries; at most ${this.#limits.maxZipEntries} are read.`, {
        details: { entries: count, limit: this.#limits.maxZipEntries },
      });
    }
    if (offset + size > end) throw malformed('the central directory lies outside the file', { offset, size });
    const entries = new Map<string, ZipEntry>();
    let at = offset;
    for (let i = 0; i < count; i++) {
      if (this.#u32(at) !== CENTRAL) throw malformed(`central directory entry ${i} has no signature`);
      const flags = this.#u16(at + 8);
      const method = this.#u16(at + 10);
      const crc = this.#u32(at + 16);
      let compressedSize = this.#u32(at + 20);
      let size = this.#u32(at + 24);
      const nameLength = this.#u16(at + 28);
      const extraLength = this.#u16(at + 30);
      const commentLength = this.#u16(at + 32);
      let localOffset = this.#u32(at + 42);
      const nameEnd = at + 46 + nameLength;
      if (nameEnd + extraLength + commentLength > offset + size) throw malformed(`central directory entry ${i} runs past the directory`);
      const name = new TextDecoder().decode(this.#bytes.subarray(at + 46, nameEnd)).replaceAll('\\', '/');
      // Zip64 extra field: the 64-bit values, in order, of the fields set to 0xffffffff.
      for (let x = nameEnd; x + 4 <= nameEnd + extraLength; ) {
        const id = this.#u16(x);
        const length = this.#u16(x + 2);
        if (id === 0x0001) {
          let p = x + 4;
          if (size === 0xffffffff) {
            size = this.#u64(p);
            p += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.#u64(p);
            p += 8;
          }
          if (localOffset === 0xffffffff) localOffset = this.#u64(p);
        }
        x += 4 + length;
      }
      if (entries.has(name)) throw malformed(`the entry "${name}" is listed twice`);
      entries.set(name, { name, method, flags, crc, compressedSize, size, localOffset });
      at = nameEnd + extraLength + commentLength;
    }
    return entries;
  }

  /** The decompressed bytes of one entry, or undefined when the zip has no such entry. */
  read(name: string, maxBytes = this.#limits.maxDecompressedBytes): Uint8Array | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (entry.flags & 1) throw malformed(`the entry "${name}" is encrypted`);
    if (entry.size > maxBytes || this.#decompressed + entry.size > this.#limits.maxDecompressedBytes) {
      throw new ModelBundleError(
        'LIMIT_EXCEEDED',
        `The .keras entry "${name}" says it decompresses to ${entry.size} bytes; this import reads at most ${Math.min(maxBytes, this.#limits.maxDecompressedBytes - this.#decompressed)} more. Raise limits.maxDecompressedBytes if the model is really this large.`,
        { details: { entry: name, size: entry.size } },
      );
    }
    if (entry.size > MIB && entry.size > entry.compressedSize * this.#limits.maxCompressionRatio) {
      throw new ModelBundleError(
        'LIMIT_EXCEEDED',
        `The .keras entry "${name}" would expand ${Math.round(entry.size / Math.max(1, entry.compressedSize))}-fold (${entry.compressedSize} to ${entry.size} bytes), past the ${this.#limits.maxCompressionRatio}-fold bound: a zip bomb, not a model.`,
        { details: { entry: name, size: entry.size, compressedSize: entry.compressedSize } },
      );
    }
    const local = entry.localOffset;
    if (this.#u32(local) !== LOCAL) throw malformed(`the entry "${name}" has no local header at byte ${local}`);
    const start = local + 30 + this.#u16(local + 26) + this.#u16(local + 28);
    const stop = start + entry.compressedSize;
    if (stop > this.#bytes.byteLength) throw malformed(`the data of "${name}" runs past the end of the file (truncated)`, { entry: name });
    const raw = this.#bytes.subarray(start, stop);
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.size !== entry.compressedSize) throw malformed(`the stored entry "${name}" has two different sizes`);
      data = raw;
    } else if (entry.method === 8) {
      try {
        data = inflateSync(raw, { out: new Uint8Array(entry.size) });
      } catch (cause) {
        throw new ModelBundleError('MALFORMED', `The .keras entry "${name}" is not valid deflate data (${String(cause)}). Save the model again.`, { cause });
      }
    } else {
      throw malformed(`the entry "${name}" uses compression method ${entry.method}; Keras writes stored (0) or deflate (8)`);
    }
    if (data.byteLength !== entry.size || crc32(data) !== entry.crc) {
      throw malformed(`the entry "${name}" does not match its recorded length or CRC-32`, { entry: name });
    }
    this.#decompressed += entry.size;
    return data;
  }
}
