import { describe, expect, it } from 'vitest';
import { nonFiniteWeights } from '../src/verify.js';

describe('nonFiniteWeights', () => {
  it('finds a NaN or an infinity at every position of tensors of every short length', () => {
    for (let length = 1; length <= 9; length++) {
      for (let at = 0; at < length; at++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const values = Float32Array.from({ length }, (_, i) => (i === at ? bad : i - 4.5));
          expect(nonFiniteWeights([['w', { shape: [length], values }]])).toEqual(['w']);
        }
      }
      const finite = Float32Array.from({ length }, (_, i) => (i % 2 ? -3.4e38 : 3.4e38));
      expect(nonFiniteWeights([['w', { shape: [length], values: finite }]])).toEqual([]);
    }
  });
});
