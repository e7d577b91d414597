/**
 * Run in a new Node process (from the application's folder): restores a
 * bundle with nothing registered, so the plugin must be autoloaded from its
 * package.json declaration, then predicts.
 *
 *   node fresh-process.mjs <bundle> '<rows as JSON>'
 */
import { readFileSync } from 'node:fs';
import { defaultRegistry, unbundle } from '@modelbundle/core';

const [path, rows] = process.argv.slice(2);
const before = defaultRegistry.list().map((s) => s.kind);
const model = await unbundle(readFileSync(path));
const predictions = await defaultRegistry.predictor('linear.model', model).predict(JSON.parse(rows));
console.log(JSON.stringify({ before, after: defaultRegistry.list().map((s) => s.kind), className: model.constructor.name, predictions }));
