import semver from 'semver';
import type { Bundle } from '../envelope/bundle.js';
import { ModelBundleError } from '../errors.js';
import type { Serializer, UnbundleParts } from '../registry/serializer.js';

/**
 * Step 3 of `unbundle`: the parts a serializer restores from, with an older
 * payload carried up through the serializer's migrations until its `reads`
 * range accepts it. Throws UNSUPPORTED_PAYLOAD naming what to upgrade.
 */
export async function migrateParts(serializer: Serializer<any>, bundle: Bundle): Promise<UnbundleParts> {
  const original: UnbundleParts = {
    header: bundle.header,
    version: bundle.header.serializer.version,
    payload: bundle.header.payload,
    sections: bundle.sections,
  };
  let current = original;
  // Each step must raise the version, so the chain ends.
  for (let step = 0; step <= (serializer.migrations?.length ?? 0); step++) {
    if (semver.satisfies(current.version, serializer.reads, { includePrerelease: true })) return current;
    const next = serializer.migrations?.find((m) => semver.satisfies(current.version, m.from, { includePrerelease: true }));
    if (!next || !semver.gt(next.to, current.version)) break;
    current = { ...(await next.migrate(current)), version: next.to };
  }
  const found = original.version;
  const newer = semver.valid(current.version) && semver.gtr(current.version, serializer.reads);
  throw new ModelBundleError(
    'UNSUPPORTED_PAYLOAD',
    newer
      ? `The bundle's ${serializer.kind} payload is version ${found}, newer than this serializer reads (${serializer.reads}). Upgrade ${serializer.package ?? 'the plugin'} to a release that reads ${found}.`
      : `The bundle's ${serializer.kind} payload is version ${found}; this serializer reads ${serializer.reads} and has no migration from it. Re-save the model with a supported release, or load it with an older ${serializer.package ?? 'plugin'}.`,
    { details: { kind: serializer.kind, found, reads: serializer.reads } },
  );
}
