import { readFile } from 'node:fs/promises';
import { checkRows, ModelBundleError, parseRequestText, type UnseenLevelPolicy } from '@modelbundle/core';
import { writeFileAtomic } from '@modelbundle/core/node';
import { loadModel } from '@modelbundle/serve';
import { localBundleFile } from '../board-ref.js';
import { bundleFileSource } from '../bundle-source.js';
import { toCsv } from '../csv.js';
import { out, outJson, warn } from '../output.js';
import { readTrustedKeys } from '../trust.js';

/** Input formats `predict` reads. */
export type InputFormat = 'json' | 'csv';

/** Options of `modelbundle predict`. */
export interface PredictOptions {
  input: string;
  type?: string;
  json?: boolean;
  format?: InputFormat;
  /** Write the predictions to this file (CSV, or JSON for a .json name) instead of stdout. */
  output?: string;
  /** Unseen levels: `error` (default, as the server) or `zero` (predict, and warn on stderr). */
  unseenLevels?: UnseenLevelPolicy;
  /** Public key files; when given, the bundle must be signed by one of them. */
  publicKey?: string[];
}

/**
 * Restores any predicting bundle and predicts the input rows, read and
 * checked by the same code as the server's (@modelbundle/core's rows): CSV
 * on stdout, `{ "predictions": [...] }` with --json, or either written to
 * `--output` (JSON when its name ends in .json, CSV otherwise; written
 * atomically, so a failure leaves no half-written file).
 */
export async function predictCommand(file: string, options: PredictOptions): Promise<number> {
  const keys = await readTrustedKeys(options.publicKey);
  const { registry, source, done } = await bundleFileSource(await localBundleFile(file), keys);
  const model = await loadModel(source, registry).finally(done);
  const text = options.input === '-' ? await readStdin() : await readInput(options.input);
  const format = options.format ?? guessFormat(options.input, text);
  const { rows, type: bodyType } = parseRequestText(text, format, model.ptype);
  const type = options.type ?? bodyType;
  const types = model.predictor.types;
  if (type !== undefined && types.length > 0 && !types.includes(type)) {
    throw new ModelBundleError('INVALID_ARGUMENT', `--type ${type} is not supported by this ${model.header.kind} model; expected one of: ${types.join(', ')}.`);
  }
  const check = checkRows(rows, model.ptype, { unseenLevels: options.unseenLevels ?? 'error' });
  for (const warning of check.warnings) warn(warning.message);
  if (check.warningCount > check.warnings.length) warn(`and ${check.warningCount - check.warnings.length} more values unseen at fit time.`);
  const predictions = await model.predictor.predict(rows, type === undefined ? {} : { type });
  if (options.output !== undefined) {
    const asJson = /\.json$/i.test(options.output);
    const content = asJson ? `${JSON.stringify({ predictions }, null, 2)}\n` : `${toCsv(predictions).join('\n')}\n`;
    await writeFileAtomic(options.output, [new TextEncoder().encode(content)]);
    if (options.json) outJson({ output: options.output, format: asJson ? 'json' : 'csv', rows: predictions.length });
    else out(`Wrote ${predictions.length} predictions to ${options.output} (${asJson ? 'JSON' : 'CSV'}).`);
    return 0;
  }
  if (options.json) outJson({ predictions });
  else for (const line of toCsv(predictions)) out(line);
  return 0;
}

function guessFormat(source: string, text: string): InputFormat {
  if (/\.csv$/i.test(source)) return 'csv';
  if (/\.json$/i.test(source)) return 'json';
  const first = text.trimStart()[0];
  return first === '[' || first === '{' ? 'json' : 'csv';
}

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const errno = (cause as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') throw new ModelBundleError('NOT_FOUND', `The input "${path}" does not exist. Check the path.`, { cause, details: { path, errno } });
    throw new ModelBundleError('IO_ERROR', `Could not read the input "${path}": ${(cause as Error).message}. Check the path.`, {
      cause,
      details: { path, errno },
    });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
