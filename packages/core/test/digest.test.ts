import { createHash } from 'node:crypto';
import { sha256 } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { describe, expect, it } from 'vitest';

describe('sha256', () => {
  it('matches WebCrypto and the known empty-input digest', async () => {
    expect(toHex(await sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (const size of [1, 63, 64, 65, 1000, 1 << 20]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 255);
      const web = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      expect(await sha256(bytes)).toEqual(web);
    }
  });

  it('hashes only the view it is given, not the rest of its buffer', async () => {
    const whole = new Uint8Array(256).map((_, i) => i);
    const view = whole.subarray(10, 100);
    expect(toHex(await sha256(view))).toBe(createHash('sha256').update(whole.slice(10, 100)).digest('hex'));
  });
});
