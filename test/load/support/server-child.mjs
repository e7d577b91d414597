// The prediction server alone in its process, so that its memory is measured
// apart from the load generator:  node --expose-gc server-child.mjs <bundle>
// Sends { port } over IPC once listening; answers 'memory' with the tfjs
// tensor count and the RSS (after a GC); 'close' closes it and exits.
import { createRegistry } from '@modelbundle/core';
import { createServer } from '@modelbundle/serve';
import { workflowsPlugin } from '@modelbundle/workflows';
import * as tf from '@tensorflow/tfjs-core';

const [path] = process.argv.slice(2);
const registry = createRegistry({ autoload: false }).registerPlugin(workflowsPlugin);
const app = await createServer({ path, registry, logLevel: 'silent' });
await app.listen({ port: 0, host: '127.0.0.1' });
process.on('message', async (message) => {
  if (message === 'memory') {
    globalThis.gc?.();
    process.send({ numTensors: tf.memory().numTensors, rss: process.memoryUsage().rss, backend: tf.getBackend() });
  } else if (message === 'close') {
    await app.close();
    process.exit(0);
  }
});
process.send({ port: app.server.address().port });
