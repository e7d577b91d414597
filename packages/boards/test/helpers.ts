import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BundleCache } from '@modelbundle/boards';
import { type Bundle, createBundle } from '@modelbundle/core';

const run = promisify(execFile);
export const repoRoot = resolve(import.meta.dirname, '../../..');

/** A real bundle with one pseudo-random section of `size` bytes; the same seed gives the same bytes (and header digest). */
export async function makeBundle(seed: number, size = 4096, extra: Record<string, unknown> = {}): Promise<Bundle> {
  const data = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return createBundle(
    {
      kind: 'test.model',
      serializer: { version: '1.0.0' },
      producer: { name: '@modelbundle/boards-tests', version: '0.1.0' },
      created: '2026-01-01T00:00:00.000Z',
      requires: {},
      metadata: { seed, ...extra },
      ptype: null,
      summary: { seed },
      payload: {},
    },
    [['weights', data]],
  );
}

/** A fresh temp folder, removed by the returned function. */
export async function tempDir(label: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `mb-${label}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A cache of its own for one test, so tests never see each other's downloads. */
export async function freshCache(): Promise<{ cache: BundleCache; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir('cache');
  return { cache: new BundleCache(dir), cleanup };
}

export interface ObjectStore {
  endpoint: string;
  /** AWS_* variables for child processes. */
  env: Record<string, string>;
  /** Creates a bucket with a unique name and returns it. */
  bucket(label: string): Promise<string>;
}

let store: Promise<ObjectStore> | undefined;

/**
 * The real Ceph RADOS Gateway of scripts/object-store.sh, started when it is
 * not running yet. It never skips: without Ceph the tests fail and say why.
 */
export function objectStore(): Promise<ObjectStore> {
  store ??= (async () => {
    let envFile: string;
    try {
      envFile = (await run('bash', [join(repoRoot, 'scripts/object-store.sh'), 'start'], { timeout: 300_000 })).stdout.trim().split('\n').at(-1) as string;
    } catch (e) {
      throw new Error(
        `The S3 tests need the Ceph object store of scripts/object-store.sh, which did not start: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`,
      );
    }
    const env: Record<string, string> = {};
    for (const line of readFileSync(envFile, 'utf8').trim().split('\n')) {
      const at = line.indexOf('=');
      env[line.slice(0, at)] = line.slice(at + 1);
    }
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) process.env[key] = env[key];
    const endpoint = env.MODELBUNDLE_S3_ENDPOINT as string;
    const client = new S3Client({ endpoint, forcePathStyle: true, region: env.AWS_REGION as string });
    let n = 0;
    return {
      endpoint,
      env: { ...env, AWS_ENDPOINT_URL: endpoint },
      bucket: async (label: string) => {
        const name = `${label}-${process.pid}-${Date.now().toString(36)}-${n++}`.toLowerCase();
        await client.send(new CreateBucketCommand({ Bucket: name }));
        return name;
      },
    };
  })();
  return store;
}
