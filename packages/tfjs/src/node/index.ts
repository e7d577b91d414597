export { type BundleFileOptions, bundleFile } from './file-handler.js';
export { loadModel } from './load-model.js';
export { BUNDLE_SCHEME, registerBundleScheme } from './router.js';
export { type SaveModelOptions, saveModel } from './save-model.js';
export { type ExportTfjsOptions, exportTfjs, type ImportTfjsOptions, importTfjs } from './tfjs-files.js';
