#!/usr/bin/env node
// Board reads against the real Ceph RADOS Gateway of scripts/object-store.sh (started if needed).
//   node bench/boards.js            400 MB bundle, 5 paired runs (writes bench/results/boards.json)
//   node bench/boards.js --quick    32 MB, 3 runs (a smoke run; writes bench/results/tmp/boards-quick.json)
// read: Board.read of a version into an empty cache (download, verify every digest, rename into place)
//   vs the floor: a plain GetObject of the same bytes streamed to a file while SHA-256 hashes them.
// meta: Board.meta of the version (meta.json plus a ranged read of the header), median of 30.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { Board, BundleCache, S3Storage } from '@modelbundle/boards';
import { createBundle } from '@modelbundle/core';
import { machine } from './lib/machine.js';
import { median, pairedRatio, summary } from './lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const sizeMB = quick ? 32 : 400;
const runs = quick ? 3 : 5;
const log = (...m) => console.error(`[bench boards ${new Date().toISOString().slice(11, 19)}]`, ...m);

const envFile = execFileSync('bash', [join(here, '../scripts/object-store.sh'), 'start'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .at(-1);
const env = Object.fromEntries(
  readFileSync(envFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: env.AWS_REGION });
const bucket = `bench-${Date.now().toString(36)}`;
const storage = new S3Storage(bucket, 'models', { endpoint: env.MODELBUNDLE_S3_ENDPOINT });
await (await storage.client()).send(new CreateBucketCommand({ Bucket: bucket }));
const scratch = await mkdtemp(join(tmpdir(), 'mb-bench-boards-'));

log(`publishing a ${sizeMB} MB bundle`);
const sections = [];
for (let i = 0; i < sizeMB / 16; i++) sections.push([`layer${i}/kernel`, randomBytes(16 * 1024 * 1024)]);
const bundle = await createBundle(
  {
    kind: 'bench.blob',
    serializer: { version: '1.0.0' },
    producer: { name: 'bench', version: '0' },
    created: new Date().toISOString(),
    requires: {},
    metadata: {},
    ptype: null,
    summary: {},
    payload: {},
  },
  sections,
);
const publisher = new Board(storage, { cache: new BundleCache(join(scratch, 'publisher-cache')) });
const { version } = await publisher.write('big', bundle);
const key = `models/big/${version}/model.mbnd`;

/** The floor: GetObject streamed to disk, every byte hashed on the way. */
async function plainGet(target) {
  const out = await (await storage.client()).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk, _e, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(out.Body, hashing, createWriteStream(target));
  return hash.digest('hex');
}

const floor = [];
const ours = [];
for (let i = 0; i < runs + 1; i++) {
  const dir = join(scratch, `run${i}`);
  await mkdir(dir, { recursive: true });
  const order = i % 2 === 0 ? ['floor', 'ours'] : ['ours', 'floor'];
  const times = {};
  for (const which of order) {
    const t0 = performance.now();
    if (which === 'floor') await plainGet(join(dir, 'plain.bin'));
    else await new Board(storage, { cache: new BundleCache(join(dir, 'cache')) }).read('big', version);
    times[which] = (performance.now() - t0) / 1000;
  }
  await rm(dir, { recursive: true, force: true });
  if (i === 0) continue; // warm-up
  floor.push(times.floor);
  ours.push(times.ours);
  log(`run ${i}: read ${times.ours.toFixed(2)} s, GetObject+hash ${times.floor.toFixed(2)} s`);
}

const reader = new Board(storage, { cache: new BundleCache(join(scratch, 'meta-cache')) });
await reader.meta('big', version);
const metaMs = [];
let bytesRead = 0;
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  bytesRead = (await reader.meta('big', version)).bytesRead;
  metaMs.push(performance.now() - t0);
}
await rm(scratch, { recursive: true, force: true });

const ratio = pairedRatio(ours, floor);
const result = {
  mode: quick ? 'quick' : 'full',
  store: 'Ceph RADOS Gateway (scripts/object-store.sh, memstore OSD, loopback)',
  machine: machine(),
  bundleBytes: bundle.header.sections.reduce((n, s) => n + s.length, 0),
  runs,
  read: { seconds: summary(ours), floorSeconds: summary(floor), ratio, target: 1.3, met: ratio.median <= 1.3 },
  meta: { ms: summary(metaMs), bytesRead, target: 20, met: median(metaMs) < 20 },
};
const out = join(here, quick ? 'results/tmp/boards-quick.json' : 'results/boards.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
log(`read ratio ${ratio.median} (target <= 1.3), meta ${median(metaMs).toFixed(1)} ms (target < 20), results: ${out}`);
