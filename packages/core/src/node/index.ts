export { type FileInspection, inspectFile, type ReadBundleOptions, readBundle } from './read.js';
export { type KeyPairFiles, readPrivateKey, readPublicKey, type SignFileOptions, signFile, verifyFile, writeKeyPair } from './signing.js';
export { writeBundle } from './write.js';
