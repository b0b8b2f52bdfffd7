import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/core/index.ts';
import { sampleIndices } from '../../src/stats/index.ts';

test('sampleIndices: k distinct indices in 0..n−1, the same for the same seed; all of them (no draw) when k ≥ n (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 250 }), fc.integer(), (n, k, seed) => {
      const rng = new Rng(seed);
      const s = sampleIndices(n, k, rng);
      assert.equal(s.length, Math.min(n, k));
      assert.equal(new Set(s).size, s.length);
      assert.ok(s.every((i) => i >= 0 && i < n));
      assert.deepEqual(sampleIndices(n, k, new Rng(seed)), s);
      if (k >= n) {
        assert.deepEqual([...s], Array.from({ length: n }, (_, i) => i));
        assert.equal(rng.next(), new Rng(seed).next(), 'no draw was made');
      }
    }),
  );
});

test('sampleIndices is uniform: each of 10 indices is drawn about k/n of the time', () => {
  const counts = new Array<number>(10).fill(0);
  const rng = new Rng(1);
  for (let r = 0; r < 5000; r++) for (const i of sampleIndices(10, 3, rng)) counts[i]!++;
  for (const c of counts) assert.ok(Math.abs(c - 1500) < 150, `count ${c}`);
});
