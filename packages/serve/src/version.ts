/** The version of @modelbundle/serve (kept equal to package.json by a test). */
export const SERVE_VERSION = '0.1.0';
