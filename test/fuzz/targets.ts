import { writeFile } from 'node:fs/promises';
import { createRegistry, decodeBundle, encodeBundle, inspect, ModelBundleError, type Registry, readPtype, verifySignature } from '@modelbundle/core';
import { checkSections } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { checkFile, inspectFile, readBundle, unbundleFile } from '@modelbundle/core/node';
import { kerasToBundle } from '@modelbundle/keras';
import { rowSchemas } from '@modelbundle/serve';
import { type Corpus, disposeRestored, type SerializerUnderTest } from './corpus.js';

/** Raised by a target when an outcome breaks a promise even though no exception escaped. */
export class OracleViolation extends Error {
  override readonly name = 'OracleViolation';
}

/** What targets share within one fuzz process. */
export interface TargetContext {
  corpus: Corpus;
  registry: Registry;
  /** A scratch file for the file-reading target. */
  scratchPath: string;
}

/** One API surface under fuzz. `run` resolves (success) or throws; the engine classifies the throw. */
export interface FuzzTarget {
  name: string;
  /** Run on every Nth case only (default 1: every case), for targets much slower than the rest. */
  every?: number;
  run(input: Uint8Array, ctx: TargetContext): Promise<void>;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function succeeds(work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (e) {
    if (e instanceof ModelBundleError) return false;
    throw e;
  }
}

/** Every target; adding one is one entry here. */
export const TARGETS: FuzzTarget[] = [
  {
    // Anything accepted must re-encode to exactly the input: no byte escapes the checks.
    name: 'decodeBundle',
    async run(input) {
      const bundle = await decodeBundle(input);
      if (!equal(encodeBundle(bundle), input)) throw new OracleViolation('decodeBundle accepted bytes that do not re-encode to themselves');
    },
  },
  {
    name: 'decodeBundle(verify:false)',
    async run(input) {
      const bundle = await decodeBundle(input, { verify: false });
      if (!equal(encodeBundle(bundle), input)) throw new OracleViolation('decodeBundle({verify:false}) accepted bytes that do not re-encode to themselves');
    },
  },
  {
    name: 'inspect',
    async run(input) {
      const info = await inspect(input);
      if (info.headerLength + 128 > input.length) throw new OracleViolation('inspect reported a header longer than its input');
    },
  },
  {
    // The file reader must agree with the in-memory decoder on every input.
    name: 'readBundle+inspectFile',
    every: 3,
    async run(input, ctx) {
      await writeFile(ctx.scratchPath, input);
      const fromMemory = await succeeds(() => decodeBundle(input));
      const fileError = await readBundle(ctx.scratchPath).then(
        (bundle) => {
          if (!equal(encodeBundle(bundle), input)) throw new OracleViolation('readBundle accepted bytes that do not re-encode to themselves');
        },
        (e: unknown) => e,
      );
      if (fromMemory !== (fileError === undefined))
        throw new OracleViolation(`decodeBundle ${fromMemory ? 'accepted' : 'refused'} what readBundle ${fileError ? 'refused' : 'accepted'}`);
      if (!fileError && !(await succeeds(() => inspectFile(ctx.scratchPath)))) throw new OracleViolation('inspectFile refused a bundle readBundle accepted');
      if (fileError) throw fileError;
    },
  },
  {
    // Checking a file section by section must fail exactly where decoding does, and report each section as checkSections does.
    name: 'checkFile',
    every: 3,
    async run(input, ctx) {
      await writeFile(ctx.scratchPath, input);
      const decoded = await decodeBundle(input, { verify: false }).then(
        (bundle) => checkSections(bundle),
        () => undefined,
      );
      const checked = await checkFile(ctx.scratchPath).then(
        ({ sections }) => sections,
        (e: unknown) => e,
      );
      if ((decoded === undefined) !== !Array.isArray(checked))
        throw new OracleViolation(
          `decodeBundle({verify:false}) ${decoded ? 'accepted' : 'refused'} what checkFile ${Array.isArray(checked) ? 'accepted' : 'refused'}`,
        );
      if (!Array.isArray(checked)) throw checked;
      if (JSON.stringify(checked) !== JSON.stringify(decoded)) throw new OracleViolation('checkFile and checkSections disagree about a section');
    },
  },
  {
    name: 'unbundle',
    async run(input, ctx) {
      disposeRestored(await ctx.registry.unbundle(input, { autoload: false }));
    },
  },
  {
    // A file read section by section (as a large one is) must be accepted exactly when the bytes in memory are.
    name: 'unbundleFile(streamed)',
    every: 3,
    async run(input, ctx) {
      await writeFile(ctx.scratchPath, input);
      const inMemory = await ctx.registry.unbundle(input, { autoload: false }).then(
        (value) => {
          disposeRestored(value);
          return undefined;
        },
        (e: unknown) => e,
      );
      const fromFile = await unbundleFile(ctx.scratchPath, { registry: ctx.registry, autoload: false, streamAbove: 0 }).then(
        ({ value }) => {
          disposeRestored(value);
          return undefined;
        },
        (e: unknown) => e,
      );
      if ((inMemory === undefined) !== (fromFile === undefined))
        throw new OracleViolation(
          `unbundle ${inMemory ? 'refused' : 'accepted'} what unbundleFile, reading section by section, ${fromFile ? 'refused' : 'accepted'}`,
        );
      if (fromFile) throw fromFile;
    },
  },
  {
    // A signature check may only pass for a header the trusted key really signed.
    name: 'unbundle(trustedKeys)+verifySignature',
    async run(input, ctx) {
      const accepted = await succeeds(async () => verifySignature(await decodeBundle(input), ctx.corpus.publicKey));
      if (accepted) {
        const digest = toHex((await decodeBundle(input)).headerDigest);
        if (!ctx.corpus.signedDigests.has(digest)) throw new OracleViolation(`verifySignature accepted header digest ${digest}, which the key never signed`);
      }
      disposeRestored(await ctx.registry.unbundle(input, { autoload: false, trustedKeys: [ctx.corpus.publicKey] }));
    },
  },
  {
    // The ptype as the server and the CLI read it: a typed refusal, or schemas small enough to serve (under 1 MiB).
    name: 'readPtype+rowSchemas',
    async run(input) {
      const ptype = readPtype((await inspect(input)).header.ptype);
      const size = JSON.stringify(rowSchemas(ptype)).length;
      if (size > 1024 * 1024) throw new OracleViolation(`readPtype accepted a ptype whose row schemas are ${size} bytes`);
    },
  },
  {
    // A hostile .keras or .h5 file gets a bundle or a ModelBundleError, within the fuzzer's time and allocation bounds.
    // (The ratio bound is tightened so a lying zip entry cannot legitimately inflate past the allocation check.)
    name: 'kerasToBundle',
    every: 2,
    async run(input) {
      await kerasToBundle(input, { limits: { maxCompressionRatio: 32 }, onWarning: () => {} });
    },
  },
];

/** A registry with every serializer under test. */
export async function fuzzRegistry(serializers: readonly SerializerUnderTest[]): Promise<Registry> {
  const registry = createRegistry({ autoload: false, requirements: 'warn' });
  for (const s of serializers) await s.register(registry);
  return registry;
}
