// The application-facing API. Format internals (magic, prefix, limits, the signed message) are on
// `@modelbundle/core/format`; file helpers on `@modelbundle/core/node`.
export {
  type Bundle,
  type BundleHead,
  type CreateBundleOptions,
  createBundle,
  type DecodeOptions,
  type DeferredSection,
  type Digest,
  decodeBundle,
  encodeBundle,
  type HeaderDraft,
  type Inspection,
  inspect,
  type SectionData,
} from './envelope/bundle.js';
export type { Header, SectionEntry } from './envelope/header.js';
export {
  asModelBundleError,
  type ErrorBody,
  type ErrorCode,
  ErrorCodes,
  errorBody,
  isModelBundleError,
  MAX_ERROR_BODY_BYTES,
  ModelBundleError,
  type ModelBundleErrorOptions,
} from './errors.js';
export { chooseSerializer } from './pipeline/choose.js';
export {
  type BundleWithOptions,
  bundleWith,
  type OpenBundleOptions,
  type OpenedBundle,
  type OpenedHead,
  openBundle,
  openBundleHead,
} from './pipeline/compose.js';
export { isBundle, type ToBundleOptions, toBundle } from './pipeline/decode.js';
export { type DraftOptions, draftHeader } from './pipeline/draft.js';
export { migrateParts } from './pipeline/migrate.js';
export { assertTrustOptions, checkTrust, type TrustOptions } from './pipeline/trust.js';
export { type AutoloadPlan, describeAutoload, loadDeclaredPlugin, type PluginLoader, type PluginLoaderContext } from './registry/autoload.js';
export { CLOCK, type Clock, DIGEST, PACKAGE_LOCATOR, type PackageLocator, PLUGIN_LOADER } from './registry/collaborators.js';
export { bundle, defaultRegistry, registerPlugin, registerSerializer, unbundle } from './registry/default.js';
export type { LocatedPackage } from './registry/locate.js';
export { type BundleOptions, createRegistry, Registry, type RegistryOptions, type UnbundleOptions } from './registry/registry.js';
export { checkRequirements, enforceRequirements, type RequirementPolicy, type RequirementStatus } from './registry/requirements.js';
export type {
  BundleParts,
  BundleSource,
  ModelBundlePlugin,
  PayloadMigration,
  Predictor,
  SectionSource,
  Serializer,
  SerializerContext,
  StreamedParts,
  UnbundleParts,
} from './registry/serializer.js';
export { type InspectUrlOptions, inspectUrl, type RangeFetchOptions, type RemoteInspection } from './remote/index.js';
export * from './rows/index.js';
export * from './signing/index.js';
export { CORE_VERSION } from './version.js';
