export { type InspectUrlOptions, inspectUrl, type RemoteInspection } from './inspect-url.js';
export type { RangeFetchOptions } from './range.js';
