import { createRegistry, decodeBundle, encodeBundle, inspect, type Serializer } from '@modelbundle/core';
import { FORMAT_VERSION } from '@modelbundle/core/format';
import { expectCode } from '@modelbundle/testing';
import { describe, expect, it } from 'vitest';
import { assemble, encoded, headerFor, pack, pattern } from './helpers.js';

/** A 1.3 bundle as a newer writer would make it: unknown fields at every level a minor may extend. */
async function newerMinorBundle(): Promise<Uint8Array> {
  const data = pattern(40);
  const header = await headerFor(data, { format: '1.3.0' });
  const sections = (header.sections as Record<string, unknown>[]).map((s) => ({ ...s, compression: 'none' }));
  const future = {
    ...header,
    sections,
    serializer: { ...(header.serializer as object), features: ['sparse'] },
    producer: { ...(header.producer as object), host: 'builder-7' },
    lineage: { parent: 'abc', steps: [1, 2, 3] },
  };
  return assemble(pack(future), data, { minor: 3 });
}

describe('format version policy', () => {
  it.each([2, 3, 65535])('refuses a newer major %d naming the version to upgrade to', async (major) => {
    const bytes = await encoded();
    new DataView(bytes.buffer).setUint16(8, major, true);
    const error = await expectCode(() => decodeBundle(bytes), 'UNSUPPORTED_FORMAT');
    expect(error.details.upgradeTo).toBe(`${major}.0.0`);
    expect(error.message).toContain(`Bundle format ${major}.0 is not supported`);
    expect(error.message).toContain(`reads format ${major}.x`);
    // inspect refuses it the same way, before anything else.
    await expectCode(() => inspect(bytes), 'UNSUPPORTED_FORMAT');
  });

  it('refuses major 0 without an upgrade version', async () => {
    const bytes = await encoded();
    bytes[8] = 0;
    const error = await expectCode(() => decodeBundle(bytes), 'UNSUPPORTED_FORMAT');
    expect(error.details.upgradeTo).toBeUndefined();
  });

  it('reads a newer minor and keeps the fields it does not know', async () => {
    const bytes = await newerMinorBundle();
    const bundle = await decodeBundle(bytes);
    expect(bundle.header.format).toBe('1.3.0');
    expect(bundle.header.lineage).toEqual({ parent: 'abc', steps: [1, 2, 3] });
    expect(bundle.header.serializer.features).toEqual(['sparse']);
    expect(bundle.header.producer.host).toBe('builder-7');
    expect(bundle.header.sections[0]?.compression).toBe('none');
    expect(bundle.sections.get('data')).toEqual(pattern(40));
    // Rewriting keeps the original header bytes and version: nothing is lost.
    expect(encodeBundle(bundle)).toEqual(bytes);
  });

  it('restores a newer-minor bundle through a registry', async () => {
    const serializer: Serializer<Uint8Array> = {
      kind: 'test.model',
      version: '1.0.0',
      reads: '^1.0.0',
      canBundle: (v) => v instanceof Uint8Array,
      bundle: (v) => ({ sections: [['data', v]] }),
      unbundle: (parts) => parts.sections.get('data') as Uint8Array,
    };
    const registry = createRegistry({ autoload: false }).register(serializer);
    expect(await registry.unbundle(await newerMinorBundle())).toEqual(pattern(40));
  });

  it('writes the version it implements', async () => {
    const bytes = await encoded();
    const view = new DataView(bytes.buffer);
    expect(`${view.getUint16(8, true)}.${view.getUint16(10, true)}.0`).toBe(FORMAT_VERSION);
    expect((await decodeBundle(bytes)).header.format).toBe(FORMAT_VERSION);
  });
});
