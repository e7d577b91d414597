import { ModelBundleError } from '../errors.js';
import { describeValue } from '../internal/values.js';
import type { Serializer } from '../registry/serializer.js';

/**
 * Step 1 of `bundle`: the serializer for a value. With `kind`, the one
 * registered under that kind, which must accept the value; without, the
 * first in `serializers` whose `canBundle` accepts it. Throws NO_SERIALIZER.
 */
export function chooseSerializer(serializers: readonly Serializer<any>[], value: unknown, kind?: string): Serializer {
  const serializer = kind ? serializers.find((s) => s.kind === kind) : serializers.find((s) => s.canBundle(value));
  if (serializer?.canBundle(value)) return serializer;
  const kinds = serializers.map((s) => s.kind).join(', ') || 'none';
  throw new ModelBundleError(
    'NO_SERIALIZER',
    kind && !serializer
      ? `No serializer is registered for kind "${kind}". Registered kinds: ${kinds}. Register its plugin first.`
      : `No registered serializer accepts this ${describeValue(value).replace(/^an? /, '')} value${kind ? ` as kind "${kind}"` : ''}. Registered kinds: ${kinds}. Register the plugin for this model type, e.g. registerPlugin(tfjsPlugin) from @modelbundle/tfjs.`,
  );
}
