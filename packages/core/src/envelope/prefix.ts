import { ModelBundleError } from '../errors.js';
import { bytesEqual, isAllZero, toHex } from './bytes.js';
import { FLAG_SIGNED, FORMAT_VERSION, LIMITS, MAGIC, PREFIX_BYTES } from './constants.js';

/** The fixed 128-byte prefix, decoded. Layout: docs/FORMAT.md, "Prefix". */
export interface Prefix {
  /** Bytes 8..9: the format major (1). */
  formatMajor: number;
  /** Bytes 10..11: the format minor. */
  formatMinor: number;
  /** Bytes 12..15: bit 0 says the bundle is signed; no other bit is defined. */
  flags: number;
  /** Bytes 16..23: size of the header that starts at byte 128. */
  headerLength: number;
  /** Bytes 24..31: size of the whole file. */
  fileLength: number;
  /** Bytes 32..63: SHA-256 of the header. */
  headerDigest: Uint8Array;
  /** The Ed25519 signature, when the signed flag is set. */
  signature?: Uint8Array;
}

const SUPPORTED_MAJOR = Number(FORMAT_VERSION.split('.')[0]);
/** End of the version fields: the part of the prefix every format major shares. */
const VERSION_END = 12;

/** Writes the prefix for the given fields. */
export function encodePrefix(prefix: Prefix): Uint8Array {
  const out = new Uint8Array(PREFIX_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(8, prefix.formatMajor, true);
  view.setUint16(10, prefix.formatMinor, true);
  view.setUint32(12, prefix.flags, true);
  view.setBigUint64(16, BigInt(prefix.headerLength), true);
  view.setBigUint64(24, BigInt(prefix.fileLength), true);
  out.set(prefix.headerDigest, 32);
  if (prefix.signature) out.set(prefix.signature, 64);
  return out;
}

/**
 * Reads and checks the prefix: the first check any reader makes, before it
 * decodes anything. `available` is the total size of the bundle when known
 * (a file's size), so a truncated file is rejected here.
 */
export function decodePrefix(bytes: Uint8Array, available?: number): Prefix {
  const head = bytes.subarray(0, MAGIC.length);
  if (!bytesEqual(head, MAGIC.subarray(0, head.length)) || bytes.length === 0) {
    throw new ModelBundleError(
      'NOT_A_BUNDLE',
      `Not a modelbundle file: the first bytes are ${toHex(head) || '(none)'}, expected ${toHex(MAGIC)}. Check that the path points at a bundle written by modelbundle.`,
      { details: { region: 'prefix', field: 'magic', found: toHex(head) } },
    );
  }
  // Bytes 0-11 (magic and version) mean the same in every format major, so the
  // version is refused before any other rule of format 1 is applied.
  if (bytes.length >= VERSION_END) checkMajor(bytes);
  if (bytes.length < PREFIX_BYTES) {
    throw new ModelBundleError(
      'TRUNCATED',
      `Bundle is truncated: ${bytes.length} bytes, shorter than the ${PREFIX_BYTES}-byte prefix. The file was cut off while being written or copied; copy it again.`,
      { details: { region: 'prefix', expected: PREFIX_BYTES, found: bytes.length } },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREFIX_BYTES);
  const formatMajor = view.getUint16(8, true);
  const formatMinor = view.getUint16(10, true);
  const flags = view.getUint32(12, true);
  if ((flags & ~FLAG_SIGNED) !== 0) {
    throw new ModelBundleError(
      'MALFORMED',
      `Prefix flags are 0x${flags.toString(16)}, but only bit 0 (signed) is defined in format 1. The prefix is damaged.`,
      { details: { region: 'prefix', field: 'flags' } },
    );
  }
  const headerLength = readLength(view, 16, 'header length');
  const fileLength = readLength(view, 24, 'file length');
  if (headerLength > LIMITS.headerBytes) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `Header length is ${headerLength} bytes, over the limit of ${LIMITS.headerBytes}. The prefix is damaged or the file is hostile.`,
      { details: { region: 'prefix', field: 'headerLength' } },
    );
  }
  if (headerLength === 0 || PREFIX_BYTES + headerLength > fileLength) {
    throw new ModelBundleError(
      'MALFORMED',
      `Prefix says the header is ${headerLength} bytes in a file of ${fileLength} bytes, which cannot hold it. The prefix is damaged.`,
      { details: { region: 'prefix', field: 'headerLength' } },
    );
  }
  if (available !== undefined && available !== fileLength) {
    throw new ModelBundleError(
      'TRUNCATED',
      available < fileLength
        ? `Bundle is truncated: ${available} bytes, but its prefix says ${fileLength}. The file was cut off while being written or copied; copy it again.`
        : `Bundle has ${available - fileLength} bytes after its end (${available} bytes, prefix says ${fileLength}). Something was appended to the file; copy it again from the source.`,
      { details: { region: 'file', expected: fileLength, found: available } },
    );
  }
  const headerDigest = bytes.slice(32, 64);
  const signatureBytes = bytes.subarray(64, PREFIX_BYTES);
  const signed = (flags & FLAG_SIGNED) !== 0;
  if (!signed && !isAllZero(signatureBytes)) {
    throw new ModelBundleError(
      'CORRUPT',
      'Prefix is damaged: the signature field holds bytes but the signed flag is clear. Copy the bundle again from the source.',
      { details: { region: 'prefix', field: 'signature' } },
    );
  }
  if (signed && isAllZero(signatureBytes)) {
    throw new ModelBundleError(
      'CORRUPT',
      'Prefix is damaged: the signed flag is set but the signature field is empty (all zero). Copy the bundle again from the source.',
      { details: { region: 'prefix', field: 'flags' } },
    );
  }
  const prefix: Prefix = { formatMajor, formatMinor, flags, headerLength, fileLength, headerDigest };
  if (signed) prefix.signature = signatureBytes.slice();
  return prefix;
}

function readLength(view: DataView, offset: number, what: string): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(LIMITS.fileBytes)) {
    throw new ModelBundleError('LIMIT_EXCEEDED', `Prefix ${what} is ${value}, beyond 2^53 - 1 bytes. The prefix is damaged.`, {
      details: { region: 'prefix', field: what },
    });
  }
  return Number(value);
}

/** Refuses a format major this reader does not implement, naming the version to upgrade to. */
function checkMajor(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, VERSION_END);
  const formatMajor = view.getUint16(8, true);
  const formatMinor = view.getUint16(10, true);
  if (formatMajor === SUPPORTED_MAJOR) return;
  const newer = formatMajor > SUPPORTED_MAJOR;
  const hint = newer ? `upgrade @modelbundle/core to a release that reads format ${formatMajor}.x` : 'this reader does not read pre-release formats (major 0)';
  throw new ModelBundleError(
    'UNSUPPORTED_FORMAT',
    `Bundle format ${formatMajor}.${formatMinor} is not supported: this reader implements format ${FORMAT_VERSION} and reads ${SUPPORTED_MAJOR}.x. To read it, ${hint}.`,
    {
      details: {
        region: 'prefix',
        field: 'format',
        found: `${formatMajor}.${formatMinor}`,
        supported: `^${FORMAT_VERSION}`,
        ...(newer ? { upgradeTo: `${formatMajor}.0.0` } : {}),
      },
    },
  );
}
