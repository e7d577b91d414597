import { Packr, Unpackr } from 'msgpackr';
import semver from 'semver';
import { z } from 'zod';
import { ModelBundleError } from '../errors.js';
import { LIMITS } from './constants.js';
import { assertSafeMessagePack } from './msgpack-guard.js';

const SECTION_NAME = /^[A-Za-z0-9_.:/-]+$/;
const HEX_DIGEST = /^[0-9a-f]{64}$/;
const KIND = /^[a-z0-9][a-z0-9._-]*$/;

/** Format versions are plain `MAJOR.MINOR.PATCH`: no pre-release or build parts. */
const FORMAT_VERSION_STRING = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** Longest `requires` range, and most `requires` entries: real bundles need a handful of short ranges. */
const REQUIRES_RANGE_CHARS = 256;
const REQUIRES_ENTRIES = 256;

const semverString = z.string().refine((v) => semver.valid(v) === v, 'must be a semantic version such as 1.2.3');
const plainRecord = z.record(z.string(), z.unknown());

/** One row of the section table. `offset` is relative to the data region (docs/FORMAT.md). */
export const sectionEntrySchema = z.looseObject({
  name: z.string().min(1).max(LIMITS.sectionName).regex(SECTION_NAME, 'may hold only letters, digits and _ . : / -'),
  offset: z.number().int().nonnegative().max(LIMITS.fileBytes),
  length: z.number().int().nonnegative().max(LIMITS.fileBytes),
  sha256: z.string().regex(HEX_DIGEST, 'must be 64 lower-case hex digits'),
});

/** The header schema. Loose objects: fields a newer minor adds are kept, not dropped. */
export const headerSchema = z.looseObject({
  format: z.string().regex(FORMAT_VERSION_STRING, 'must be MAJOR.MINOR.PATCH, such as 1.0.0'),
  kind: z.string().min(1).max(128).regex(KIND, 'must be lower-case letters, digits and . _ -'),
  serializer: z.looseObject({
    version: semverString,
    package: z.string().min(1).max(214).optional(),
    plugin: z.string().min(1).max(214).optional(),
  }),
  producer: z.looseObject({ name: z.string().max(214), version: z.string().max(64), runtime: z.string().max(256).optional() }),
  created: z.iso.datetime({ offset: true }),
  requires: z.record(
    z.string().min(1).max(214),
    // Parsing a range costs time per character: long ones are refused before they are parsed.
    z
      .string()
      .max(REQUIRES_RANGE_CHARS, { abort: true })
      .refine((v) => semver.validRange(v) !== null, 'must be a semver range'),
  ),
  metadata: plainRecord,
  ptype: z.unknown(),
  summary: plainRecord,
  payload: plainRecord,
  sections: z.array(sectionEntrySchema).max(LIMITS.sections),
});

/** The header schema with the section rows left to {@link isSectionEntry}: zod costs microseconds per row, which a 200-tensor model pays 200 times. */
const headerFieldsSchema = headerSchema.extend({ sections: z.array(z.unknown()).max(LIMITS.sections) });

/** Exactly what {@link sectionEntrySchema} accepts, checked by hand; a row it refuses goes through zod for the message. */
function isSectionEntry(row: unknown): row is SectionEntry {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
  const { name, offset, length, sha256 } = row as Record<string, unknown>;
  return (
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= LIMITS.sectionName &&
    SECTION_NAME.test(name) &&
    isFileInteger(offset) &&
    isFileInteger(length) &&
    typeof sha256 === 'string' &&
    HEX_DIGEST.test(sha256)
  );
}

function isFileInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= LIMITS.fileBytes;
}

/** One row of the section table. */
export type SectionEntry = z.infer<typeof sectionEntrySchema>;

/**
 * The decoded header: everything a consumer needs to decide and describe,
 * without touching the sections. Field meanings: docs/FORMAT.md, "Header".
 */
export interface Header {
  /** Format version of the envelope, semver (`1.0.0`). */
  format: string;
  /** The serializer kind that wrote the payload, e.g. `tfjs.sequential`. */
  kind: string;
  /**
   * Payload version written by the serializer, the npm package that provides
   * it, and the name under which that package exports its plugin.
   */
  serializer: { version: string; package?: string; plugin?: string; [key: string]: unknown };
  /** The library that wrote the bundle and the runtime it ran on. */
  producer: { name: string; version: string; runtime?: string; [key: string]: unknown };
  /** Creation time, ISO 8601. */
  created: string;
  /** Runtime packages the payload needs: npm name to semver range. */
  requires: Record<string, string>;
  /** User metadata, free-form. */
  metadata: Record<string, unknown>;
  /** The input/output prototype (vetiver's "ptype": column names and types), or null. */
  ptype: unknown;
  /** A model summary for `inspect` (layers, parameters, shapes). */
  summary: Record<string, unknown>;
  /** Small serializer-specific values; large data belongs in sections. */
  payload: Record<string, unknown>;
  /** The section table, in file order. */
  sections: SectionEntry[];
  [key: string]: unknown;
}

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/**
 * Encodes a header as canonical MessagePack: map keys sorted, integers in the
 * smallest exact encoding, no extension types. The same header always gives
 * the same bytes.
 */
export function encodeHeader(header: Header): Uint8Array {
  const metadataBytes = packr.pack(canonical(header.metadata, 'metadata', 1)).length;
  if (metadataBytes > LIMITS.metadataBytes) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `Metadata is ${metadataBytes} bytes encoded, over the limit of ${LIMITS.metadataBytes}. Keep large data in sections, not metadata.`,
    );
  }
  const bytes = packr.pack(canonical(header, 'header'));
  if (bytes.length > LIMITS.headerBytes) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `Header is ${bytes.length} bytes, over the limit of ${LIMITS.headerBytes}. Move large values from metadata, summary or payload into sections.`,
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes and validates header bytes (already digest-checked by the caller). */
export function decodeHeader(bytes: Uint8Array): Header {
  assertSafeMessagePack(bytes);
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (cause) {
    throw new ModelBundleError('MALFORMED', `Header is not valid MessagePack: ${(cause as Error).message}. The bundle is damaged.`, {
      cause,
      details: { region: 'header' },
    });
  }
  return validateHeader(value);
}

/** Checks a decoded value against the header schema. */
export function validateHeader(value: unknown): Header {
  assertFewRequirements(value);
  const rows = (value as { sections?: unknown } | null)?.sections;
  const fast = Array.isArray(rows) && rows.length <= LIMITS.sections && rows.every(isSectionEntry);
  const result = fast ? headerFieldsSchema.safeParse(value) : headerSchema.safeParse(upToFirstBadSection(value));
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    // A value over a documented bound (too many sections, a name too long) is a limit, not a shape error.
    throw new ModelBundleError(
      issue?.code === 'too_big' ? 'LIMIT_EXCEEDED' : 'MALFORMED',
      `Header field "${where}" is invalid: ${issue?.message ?? 'unknown problem'}. The bundle was written by a non-conforming writer or is damaged.`,
      { details: { region: 'header', field: where } },
    );
  }
  const metadataBytes = packr.pack(result.data.metadata).length;
  if (metadataBytes > LIMITS.metadataBytes) {
    throw new ModelBundleError('LIMIT_EXCEEDED', `Header metadata is ${metadataBytes} bytes, over the limit of ${LIMITS.metadataBytes}.`, {
      details: { region: 'header', field: 'metadata' },
    });
  }
  return result.data as Header;
}

/** Every range is parsed (here and again when requirements are checked), so their number is bounded before any is. */
function assertFewRequirements(value: unknown): void {
  const requires = (value as { requires?: unknown } | null)?.requires;
  if (typeof requires !== 'object' || requires === null) return;
  const count = Object.keys(requires).length;
  if (count > REQUIRES_ENTRIES) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `Header field "requires" lists ${count} packages, over the limit of ${REQUIRES_ENTRIES}. The bundle was written by a non-conforming writer or is hostile.`,
      { details: { region: 'header', field: 'requires' } },
    );
  }
}

/**
 * zod reports every bad row of an array, so a table of 65,536 bad rows costs
 * seconds. Rows are checked one by one first and the table is cut after the
 * first bad one: a hostile table costs the work of its good rows plus one.
 */
function upToFirstBadSection(value: unknown): unknown {
  const rows = (value as { sections?: unknown } | null)?.sections;
  if (!Array.isArray(rows) || rows.length > LIMITS.sections) return value;
  const bad = rows.findIndex((row) => !sectionEntrySchema.safeParse(row).success);
  return bad < 0 ? value : { ...(value as object), sections: rows.slice(0, bad + 1) };
}

/**
 * Sorts map keys (by code point, which is UTF-8 byte order), drops
 * `undefined`, writes integers outside the 32-bit ranges as int64, and rejects
 * values MessagePack cannot carry without extensions. `depth` counts the
 * containers around `value` (the header map itself is at depth 1).
 */
function canonical(value: unknown, path: string, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return wellFormed(value, path);
  if (typeof value === 'number') {
    // msgpackr writes integers beyond 32 bits as float64; BigInt makes them int64, exact in every language.
    return Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x80000000) ? BigInt(value) : value;
  }
  if (value instanceof Uint8Array) return value;
  const isArray = Array.isArray(value);
  const isPlain = !isArray && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
  if ((isArray || isPlain) && depth >= LIMITS.depth) {
    throw new ModelBundleError('LIMIT_EXCEEDED', `${path} nests deeper than ${LIMITS.depth} levels of maps and arrays; flatten it.`, {
      details: { field: path },
    });
  }
  if (isArray) return (value as unknown[]).map((item, i) => canonical(item, `${path}[${i}]`, depth + 1));
  if (isPlain) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort(byCodePoint)) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[wellFormed(key, path)] = canonical(item, `${path}.${key}`, depth + 1);
    }
    return out;
  }
  throw new ModelBundleError(
    'INVALID_ARGUMENT',
    `${path} holds a ${value === undefined ? 'undefined' : ((value as object).constructor?.name ?? typeof value)} value, which a header cannot store. Use only null, booleans, numbers, strings, Uint8Array, arrays and plain objects (convert dates to ISO strings).`,
    { details: { field: path } },
  );
}

/** Orders strings by Unicode code point (UTF-16 `sort()` misorders characters above U+FFFF). */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate encodes a code point above U+FFFF, so it sorts after every other UTF-16 unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    return sx === sy ? x - y : sx ? 1 : -1;
  }
  return a.length - b.length;
}

/** Strings must be valid Unicode (no lone surrogates), so they encode to valid UTF-8. */
function wellFormed(text: string, path: string): string {
  if (/\p{Surrogate}/u.test(text)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `${path} holds a string with a lone UTF-16 surrogate, which is not valid UTF-8. Remove the broken character.`,
      {
        details: { field: path },
      },
    );
  }
  return text;
}
