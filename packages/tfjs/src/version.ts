import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** The version of @modelbundle/tfjs (kept equal to package.json by a test). */
export const TFJS_PLUGIN_VERSION = '0.1.0';

/**
 * The payload version the tfjs serializers write. 2.0 lets small weights
 * share a section (`offset` in a weight entry); a 1.x reader would
 * misjudge such a section, so it refuses 2.0 and names the version to upgrade to.
 */
export const PAYLOAD_VERSION = '2.0.0';

/** The payload versions they read: 1.x (one section per weight) and 2.x. */
export const PAYLOAD_READS = '^1.0.0 || ^2.0.0';

/** The tfjs-layers range a bundle needs: the JSON topology format is stable across a major. */
export const LAYERS_RANGE = `^${tfl.version_layers.split('.')[0]}.0.0`;

/** Versions of the runtime packages in use, for `requires` checks. */
export function runtimeVersions(): Record<string, string> {
  return { '@modelbundle/tfjs': TFJS_PLUGIN_VERSION, '@tensorflow/tfjs-core': tf.version_core, '@tensorflow/tfjs-layers': tfl.version_layers };
}
