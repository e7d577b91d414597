export { type BundleFile, type OpenBundleFileOptions, openBundleFile } from './bundle-file.js';
export { type CheckFileOptions, checkFile, type FileCheck } from './check-file.js';
export { ioError } from './file-io.js';
export { type FileInspection, inspectFile, type ReadBundleOptions, readBundle, WHOLE_FILE_BYTES } from './read.js';
export { type KeyPairFiles, readPrivateKey, readPublicKey, type SignFileOptions, signFile, verifyFile, writeKeyPair } from './signing.js';
export { type FileRestorer, restoreFile, type UnbundledFile, type UnbundleFileOptions, unbundleFile } from './unbundle-file.js';
export { type WriteBundleOptions, writeBundle, writeFileAtomic } from './write.js';
