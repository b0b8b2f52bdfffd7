import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/core/index.ts';
import { selectRows, tableFromRows, type Cell, type Table, type TableMetadata } from '../../src/data/index.ts';
import { fitDistanceSpace, nearestRecords, privacyReport } from '../../src/eval/index.ts';
import { PEOPLE_META, people } from './quality-fixtures.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

/** The Gower distance written out directly, for the brute-force reference. */
function gower(a: Table, i: number, b: Table, j: number, meta: TableMetadata, ranges: Record<string, number>): number {
  let s = 0;
  const cols = a.columns;
  for (const c of cols) {
    const x = a.data[c]![i] ?? null;
    const y = b.data[c]![j] ?? null;
    if (x === null || y === null) s += x === y ? 0 : 1;
    else if (meta.columns[c]!.type === 'numerical') s += Math.min(1, Math.abs((x as number) - (y as number)) / ranges[c]!);
    else s += String(x) === String(y) ? 0 : 1;
  }
  return s / cols.length;
}

test('nearest-record search is exact: equals brute-force Gower distance (property, mixed types, nulls, ids)', () => {
  const meta: TableMetadata = { columns: { id: { type: 'id' }, x: { type: 'numerical' }, y: { type: 'numerical' }, c: { type: 'categorical' }, b: { type: 'boolean' }, f: { type: 'boolean' } } };
  const cell = (rng: Rng, kind: string): Cell => {
    if (rng.next() < 0.1) return null;
    if (kind === 'id') return `i${rng.int(40)}`;
    if (kind === 'c') return ['a', 'b', 'c'][rng.int(3)]!;
    if (kind === 'b' || kind === 'f') return rng.next() < 0.5;
    return Math.round(rng.normal() * 10) / 2;
  };
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 40 }), (seed, nRef, nQ) => {
      const rng = new Rng(seed);
      const names = ['id', 'x', 'y', 'c', 'b', 'f'];
      const make = (n: number) => tableFromRows(names, Array.from({ length: n }, () => names.map((k) => cell(rng, k))));
      const ref = make(nRef);
      const q = make(nQ);
      const space = fitDistanceSpace(ref, meta);
      const res = nearestRecords(space.encode(q, 'q'), space.encode(ref, 'ref'), space.width);
      const ranges: Record<string, number> = {};
      for (const c of ['x', 'y']) {
        const v = ref.data[c]!.filter((z): z is number => typeof z === 'number');
        ranges[c] = v.length && Math.max(...v) > Math.min(...v) ? Math.max(...v) - Math.min(...v) : 1;
      }
      for (let i = 0; i < nQ; i++) {
        let best = Infinity;
        for (let j = 0; j < nRef; j++) best = Math.min(best, gower(q, i, ref, j, meta, ranges));
        close(res.distance[i]!, best, 1e-9, `query ${i}`);
        close(gower(q, i, ref, res.index[i]!, meta, ranges), best, 1e-9, `index of query ${i}`);
      }
    }),
    { numRuns: 60 },
  );
});

test('the search prunes: far fewer distance evaluations than queries × references', () => {
  const train = people(4000, 1);
  const syn = people(1000, 2);
  const space = fitDistanceSpace(train, PEOPLE_META);
  const res = nearestRecords(space.encode(syn, 's'), space.encode(train, 't'), space.width);
  assert.ok(res.evaluations < 0.1 * 4000 * 1000, `evaluations ${res.evaluations}`);
});

test('a synthetic set of copies of training rows: every row a copy, DCR 0, attack AUC well above 0.5', () => {
  const all = people(3000, 1);
  const train = selectRows(all, Array.from({ length: 2000 }, (_, i) => i));
  const holdout = selectRows(all, Array.from({ length: 1000 }, (_, i) => 2000 + i));
  // Copies of half of the training rows: those members sit at distance 0 from the synthetic set.
  const copies = selectRows(train, Array.from({ length: 1000 }, (_, i) => 2 * i));
  const r = privacyReport(train, holdout, copies, PEOPLE_META, { seed: 0 });
  assert.equal(r.exactCopies.count, 1000);
  assert.equal(r.exactCopies.share.value, 1);
  assert.equal(r.exactCopies.share.direction, 'lower');
  assert.equal(r.exactCopies.distinctTrainingRowsCopied, 1000);
  assert.equal(r.dcr.syntheticToTrain.median, 0);
  assert.equal(r.dcr.syntheticToTrain.p5, 0);
  assert.ok(r.dcr.holdoutToTrain.median > 0.05, `holdout median ${r.dcr.holdoutToTrain.median}`);
  assert.equal(r.dcr.shareCloserThanHoldoutP5.value, 1);
  // The histogram holds every distance: all copies in the first bin, the holdout spread to the right.
  const h = r.dcr.histogram;
  assert.equal(h.edges.length, h.synthetic.length + 1);
  assert.equal(h.synthetic[0], 1);
  close(h.holdout.reduce((a, b) => a + b, 0), 1, 1e-9, 'holdout shares');
  assert.ok(h.holdout[0]! < 0.5, `holdout share in the first bin ${h.holdout[0]}`);
  assert.ok(r.membershipInference.auc.value > 0.7, `MIA ${r.membershipInference.auc.value}`);
  assert.equal(r.membershipInference.auc.ideal, 0.5);
  assert.equal(r.membershipInference.members, 1000);
});

test('a synthetic set drawn independently from the same process: no copies, holdout-like DCR, attack AUC ≈ 0.5', () => {
  const all = people(4000, 1);
  const train = selectRows(all, Array.from({ length: 3000 }, (_, i) => i));
  const holdout = selectRows(all, Array.from({ length: 1000 }, (_, i) => 3000 + i));
  const syn = people(1500, 77);
  const r = privacyReport(train, holdout, syn, PEOPLE_META, { seed: 0 });
  assert.equal(r.exactCopies.count, 0);
  close(r.membershipInference.auc.value, 0.5, 0.04, 'MIA');
  close(r.dcr.shareCloserThanHoldoutP5.value, 0.05, 0.03, 'share closer than holdout p5');
  close(r.dcr.medianRatio.value, 1, 0.15, 'median ratio');
  const again = privacyReport(train, holdout, syn, PEOPLE_META, { seed: 0 });
  assert.equal(JSON.stringify(again), JSON.stringify(r));
  assert.equal(r.seconds, undefined);
});

test('privacy report checks its columns', () => {
  const t = people(20, 1);
  const lacking = tableFromRows(['age'], [[30]]);
  assert.throws(() => privacyReport(t, t, lacking, PEOPLE_META, { seed: 0 }), /missing from the synthetic table/);
});
