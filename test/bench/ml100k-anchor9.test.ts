import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { Rng } from '../../src/core/index.ts';
import { loadMovieLensCtr, type Cell } from '../../src/data/index.ts';
import { ANCHOR9_COLUMNS, anchor9FromCtr, formatUtcSeconds, stratifiedSplit } from '../../bench/ml100k-anchor9.ts';

test('formatUtcSeconds writes UTC whole seconds as YYYY-MM-DD HH:MM:SS', () => {
  assert.equal(formatUtcSeconds(881250949), '1997-12-04 15:55:49');
  assert.equal(formatUtcSeconds(0), '1970-01-01 00:00:00');
});

test('stratifiedSplit: a partition of the rows, each label split 80/20 to within a row, same seed same split', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom<Cell>(true, false, 'x'), { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 1000 }), (labels, seed) => {
      const rows = Int32Array.from(labels.keys());
      const { train, holdout } = stratifiedSplit(labels, rows, new Rng(seed));
      assert.deepEqual([...train, ...holdout].sort((a, b) => a - b), [...rows]);
      for (const v of new Set(labels)) {
        const n = labels.filter((l) => l === v).length;
        const nTrain = [...train].filter((i) => labels[i] === v).length;
        assert.ok(Math.abs(nTrain - n * 0.8) <= 0.5, `label ${String(v)}: ${nTrain} of ${n} in train`);
      }
      assert.deepEqual(stratifiedSplit(labels, rows, new Rng(seed)), { train, holdout });
    }),
  );
});

const dataDir = resolve(process.cwd(), '../shared/data/ml-100k');
test('the anchor table: 100,000 × 9, whole-second timestamps, n_genres = 6 in ≈ 0.42 % of rows', { skip: !existsSync(resolve(dataDir, 'ml-100k.inter')) && 'no ../shared/data/ml-100k' }, async () => {
  const { table, metadata } = anchor9FromCtr(await loadMovieLensCtr(dataDir));
  assert.equal(table.rowCount, 100000);
  assert.deepEqual(table.columns, [...ANCHOR9_COLUMNS]);
  assert.deepEqual(Object.keys(metadata.columns).sort(), [...ANCHOR9_COLUMNS].sort());
  assert.ok(table.data.timestamp!.every((t) => typeof t === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(t)));
  const counts = new Map<Cell, number>();
  for (const g of table.data.n_genres!) counts.set(g, (counts.get(g) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort(), [1, 2, 3, 4, 5, 6]);
  const six = counts.get(6)! / table.rowCount;
  assert.ok(six > 0.004 && six < 0.0044, `n_genres = 6 share ${six}`);
  // A movie with one genre has that genre as its main genre.
  const i = table.data.n_genres!.indexOf(1);
  assert.equal(typeof table.data.main_genre![i], 'string');
});
