import type { HeaderDraft } from '../envelope/bundle.js';
import type { BundleParts, Serializer } from '../registry/serializer.js';
import { CORE_VERSION, runtimeDescription } from '../version.js';

/** What a caller adds to a serializer's parts when a header is drafted. */
export interface DraftOptions {
  /** User metadata stored in the header (plain data, at most 1 MiB encoded). */
  metadata?: Record<string, unknown>;
  /** Creation time to record (default: `now()`). Fix it to make bundles byte-identical. */
  created?: Date | string;
}

/**
 * Step 2 of `bundle`: the header draft for a serializer's parts: kind and
 * serializer identity, producer, creation time, requirements, metadata,
 * ptype, summary and payload. `createBundle(draft, parts.sections)` then
 * lays out and digests the sections.
 */
export function draftHeader(serializer: Serializer<any>, parts: BundleParts, options: DraftOptions = {}, now: () => Date = () => new Date()): HeaderDraft {
  const created = options.created ?? now();
  return {
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
}
