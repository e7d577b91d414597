import { copyFile, stat } from 'node:fs/promises';
import { ModelBundleError } from '@modelbundle/core';
import { type Command, InvalidArgumentError } from 'commander';
import { type BoardAccessOptions, cliBoard } from '../board-ref.js';
import { formatBytes, out, outJson, table } from '../output.js';
import { progressBar, progressReporter } from '../progress.js';
import { collect, readTrustedKeys } from '../trust.js';

type Schedule = (run: () => Promise<number>, json: boolean) => void;
interface Common extends BoardAccessOptions {
  json?: boolean;
}

/** Splits `name@ref` (ref defaults to `latest`). */
function nameAndRef(text: string): { name: string; ref: string } {
  const at = text.lastIndexOf('@');
  return at < 0 ? { name: text, ref: 'latest' } : { name: text.slice(0, at), ref: text.slice(at + 1) };
}

/** `30d`, `12h`, `15m`, `90s` as milliseconds, or an ISO date. */
export function parseAge(value: string): Date | number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value);
  if (m) return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[m[2] as 's'];
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an age like 30d, 12h, 15m or an ISO date.');
  return date;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

function parseMetadata(value: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {}
  throw new InvalidArgumentError('expected a JSON object, like \'{"team":"ml"}\'.');
}

/** Adds `modelbundle board <list|versions|write|read|meta|alias|prune|delete>`. */
export function addBoardCommands(program: Command, schedule: Schedule): void {
  const board = program
    .command('board')
    .description('Versioned model storage: a folder, s3://bucket/prefix (with --endpoint or AWS_ENDPOINT_URL) or an https:// URL (read-only).');
  const common = (c: Command) =>
    c
      .option('--endpoint <url>', 'S3 endpoint of an S3-compatible store (default AWS_ENDPOINT_URL)')
      .option('--cache <dir>', 'local cache of verified downloads (default MODELBUNDLE_CACHE or ~/.cache/modelbundle/boards)')
      .option('--json', 'print a JSON document')
      .helpOption('-h, --help', 'show help');

  common(board.command('list').description('The models on a board.').argument('<board>')).action((location: string, o: Common) =>
    schedule(async () => {
      const names = await (await cliBoard(location, o)).list();
      if (o.json) outJson({ board: location, names });
      else for (const name of names) out(name);
      return 0;
    }, o.json === true),
  );

  common(
    board.command('versions').description('The committed versions of a model, oldest first, with their aliases.').argument('<board>').argument('<name>'),
  ).action((location: string, name: string, o: Common) =>
    schedule(async () => {
      const b = await cliBoard(location, o);
      const versions = await b.versions(name);
      const aliases = await b.aliases(name);
      const rows = versions.map((v) => ({
        version: v.version,
        written: v.written.toISOString(),
        aliases: Object.keys(aliases).filter((a) => aliases[a] === v.version),
      }));
      if (o.json) outJson({ board: location, name, versions: rows, aliases, latest: rows.at(-1)?.version ?? null });
      else
        for (const line of table([
          ['version', 'written', 'aliases'],
          ...rows.map((r, i) => [r.version, r.written, [...r.aliases, ...(i === rows.length - 1 ? ['latest'] : [])].join(', ')]),
        ]))
          out(line);
      return 0;
    }, o.json === true),
  );

  common(
    board
      .command('write')
      .description('Publish a bundle file as a new version (identical content returns the existing version unless --force).')
      .argument('<board>')
      .argument('<name>')
      .argument('<file>', 'bundle file')
      .option('--metadata <json>', 'a JSON object stored beside the bundle', parseMetadata)
      .option('-f, --force', 'write a new version even when the board holds this content'),
  ).action((location: string, name: string, file: string, o: Common & { metadata?: Record<string, unknown>; force?: boolean }) =>
    schedule(async () => {
      const b = await cliBoard(location, o);
      const size = (await stat(file).catch(() => undefined))?.size ?? 0;
      const bar = progressBar(`uploading ${name}`, size);
      const result = await b.write(name, file, {
        ...(o.metadata ? { metadata: o.metadata } : {}),
        ...(o.force ? { force: true } : {}),
        onProgress: (sent) => bar.update(sent),
      });
      bar.stop();
      if (o.json) outJson({ board: location, ...result });
      else
        out(
          result.created
            ? `Wrote ${name} version ${result.version}`
            : `${name} already holds this content as version ${result.version}; nothing written (use --force for a new version)`,
        );
      return 0;
    }, o.json === true),
  );

  common(
    board
      .command('read')
      .description('Download a version (name, name@version, name@alias or name@latest) to the verified local cache, or to --output.')
      .argument('<board>')
      .argument('<name[@ref]>')
      .option('-o, --output <file>', 'copy the verified bundle here')
      .option('--public-key <path>', 'refuse the bundle unless this public key signed it (repeat to trust several)', collect),
  ).action((location: string, target: string, o: Common & { output?: string; publicKey?: string[] }) =>
    schedule(async () => {
      const { name, ref } = nameAndRef(target);
      const keys = await readTrustedKeys(o.publicKey);
      const b = await cliBoard(location, o);
      const progress = progressReporter(`downloading ${name}`);
      const result = await b.read(name, ref, { ...(keys ? { trustedKeys: keys } : {}), onProgress: progress.onProgress }).finally(() => progress.stop());
      if (o.output) await copyFile(result.path, o.output);
      const path = o.output ?? result.path;
      if (o.json)
        outJson({
          board: location,
          name,
          version: result.version,
          headerDigest: result.headerDigest,
          path,
          cached: result.cached,
          signer: result.signer ?? null,
        });
      else out(`${name}@${result.version} verified${result.signer ? `, signed by ${result.signer}` : ''}: ${path}`);
      return 0;
    }, o.json === true),
  );

  common(board.command('meta').description('Describe a version from meta.json and its header alone.').argument('<board>').argument('<name[@ref]>')).action(
    (location: string, target: string, o: Common) =>
      schedule(async () => {
        const { name, ref } = nameAndRef(target);
        const { header: _header, ...meta } = await (await cliBoard(location, o)).meta(name, ref);
        if (o.json) outJson({ board: location, ...meta });
        else {
          for (const [k, v] of [
            ['version', meta.version],
            ['kind', meta.kind],
            ['size', formatBytes(meta.size)],
            ['digest', meta.headerDigest],
            ['created', meta.created],
            ['written', meta.written],
            ['signed', meta.signed ? 'yes' : 'no'],
            ['metadata', JSON.stringify(meta.metadata)],
            ['summary', JSON.stringify(meta.summary)],
          ])
            out(`${String(k).padEnd(9)} ${v}`);
        }
        return 0;
      }, o.json === true),
  );

  common(
    board
      .command('alias')
      .description('Point an alias (champion, staging...) at a version, latest or another alias.')
      .argument('<board>')
      .argument('<name>')
      .argument('<alias>')
      .argument('<ref>'),
  ).action((location: string, name: string, alias: string, ref: string, o: Common) =>
    schedule(async () => {
      const version = await (await cliBoard(location, o)).alias(name, alias, ref);
      if (o.json) outJson({ board: location, name, alias, version });
      else out(`${name}@${alias} -> ${version}`);
      return 0;
    }, o.json === true),
  );

  common(
    board
      .command('prune')
      .description('Delete old versions; versions an alias points to are always kept.')
      .argument('<board>')
      .argument('<name>')
      .option('--keep <n>', 'keep this many newest versions', parseCount)
      .option('--older-than <age>', 'delete only versions older than this (30d, 12h) or written before this date', parseAge)
      .option('--dry-run', 'say what would be deleted, delete nothing'),
  ).action((location: string, name: string, o: Common & { keep?: number; olderThan?: Date | number; dryRun?: boolean }) =>
    schedule(async () => {
      if (o.keep === undefined && o.olderThan === undefined) {
        throw new ModelBundleError('INVALID_ARGUMENT', 'board prune needs --keep <n>, --older-than <age>, or both.');
      }
      const deleted = await (await cliBoard(location, o)).prune(name, {
        ...(o.keep === undefined ? {} : { keep: o.keep }),
        ...(o.olderThan === undefined ? {} : { olderThan: o.olderThan }),
        ...(o.dryRun ? { dryRun: true } : {}),
      });
      if (o.json) outJson({ board: location, name, deleted, dryRun: o.dryRun === true });
      else out(deleted.length === 0 ? 'Nothing to prune.' : `${o.dryRun ? 'Would delete' : 'Deleted'} ${deleted.join(', ')}`);
      return 0;
    }, o.json === true),
  );

  common(
    board
      .command('delete')
      .description('Delete one version (refused while an alias points to it, unless --force).')
      .argument('<board>')
      .argument('<name>')
      .argument('<version>')
      .option('-f, --force', 'delete even when an alias points to it'),
  ).action((location: string, name: string, version: string, o: Common & { force?: boolean }) =>
    schedule(async () => {
      await (await cliBoard(location, o)).delete(name, version, o.force ? { force: true } : {});
      if (o.json) outJson({ board: location, name, deleted: version });
      else out(`Deleted ${name} version ${version}`);
      return 0;
    }, o.json === true),
  );
}
