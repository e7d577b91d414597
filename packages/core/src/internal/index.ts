/**
 * Helpers the modelbundle packages share (`@modelbundle/core/internal`).
 * Not for applications: these may change in any release.
 */
export { asUint8Array, bytesEqual, fromHex, toHex } from '../envelope/bytes.js';
export { type LocatedPackage, locatePackage } from '../registry/locate.js';
export { escapeControl, hasControl, listSome, PREVIEW_CHARS, preview } from '../text.js';
export { fromBase64, toBase64 } from './base64.js';
export { parseJson } from './json.js';
export { emitWarning, envVar, isNode, isProcessAlive, nodeBuiltin } from './platform.js';
export { describeValue, isRecord } from './values.js';
