import { checkTrust, ModelBundleError } from '@modelbundle/core';
import { loadModel, ptypeToRowSchema } from '@modelbundle/serve';
import { localBundleFile } from '../board-ref.js';
import { toCsv } from '../csv.js';
import { type InputFormat, readInputRows } from '../input-rows.js';
import { out, outJson } from '../output.js';
import { readBundleFile } from '../progress.js';
import { cliRegistry } from '../registry.js';
import { readTrustedKeys } from '../trust.js';

/** Options of `modelbundle predict`. */
export interface PredictOptions {
  input: string;
  type?: string;
  json?: boolean;
  format?: InputFormat;
  /** Public key files; when given, the bundle must be signed by one of them. */
  publicKey?: string[];
}

/** Restores any predicting bundle and predicts the input rows: CSV on stdout, or `{ "predictions": [...] }` with --json. */
export async function predictCommand(file: string, options: PredictOptions): Promise<number> {
  const keys = await readTrustedKeys(options.publicKey);
  const bundle = await readBundleFile(await localBundleFile(file));
  await checkTrust(bundle, keys ? { trustedKeys: keys } : {});
  const model = await loadModel({ bundle }, await cliRegistry(bundle.header));
  const rows = await readInputRows(options.input, ptypeToRowSchema(model.header.ptype), options.format);
  const types = model.predictor.types;
  if (options.type !== undefined && types.length > 0 && !types.includes(options.type)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `--type ${options.type} is not supported by this ${model.header.kind} model; expected one of: ${types.join(', ')}.`,
    );
  }
  const predictions = await model.predictor.predict(rows, options.type === undefined ? {} : { type: options.type });
  if (options.json) outJson({ predictions });
  else for (const line of toCsv(predictions)) out(line);
  return 0;
}
