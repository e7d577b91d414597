import { ModelBundleError } from '@modelbundle/core';
import { float64Bytes, readFloat64 } from './float64.js';

/**
 * Payload 1.x kept every coefficient in one section, `coefficients`:
 * float64 [intercept, w1, ..., wn]. Payload 2.0 splits it into `weights`
 * (w1..wn) and `intercept`, and records the dtype. This step turns a 1.x
 * payload into a 2.0 one, so bundles written by 1.x releases still load.
 * @type {import('@modelbundle/core').PayloadMigration}
 */
export const payloadV1toV2 = {
  from: '^1.0.0',
  to: '2.0.0',
  migrate(parts) {
    const coefficients = parts.sections.get('coefficients');
    const features = parts.payload.features;
    if (!coefficients || !Array.isArray(features) || coefficients.byteLength !== (features.length + 1) * 8) {
      throw new ModelBundleError(
        'SERIALIZATION_FAILED',
        `This linear.model 1.x bundle needs a "coefficients" section of ${Array.isArray(features) ? (features.length + 1) * 8 : '(features + 1) × 8'} bytes; found ${coefficients ? `${coefficients.byteLength} bytes` : 'none'}. Re-save the model with modelbundle-plugin-linear 2.`,
      );
    }
    const [intercept, ...weights] = readFloat64(coefficients);
    const sections = new Map(parts.sections);
    sections.delete('coefficients');
    sections.set('weights', float64Bytes(weights));
    sections.set('intercept', float64Bytes([intercept]));
    return { ...parts, payload: { ...parts.payload, dtype: 'float64' }, sections };
  },
};
