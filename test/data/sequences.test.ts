import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ConfigError, DataValidationError } from '../../src/core/errors.ts';
import {
  interactionsToSequences,
  kCoreFilter,
  leaveOneOutSplit,
  loadDataset,
  loadIdMaps,
  readSequenceText,
  saveIdMaps,
  temporalSplit,
  writeSequenceText,
  itemPopularity,
  type InteractionTable,
} from '../../src/data/index.ts';
import { expectDataError, makeDataset, seqOf, tempDir } from './helpers.ts';

const t = tempDir();
after(() => t.cleanup());

function table(rows: [string, string, number][]): InteractionTable {
  return { file: 'mem', checksum: 'c', users: rows.map((r) => r[0]), items: rows.map((r) => r[1]), timestamps: Float64Array.from(rows.map((r) => r[2])), lines: Float64Array.from(rows.map((_, i) => i + 2)) };
}

describe('interactionsToSequences', () => {
  it('stable time sort within user (ties keep file order), dense ids by first appearance', () => {
    const d = interactionsToSequences(
      table([
        ['u2', 'c', 5],
        ['u1', 'b', 3],
        ['u1', 'a', 1],
        ['u1', 'd', 3],
        ['u2', 'a', 1],
      ]),
      { name: 'x' },
    );
    assert.deepEqual(d.userIds, ['u2', 'u1']);
    assert.deepEqual(seqOf(d, 'u1'), ['a', 'b', 'd']);
    assert.deepEqual(seqOf(d, 'u2'), ['a', 'c']);
    assert.deepEqual(d.itemIds, ['<pad>', 'a', 'c', 'b', 'd']);
    assert.deepEqual(Array.from(d.timestamps![1]!), [1, 3, 3]);
    assert.equal(d.numItems, 4);
  });
  it('dedupe modes', () => {
    const rows: [string, string, number][] = [
      ['u', 'a', 1],
      ['u', 'a', 2],
      ['u', 'b', 3],
      ['u', 'a', 4],
    ];
    assert.deepEqual(seqOf(interactionsToSequences(table(rows), { name: 'x' }), 'u'), ['a', 'a', 'b', 'a']);
    assert.deepEqual(seqOf(interactionsToSequences(table(rows), { name: 'x', dedupe: 'consecutive' }), 'u'), ['a', 'b', 'a']);
    assert.deepEqual(seqOf(interactionsToSequences(table(rows), { name: 'x', dedupe: 'all' }), 'u'), ['a', 'b']);
  });
  it('empty table is a DataValidationError', () => {
    assert.throws(() => interactionsToSequences(table([]), { name: 'x' }), DataValidationError);
  });
});

describe('id maps and round trips', () => {
  it('saveIdMaps / loadIdMaps round-trip; writeSequenceText re-reads to the same dataset', async () => {
    const p = t.path('a.txt');
    writeFileSync(p, '10 7 8 7\n3 8 9\n');
    const { dataset } = await readSequenceText(p);
    const m = t.path('maps/a.idmap.json');
    saveIdMaps(dataset, m);
    const maps = loadIdMaps(m);
    assert.deepEqual([maps.userIds, maps.itemIds, maps.checksum], [['10', '3'], ['<pad>', '7', '8', '9'], dataset.checksum]);
    const out = t.path('out.txt');
    writeSequenceText(dataset, out);
    const again = await readSequenceText(out);
    assert.deepEqual(again.dataset.sequences, dataset.sequences);
    assert.deepEqual(again.dataset.itemIds, dataset.itemIds);
  });
  it('loadIdMaps rejects missing and malformed files clearly', async () => {
    await expectDataError(Promise.resolve().then(() => loadIdMaps(t.path('none.json'))), { message: /not found/ });
    const bad = t.path('bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'samplify-idmaps', version: 1, name: 'x', checksum: 'c', userIds: [1], itemIds: ['<pad>'] }));
    await expectDataError(Promise.resolve().then(() => loadIdMaps(bad)), { file: bad, field: 'userIds.0' });
  });
});

describe('kCoreFilter', () => {
  it('is iterative: removing an item can push a user below k', () => {
    // Item 3 appears once -> removed; then user 2 has 1 interaction -> removed; then item 4 once -> removed.
    const d = makeDataset([
      [1, 2, 1, 2],
      [3, 4],
      [1, 2, 4],
    ]);
    const r = kCoreFilter(d, 2);
    assert.deepEqual(r.dataset.sequences.map((s) => Array.from(s)), [
      [1, 2, 1, 2],
      [1, 2],
    ]);
    assert.deepEqual([r.removedUsers, r.removedItems, r.removedInteractions], [1, 2, 3]);
    assert.deepEqual(r.dataset.userIds, ['1', '3']);
    assert.deepEqual(r.dataset.itemIds, ['<pad>', '1', '2']);
    assert.ok(r.rounds >= 2);
    assert.throws(() => kCoreFilter(d, 0), ConfigError);
  });
});

describe('splits: edge cases', () => {
  it('leave-one-out short users: train by default, dropped on request, counted either way', () => {
    const d = makeDataset([[1, 2, 3, 4], [5, 6], [7]]);
    const a = leaveOneOutSplit(d);
    assert.deepEqual([a.summary!.shortUsers, a.valid.length, a.train.interactionCount], [2, 1, 5]);
    const b = leaveOneOutSplit(d, { shortUsers: 'drop' });
    assert.deepEqual([b.summary!.shortUsers, b.train.interactionCount, b.train.users()], [2, 2, [0]]);
    assert.deepEqual(Array.from(itemPopularity(a.train)), [0, 1, 1, 0, 0, 1, 1, 1]);
  });
  it('temporal split: cuts, ties on the later side, first-target mode, errors', () => {
    const d = makeDataset(
      [
        [1, 2, 3, 4],
        [5, 6, 7],
      ],
      [
        [1, 2, 8, 9],
        [3, 8, 10],
      ],
    );
    const s = temporalSplit(d, { validFraction: 2 / 7, testFraction: 2 / 7 });
    // sorted times 1 2 3 8 8 9 10: testCut = t[5] = 9, validCut = t[3] = 8 (both 8s go to valid).
    assert.deepEqual([s.summary!.validCut, s.summary!.testCut], [8, 9]);
    assert.deepEqual(s.valid.map((c) => [c.user, c.target]), [
      [0, 3],
      [1, 6],
    ]);
    assert.deepEqual(s.test.map((c) => [c.user, c.target, c.history.length]), [
      [0, 4, 3],
      [1, 7, 2],
    ]);
    const f = temporalSplit(d, { validFraction: 0.5, testFraction: 0, targets: 'first' });
    assert.ok(f.valid.every((c, i, a) => a.findIndex((x) => x.user === c.user) === i));
    assert.throws(() => temporalSplit(d, { validFraction: 0.6, testFraction: 0.5 }), ConfigError);
    assert.throws(() => temporalSplit(makeDataset([[1, 2]]), { validFraction: 0.1, testFraction: 0.1 }), DataValidationError);
  });
  it('loadDataset csv with columns, dedupe and name', async () => {
    const p = t.path('x.csv');
    writeFileSync(p, 'u,i,t\n1,a,2\n1,a,1\n2,b,1\n');
    const { dataset, report } = await loadDataset(p, 'csv', { columns: { user: 'u', item: 'i', timestamp: 't' }, name: 'X', dedupe: 'consecutive' });
    assert.equal(dataset.name, 'X');
    assert.equal(report.rowsKept, 3);
    assert.deepEqual(seqOf(dataset, '1'), ['a']);
  });
});
