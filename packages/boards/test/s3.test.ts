import { openBoard } from '@modelbundle/boards';
import { describe, expect, it } from 'vitest';
import { describeBoard } from './board-suite.js';
import { objectStore } from './helpers.js';

describeBoard('S3 (Ceph RADOS Gateway)', async (cache) => {
  const store = await objectStore();
  const bucket = await store.bucket('suite');
  return openBoard(`s3://${bucket}/prod/models`, { cache, s3: { endpoint: store.endpoint } });
});

describe('S3 conditional writes', () => {
  it('detects that the gateway honours If-None-Match: *', async () => {
    const store = await objectStore();
    const board = openBoard(`s3://${await store.bucket('probe')}`, { s3: { endpoint: store.endpoint } });
    expect(await board.storage.conditionalWrites()).toBe('atomic');
    expect(await board.storage.put?.('x.json', { bytes: new Uint8Array([1]) }, { ifAbsent: true })).toBe('created');
    expect(await board.storage.put?.('x.json', { bytes: new Uint8Array([2]) }, { ifAbsent: true })).toBe('exists');
    expect(await board.storage.getBytes('x.json')).toEqual(new Uint8Array([1]));
  });

  it('names the bucket when it does not exist', async () => {
    const store = await objectStore();
    const board = openBoard('s3://no-such-bucket-modelbundle/x', { s3: { endpoint: store.endpoint } });
    await expect(board.versions('m')).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('no-such-bucket-modelbundle') });
  });
});

describe('S3 without conditional writes (the HEAD-then-PUT fallback, on the same real store)', () => {
  it('still creates once, refuses a second create, and publishes and dedupes sequentially', async () => {
    const store = await objectStore();
    const board = openBoard(`s3://${await store.bucket('fallback')}`, { s3: { endpoint: store.endpoint, conditionalWrites: 'check-then-write' } });
    expect(await board.storage.conditionalWrites()).toBe('check-then-write');
    expect(await board.storage.put?.('x.json', { bytes: new Uint8Array([1]) }, { ifAbsent: true })).toBe('created');
    expect(await board.storage.put?.('x.json', { bytes: new Uint8Array([2]) }, { ifAbsent: true })).toBe('exists');
    const { makeBundle } = await import('./helpers.js');
    const first = await board.write('m', await makeBundle(1));
    expect(await board.write('m', await makeBundle(1))).toEqual({ ...first, created: false });
    expect((await board.read('m')).headerDigest).toBe(first.headerDigest);
  });
});
