// A server for the batching benchmark, alone in its process:
//   node batch-server.js <batched|unbatched|constant> <bundle path> <backend>
// `batched` and `unbatched` are @modelbundle/serve with and without adaptive
// batching; `constant` is a bare Fastify route that returns a constant (the
// HTTP floor of this machine). Prints the port.
import { createRequire } from 'node:module';
import { createRegistry } from '@modelbundle/core';
import { tfjsPlugin, useBackend } from '@modelbundle/tfjs';
import { workflowsPlugin } from '@modelbundle/workflows';

const [which, path, backend = 'wasm'] = process.argv.slice(2);
await useBackend(backend);
let app;
if (which === 'constant') {
  const requireFromServe = createRequire(createRequire(import.meta.url).resolve('../../packages/serve/package.json'));
  const { default: Fastify } = await import(requireFromServe.resolve('fastify'));
  app = Fastify({ logger: false });
  app.post('/predict', async () => ({ predictions: [{ '.pred': 1 }] }));
} else {
  const { createServer } = await import('@modelbundle/serve');
  const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
  app = await createServer({ path, registry, logLevel: 'silent', batch: which === 'batched' ? {} : false });
}
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
