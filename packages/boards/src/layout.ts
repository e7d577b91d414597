import { ModelBundleError } from '@modelbundle/core';

/**
 * The board layout (docs/BOARDS.md). Every key is relative to the board's
 * root: a folder, an S3 prefix or a base URL.
 *
 *   <name>/<version>/model.mbnd     the bundle, uploaded first
 *   <name>/<version>/meta.json      written last: its presence commits the version
 *   <name>/_aliases/<alias>.json    { "version": ... }
 *   <name>/_digests/<digest>.json   claim of a header digest, so identical content is stored once
 *   <name>/_index.json, _index.json listings for boards read over plain HTTP
 */
export const LAYOUT_VERSION = 'modelbundle-board/1';

/** A version id: UTC time to the millisecond, then the first 12 hex digits of the header digest. */
export const VERSION_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{12}$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

export const modelKey = (name: string, version: string) => `${name}/${version}/model.mbnd`;
export const metaKey = (name: string, version: string) => `${name}/${version}/meta.json`;
export const aliasKey = (name: string, alias: string) => `${name}/_aliases/${alias}.json`;
export const claimKey = (name: string, digest: string) => `${name}/_digests/${digest}.json`;
export const nameIndexKey = (name: string) => `${name}/_index.json`;
export const ROOT_INDEX_KEY = '_index.json';

/** The version id for content with `headerDigest` written at `time`: sorts by time, and differs for different content. */
export function versionId(time: Date, headerDigest: string): string {
  const iso = time.toISOString(); // 2026-12-02T14:31:00.123Z
  const compact = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
  return `${compact}-${headerDigest.slice(0, 12)}`;
}

/** When a version was written, read back from its id. */
export function versionTime(version: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(version);
  if (!m) throw new ModelBundleError('INVALID_ARGUMENT', `"${version}" is not a board version id (like 20261202T143100123Z-0123456789ab).`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}

export const isVersionId = (ref: string) => VERSION_PATTERN.test(ref);

/** Checks a model name; names are folder names and URL path parts, so they stay plain. */
export function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `"${name}" is not a valid model name: use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
      { details: { name } },
    );
  }
  return name;
}

/** Checks an alias name: it starts with a letter, so it can never be mistaken for a version id. */
export function checkAlias(alias: string): string {
  if (!ALIAS_PATTERN.test(alias) || alias === 'latest') {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `"${alias}" is not a valid alias: use up to 64 letters, digits, ".", "_" or "-", starting with a letter; "latest" is reserved (it always means the newest version).`,
      { details: { alias } },
    );
  }
  return alias;
}
