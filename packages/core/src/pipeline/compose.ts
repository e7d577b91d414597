import semver from 'semver';
import { type Bundle, type BundleHead, createBundle, type Digest } from '../envelope/bundle.js';
import type { Header } from '../envelope/header.js';
import type { Clock, PackageLocator } from '../registry/collaborators.js';
import { checkRequirements, enforceRequirements, type RequirementPolicy } from '../registry/requirements.js';
import type { BundleSource, Serializer, SerializerContext, UnbundleParts } from '../registry/serializer.js';
import { CORE_VERSION } from '../version.js';
import { isBundle, toBundle } from './decode.js';
import { type DraftOptions, draftHeader } from './draft.js';
import { migrateParts } from './migrate.js';
import { assertTrustOptions, checkTrust, type TrustOptions } from './trust.js';

/** Options for {@link bundleWith}. */
export interface BundleWithOptions extends DraftOptions {
  /** Per-call options for the serializer (for example `{ includeOptimizer: true }` for tfjs), handed to it as `context.options`. */
  options?: Readonly<Record<string, unknown>>;
  /** The registry in use, handed to the serializer for nested values. */
  registry?: SerializerContext['registry'];
  /** Gives the creation time when `created` is not set. */
  clock?: Clock;
  /** The SHA-256 implementation for the section digests. */
  digest?: Digest;
}

/**
 * Saves a value with one serializer: its parts, the header draft, then the
 * laid-out, digested {@link Bundle}. `Registry.bundle` is this after
 * choosing the serializer; a package that owns its serializer calls it directly.
 */
export async function bundleWith(serializer: Serializer<any>, value: unknown, options: BundleWithOptions = {}): Promise<Bundle> {
  const context: SerializerContext = { options: options.options ?? {}, ...(options.registry ? { registry: options.registry } : {}) };
  const parts = await serializer.bundle(value, context);
  const draft = draftHeader(serializer, parts, options, options.clock);
  return createBundle(draft, parts.sections ?? [], options.digest ? { digest: options.digest } : {});
}

/** Options for {@link openBundle}. */
export interface OpenBundleOptions extends TrustOptions {
  /** Policy for unmet `requires` (default `warn`). */
  requirements?: RequirementPolicy;
  /** Versions of the packages running here, checked before installed ones (default: core and the serializer's `runtime`). */
  runtime?: Record<string, string>;
  /** Folder from which required packages are looked up (default: the working directory). */
  resolveFrom?: string;
  /** How required packages are found. */
  locate?: PackageLocator;
  /** The SHA-256 implementation for the section checks. */
  digest?: Digest;
}

/** What {@link openBundle} gives: the decoded bundle, its serializer and the (migrated) parts to restore from. */
export interface OpenedBundle {
  bundle: Bundle;
  serializer: Serializer<any>;
  parts: UnbundleParts;
}

/**
 * Every `unbundle` step but the last: decode and verify, trust, find the
 * serializer (`find`), migrate the payload, check `requires`. The caller
 * then hands `parts` to `serializer.unbundle`, or reads them itself (the
 * tfjs artifacts loader does). Nothing in the file is evaluated.
 */
export async function openBundle(
  source: BundleSource,
  find: (bundle: Bundle) => Serializer<any> | Promise<Serializer<any>>,
  options: OpenBundleOptions = {},
): Promise<OpenedBundle> {
  assertTrustOptions(options);
  const bundle = await toBundle(source, { verify: options.skipVerify !== true, ...(options.digest ? { digest: options.digest } : {}) });
  // A Bundle the caller built or changed vouches for nothing: with keys, its sections are hashed again.
  await checkTrust(isBundle(source) ? { ...bundle, verified: false } : bundle, options);
  const serializer = await find(bundle);
  const parts = await migrateParts(serializer, bundle);
  checkRuntime(bundle.header, serializer, options);
  return { bundle, serializer, parts };
}

/**
 * What {@link openBundleHead} gives: the serializer, and whether it can
 * restore from sections read one at a time (it has `unbundleStreamed` and
 * reads the payload as it is; a migration needs every section). When it
 * cannot, restore with openBundle on the whole bundle instead.
 */
export interface OpenedHead {
  serializer: Serializer<any>;
  streams: boolean;
}

/**
 * openBundle's checks for a bundle whose sections are read afterwards, one
 * at a time (a large file streamed into a model's memory): trust (the
 * signature over the header digest), the serializer (`find` sees the
 * header), and, when it streams, requires (otherwise openBundle, which the
 * caller runs next, checks them: once, so an unmet one warns once). The
 * caller must check each section's digest as it reads it (`openBundleFile`
 * does), before the restored value is handed out.
 */
export async function openBundleHead(
  head: BundleHead,
  find: (header: Header) => Serializer<any> | Promise<Serializer<any>>,
  options: OpenBundleOptions = {},
): Promise<OpenedHead> {
  assertTrustOptions(options);
  await checkTrust(head, options);
  const serializer = await find(head.header);
  const streams = serializer.unbundleStreamed !== undefined && semver.satisfies(head.header.serializer.version, serializer.reads, { includePrerelease: true });
  if (streams) checkRuntime(head.header, serializer, options);
  return { serializer, streams };
}

function checkRuntime(header: Header, serializer: Serializer<any>, options: OpenBundleOptions): void {
  const runtime = options.runtime ?? { '@modelbundle/core': CORE_VERSION, ...serializer.runtime };
  enforceRequirements(checkRequirements(header.requires, runtime, options.resolveFrom, options.locate), options.requirements ?? 'warn');
}
