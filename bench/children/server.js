// A prediction server for the serving benchmark, alone in its process:
//   node server.js <ours|bare> <bundle path> <backend>
// `ours` is @modelbundle/serve; `bare` is a plain Fastify route that turns
// the rows into a tensor and calls model.predict itself. Prints the port.
import { createRequire } from 'node:module';
import { createRegistry } from '@modelbundle/core';
import { readBundle } from '@modelbundle/core/node';
import { bundleToModel, tfjsPlugin, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';

const [which, path, backend = 'cpu'] = process.argv.slice(2);
await useBackend(backend);
const serveEntry = createRequire(import.meta.url).resolve('../../packages/serve/package.json');
const requireFromServe = createRequire(serveEntry);
let app;
if (which === 'ours') {
  const { createServer } = await import('@modelbundle/serve');
  app = await createServer({ path, registry: createRegistry({ autoload: false }).registerPlugin(tfjsPlugin), logLevel: 'silent' });
} else {
  const { default: Fastify } = await import(requireFromServe.resolve('fastify'));
  const model = await bundleToModel(await readBundle(path));
  app = Fastify({ logger: false });
  app.post('/predict', async (request) => {
    // The same request and response shapes as @modelbundle/serve: { instances: [{ x: [...] }] } in, [{ y: [...] }] out.
    const out = tf.tidy(() => model.predict(tf.tensor2d(request.body.instances.map((row) => row.x))));
    const values = await out.array();
    out.dispose();
    return { predictions: values.map((y) => ({ y })) };
  });
}
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
