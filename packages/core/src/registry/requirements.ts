import semver from 'semver';
import { ModelBundleError } from '../errors.js';
import { emitWarning } from '../internal/platform.js';
import type { PackageLocator } from './collaborators.js';
import { locatePackage } from './locate.js';

/** How unmet `requires` are handled on unbundle: warn and go on (default), or refuse. */
export type RequirementPolicy = 'warn' | 'strict';

/** One `requires` entry checked against what is installed. */
export interface RequirementStatus {
  name: string;
  range: string;
  /** The installed version, or null when the package was not found. */
  installed: string | null;
  satisfied: boolean;
}

/**
 * Checks each required range against the known versions (those the
 * registered serializers run with), falling back in Node to the package
 * installed as seen from `from` (default: the working directory).
 */
export function checkRequirements(
  requires: Record<string, string>,
  known: Record<string, string>,
  from?: string,
  locate: PackageLocator = locatePackage,
): RequirementStatus[] {
  return Object.entries(requires).map(([name, range]) => {
    const installed = known[name] ?? installedVersion(name, from, locate);
    const satisfied = installed !== null && semver.satisfies(installed, range, { includePrerelease: true });
    return { name, range, installed, satisfied };
  });
}

/** Applies the policy to a list of statuses: a warning per unmet one, or one error naming them all. */
export function enforceRequirements(statuses: RequirementStatus[], policy: RequirementPolicy): void {
  const unmet = statuses.filter((s) => !s.satisfied);
  if (unmet.length === 0) return;
  const lines = unmet.map((s) => `${s.name}@${s.range} (installed: ${s.installed ?? 'none'})`);
  const fix = `install matching versions: npm install ${unmet.map((s) => `"${s.name}@${s.range}"`).join(' ')}`;
  if (policy === 'strict') {
    throw new ModelBundleError(
      'REQUIREMENT_UNMET',
      `The bundle requires ${lines.join(', ')}. To load it, ${fix}; or unbundle with { requirements: 'warn' } to try anyway.`,
      {
        details: { unmet },
      },
    );
  }
  emitWarning(`The bundle requires ${lines.join(', ')}; loading anyway. If it misbehaves, ${fix}.`, 'MODELBUNDLE_REQUIREMENT_UNMET');
}

/** The version of `name` installed as seen from `from` (default: the working directory), in Node; null elsewhere or when absent. */
function installedVersion(name: string, from: string | undefined, locate: PackageLocator): string | null {
  const version = locate(name, from)?.manifest.version;
  return typeof version === 'string' ? version : null;
}
