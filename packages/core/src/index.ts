export {
  type Bundle,
  bundleChunks,
  bundlePrefix,
  createBundle,
  type DecodeOptions,
  decodeBundle,
  encodeBundle,
  type HeaderDraft,
  type Inspection,
  inspect,
  verifySections,
} from './envelope/bundle.js';
export { fromHex, toHex } from './envelope/bytes.js';
export { ALIGNMENT, FLAG_SIGNED, FORMAT_VERSION, LIMITS, MAGIC, PREFIX_BYTES } from './envelope/constants.js';
export { sha256 } from './envelope/digest.js';
export type { Header, SectionEntry } from './envelope/header.js';
export { decodePrefix, type Prefix } from './envelope/prefix.js';
export { SIGNATURE_BYTES, SIGNATURE_DOMAIN, signatureMessage } from './envelope/signature.js';
export { asModelBundleError, type ErrorCode, ErrorCodes, isModelBundleError, ModelBundleError, type ModelBundleErrorOptions } from './errors.js';
export { type AutoloadPlan, describeAutoload, loadDeclaredPlugin, type PluginLoader, type PluginLoaderContext } from './registry/autoload.js';
export { bundle, defaultRegistry, registerPlugin, registerSerializer, unbundle } from './registry/default.js';
export { type BundleOptions, createRegistry, Registry, type RegistryOptions, toBundle, type UnbundleOptions } from './registry/registry.js';
export { checkRequirements, type RequirementPolicy, type RequirementStatus } from './registry/requirements.js';
export type {
  BundleParts,
  BundleSource,
  ModelBundlePlugin,
  PayloadMigration,
  Predictor,
  Serializer,
  SerializerContext,
  UnbundleParts,
} from './registry/serializer.js';
export { type InspectUrlOptions, inspectUrl, type RangeFetchOptions, type RemoteInspection } from './remote/index.js';
export {
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  type KeyFormat,
  type KeyInput,
  keyFingerprint,
  type SignatureCheck,
  type SigningKeyPair,
  signBundle,
  unsignBundle,
  type VerifySignatureOptions,
  verifySignature,
} from './signing/index.js';
export { escapeControl, hasControl, listSome, PREVIEW_CHARS, preview } from './text.js';
export { CORE_VERSION } from './version.js';
