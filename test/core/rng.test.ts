import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/core/index.ts';

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 100 }, () => a.nextUint32());
  const ys = Array.from({ length: 100 }, () => b.nextUint32());
  const zs = Array.from({ length: 100 }, () => c.nextUint32());
  assert.deepEqual(xs, ys);
  assert.notDeepEqual(xs, zs);
});

test('split streams are independent of parent draws', () => {
  const a = new Rng(7);
  const child1 = a.split('dropout').next();
  a.next(); a.next();
  const child2 = a.split('dropout').next();
  assert.equal(child1, child2);
  assert.notEqual(new Rng(7).split('x').next(), new Rng(7).split('y').next());
});

test('int(n) stays in range and is roughly uniform', () => {
  const r = new Rng(1);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 100000; i++) counts[r.int(10)]++;
  for (const c of counts) assert.ok(c > 9500 && c < 10500, `count ${c}`);
  fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.integer(), (n, seed) => {
    const x = new Rng(seed).int(n);
    return Number.isInteger(x) && x >= 0 && x < n;
  }));
});

test('next() is in [0,1) and normal() has mean ~0, sd ~1', () => {
  const r = new Rng(3);
  let s = 0, s2 = 0;
  for (let i = 0; i < 50000; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    const z = r.normal();
    s += z; s2 += z * z;
  }
  assert.ok(Math.abs(s / 50000) < 0.02);
  assert.ok(Math.abs(s2 / 50000 - 1) < 0.03);
});

test('shuffle is a permutation and seed-deterministic', () => {
  const a = Int32Array.from({ length: 50 }, (_, i) => i);
  const b = a.slice();
  new Rng(5).shuffle(a);
  new Rng(5).shuffle(b);
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

test('bad inputs are refused', () => {
  assert.throws(() => new Rng(Number.NaN), RangeError);
  assert.throws(() => new Rng(1).int(0), RangeError);
});
