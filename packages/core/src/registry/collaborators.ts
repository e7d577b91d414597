import type { Digest } from '../envelope/bundle.js';
import type { LocatedPackage } from './locate.js';

/**
 * Tokens of a registry's collaborators in its tsyringe container
 * (`registry.container`). Register a value under one to swap it for that
 * registry alone, e.g. a fixed clock in a test:
 * `registry.container.register(CLOCK, { useValue: () => new Date(0) })`.
 */
export const PLUGIN_LOADER = Symbol.for('modelbundle.pluginLoader');
/** Token of the {@link PackageLocator} used by autoload and `requires` checks. */
export const PACKAGE_LOCATOR = Symbol.for('modelbundle.packageLocator');
/** Token of the {@link Clock} that stamps `created` when a bundle is written. */
export const CLOCK = Symbol.for('modelbundle.clock');
/** Token of the {@link Digest} (SHA-256) used to write and verify sections. */
export const DIGEST = Symbol.for('modelbundle.digest');

/** Gives the time a bundle is written at. */
export type Clock = () => Date;

/** Finds an installed package as the application sees it, from a folder (default: the working directory). */
export type PackageLocator = (name: string, from?: string) => LocatedPackage | null;
