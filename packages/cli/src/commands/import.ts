import { out, outJson } from '../output.js';
import { writeBundleFile } from '../progress.js';

/** Options of `modelbundle import`. */
export interface ImportOptions {
  output: string;
  json?: boolean;
}

/**
 * Makes a bundle from a model file or folder, its format told by its bytes:
 * a Keras `.keras` zip, a legacy Keras HDF5 file, or a tfjs model.json folder
 * (the converter's output for Keras 2 and Keras 3 models included).
 */
export async function importCommand(source: string, options: ImportOptions): Promise<number> {
  const { importKeras } = await import('@modelbundle/keras/node');
  const bundle = await importKeras(source, { onWarning: (message) => process.stderr.write(`warning: ${message}\n`) });
  await writeBundleFile(options.output, bundle);
  const size = bundle.header.sections.reduce((sum, s) => Math.max(sum, s.offset + s.length), 0);
  const keras = (bundle.header.summary as { keras?: { format: string; kerasVersion: string } }).keras;
  const from = keras ? `, from a ${keras.format} file written by Keras ${keras.kerasVersion}` : '';
  if (options.json) outJson({ file: options.output, kind: bundle.header.kind, sections: bundle.header.sections.length, ...(keras ? { keras } : {}) });
  else out(`Wrote ${options.output} (${bundle.header.kind}, ${bundle.header.sections.length} sections, ${size} data bytes${from}).`);
  return 0;
}
