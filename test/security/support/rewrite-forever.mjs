// Child process for the crash-safety test: loads bundles A and B, says "ready",
// waits for a line on stdin, then overwrites `target` with A, B, A, ... until
// it is killed. Usage: node rewrite-forever.mjs target a.mbnd b.mbnd
import { readBundle, writeBundle } from '@modelbundle/core/node';

const [target, ...sources] = process.argv.slice(2);
const bundles = await Promise.all(sources.map((path) => readBundle(path)));
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
for (let i = 0; ; i++) await writeBundle(target, bundles[i % bundles.length]);
