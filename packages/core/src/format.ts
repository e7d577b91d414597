/**
 * The envelope's byte-level pieces (`@modelbundle/core/format`), for tools
 * that implement or inspect the format itself (docs/FORMAT.md). Applications
 * use the main entry.
 */
export { bundleChunks, bundlePrefix, checkSections, type SectionCheck, verifySections } from './envelope/bundle.js';
export { ALIGNMENT, FLAG_SIGNED, FORMAT_VERSION, LIMITS, MAGIC, PREFIX_BYTES } from './envelope/constants.js';
export { sha256 } from './envelope/digest.js';
export { decodePrefix, type Prefix } from './envelope/prefix.js';
export { SIGNATURE_BYTES, SIGNATURE_DOMAIN, signatureMessage } from './envelope/signature.js';
