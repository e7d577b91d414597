import type { Bundle } from '../envelope/bundle.js';
import { type BundleOptions, createRegistry, type UnbundleOptions } from './registry.js';
import type { BundleSource, ModelBundlePlugin, Serializer } from './serializer.js';

/** The registry behind the free functions. Empty until the application registers something. */
export const defaultRegistry = createRegistry();

/** Registers a serializer on the default registry. */
export function registerSerializer(serializer: Serializer<any>): void {
  defaultRegistry.register(serializer);
}

/** Registers every serializer of a plugin on the default registry. */
export function registerPlugin(plugin: ModelBundlePlugin): void {
  defaultRegistry.registerPlugin(plugin);
}

/** Saves a value as a {@link Bundle} with the default registry. */
export function bundle(value: unknown, options?: BundleOptions): Promise<Bundle> {
  return defaultRegistry.bundle(value, options);
}

/** Restores the value in a bundle with the default registry. */
export function unbundle<T = unknown>(source: BundleSource, options?: UnbundleOptions): Promise<T> {
  return defaultRegistry.unbundle<T>(source, options);
}
