import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { sessionSplit, loadDataset, type SequenceDataset } from '../../src/data/index.ts';

const DAY = 86_400;

/** Sessions as [end day, items]; each session's events are one second apart ending on its day. */
function sessions(list: [number, number[]][]): SequenceDataset {
  const numItems = 9;
  return {
    name: 'sessions',
    userIds: list.map((_, i) => `s${i}`),
    itemIds: ['<pad>', ...Array.from({ length: numItems }, (_, i) => `i${i + 1}`)],
    numItems,
    sequences: list.map(([, items]) => Int32Array.from(items)),
    timestamps: list.map(([day, items]) => Float64Array.from(items, (_, j) => day * DAY - (items.length - 1 - j))),
    checksum: 'x',
  };
}

test('session split: SR-GNN filters, last days test, the days before validation, every prefix a case, items renumbered to training ones', () => {
  const ds = sessions([
    [1, [1, 2, 3]],
    [2, [1, 2]],
    [3, [2, 3, 1]],
    [4, [3, 1, 2, 9]], // 9 is seen once in the file: removed everywhere
    [5, [7]], // length 1: dropped
    [12, [1, 3, 2]], // validation (days 6..12 before the test period ends at 13)
    [20, [2, 1, 8, 3]], // test; 8 never occurs in training: removed from the session
    [19, [4, 5]], // test; 4 and 5 are rare: removed, session too short: dropped
  ]);
  const { dataset, split } = sessionSplit(ds, { testDays: 7, validDays: 7, minItemSupport: 2 });
  assert.equal(split.kind, 'session');
  assert.equal(dataset.numItems, 3, 'only items of training sessions remain');
  const back = (x: number) => dataset.itemIds[x];
  assert.deepEqual(split.train.users().map((u) => Array.from(split.train.sequence(u), back)), [['i1', 'i2', 'i3'], ['i1', 'i2'], ['i2', 'i3', 'i1'], ['i3', 'i1', 'i2']]);
  assert.deepEqual(split.valid.map((c) => [Array.from(c.history, back), back(c.target)]), [[['i1'], 'i3'], [['i1', 'i3'], 'i2']]);
  assert.deepEqual(split.test.map((c) => [Array.from(c.history, back), back(c.target)]), [[['i2'], 'i1'], [['i2', 'i1'], 'i3']]);
  // Refit-before-test models count training + validation sessions, never a test session.
  assert.equal(split.testTimeTrain!.interactionCount, split.train.interactionCount + 3);
  const { timestamps: _dropped, ...untimed } = ds;
  assert.throws(() => sessionSplit(untimed), /no timestamps/);
  assert.throws(() => sessionSplit(ds, { testDays: 0 }), /testDays/);
});

const digi = '../shared/data/diginetica-sample/sample_train-item-views.csv';
test('session split on the DIGINETICA sample: no test session leaks into training', { skip: !existsSync(digi) && 'needs ../shared/data' }, async () => {
  const { dataset: raw } = await loadDataset(digi, 'diginetica');
  const { dataset, split } = sessionSplit(raw);
  const trainUsers = new Set(split.train.users().filter((u) => split.train.sequence(u).length > 0));
  for (const c of [...split.valid, ...split.test]) assert.ok(!trainUsers.has(c.user));
  assert.ok(split.test.length > 50 && split.valid.length > 20, `${split.valid.length} valid / ${split.test.length} test cases`);
  for (const c of split.test) assert.ok(c.target >= 1 && c.target <= dataset.numItems);
});
