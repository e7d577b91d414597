/** This package's npm name, recorded in bundles for autoload. */
export const WORKFLOWS_PACKAGE = '@modelbundle/workflows';
/** This package's version (kept equal to package.json by a test). */
export const WORKFLOWS_VERSION = '0.1.0';
