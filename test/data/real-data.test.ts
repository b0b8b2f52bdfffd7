/** End-to-end on the shared datasets; each test skips when its file is absent. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { datasetStats, itemPopularity, kCoreFilter, leaveOneOutSplit, loadDataset, readDigineticaSessions, readRecBoleAtomic, readSequenceText, temporalSplit } from '../../src/data/index.ts';
import { assertAccounting, seqOf, sharedData } from './helpers.ts';

const beauty = sharedData('beauty/Beauty.txt');
const taobao = sharedData('taobao/Taobao.txt');
const ml = sharedData('ml-100k/ml-100k.inter');
const digi = sharedData('diginetica-sample/sample_train-item-views.csv');
const skip = (p: string) => (existsSync(p) ? false : `${p} not present`);

describe('real datasets', () => {
  it('Beauty.txt: 22,363 users, 12,101 items, 198,502 interactions; leave-one-out', { skip: skip(beauty) }, async () => {
    const { dataset, report } = await readSequenceText(beauty);
    assertAccounting(report);
    assert.deepEqual([report.rowsIn, report.rowsKept, report.rowsRejected], [22363, 22363, 0]);
    const st = datasetStats(dataset);
    assert.deepEqual([st.users, st.items, st.interactions, st.minLength, st.maxLength, st.medianLength], [22363, 12101, 198502, 5, 204, 6]);
    assert.equal(dataset.checksum, createHash('sha256').update(readFileSync(beauty)).digest('hex'));
    // The file's ids are already 1..n in order of first appearance, so dense ids are the identity.
    assert.ok(dataset.itemIds.every((x, i) => i === 0 || x === String(i)));
    assert.deepEqual(seqOf(dataset, '1'), ['1', '2', '3', '4', '5']);
    const sp = leaveOneOutSplit(dataset);
    assert.equal(sp.valid.length, 22363);
    assert.equal(sp.test.length, 22363);
    assert.equal(sp.train.interactionCount, 198502 - 2 * 22363);
    assert.deepEqual([sp.test[0]!.target, sp.valid[0]!.target, Array.from(sp.train.sequence(0))], [5, 4, [1, 2, 3]]);
    const pop = itemPopularity(sp.train);
    assert.equal(pop.reduce((a, b) => a + b, 0), sp.train.interactionCount);
    // Beauty is already 5-core: filtering again removes nothing.
    const kc = kCoreFilter(dataset, 5);
    assert.deepEqual([kc.removedUsers, kc.removedItems, kc.removedInteractions], [0, 0, 0]);
  });

  it('Taobao.txt: repeated items are kept', { skip: skip(taobao) }, async () => {
    const { dataset, report } = await loadDataset(taobao, 'seqtxt');
    assertAccounting(report);
    const st = datasetStats(dataset);
    assert.deepEqual([st.users, st.items, st.interactions, st.usersWithRepeats], [47703, 53324, 637165, 14028]);
    const dedup = await loadDataset(taobao, 'seqtxt', { dedupe: 'all' });
    assert.ok(datasetStats(dedup.dataset).interactions < 637165);
    assert.equal(datasetStats(dedup.dataset).usersWithRepeats, 0);
  });

  it('ml-100k.inter: 100,000 rows kept, sorted by time', { skip: skip(ml) }, async () => {
    const { table, report } = await readRecBoleAtomic(ml);
    assertAccounting(report);
    assert.deepEqual([report.rowsIn, report.rowsKept, report.rowsRejected], [100000, 100000, 0]);
    assert.equal(table.lines[0], 2);
    const { dataset } = await loadDataset(ml, 'recbole');
    const st = datasetStats(dataset);
    assert.deepEqual([st.users, st.items, st.interactions], [943, 1682, 100000]);
    for (const ts of dataset.timestamps!) for (let j = 1; j < ts.length; j++) assert.ok(ts[j]! >= ts[j - 1]!);
    const sp = temporalSplit(dataset, { validFraction: 0.1, testFraction: 0.1 });
    assert.ok(sp.train.interactionCount <= 80000 && sp.train.interactionCount > 75000);
  });

  it('DIGINETICA sample: 12,391 rows kept, 2,986 sessions', { skip: skip(digi) }, async () => {
    const { report } = await readDigineticaSessions(digi);
    assertAccounting(report);
    assert.deepEqual([report.rowsIn, report.rowsKept], [12391, 12391]);
    const { dataset } = await loadDataset(digi, 'diginetica');
    const st = datasetStats(dataset);
    assert.deepEqual([st.users, st.items, st.interactions], [2986, 7139, 12391]);
    // Session 1 ordered by timeframe (all rows share one eventdate).
    const lines = readFileSync(digi, 'utf-8').split('\n').slice(1).filter((l) => l.startsWith('1;'));
    const expected = lines.map((l) => l.split(';')).sort((a, b) => Number(a[3]) - Number(b[3])).map((f) => f[2]);
    assert.deepEqual(seqOf(dataset, '1'), expected);
    const sp = leaveOneOutSplit(dataset);
    assert.equal(sp.summary!.shortUsers + sp.summary!.evaluatedUsers, 2986);
  });
});

const beautyItems = sharedData('beauty-time/Beauty_item.txt');
const beautyTimes = sharedData('beauty-time/Beauty_time.txt');
describe('Beauty with timestamps (TiCoSeRec files)', () => {
  it('items + companion time file: same counts, non-decreasing times, temporal split works', { skip: skip(beautyItems) || skip(beautyTimes) }, async () => {
    const { dataset, report } = await readSequenceText(beautyItems, { timesPath: beautyTimes });
    assertAccounting(report);
    assert.equal(report.rowsRejected, 0);
    const st = datasetStats(dataset);
    assert.deepEqual([st.users, st.items, st.interactions], [22363, 12101, 198502]);
    for (const ts of dataset.timestamps!) for (let j = 1; j < ts.length; j++) assert.ok(ts[j]! >= ts[j - 1]!);
    const sp = temporalSplit(dataset, { validFraction: 0.1, testFraction: 0.1 });
    assert.ok(sp.test.length > 0 && sp.valid.length > 0);
  });
});
