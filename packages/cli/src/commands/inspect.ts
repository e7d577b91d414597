import { ModelBundleError, type RequirementStatus } from '@modelbundle/core';
import { inspectFile } from '@modelbundle/core/node';
import { inspectBoardRef } from '../board-ref.js';
import { formatBytes, out, outJson, paint, table } from '../output.js';
import { cliRegistry } from '../registry.js';

/** Options of `modelbundle inspect`. */
export interface InspectOptions {
  json?: boolean;
  strict?: boolean;
}

/** The `--json` document of `inspect` (documented in docs/guides/cli.md). */
export interface InspectReport {
  file: string;
  fileLength: number;
  headerLength: number;
  bytesRead: number;
  headerDigest: string;
  signed: boolean;
  format: string;
  kind: string;
  serializer: Record<string, unknown>;
  producer: Record<string, unknown>;
  created: string;
  requires: RequirementStatus[];
  requirementsSatisfied: boolean;
  metadata: Record<string, unknown>;
  ptype: unknown;
  summary: Record<string, unknown>;
  sections: { name: string; offset: number; length: number; sha256: string }[];
}

/** Reads only the prefix and header of a bundle and describes it. */
export async function inspectCommand(file: string, options: InspectOptions): Promise<number> {
  const inspection = (await inspectBoardRef(file)) ?? (await inspectFile(file));
  const { header } = inspection;
  const requires = (await cliRegistry(header)).checkRequirements(header.requires);
  const report: InspectReport = {
    file,
    fileLength: inspection.fileLength,
    headerLength: inspection.headerLength,
    bytesRead: inspection.bytesRead,
    headerDigest: inspection.headerDigest,
    signed: inspection.signed,
    format: header.format,
    kind: header.kind,
    serializer: header.serializer,
    producer: header.producer,
    created: header.created,
    requires,
    requirementsSatisfied: requires.every((r) => r.satisfied),
    metadata: header.metadata,
    ptype: header.ptype,
    summary: header.summary,
    sections: header.sections.map(({ name, offset, length, sha256 }) => ({ name, offset, length, sha256 })),
  };
  if (options.json) outJson(report);
  else printReport(report);
  if (options.strict && !report.requirementsSatisfied) {
    const unmet = requires.filter((r) => !r.satisfied).map((r) => `${r.name}@${r.range} (installed: ${r.installed ?? 'none'})`);
    throw new ModelBundleError('REQUIREMENT_UNMET', `The bundle requires ${unmet.join(', ')}. Install matching versions where the bundle will be loaded.`);
  }
  return 0;
}

function printReport(r: InspectReport): void {
  const s = process.stdout;
  const label = (text: string) => paint(s, 'bold', text.padEnd(11));
  out(`${label('file')}${r.file} (${formatBytes(r.fileLength)}; header ${formatBytes(r.headerLength)}, ${r.bytesRead} bytes read)`);
  out(`${label('format')}${r.format}`);
  out(`${label('kind')}${r.kind}`);
  out(`${label('serializer')}${[r.serializer.package, r.serializer.version].filter(Boolean).join(' ')}`);
  out(`${label('producer')}${r.producer.name} ${r.producer.version}${r.producer.runtime ? ` on ${r.producer.runtime}` : ''}`);
  out(`${label('created')}${r.created}`);
  out(`${label('signed')}${r.signed ? 'yes (check it with verify)' : 'no'}`);
  out(`${label('digest')}${r.headerDigest}`);
  out();
  out(paint(s, 'bold', 'requires'));
  if (r.requires.length === 0) out('  (nothing)');
  for (const line of table(
    r.requires.map((q) => [
      `  ${q.name}`,
      q.range,
      `installed ${q.installed ?? 'none'}`,
      q.satisfied ? paint(s, 'green', 'ok') : paint(s, 'red', 'NOT SATISFIED'),
    ]),
  )) {
    out(line);
  }
  for (const [title, value] of [
    ['metadata', r.metadata],
    ['ptype', r.ptype],
    ['summary', r.summary],
  ] as const) {
    out();
    out(paint(s, 'bold', title));
    for (const line of compactLines(value)) out(`  ${line}`);
  }
  out();
  out(paint(s, 'bold', `sections (${r.sections.length})`));
  for (const line of table([
    ['  name', 'offset', 'size', 'sha256'],
    ...r.sections.map((x) => [`  ${x.name}`, String(x.offset), formatBytes(x.length), x.sha256]),
  ]))
    out(line);
}

/** One line per entry (an array item, or `key: value`), each value as compact JSON. */
function compactLines(value: unknown): string[] {
  if (Array.isArray(value)) return value.length === 0 ? ['(none)'] : value.map((item) => JSON.stringify(item));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0
      ? ['(none)']
      : entries.flatMap(([key, item]) =>
          Array.isArray(item) && item.length > 1 && item.every((x) => typeof x === 'object' && x !== null)
            ? [`${key}:`, ...item.map((x) => `  ${JSON.stringify(x)}`)]
            : [`${key}: ${JSON.stringify(item)}`],
        );
  }
  return [JSON.stringify(value)];
}
