/** This package's version, recorded in the artifacts it converts. */
export const KERAS_PLUGIN_VERSION = '0.1.0';
