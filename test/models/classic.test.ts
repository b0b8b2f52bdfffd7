import { test, } from 'node:test';
import assert from 'node:assert/strict';
import { ItemKnnRecommender, PopularityRecommender } from '../../src/models/index.ts';
import { ModelStateError } from '../../src/core/index.ts';
import type { TrainView } from '../../src/data/index.ts';
import { tempFolder } from '../temp-folders.ts';


function view(seqs: number[][], numItems: number): TrainView {
  const s = seqs.map((x) => Int32Array.from(x));
  return { numItems, numUsers: s.length, sequence: (u) => s[u]!.slice(), users: () => s.map((_, i) => i).filter((i) => s[i]!.length > 0), interactionCount: s.reduce((a, x) => a + x.length, 0) };
}

test('popularity counts training interactions only and round-trips through save/load', async () => {
  const m = new PopularityRecommender();
  assert.throws(() => m.scoreAll([new Int32Array(0)]), ModelStateError);
  await m.fit(view([[1, 2], [2, 3], [2]], 4), { seed: 0 });
  const s = m.scoreAll([Int32Array.from([1])]);
  assert.deepEqual([...s.subarray(1)], [1, 3, 1, 0]);
  const dir = tempFolder('pop-');
  m.save(dir);
  const m2 = new PopularityRecommender();
  m2.load(dir);
  assert.deepEqual(m2.scoreAll([new Int32Array(0)]), m.scoreAll([new Int32Array(0)]));
});

test('itemknn: co-occurring items score higher, the score grows with votes, save/load round trip', async () => {
  const m = new ItemKnnRecommender({ shrink: 0 });
  await m.fit(view([[1, 2, 3], [1, 2], [4, 5], [4, 5], [3, 5]], 5), { seed: 0 });
  const s = m.scoreAll([Int32Array.from([1])]);
  assert.ok(s[2]! > s[3]!, 'item 2 co-occurs with 1 twice, item 3 once');
  assert.equal(s[4], 0);
  const s2 = m.scoreAll([Int32Array.from([1, 3])]);
  assert.ok(s2[2]! > s[2]!);
  const dir = tempFolder('knn-');
  m.save(dir);
  const m2 = new ItemKnnRecommender();
  m2.load(dir);
  assert.deepEqual(m2.scoreAll([Int32Array.from([1, 3])]), s2);
});

test('itemknn is deterministic and keeps at most `neighbors` per item', async () => {
  const seqs = Array.from({ length: 60 }, (_, u) => Array.from({ length: 6 }, (_, k) => 1 + ((u * 7 + k * 13) % 40)));
  const a = new ItemKnnRecommender({ neighbors: 3 });
  const b = new ItemKnnRecommender({ neighbors: 3 });
  await a.fit(view(seqs, 40), { seed: 1 });
  await b.fit(view(seqs, 40), { seed: 2 });
  const h = [Int32Array.from([5])];
  assert.deepEqual(a.scoreAll(h), b.scoreAll(h));
  assert.ok(a.scoreAll(h).filter((x) => x > 0).length <= 3);
});
