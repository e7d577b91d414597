import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Bundle, type Inspection, inspect, isModelBundleError, type KeyInput, ModelBundleError, verifySignature } from '@modelbundle/core';
import { isProcessAlive } from '@modelbundle/core/internal';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { BundleCache } from './cache.js';
import {
  aliasKey,
  checkAlias,
  checkName,
  claimKey,
  isVersionId,
  LAYOUT_VERSION,
  metaKey,
  modelKey,
  nameIndexKey,
  ROOT_INDEX_KEY,
  versionId,
  versionTime,
} from './layout.js';
import type { BoardStorage } from './storage/storage.js';
import { VerifyingStream } from './verifying-stream.js';

/** The commit marker of a version, `<name>/<version>/meta.json`: facts from the bundle's header plus the writer's metadata. */
export interface VersionRecord {
  layout: string;
  name: string;
  version: string;
  /** When the version was written (ISO 8601). */
  written: string;
  /** SHA-256 of the bundle's header, lower-case hex: it covers every byte through the section digests. */
  headerDigest: string;
  /** Size of model.mbnd in bytes. */
  size: number;
  kind: string;
  /** Whether the bundle carries a signature. */
  signed: boolean;
  /** Metadata given to `write` (kept beside the bundle; the bundle itself is never changed). */
  metadata: Record<string, unknown>;
}

/** What {@link Board.meta} returns: the version's record and its bundle's header, read from the store's first bytes only. */
export interface VersionMeta extends VersionRecord {
  /** When the bundle was created (from its header). */
  created: string;
  serializer: Inspection['header']['serializer'];
  summary: Inspection['header']['summary'];
  /** The bundle's own metadata, from its header. */
  bundleMetadata: Inspection['header']['metadata'];
  header: Inspection['header'];
  /** Size of the bundle's MessagePack header. */
  headerLength: number;
  /** Bytes of model.mbnd fetched to answer (prefix and header only). */
  bytesRead: number;
}

/** One entry of {@link Board.versions}. */
export interface VersionInfo {
  version: string;
  /** When it was written, from its id. */
  written: Date;
}

/** What {@link Board.write} returns. */
export interface WriteResult {
  name: string;
  version: string;
  headerDigest: string;
  /** False when the same content was already on the board (same header digest) and that version is returned. */
  created: boolean;
}

/** Options for {@link Board.write}. */
export interface WriteOptions {
  /** Stored in meta.json beside the bundle. */
  metadata?: Record<string, unknown>;
  /** Write a new version even when the board already holds this content. */
  force?: boolean;
  /** Upload progress of model.mbnd. */
  onProgress?: (sent: number, total: number) => void;
}

/** What {@link Board.read} returns: a verified bundle file in the local cache. */
export interface ReadResult {
  name: string;
  version: string;
  headerDigest: string;
  /** The verified file; its name is the header digest. */
  path: string;
  /** True when the file was already in the cache and nothing was downloaded. */
  cached: boolean;
  /** The fingerprint of the trusted key that signed it, when trusted keys were given. */
  signer?: string;
}

/** Options for {@link Board.read}. */
export interface ReadOptions {
  /** Refuse the bundle unless one of these Ed25519 public keys signed it. */
  trustedKeys?: readonly KeyInput[];
  /** Download progress. */
  onProgress?: (received: number, total: number) => void;
}

/** Options for {@link Board.prune}. */
export interface PruneOptions {
  /** Keep this many newest versions. */
  keep?: number;
  /** Delete only versions written before this date, or more than this many milliseconds ago. */
  olderThan?: Date | number;
  /** Say what would be deleted, delete nothing. */
  dryRun?: boolean;
}

/** Options for {@link Board}. */
export interface BoardOptions {
  /** The local cache of verified bundles (default: {@link defaultCacheDir}, 10 GiB). */
  cache?: BundleCache;
  /** How long a writer waits for another writer's upload of identical content before taking over its claim (default 10 minutes). */
  claimTimeoutMs?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** The first ranged read of a header: most headers fit; a larger one costs one more request for exactly the rest. */
const HEAD_BYTES = 16 * 1024;

/**
 * A board: versions of named models in a store. Writers upload
 * `model.mbnd`, then `meta.json` (the commit marker); readers list the
 * committed versions and read them by version id, alias or `latest`. The
 * layout is in docs/BOARDS.md; any tool can read a board without this
 * library.
 */
export class Board {
  readonly cache: BundleCache;
  private readonly claimTimeoutMs: number;
  private readonly now: () => Date;
  /** The time of this process's last version id, so ids from one process strictly increase. */
  private lastWrite = 0;

  constructor(
    readonly storage: BoardStorage,
    options: BoardOptions = {},
  ) {
    this.cache = options.cache ?? new BundleCache();
    this.claimTimeoutMs = options.claimTimeoutMs ?? 10 * 60_000;
    this.now = options.now ?? (() => new Date());
  }

  /** Where the board lives (a path or URL). */
  get location(): string {
    return this.storage.location;
  }

  /**
   * Publishes a bundle (in memory, or a bundle file's path) as a new version
   * of `name`. The bundle is verified first. When the board already holds
   * the same content (same header digest), its version is returned and
   * nothing is written, unless `force`.
   */
  async write(name: string, source: Bundle | string, options: WriteOptions = {}): Promise<WriteResult> {
    checkName(name);
    const put = this.writable('write');
    let scratch: string | undefined;
    try {
      let file: string;
      if (typeof source === 'string') {
        file = source;
      } else {
        scratch = await mkdtemp(join(tmpdir(), 'modelbundle-board-'));
        file = join(scratch, 'model.mbnd');
        await writeBundle(file, source);
      }
      const { inspection } = await verifyFile(file); // every digest: nothing damaged is published
      const digest = inspection.headerDigest;
      const total = (await stat(file)).size;
      let version = versionId(this.nextTime(), digest);
      if (!options.force) {
        const existing = await this.claim(name, digest, version);
        if (existing) return { name, version: existing, headerDigest: digest, created: false };
      }
      for (;;) {
        const outcome = await put(
          modelKey(name, version),
          { file, size: total },
          { ifAbsent: true, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
        );
        if (outcome === 'created') break;
        // The same content forced twice in one millisecond: take the next millisecond.
        await new Promise((r) => setTimeout(r, 2));
        version = versionId(this.nextTime(), digest);
      }
      const record: VersionRecord = {
        layout: LAYOUT_VERSION,
        name,
        version,
        written: versionTime(version).toISOString(),
        headerDigest: digest,
        size: total,
        kind: inspection.header.kind,
        signed: inspection.signed,
        metadata: options.metadata ?? {},
      };
      await put(metaKey(name, version), { bytes: json(record) }, { ifAbsent: true });
      await this.refreshIndex(name);
      return { name, version, headerDigest: digest, created: true };
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  }

  private nextTime(): Date {
    this.lastWrite = Math.max(this.now().getTime(), this.lastWrite + 1);
    return new Date(this.lastWrite);
  }

  /**
   * Claims a header digest for `version` with a create-only write. Returns
   * the version already holding that content when another writer claimed it
   * first (waiting for its upload to commit), or undefined when the claim is
   * ours. A claim whose writer never committed within the timeout is taken over.
   */
  private async claim(name: string, digest: string, version: string): Promise<string | undefined> {
    const put = this.writable('write');
    const key = claimKey(name, digest);
    const body = { bytes: json({ version, claimed: this.now().toISOString(), host: hostname(), pid: process.pid }) };
    for (;;) {
      if ((await put(key, body, { ifAbsent: true })) === 'created') return undefined;
      const held = await this.readJson<{ version?: string; claimed?: string; host?: string; pid?: number }>(key);
      if (!held?.version) continue; // deleted between our write and read: try again
      if (await this.isCommitted(name, held.version)) return held.version;
      const age = this.now().getTime() - new Date(held.claimed ?? 0).getTime();
      const writerDied = held.host === hostname() && typeof held.pid === 'number' && !isProcessAlive(held.pid);
      if (writerDied || age > this.claimTimeoutMs) {
        await put(key, body); // its writer died: the content is ours to publish
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
    }
  }

  /** The committed versions of `name`, oldest first (ids sort by time). */
  async versions(name: string): Promise<VersionInfo[]> {
    checkName(name);
    let ids: string[];
    if (this.storage.list) {
      const keys = await this.storage.list(`${name}/`);
      ids = keys.filter((k) => k.endsWith('/meta.json')).map((k) => k.split('/')[1] as string);
    } else {
      ids = (await this.readJson<{ versions?: string[] }>(nameIndexKey(name)))?.versions ?? [];
    }
    return ids
      .filter(isVersionId)
      .sort()
      .map((version) => ({ version, written: versionTime(version) }));
  }

  /** The names of the models on the board, sorted. */
  async list(): Promise<string[]> {
    if (!this.storage.list) return ((await this.readJson<{ names?: string[] }>(ROOT_INDEX_KEY))?.names ?? []).sort();
    const names = new Set<string>();
    for (const key of await this.storage.list('')) {
      const [name, version, file] = key.split('/');
      if (file === 'meta.json' && version && isVersionId(version) && name) names.add(name);
    }
    return [...names].sort();
  }

  /** The version `ref` names: `latest` (the newest committed version), a version id, or an alias. NOT_FOUND otherwise. */
  async resolve(name: string, ref = 'latest'): Promise<string> {
    const version = await this.locate(name, ref);
    if (ref !== 'latest' && !(await this.isCommitted(name, version))) throw this.uncommitted(name, ref, version);
    return version;
  }

  /** The version `ref` names, without checking (for an id or an alias) that it is committed: callers fetch meta.json anyway. */
  private async locate(name: string, ref: string): Promise<string> {
    checkName(name);
    if (ref === 'latest') {
      const last = (await this.versions(name)).at(-1);
      if (!last) throw notFound(`The board ${this.location} has no versions of "${name}". Publish one with \`modelbundle board write\`.`, { name });
      return last.version;
    }
    if (isVersionId(ref)) return ref;
    checkAlias(ref);
    const target = await this.readJson<{ version?: string }>(aliasKey(name, ref));
    if (!target?.version || !isVersionId(target.version)) {
      throw notFound(`"${name}" has no alias "${ref}" on the board ${this.location}. Set it with \`modelbundle board alias\`.`, { name, ref });
    }
    return target.version;
  }

  private uncommitted(name: string, ref: string, version: string): ModelBundleError {
    return ref === version
      ? notFound(`Version ${ref} of "${name}" is not on the board ${this.location} (or was never committed). List them with \`modelbundle board versions\`.`, {
          name,
          ref,
        })
      : notFound(`The alias "${ref}" of "${name}" points to version ${version}, which is no longer on the board. Point it at another version.`, {
          name,
          ref,
          version,
        });
  }

  /** The version `ref` names and its record (meta.json), NOT_FOUND when it is not committed. */
  private async located(name: string, ref: string): Promise<{ version: string; record: VersionRecord }> {
    const version = await this.locate(name, ref);
    const record = await this.readJson<VersionRecord>(metaKey(name, version));
    if (!record) throw this.uncommitted(name, ref, version);
    return { version, record: checkRecord(record, this.location, name, version) };
  }

  /** The version's record and its bundle's header. Only meta.json and the first bytes of model.mbnd (16 KiB, plus the rest of a larger header) are fetched. */
  async meta(name: string, ref = 'latest'): Promise<VersionMeta> {
    // meta.json and the head of model.mbnd in parallel: one round trip for a version id, two for an alias.
    const version = await this.locate(name, ref);
    const key = modelKey(name, version);
    const [record, first] = await Promise.all([
      this.readJson<VersionRecord>(metaKey(name, version)),
      this.storage.getRange(key, 0, HEAD_BYTES).catch((e: unknown) => e as Error),
    ]);
    if (!record) throw this.uncommitted(name, ref, version);
    checkRecord(record, this.location, name, version);
    if (first instanceof Error) throw first;
    let head = first;
    if (!head)
      throw notFound(`Version ${version} of "${name}" has a meta.json but no model.mbnd on ${this.location}. The board was damaged; delete the version.`);
    let bytesRead = head.bytes.length;
    let inspection: Inspection;
    try {
      inspection = await inspect(head.bytes);
    } catch (e) {
      // A header larger than the first chunk: one more request for exactly the rest.
      const end = isModelBundleError(e, 'TRUNCATED') && e.details.region === 'header' ? Number(e.details.expected) : Number.NaN;
      if (!(end > head.bytes.length) || head.total < end) throw located(e, this.location, key);
      const rest = await this.storage.getRange(key, head.bytes.length, end);
      const joined = Buffer.concat([head.bytes, rest?.bytes ?? new Uint8Array(0)]);
      bytesRead += rest?.bytes.length ?? 0;
      head = { bytes: joined, total: head.total };
      inspection = await inspect(joined).catch((e2) => Promise.reject(located(e2, this.location, key)));
    }
    if (inspection.fileLength !== head.total) {
      throw new ModelBundleError(
        'TRUNCATED',
        `${this.location}/${key} is ${head.total} bytes, but its prefix says ${inspection.fileLength}. The object was cut off or replaced; publish the version again.`,
        { details: { board: this.location, key, expected: inspection.fileLength, found: head.total } },
      );
    }
    checkDigest(inspection.headerDigest, record, this.location, key);
    const { header } = inspection;
    return {
      ...record,
      created: header.created,
      serializer: header.serializer,
      summary: header.summary,
      bundleMetadata: header.metadata,
      header,
      headerLength: inspection.headerLength,
      bytesRead,
    };
  }

  /**
   * Downloads a version into the local cache (keyed by header digest) and
   * returns the verified file. Every digest is checked before the file is
   * visible in the cache; a truncated or modified object is refused
   * (TRUNCATED, CORRUPT) and never cached. With `trustedKeys`, an unsigned
   * bundle or one signed by another key is refused (SIGNATURE_INVALID).
   */
  async read(name: string, ref = 'latest', options: ReadOptions = {}): Promise<ReadResult> {
    const { version, record } = await this.located(name, ref);
    const key = modelKey(name, version);
    const hit = await this.cache.lookup(record.headerDigest, record.size);
    if (hit) {
      const signer = options.trustedKeys ? await this.checkSigner(await readBundle(hit), options.trustedKeys, key) : undefined;
      return { name, version, headerDigest: record.headerDigest, path: hit, cached: true, ...(signer ? { signer } : {}) };
    }
    const object = await this.storage.getStream(key);
    if (!object)
      throw notFound(`Version ${version} of "${name}" has a meta.json but no model.mbnd on ${this.location}. The board was damaged; delete the version.`);
    let signer: string | undefined;
    // Every digest is checked as the bytes stream to disk, so nothing is read back.
    const verifier = new VerifyingStream(record.headerDigest);
    const path = await this.cache
      .store(record.headerDigest, object.stream, {
        through: [verifier],
        verify: async () => {
          if (options.trustedKeys) signer = await this.checkSigner(verifier.verified.signed, options.trustedKeys, key);
        },
        ...(options.onProgress ? { onBytes: (received: number) => options.onProgress?.(received, record.size) } : {}),
      })
      .catch((e: unknown) => Promise.reject(located(e, this.location, key)));
    return { name, version, headerDigest: record.headerDigest, path, cached: false, ...(signer ? { signer } : {}) };
  }

  /** Reads a version as a verified {@link Bundle} (through the cache). */
  async load(name: string, ref = 'latest', options: ReadOptions = {}): Promise<ReadResult & { bundle: Bundle }> {
    const result = await this.read(name, ref, options);
    return { ...result, bundle: await readBundle(result.path) };
  }

  private async checkSigner(bundle: Bundle, keys: readonly KeyInput[], key: string): Promise<string> {
    try {
      return (await verifySignature(bundle, keys)).fingerprint;
    } catch (e) {
      throw located(e, this.location, key);
    }
  }

  /** Points `alias` at a version (a version id, `latest` or another alias), replacing where it pointed before. Returns the version. */
  async alias(name: string, alias: string, ref: string): Promise<string> {
    checkAlias(alias);
    const put = this.writable('set an alias on');
    const version = await this.resolve(name, ref);
    await put(aliasKey(name, alias), { bytes: json({ alias, version, updated: this.now().toISOString() }) });
    await this.refreshIndex(name);
    return version;
  }

  /** The aliases of `name` and the versions they point to. */
  async aliases(name: string): Promise<Record<string, string>> {
    checkName(name);
    const names = this.storage.list
      ? (await this.storage.list(`${name}/_aliases/`)).filter((k) => k.endsWith('.json')).map((k) => k.slice(`${name}/_aliases/`.length, -'.json'.length))
      : Object.keys((await this.readJson<{ aliases?: Record<string, string> }>(nameIndexKey(name)))?.aliases ?? {});
    const out: Record<string, string> = {};
    for (const alias of names.sort()) {
      const target = await this.readJson<{ version?: string }>(aliasKey(name, alias));
      if (target?.version) out[alias] = target.version;
    }
    return out;
  }

  /** Removes a version: meta.json first (so readers stop seeing it at once), then the bundle. A version an alias points to is refused unless `force`. */
  async delete(name: string, version: string, options: { force?: boolean } = {}): Promise<void> {
    checkName(name);
    const del = this.deletable();
    if (!isVersionId(version))
      throw new ModelBundleError('INVALID_ARGUMENT', `"${version}" is not a version id; delete takes an exact version (see \`board versions\`).`);
    const record = await this.readJson<VersionRecord>(metaKey(name, version));
    if (!record) throw notFound(`Version ${version} of "${name}" is not on the board ${this.location}.`, { name, version });
    const pointing = Object.entries(await this.aliases(name)).filter(([, v]) => v === version);
    if (pointing.length > 0 && !options.force) {
      throw new ModelBundleError(
        'INVALID_ARGUMENT',
        `Version ${version} of "${name}" is the target of alias ${pointing.map(([a]) => `"${a}"`).join(', ')}. Point the alias elsewhere first, or delete with force.`,
        { details: { name, version, aliases: pointing.map(([a]) => a) } },
      );
    }
    await del(metaKey(name, version));
    await del(modelKey(name, version));
    const claim = await this.readJson<{ version?: string }>(claimKey(name, record.headerDigest));
    if (claim?.version === version) await del(claimKey(name, record.headerDigest));
    await this.refreshIndex(name);
  }

  /**
   * Deletes old versions: all but the newest `keep`, and (with `olderThan`)
   * only those written before that time. Versions an alias points to are
   * always kept. Returns the versions deleted (or, with `dryRun`, that would be).
   */
  async prune(name: string, options: PruneOptions): Promise<string[]> {
    if (options.keep === undefined && options.olderThan === undefined) {
      throw new ModelBundleError('INVALID_ARGUMENT', 'prune needs `keep` (how many newest versions to keep) or `olderThan` (an age or a date), or both.');
    }
    if (options.keep !== undefined && !(Number.isInteger(options.keep) && options.keep >= 0)) {
      throw new ModelBundleError('INVALID_ARGUMENT', `keep must be a whole number of versions, not ${options.keep}.`);
    }
    const all = await this.versions(name);
    const protectedVersions = new Set(Object.values(await this.aliases(name)));
    const cutoff =
      options.olderThan === undefined ? undefined : options.olderThan instanceof Date ? options.olderThan : new Date(this.now().getTime() - options.olderThan);
    const candidates = options.keep === undefined ? all : all.slice(0, Math.max(0, all.length - options.keep));
    const doomed = candidates.filter((v) => !protectedVersions.has(v.version) && (cutoff === undefined || v.written < cutoff)).map((v) => v.version);
    if (!options.dryRun) for (const version of doomed) await this.delete(name, version);
    return doomed;
  }

  /** True when the version has its commit marker. */
  private async isCommitted(name: string, version: string): Promise<boolean> {
    return (await this.storage.getRange(metaKey(name, version), 0, 1)) !== undefined;
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    const bytes = await this.storage.getBytes(key);
    if (!bytes) return undefined;
    try {
      return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
    } catch (cause) {
      throw new ModelBundleError('MALFORMED', `${this.location}/${key} is not valid JSON. It was damaged; write it again.`, { cause, details: { key } });
    }
  }

  /**
   * Rewrites the listings a plain web server cannot produce (`_index.json`
   * at the root and per model) from the store's own listing. Readers with a
   * listing never use them. Any later write rewrites them again from the full
   * listing, so a lost race heals on the next write.
   */
  async refreshIndex(name: string): Promise<void> {
    if (!this.storage.list || !this.storage.put) return;
    const versions = (await this.versions(name)).map((v) => v.version);
    const aliases = await this.aliases(name);
    await this.storage.put(nameIndexKey(name), { bytes: json({ layout: LAYOUT_VERSION, name, versions, aliases }) });
    await this.storage.put(ROOT_INDEX_KEY, { bytes: json({ layout: LAYOUT_VERSION, names: await this.list() }) });
  }

  private writable(what: string): NonNullable<BoardStorage['put']> {
    const put = this.storage.put?.bind(this.storage);
    if (!put) throw readOnly(what, this.location);
    return put;
  }

  private deletable(): NonNullable<BoardStorage['delete']> {
    const del = this.storage.delete?.bind(this.storage);
    if (!del) throw readOnly('delete from', this.location);
    return del;
  }
}

/** Streams a bundle file through a {@link VerifyingStream}: every digest checked, nothing held in memory. */
async function verifyFile(file: string) {
  const verifier = new VerifyingStream();
  try {
    await pipeline(
      createReadStream(file, { highWaterMark: 1024 * 1024 }),
      verifier,
      new Writable({
        write: (_chunk, _encoding, done) => done(),
      }),
    );
  } catch (e) {
    if (isModelBundleError(e)) throw new ModelBundleError(e.code, `${file}: ${e.message}`, { cause: e, details: { ...e.details, path: file } });
    throw new ModelBundleError('IO_ERROR', `Could not read ${file}: ${(e as Error).message}. Check the path.`, { cause: e, details: { path: file } });
  }
  return verifier.verified;
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

function notFound(message: string, details: Record<string, unknown> = {}): ModelBundleError {
  return new ModelBundleError('NOT_FOUND', message, { details });
}

function readOnly(what: string, location: string): ModelBundleError {
  return new ModelBundleError(
    'INVALID_ARGUMENT',
    `The board ${location} is read-only (served over HTTP); ${what} it through its folder or S3 bucket instead.`,
    {
      details: { board: location },
    },
  );
}

function checkRecord(record: VersionRecord, location: string, name: string, version: string): VersionRecord {
  if (typeof record.headerDigest !== 'string' || typeof record.size !== 'number') {
    throw new ModelBundleError('MALFORMED', `${location}/${metaKey(name, version)} is not a version record. Delete the version and publish it again.`, {
      details: { board: location, name, version },
    });
  }
  return record;
}

function checkDigest(found: string, record: VersionRecord, location: string, key: string): void {
  if (found !== record.headerDigest) {
    throw new ModelBundleError(
      'CORRUPT',
      `${location}/${key} has header digest ${found}, but its meta.json records ${record.headerDigest}: the object was replaced after publishing. Do not use it; publish the version again.`,
      { details: { board: location, key, expected: record.headerDigest, found } },
    );
  }
}

/** Names the board object in a decoding error, keeping its code and details. */
function located(error: unknown, location: string, key: string): unknown {
  if (!isModelBundleError(error)) return error;
  const where = `${location}/${key}`;
  if (error.message.includes(where)) return error;
  return new ModelBundleError(error.code, `${where}: ${error.message}`, { cause: error, details: { ...error.details, board: location, key } });
}
