import 'reflect-metadata';
import semver from 'semver';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { type Bundle, createBundle, decodeBundle, type HeaderDraft } from '../envelope/bundle.js';
import { asUint8Array } from '../envelope/bytes.js';
import { ModelBundleError } from '../errors.js';
import type { KeyInput } from '../signing/keys.js';
import { verifySignature } from '../signing/sign.js';
import { CORE_VERSION, runtimeDescription } from '../version.js';
import { loadDeclaredPlugin, type PluginLoader } from './autoload.js';
import { checkRequirements, enforceRequirements, type RequirementPolicy, type RequirementStatus } from './requirements.js';
import type { BundleSource, ModelBundlePlugin, Predictor, Serializer, UnbundleParts } from './serializer.js';

const SERIALIZERS = Symbol('modelbundle.serializers');

/** Options for {@link createRegistry}. */
export interface RegistryOptions {
  /**
   * What to do when `unbundle` meets a kind nobody registered: load the
   * plugin package named in the header (default: only if installed and
   * declared in its package.json), a custom loader, or `false` to never load.
   */
  autoload?: boolean | PluginLoader;
  /** Default policy for unmet `requires` (default `warn`). */
  requirements?: RequirementPolicy;
  /**
   * Folder from which plugin packages (autoload) and required packages
   * (`requires` checks) are resolved. Default: the working directory.
   */
  resolveFrom?: string;
}

/** Options for {@link Registry.bundle}. */
export interface BundleOptions {
  /** Use this serializer kind instead of the first whose `canBundle` accepts the value. */
  kind?: string;
  /** User metadata stored in the header (plain data, at most 1 MiB encoded). */
  metadata?: Record<string, unknown>;
  /** Creation time to record (default: now). Fix it to make bundles byte-identical. */
  created?: Date | string;
}

/** Options for {@link Registry.unbundle}. */
export interface UnbundleOptions {
  /** Policy for unmet `requires`; overrides the registry's default. */
  requirements?: RequirementPolicy;
  /** Overrides the registry's autoload setting for this call. */
  autoload?: boolean | PluginLoader;
  /** Skip section digest checks (only for bytes already verified). Default false. */
  skipVerify?: boolean;
  /**
   * Ed25519 public keys you trust. When given, a bundle that is unsigned, or
   * not signed by one of them, is refused with SIGNATURE_INVALID before any
   * serializer runs or any plugin is loaded.
   */
  trustedKeys?: readonly KeyInput[];
}

/**
 * A set of serializers, backed by its own tsyringe container. Create as
 * many as you like; the free functions use {@link defaultRegistry}.
 */
export class Registry {
  readonly #container: DependencyContainer;
  readonly #options: RegistryOptions;

  constructor(options: RegistryOptions = {}) {
    this.#container = rootContainer.createChildContainer();
    this.#options = options;
  }

  /** Registers one serializer. Registering the same object again is a no-op; another one under a taken kind is an error. */
  register(serializer: Serializer<any>): this {
    const existing = this.get(serializer.kind);
    if (existing === serializer) return this;
    if (existing) {
      throw new ModelBundleError(
        'DUPLICATE_SERIALIZER',
        `A serializer for kind "${serializer.kind}" is already registered${existing.package ? ` (from ${existing.package})` : ''}. Kinds are unique: use another kind name, or a separate registry from createRegistry().`,
      );
    }
    if (!semver.valid(serializer.version) || !semver.validRange(serializer.reads)) {
      throw new ModelBundleError(
        'INVALID_ARGUMENT',
        `Serializer "${serializer.kind}" declares version "${serializer.version}" and reads "${serializer.reads}"; expected a semver version and a semver range.`,
      );
    }
    this.#container.register(SERIALIZERS, { useValue: serializer });
    return this;
  }

  /** Registers every serializer of a plugin. */
  registerPlugin(plugin: ModelBundlePlugin): this {
    for (const serializer of plugin.serializers) this.register(serializer);
    return this;
  }

  /** The serializer registered for `kind`, if any. */
  get(kind: string): Serializer | undefined {
    return this.list().find((s) => s.kind === kind);
  }

  /** Every registered serializer, in registration order. */
  list(): Serializer[] {
    return this.#container.isRegistered(SERIALIZERS) ? this.#container.resolveAll<Serializer>(SERIALIZERS) : [];
  }

  /** Versions of the runtime packages in use here: core itself plus what each serializer reports. */
  runtimeVersions(): Record<string, string> {
    const versions: Record<string, string> = { '@modelbundle/core': CORE_VERSION };
    for (const s of this.list()) Object.assign(versions, s.runtime);
    return versions;
  }

  /** Checks a bundle's `requires` against the packages installed here. */
  checkRequirements(requires: Record<string, string>): RequirementStatus[] {
    return checkRequirements(requires, this.runtimeVersions(), this.#options.resolveFrom);
  }

  /** Saves `value` as a {@link Bundle}, with the first serializer that accepts it (or `options.kind`). */
  async bundle(value: unknown, options: BundleOptions = {}): Promise<Bundle> {
    const serializer = options.kind ? this.get(options.kind) : this.list().find((s) => s.canBundle(value));
    if (!serializer?.canBundle(value)) {
      const kinds = this.list().map((s) => s.kind);
      throw new ModelBundleError(
        'NO_SERIALIZER',
        options.kind && !serializer
          ? `No serializer is registered for kind "${options.kind}". Registered kinds: ${kinds.join(', ') || 'none'}. Register its plugin first.`
          : `No registered serializer accepts this ${describe(value)}${options.kind ? ` as kind "${options.kind}"` : ''}. Registered kinds: ${kinds.join(', ') || 'none'}. Register the plugin for this model type, e.g. registerPlugin(tfjsPlugin) from @modelbundle/tfjs.`,
      );
    }
    const parts = await serializer.bundle(value, { registry: this });
    const created = options.created ?? new Date();
    const draft: HeaderDraft = {
      kind: serializer.kind,
      serializer: {
        version: serializer.version,
        ...(serializer.package ? { package: serializer.package } : {}),
        ...(serializer.pluginExport ? { plugin: serializer.pluginExport } : {}),
      },
      producer: { name: '@modelbundle/core', version: CORE_VERSION, runtime: runtimeDescription() },
      created: typeof created === 'string' ? created : created.toISOString(),
      requires: parts.requires ?? {},
      metadata: options.metadata ?? {},
      ptype: parts.ptype ?? null,
      summary: parts.summary ?? {},
      payload: parts.payload ?? {},
    };
    return createBundle(draft, parts.sections ?? []);
  }

  /**
   * Restores the value in a bundle: decodes and verifies it, finds (or
   * autoloads) its serializer, migrates an older payload, checks `requires`,
   * then hands the parts to the serializer. Nothing in the file is evaluated.
   */
  async unbundle<T = unknown>(source: BundleSource, options: UnbundleOptions = {}): Promise<T> {
    const bundle = await toBundle(source, options.skipVerify === true);
    if (options.trustedKeys) await verifySignature(bundle, options.trustedKeys, { sections: isBundle(source) && options.skipVerify !== true });
    const serializer = await this.resolveSerializer(bundle, options.autoload);
    const parts = await migrate(serializer, {
      header: bundle.header,
      version: bundle.header.serializer.version,
      payload: bundle.header.payload,
      sections: bundle.sections,
    });
    enforceRequirements(this.checkRequirements(bundle.header.requires), options.requirements ?? this.#options.requirements ?? 'warn');
    return (await serializer.unbundle(parts, { registry: this })) as T;
  }

  /** A generic predictor for a restored value, or a NO_PREDICTOR error when its serializer has none. */
  predictor(kind: string, value: unknown): Predictor {
    const serializer = this.get(kind);
    if (!serializer?.predictor) {
      throw new ModelBundleError(
        'NO_PREDICTOR',
        `Bundles of kind "${kind}" cannot predict here: ${serializer ? 'its serializer offers no predictor' : 'no serializer is registered for it'}. Use a bundle of a predicting kind (for example workflows.fitted or tfjs.sequential).`,
      );
    }
    return serializer.predictor(value);
  }

  /** Finds the serializer for a bundle's kind, autoloading its plugin when allowed. */
  async resolveSerializer(bundle: Bundle, autoload = this.#options.autoload ?? true): Promise<Serializer> {
    const { kind } = bundle.header;
    const pkg = bundle.header.serializer.package;
    const found = this.get(kind);
    if (found) return found;
    if (autoload !== false && pkg) {
      const loader = autoload === true ? loadDeclaredPlugin : autoload;
      const plugin = await loader(pkg, this.#options.resolveFrom === undefined ? {} : { from: this.#options.resolveFrom });
      if (plugin) {
        for (const s of plugin.serializers) if (!this.get(s.kind)) this.register(s);
        const loaded = this.get(kind);
        if (loaded) return loaded;
      }
    }
    const exportName = typeof bundle.header.serializer.plugin === 'string' ? bundle.header.serializer.plugin : 'plugin';
    const call = pkg ? `import { ${exportName} } from '${pkg}'; registerPlugin(${exportName});` : null;
    const why =
      autoload === false
        ? ' and autoload is off'
        : pkg
          ? ` and "${pkg}" could not be autoloaded (autoload imports only an installed package whose package.json declares "modelbundle": { "plugin": "<export>" })`
          : '';
    const how = call ? `Install "${pkg}" and register it: ${call}` : 'Register the serializer for this kind with registerSerializer(...).';
    throw new ModelBundleError('UNKNOWN_KIND', `No serializer is registered for kind "${kind}"${why}. ${how}`, {
      details: { kind, package: pkg ?? null, register: call },
    });
  }
}

/** Creates an independent registry. */
export function createRegistry(options?: RegistryOptions): Registry {
  return new Registry(options);
}

/**
 * Decodes anything `unbundle` accepts (a Bundle passes through; bytes, a
 * Blob or a fetch Response are decoded and, unless `skipVerify`, every
 * section digest is checked) into a {@link Bundle}.
 */
export async function toBundle(source: BundleSource, skipVerify = false): Promise<Bundle> {
  if (isBundle(source)) return source;
  if (typeof Blob !== 'undefined' && source instanceof Blob) return decodeBundle(await source.arrayBuffer(), { verify: !skipVerify });
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) {
      throw new ModelBundleError(
        'IO_ERROR',
        `Fetching the bundle failed with HTTP ${source.status} ${source.statusText} (${source.url}). Check the URL and the server.`,
      );
    }
    return decodeBundle(await source.arrayBuffer(), { verify: !skipVerify });
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return decodeBundle(asUint8Array(source), { verify: !skipVerify });
  throw new ModelBundleError(
    'INVALID_ARGUMENT',
    `unbundle() got a ${describe(source)}; expected a Bundle, bytes (Uint8Array or ArrayBuffer), a Blob or a fetch Response.`,
  );
}

function isBundle(value: unknown): value is Bundle {
  return typeof value === 'object' && value !== null && 'header' in value && 'sections' in value && (value as Bundle).sections instanceof Map;
}

async function migrate(serializer: Serializer, parts: UnbundleParts): Promise<UnbundleParts> {
  let current = parts;
  // Each step must raise the version, so the chain ends.
  for (let step = 0; step <= (serializer.migrations?.length ?? 0); step++) {
    if (semver.satisfies(current.version, serializer.reads, { includePrerelease: true })) return current;
    const next = serializer.migrations?.find((m) => semver.satisfies(current.version, m.from, { includePrerelease: true }));
    if (!next || !semver.gt(next.to, current.version)) break;
    current = { ...(await next.migrate(current)), version: next.to };
  }
  const newer = semver.valid(current.version) && semver.gtr(current.version, serializer.reads);
  throw new ModelBundleError(
    'UNSUPPORTED_PAYLOAD',
    newer
      ? `The bundle's ${serializer.kind} payload is version ${parts.version}, newer than this serializer reads (${serializer.reads}). Upgrade ${serializer.package ?? 'the plugin'} to a release that reads ${parts.version}.`
      : `The bundle's ${serializer.kind} payload is version ${parts.version}; this serializer reads ${serializer.reads} and has no migration from it. Re-save the model with a supported release, or load it with an older ${serializer.package ?? 'plugin'}.`,
    { details: { kind: serializer.kind, found: parts.version, reads: serializer.reads } },
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return `${(value as object).constructor?.name ?? 'object'} value`;
}
