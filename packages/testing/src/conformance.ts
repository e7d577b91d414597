import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BundleOptions,
  createBundle,
  createRegistry,
  encodeBundle,
  type HeaderDraft,
  inspect,
  isModelBundleError,
  type ModelBundlePlugin,
  type Registry,
  type Serializer,
} from '@modelbundle/core';
import { inspectFile, readBundle, writeBundle } from '@modelbundle/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corruptLargestSection } from './bytes.js';
import { expectCode } from './expect-code.js';

/**
 * What a serializer can do, which decides which checks apply. A check that
 * does not apply is reported as skipped, never as passed.
 */
export interface SerializerCapabilities {
  /** It offers a predictor (default: whether `serializer.predictor` is defined). Its check needs `predictRows`. */
  predictor?: boolean;
  /** Its bundles carry section bytes, so damage to them can be detected (default true). */
  sections?: boolean;
  /** A restored value bundles again to the very same bytes (default true). */
  rebundleIdentical?: boolean;
}

/** What a serializer's own tests (see `additionalTests`) get from the suite, once its `beforeAll` ran. */
export interface ConformanceContext<T> {
  /** The serializer under test. */
  readonly serializer: Serializer<T>;
  /** A fresh registry with only the plugin under test registered, autoload off. */
  registry(): Registry;
  /** The options every bundle of the suite is made with (fixed `created` and metadata). */
  readonly bundleOptions: BundleOptions;
  /** The value the suite bundled. */
  readonly value: T;
  /** Its encoded bundle. */
  readonly bytes: Uint8Array;
  /** A scratch folder, removed after the suite. */
  readonly dir: string;
  /** A fresh value from `makeValue`, disposed after the suite. */
  make(): Promise<T>;
  /** Hands a value (for example a restored one) to the suite, which disposes it at the end. */
  keep(value: T): T;
}

/** What {@link testSerializer} needs to know about one serializer. */
export interface SerializerConformanceOptions<T> {
  /** Title of the test block. */
  name: string;
  /** The serializer under test, or a plugin that provides it (then `kind` picks it, default: its first). */
  serializer?: Serializer<T>;
  plugin?: ModelBundlePlugin;
  kind?: string;
  /** Builds a fresh value of the kind under test (a fitted model, ...). */
  makeValue: () => T | Promise<T>;
  /** True when a restored value is the same as the original (e.g. bitwise-equal weights). */
  equals: (original: T, restored: T) => boolean | Promise<boolean>;
  /** Releases a value (e.g. disposes a model). */
  dispose?: (value: T) => unknown;
  /** Values of other kinds that `canBundle` must refuse, added to a built-in list (a function runs after `setup`). */
  foreignValues?: unknown[] | (() => unknown[] | Promise<unknown[]>);
  /** Input rows for the predictor check, as the serializer's ptype describes them (objects or arrays). */
  predictRows?: readonly unknown[];
  /** Runs before the suite (e.g. choosing a backend, registering classes). */
  setup?: () => void | Promise<void>;
  /** What the serializer can do; the checks that do not apply are skipped. */
  capabilities?: SerializerCapabilities;
  /** Declares the serializer's own tests inside the suite's `describe` block, with the suite's context. */
  additionalTests?: (context: ConformanceContext<T>) => void;
}

const CREATED = '2024-01-02T03:04:05.000Z';
const METADATA = { purpose: 'conformance', nested: { n: 1, list: [1, 2, 3] } };

const BUILTIN_FOREIGN: unknown[] = [null, undefined, 0, 42, 'text', true, {}, [], [1, 2, 3], new Uint8Array(8), new Map(), new Date(0), () => 1];

/**
 * The conformance suite every serializer runs: round trips through bytes
 * and files, byte-for-byte determinism, refusal of foreign values, damage
 * detection, header-only inspection, payload version and unknown-kind
 * errors, and the predictor's row count. Call it at the top level of a test
 * file; it declares its own `describe` block. Checks that the serializer's
 * {@link SerializerCapabilities} rule out are reported as skipped.
 */
export function testSerializer<T>(options: SerializerConformanceOptions<T>): void {
  const serializer = pickSerializer(options);
  const plugin: ModelBundlePlugin = options.plugin ?? { name: options.name, serializers: [serializer] };
  const registry = (): Registry => createRegistry({ autoload: false }).registerPlugin(plugin);
  const bundleOptions: BundleOptions = { kind: serializer.kind, created: CREATED, metadata: METADATA };
  const can = {
    predictor: options.capabilities?.predictor ?? serializer.predictor !== undefined,
    sections: options.capabilities?.sections ?? true,
    rebundleIdentical: options.capabilities?.rebundleIdentical ?? true,
  };
  const owned: T[] = [];
  const keep = (value: T): T => {
    owned.push(value);
    return value;
  };
  const make = async (): Promise<T> => keep(await options.makeValue());
  let dir = '';
  let value: T;
  let bytes: Uint8Array;
  let ready = false;
  const once = <V>(what: string, get: () => V): V => {
    if (!ready) throw new Error(`testSerializer("${options.name}"): context.${what} is there once the suite's beforeAll ran; read it inside a test or hook.`);
    return get();
  };
  const context: ConformanceContext<T> = {
    serializer,
    registry,
    bundleOptions,
    make,
    keep,
    get value() {
      return once('value', () => value);
    },
    get bytes() {
      return once('bytes', () => bytes);
    },
    get dir() {
      return once('dir', () => dir);
    },
  };

  describe(`${options.name} (serializer conformance: ${serializer.kind})`, () => {
    beforeAll(async () => {
      await options.setup?.();
      dir = await mkdtemp(join(tmpdir(), 'mbnd-conformance-'));
      value = await make();
      bytes = encodeBundle(await registry().bundle(value, bundleOptions));
      ready = true;
    });
    afterAll(async () => {
      for (const v of owned.splice(0)) await options.dispose?.(v);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('accepts its own values', () => {
      expect(serializer.canBundle(value)).toBe(true);
    });

    it('refuses foreign values in canBundle, without throwing', async () => {
      const extra = typeof options.foreignValues === 'function' ? await options.foreignValues() : (options.foreignValues ?? []);
      for (const foreign of [...BUILTIN_FOREIGN, ...extra]) {
        expect(serializer.canBundle(foreign), `canBundle(${describeValue(foreign)})`).toBe(false);
      }
    });

    it('round-trips through bytes', async () => {
      const restored = keep(await registry().unbundle<T>(bytes));
      expect(await options.equals(value, restored), 'equals(original, restored)').toBe(true);
    });

    it('round-trips through a file', async () => {
      const path = join(dir, 'value.mbnd');
      await writeBundle(path, await registry().bundle(value, bundleOptions));
      const restored = keep(await registry().unbundle<T>(await readBundle(path)));
      expect(await options.equals(value, restored), 'equals(original, restored from a file)').toBe(true);
    });

    it('writes identical bytes for the same value and creation time', async () => {
      const again = encodeBundle(await registry().bundle(value, bundleOptions));
      expect(Buffer.from(again).equals(Buffer.from(bytes)), 'a second bundle of the same value has the same bytes').toBe(true);
    });

    it.skipIf(!can.rebundleIdentical)('writes identical bytes for a restored value bundled again', async () => {
      const restored = keep(await registry().unbundle<T>(bytes));
      const rebundled = encodeBundle(await registry().bundle(restored, bundleOptions));
      expect(
        Buffer.from(rebundled).equals(Buffer.from(bytes)),
        'the restored value bundles to the original bytes (declare capabilities.rebundleIdentical: false if it cannot)',
      ).toBe(true);
    });

    it('records kind, serializer, creation time and metadata in the header', async () => {
      const { header } = await inspect(bytes);
      expect(header.kind).toBe(serializer.kind);
      expect(header.serializer.version).toBe(serializer.version);
      if (serializer.package) expect(header.serializer.package).toBe(serializer.package);
      expect(header.created).toBe(CREATED);
      expect(header.metadata).toEqual(METADATA);
    });

    it('inspects from the prefix and header alone', async () => {
      const full = await inspect(bytes);
      const head = await inspect(bytes.slice(0, 128 + full.headerLength));
      expect(head.header).toEqual(full.header);
      const path = join(dir, 'inspect.mbnd');
      await writeBundle(path, await registry().bundle(value, bundleOptions));
      const fromFile = await inspectFile(path);
      expect(fromFile.header).toEqual(full.header);
      expect(fromFile.bytesRead).toBe(128 + full.headerLength);
    });

    it.skipIf(!can.sections)('detects a damaged section as CORRUPT', async () => {
      const damaged = await corruptLargestSection(bytes);
      if (!damaged) expect.fail('the bundle has no non-empty section to damage; declare capabilities.sections: false if values of this kind carry none');
      await expectCode(registry().unbundle(damaged.bytes), 'CORRUPT', damaged.section);
    });

    it('refuses a newer payload version with UNSUPPORTED_PAYLOAD', async () => {
      const original = await registry().bundle(value, bundleOptions);
      const { format: _format, sections: _sections, ...draft } = original.header;
      const newer = `${Number(serializer.version.split('.')[0]) + 1}.0.0`;
      const bumped = await createBundle({ ...(draft as HeaderDraft), serializer: { ...draft.serializer, version: newer } }, original.sections);
      await expectCode(registry().unbundle(encodeBundle(bumped)), 'UNSUPPORTED_PAYLOAD', newer);
    });

    it('refuses an unregistered kind with UNKNOWN_KIND when autoload is off', async () => {
      const empty = createRegistry({ autoload: false });
      await expectCode(empty.unbundle(bytes), 'UNKNOWN_KIND', serializer.kind);
    });

    it.skipIf(!can.predictor)('gives a predictor that returns one row per input row', async () => {
      if (!serializer.predictor) expect.fail(`capabilities.predictor is true, but serializer ${serializer.kind} has no predictor`);
      const rows = options.predictRows;
      if (!rows || rows.length === 0) expect.fail(`serializer ${serializer.kind} has a predictor: give predictRows (input rows its ptype accepts)`);
      const restored = keep(await registry().unbundle<T>(bytes));
      const original = serializer.predictor(value);
      const again = serializer.predictor(restored);
      expect(original.ptype, 'predictor.ptype').toBeDefined();
      const predicted = await original.predict(rows);
      expect(predicted).toHaveLength(rows.length);
      expect(await again.predict(rows), 'the restored value predicts the same').toEqual(predicted);
      // No rows: either no predictions or INVALID_INPUT, never a crash.
      const empty = await original.predict([]).then(
        (r) => r,
        (e: unknown) => e,
      );
      if (Array.isArray(empty)) expect(empty).toEqual([]);
      else expect(isModelBundleError(empty, 'INVALID_INPUT'), `predict([]) threw ${String(empty)}`).toBe(true);
    });

    it('makes independent values on each call', async () => {
      const other = await make();
      expect(serializer.canBundle(other)).toBe(true);
    });

    options.additionalTests?.(context);
  });
}

function pickSerializer<T>(options: SerializerConformanceOptions<T>): Serializer<T> {
  const found = options.serializer ?? options.plugin?.serializers.find((s) => options.kind === undefined || s.kind === options.kind);
  if (!found) throw new Error(`testSerializer("${options.name}"): give a serializer, or a plugin${options.kind ? ` with kind "${options.kind}"` : ''}.`);
  return found as Serializer<T>;
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'function';
  if (value === undefined) return 'undefined';
  if (value instanceof Uint8Array || value instanceof Map || value instanceof Date) return value.constructor.name;
  return JSON.stringify(value);
}
