export {
  Board,
  type BoardOptions,
  type PruneOptions,
  type ReadOptions,
  type ReadResult,
  type VersionInfo,
  type VersionMeta,
  type VersionRecord,
  type WriteOptions,
  type WriteResult,
} from './board.js';
export { BundleCache, DEFAULT_CACHE_BYTES, defaultCacheDir } from './cache.js';
export { checkAlias, checkName, isVersionId, LAYOUT_VERSION, VERSION_PATTERN, versionId, versionTime } from './layout.js';
export { type BoardModelRef, type OpenBoardOptions, openBoard, parseModelRef } from './open-board.js';
export { FolderStorage } from './storage/folder.js';
export { HttpStorage, type HttpStorageOptions } from './storage/http.js';
export { S3Storage, type S3StorageOptions } from './storage/s3.js';
export type { BoardStorage, PutBody, PutOptions, PutOutcome } from './storage/storage.js';
