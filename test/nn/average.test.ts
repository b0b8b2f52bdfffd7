import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as nn from '../../src/nn/index.ts';

test('WeightAverage: shadow = d · shadow + (1 − d) · weight, d = min(decay, (1 + t) / (10 + t)), starting from the weights', () => {
  const p = new nn.Parameter('w', Float32Array.from([1, -2]), [2]);
  const avg = new nn.WeightAverage([p], 0.75);
  assert.equal(avg.shadows[0]!.name, 'w.average');
  assert.deepEqual([...avg.shadows[0]!.data], [1, -2]);
  p.data.set([5, 2]);
  avg.update(); // t = 0: d = 0.1 → 0.1 + 4.5 = 4.6; −0.2 + 1.8 = 1.6
  assert.deepEqual([...avg.shadows[0]!.data], [Math.fround(4.6), Math.fround(1.6)]);
  avg.steps = 100; // past the warm-up: d = 0.75
  p.data.set([0.6, 1.6]);
  avg.update(); // 0.75 · 4.6 + 0.25 · 0.6 = 3.6; 0.75 · 1.6 + 0.25 · 1.6 = 1.6
  assert.ok(Math.abs(avg.shadows[0]!.data[0]! - 3.6) < 1e-6 && Math.abs(avg.shadows[0]!.data[1]! - 1.6) < 1e-6, String(avg.shadows[0]!.data));
  assert.equal(avg.steps, 101);
  const target = new nn.Parameter('t', new Float32Array(2), [2]);
  avg.copyTo([target]);
  assert.deepEqual([...target.data], [...avg.shadows[0]!.data]);
  assert.throws(() => avg.copyTo([]), /1 averaged parameters/);
  assert.throws(() => avg.copyTo([new nn.Parameter('x', new Float32Array(3), [3])]), /x has 3 values/);
  assert.throws(() => new nn.WeightAverage([p], 1), /decay/);
});

test('WeightAverage: the average of a constant weight is that weight; it always lies within the range of the weights seen (property)', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 }), (decay, steps) => {
      const p = new nn.Parameter('w', Float32Array.from([steps[0]!]), [1]);
      const avg = new nn.WeightAverage([p], decay);
      for (const s of steps) {
        p.data[0] = s;
        avg.update();
      }
      const seen = steps.map((s) => Math.fround(s));
      const v = avg.shadows[0]!.data[0]!;
      assert.ok(v >= Math.min(...seen) - 1e-3 && v <= Math.max(...seen) + 1e-3, `${v} outside [${Math.min(...seen)}, ${Math.max(...seen)}]`);
      if (seen.every((s) => s === seen[0])) assert.ok(Math.abs(v - seen[0]!) <= 1e-4 * Math.max(1, Math.abs(seen[0]!)));
    }),
  );
});
