/** The version of @modelbundle/core (kept equal to package.json by a test). */
export const CORE_VERSION = '0.1.0';

/** The runtime this process runs on, as recorded in `producer.runtime`. */
export function runtimeDescription(): string {
  const node = globalThis.process?.versions?.node;
  if (node) return `node ${node}`;
  return typeof navigator !== 'undefined' ? `browser ${navigator.userAgent}`.slice(0, 256) : 'unknown';
}
