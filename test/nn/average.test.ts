import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as nn from '../../src/nn/index.ts';

test('WeightAverage: shadow = decay · shadow + (1 − decay) · weight after each update, starting from the weights', () => {
  const p = new nn.Parameter('w', Float32Array.from([1, -2]), [2]);
  const avg = new nn.WeightAverage([p], 0.75);
  assert.equal(avg.shadows[0]!.name, 'w.average');
  assert.deepEqual([...avg.shadows[0]!.data], [1, -2]);
  p.data.set([5, 2]);
  avg.update(); // 0.75·1 + 0.25·5 = 2; 0.75·(−2) + 0.25·2 = −1
  assert.deepEqual([...avg.shadows[0]!.data], [2, -1]);
  p.data.set([2, -1]);
  avg.update();
  assert.deepEqual([...avg.shadows[0]!.data], [2, -1]);
  const target = new nn.Parameter('t', new Float32Array(2), [2]);
  avg.copyTo([target]);
  assert.deepEqual([...target.data], [2, -1]);
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
