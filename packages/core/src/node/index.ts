export { type FileInspection, inspectFile, type ReadBundleOptions, readBundle } from './read.js';
export { writeBundle } from './write.js';
