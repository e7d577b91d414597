import { type Bundle, ModelBundleError } from '@modelbundle/core';
import { out, outJson } from '../output.js';
import { readBundleFile } from '../progress.js';

/** Options of `modelbundle export`. */
export interface ExportOptions {
  format: string;
  json?: boolean;
}

/** Formats `export` writes, each with the plugin that knows how. */
const EXPORT_FORMATS = ['tfjs'] as const;

/** Writes a bundle in another tool's format; `tfjs` gives model.json + weight shards for plain tf.loadLayersModel. */
export async function exportCommand(file: string, dir: string, options: ExportOptions): Promise<number> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new ModelBundleError('INVALID_ARGUMENT', `--format ${options.format} is not supported; expected one of: ${EXPORT_FORMATS.join(', ')}.`);
  }
  const { exportTfjs } = await import('@modelbundle/tfjs/node');
  const bundle = await readBundleFile(file);
  const { source, embedded } = tfjsModelOf(bundle, file);
  const modelJson = await exportTfjs(source, dir);
  if (options.json) outJson({ format: options.format, dir, modelJson, ...(embedded ? { embeddedIn: bundle.header.kind } : {}) });
  else out(`Wrote ${modelJson} and its weight files${embedded ? ` (the model embedded in this ${bundle.header.kind} bundle)` : ''}.`);
  return 0;
}

/** Where a workflow bundle keeps its model: a whole tfjs bundle, byte for byte (payload 2.x). */
const WORKFLOW_MODEL_SECTION = 'workflow/model.mbnd';

/**
 * The tfjs model to export: the bundle itself for a tfjs kind, the model
 * embedded in a fitted workflow, or an error that says why there is none.
 */
function tfjsModelOf(bundle: Bundle, file: string): { source: Bundle | Uint8Array; embedded: boolean } {
  const { kind } = bundle.header;
  if (kind.startsWith('tfjs.')) return { source: bundle, embedded: false };
  if (kind === 'workflows.fitted') {
    const model = bundle.sections.get(WORKFLOW_MODEL_SECTION);
    if (model) return { source: model, embedded: true };
    throw new ModelBundleError(
      'UNSUPPORTED_PAYLOAD',
      `${file} is a workflows.fitted bundle of payload ${bundle.header.serializer.version}, which keeps its model's parts apart instead of as one embedded bundle; export reads payload 2.x. Load the workflow and save it again with this version, then export.`,
      { details: { kind, payload: bundle.header.serializer.version } },
    );
  }
  throw new ModelBundleError(
    'UNKNOWN_KIND',
    `${file} holds a ${kind} model; --format tfjs exports TensorFlow.js models (tfjs.sequential, tfjs.functional) and the model inside a fitted workflow (workflows.fitted), not ${kind}.`,
    { details: { kind } },
  );
}
