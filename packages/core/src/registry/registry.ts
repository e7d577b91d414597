import 'reflect-metadata';
import semver from 'semver';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import type { Bundle, BundleHead, Digest } from '../envelope/bundle.js';
import { sha256 } from '../envelope/digest.js';
import { ModelBundleError } from '../errors.js';
import { chooseSerializer } from '../pipeline/choose.js';
import { bundleWith, type OpenBundleOptions, type OpenedHead, openBundle, openBundleHead } from '../pipeline/compose.js';
import type { DraftOptions } from '../pipeline/draft.js';
import type { TrustOptions } from '../pipeline/trust.js';
import { CORE_VERSION } from '../version.js';
import { loadDeclaredPlugin, type PluginLoader } from './autoload.js';
import { CLOCK, type Clock, DIGEST, PACKAGE_LOCATOR, type PackageLocator, PLUGIN_LOADER } from './collaborators.js';
import { locatePackage } from './locate.js';
import { checkRequirements, type RequirementPolicy, type RequirementStatus } from './requirements.js';
import type { BundleSource, ModelBundlePlugin, Predictor, Serializer } from './serializer.js';

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
export interface BundleOptions extends DraftOptions {
  /** Use this serializer kind instead of the first whose `canBundle` accepts the value. */
  kind?: string;
  /** Per-call options for the serializer, e.g. `{ includeOptimizer: true }` for tfjs models. */
  options?: Readonly<Record<string, unknown>>;
}

/** Options for {@link Registry.unbundle}. */
export interface UnbundleOptions extends TrustOptions {
  /** Policy for unmet `requires`; overrides the registry's default. */
  requirements?: RequirementPolicy;
  /** Overrides the registry's autoload setting for this call. */
  autoload?: boolean | PluginLoader;
}

/**
 * A set of serializers, with its collaborators (plugin loader, package
 * locator, clock, digest) in its own tsyringe container. Create as many as
 * you like; the free functions use {@link defaultRegistry}.
 */
export class Registry {
  /**
   * This registry's container. Register a value under PLUGIN_LOADER,
   * PACKAGE_LOCATOR, CLOCK or DIGEST to swap that collaborator here alone.
   */
  readonly container: DependencyContainer;
  readonly #options: RegistryOptions;
  readonly #byKind = new Map<string, Serializer<any>>();

  constructor(options: RegistryOptions = {}) {
    this.#options = options;
    this.container = rootContainer.createChildContainer();
    this.container.register<PluginLoader>(PLUGIN_LOADER, { useValue: typeof options.autoload === 'function' ? options.autoload : loadDeclaredPlugin });
    this.container.register<PackageLocator>(PACKAGE_LOCATOR, { useValue: locatePackage });
    this.container.register<Clock>(CLOCK, { useValue: () => new Date() });
    this.container.register<Digest>(DIGEST, { useValue: sha256 });
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
    this.#byKind.set(serializer.kind, serializer);
    return this;
  }

  /** Registers every serializer of a plugin. */
  registerPlugin(plugin: ModelBundlePlugin): this {
    for (const serializer of plugin.serializers) this.register(serializer);
    return this;
  }

  /** The serializer registered for `kind`, if any. */
  get(kind: string): Serializer | undefined {
    return this.#byKind.get(kind);
  }

  /** Every registered serializer, in registration order. */
  list(): Serializer[] {
    return [...this.#byKind.values()];
  }

  /** Versions of the runtime packages in use here: core itself plus what each serializer reports. */
  runtimeVersions(): Record<string, string> {
    const versions: Record<string, string> = { '@modelbundle/core': CORE_VERSION };
    for (const s of this.#byKind.values()) Object.assign(versions, s.runtime);
    return versions;
  }

  /** Checks a bundle's `requires` against the packages installed here. */
  checkRequirements(requires: Record<string, string>): RequirementStatus[] {
    return checkRequirements(requires, this.runtimeVersions(), this.#options.resolveFrom, this.#collaborator<PackageLocator>(PACKAGE_LOCATOR));
  }

  /** Saves `value` as a {@link Bundle}, with the first serializer that accepts it (or `options.kind`). */
  bundle(value: unknown, options: BundleOptions = {}): Promise<Bundle> {
    const { kind, ...rest } = options;
    const serializer = chooseSerializer(this.list(), value, kind);
    return bundleWith(serializer, value, {
      ...rest,
      registry: this,
      clock: this.#collaborator<Clock>(CLOCK),
      digest: this.#collaborator<Digest>(DIGEST),
    });
  }

  /**
   * Restores the value in a bundle: decodes and verifies it, checks trust,
   * finds (or autoloads) its serializer, migrates an older payload, checks
   * `requires`, then hands the parts to the serializer. Nothing in the file
   * is evaluated.
   */
  async unbundle<T = unknown>(source: BundleSource, options: UnbundleOptions = {}): Promise<T> {
    const { serializer, parts } = await openBundle(source, (bundle) => this.resolveSerializer(bundle, options.autoload), this.#openOptions(options));
    return (await serializer.unbundle(parts, { registry: this, options: {} })) as T;
  }

  /**
   * The checks of {@link Registry.unbundle} on a header whose sections are
   * read afterwards, one at a time (`unbundleFile` on a large file): trust,
   * the serializer (autoloaded when allowed), requires. The caller checks
   * each section's digest as it reads it.
   */
  openHead(head: BundleHead, options: UnbundleOptions = {}): Promise<OpenedHead> {
    return openBundleHead(head, (header) => this.resolveSerializer({ header }, options.autoload), this.#openOptions(options));
  }

  #openOptions(options: UnbundleOptions): OpenBundleOptions {
    return {
      ...options,
      requirements: options.requirements ?? this.#options.requirements ?? 'warn',
      runtime: this.runtimeVersions(),
      ...(this.#options.resolveFrom === undefined ? {} : { resolveFrom: this.#options.resolveFrom }),
      locate: this.#collaborator<PackageLocator>(PACKAGE_LOCATOR),
      digest: this.#collaborator<Digest>(DIGEST),
    };
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
  async resolveSerializer(bundle: Pick<Bundle, 'header'>, autoload = this.#options.autoload ?? true): Promise<Serializer> {
    const { kind } = bundle.header;
    const pkg = bundle.header.serializer.package;
    const found = this.get(kind);
    if (found) return found;
    if (autoload !== false && pkg) {
      const loader = autoload === true ? this.#collaborator<PluginLoader>(PLUGIN_LOADER) : autoload;
      const plugin = await loader(pkg, {
        ...(this.#options.resolveFrom === undefined ? {} : { from: this.#options.resolveFrom }),
        locate: this.#collaborator<PackageLocator>(PACKAGE_LOCATOR),
      });
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

  #collaborator<T>(token: symbol): T {
    return this.container.resolve<T>(token);
  }
}

/** Creates an independent registry. */
export function createRegistry(options?: RegistryOptions): Registry {
  return new Registry(options);
}
