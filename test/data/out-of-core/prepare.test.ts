import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { generateInteractionLog, LOG_PRESETS, interactionsToSequences, kCoreFilter, leaveOneOutSplit, prepareOutOfCore, temporalSplit, readInteractions, readPreparedDataset, type ColumnNames, type SequenceDataset } from '../../../src/data/index.ts';
import type { OutOfCoreOptions } from '../../../src/data/out-of-core/index.ts';
import { tempDir } from '../helpers.ts';

const t = tempDir();
after(() => t.cleanup());
let n = 0;
function file(content: string): string {
  const p = t.path(`in${++n}.csv`);
  writeFileSync(p, content);
  return p;
}
const withTime: ColumnNames = { user: 'user', item: 'item', timestamp: 'ts' };

/** The in-memory path: readInteractions → interactionsToSequences → kCoreFilter → leaveOneOutSplit. */
async function inMemory(path: string, columns: ColumnNames, k: number) {
  const { table, report } = await readInteractions(path, { format: 'csv', columns });
  const dataset = kCoreFilter(interactionsToSequences(table, { name: 'x' }), k).dataset;
  return { dataset, report, split: leaveOneOutSplit(dataset) };
}

function sameDataset(a: SequenceDataset, b: SequenceDataset): void {
  assert.deepEqual(b.userIds, a.userIds);
  assert.deepEqual(b.itemIds, a.itemIds);
  assert.deepEqual(b.sequences.map((s) => Array.from(s)), a.sequences.map((s) => Array.from(s)));
  if (a.timestamps) assert.deepEqual(b.timestamps?.map((s) => Array.from(s)), a.timestamps.map((s) => Array.from(s)));
}

/** Checks the out-of-core folder against the in-memory path, row for row and split for split. */
async function compare(path: string, columns: ColumnNames, k: number, memoryLimit = '256MB', threads = 1, extra: Partial<OutOfCoreOptions> = {}): Promise<void> {
  const ref = await inMemory(path, columns, k);
  const out = t.path(`out${++n}`);
  const r = await prepareOutOfCore(path, { format: 'csv', columns, outDir: out, kCore: k, memoryLimit, threads, ...extra });
  assert.equal(r.report.rowsIn, ref.report.rowsIn);
  assert.equal(r.report.rowsKept, ref.report.rowsKept);
  assert.deepEqual(r.report.rejectedByCode, ref.report.rejectedByCode);
  const back = await readPreparedDataset(out);
  sameDataset(ref.dataset, back.dataset);
  assert.deepEqual(r.split, ref.split.summary);
  // Parts: the split's train prefix, valid target and test target per user.
  for (let u = 0; u < ref.dataset.sequences.length; u++) {
    const parts = back.parts[u]!;
    const train = ref.split.train.sequence(u);
    assert.equal(parts.filter((p) => p === 'train').length, train.length, `user ${u}`);
  }
  for (const c of ref.split.test) assert.equal(back.parts[c.user]!.at(-1), 'test');
  for (const c of ref.split.valid) assert.equal(back.parts[c.user]!.at(-2), 'valid');
  // sequences.txt is writeSequenceText's format.
  const lines = readFileSync(`${out}/sequences.txt`, 'utf-8').trimEnd().split('\n');
  assert.deepEqual(lines, ref.dataset.sequences.map((s, u) => [ref.dataset.userIds[u], ...Array.from(s, (i) => ref.dataset.itemIds[i])].join(' ')));
}

describe('out-of-core prepare = the in-memory path', () => {
  it('a real slice: the first 400 Taobao users as user,item rows (no timestamps), 3-core', async () => {
    const rows = readFileSync('../shared/data/taobao/Taobao.txt', 'utf-8').split('\n').slice(0, 400);
    const csv = ['user,item', ...rows.flatMap((l) => l.trim().split(' ').slice(1).map((i) => `${l.split(' ')[0]},${i}`))].join('\n');
    await compare(file(csv + '\n'), { user: 'user', item: 'item' }, 3);
  });
  it('a real slice of Beauty with synthetic timestamps that reverse each sequence and tie', async () => {
    const rows = readFileSync('../shared/data/beauty/Beauty.txt', 'utf-8').split('\n').slice(0, 300);
    const out = ['user,item,ts'];
    for (const l of rows) {
      const [u, ...items] = l.trim().split(' ');
      items.forEach((i, j) => out.push(`${u},${i},${1000 - Math.floor(j / 2)}`));
    }
    await compare(file(out.join('\n') + '\n'), withTime, 2);
  });
  it('temporal split: the same cuts, cases and cold-start skips as temporalSplit', async () => {
    const rows = readFileSync('../shared/data/beauty/Beauty.txt', 'utf-8').split('\n').slice(0, 300);
    const out = ['user,item,ts'];
    rows.forEach((l, u) => {
      const [user, ...items] = l.trim().split(' ');
      items.forEach((i, j) => out.push(`${user},${i},${(u * 37) % 500 + j * 3}`));
    });
    const p = file(out.join('\n') + '\n');
    const ref = await inMemory(p, withTime, 1);
    const want = temporalSplit(ref.dataset, { validFraction: 0.1, testFraction: 0.1 });
    const dir = t.path(`temporal${++n}`);
    const r = await prepareOutOfCore(p, { format: 'csv', columns: withTime, outDir: dir, split: { kind: 'temporal', validFraction: 0.1, testFraction: 0.1 }, threads: 1 });
    assert.deepEqual(r.split, want.summary);
    const back = await readPreparedDataset(dir);
    sameDataset(ref.dataset, back.dataset);
    const cases = (part: string) => back.parts.flatMap((ps, u) => ps.flatMap((x, j) => (x === part ? [`${u}:${back.dataset.sequences[u]![j]}:${j}`] : [])));
    assert.deepEqual(cases('valid'), want.valid.map((c) => `${c.user}:${c.target}:${c.history.length}`));
    assert.deepEqual(cases('test'), want.test.map((c) => `${c.user}:${c.target}:${c.history.length}`));
    for (let u = 0; u < back.parts.length; u++) assert.equal(back.parts[u]!.filter((x) => x === 'train').length, want.train.sequence(u).length);
  });
  it('bad rows: the same codes and counts as readInteractions', async () => {
    const csv = ['user,item,ts', 'a,x,1', 'a,y,2', 'a,x,1', ',x,3', 'b,it em,4', 'b,x,yesterday', 'b,y,-5', 'b,z', '', 'user,item,ts', 'b,x,9', 'b,y,8', 'b,z,7', 'c,"q",1', 'a,z,0'].join('\n');
    await compare(file(csv + '\n'), withTime, 1);
  });
  it('a row with two or more copies: every copy rejected as a duplicate of the first line', async () => {
    const csv = ['user,item,ts', 'a,x,1', 'a,x,1', 'b,y,2', 'a,x,1', 'b,y,2', 'a,z,3', 'a,x,1', 'b,z,1'].join('\n');
    const p = file(csv + '\n');
    await compare(p, withTime, 1);
    const rejected = t.path(`dups${++n}.jsonl`);
    await prepareOutOfCore(p, { format: 'csv', columns: withTime, outDir: t.path(`dups${n}`), threads: 1, rejectedPath: rejected });
    const got = readFileSync(rejected, 'utf-8').trimEnd().split('\n').map((l) => JSON.parse(l) as { line: number; reason: string });
    assert.deepEqual(got.map((r) => `${r.line}: ${r.reason}`), [3, 5, 6, 8].map((l) => `${l}: duplicate of line ${l === 6 ? 4 : 2} (same user, item, timestamp)`));
  });
  it('duplicates through the repeated-key filter: a 32-bit filter (nearly every key a suspect) gives the same result', async () => {
    const rows = ['user,item,ts'];
    for (let u = 0; u < 60; u++) for (let j = 0; j < 12; j++) rows.push(`u${u},i${(u * 7 + j * 3) % 41},${(u * 13 + j) % 9}${j % 4 === 0 ? '.5' : ''}`);
    // Copies of earlier rows, some two or three times, some far from their first line.
    for (let c = 0; c < 90; c++) rows.push(rows[1 + ((c * 37) % (rows.length - 1))]!);
    const p = file(rows.join('\n') + '\n');
    const rejected: string[] = [];
    for (const extra of [{}, { filterBitsLog2: 5 }, { filterBitsLog2: 6 }] as Partial<OutOfCoreOptions>[]) {
      await compare(p, withTime, 2, '256MB', 1, extra);
      const path = t.path(`rej${++n}.jsonl`);
      await prepareOutOfCore(p, { format: 'csv', columns: withTime, outDir: t.path(`filtered${n}`), threads: 1, rejectedPath: path, ...extra });
      rejected.push(readFileSync(path, 'utf-8'));
    }
    assert.ok(rejected[0]!.includes('duplicate of line'));
    assert.equal(rejected[1], rejected[0]);
    assert.equal(rejected[2], rejected[0]);
  });
  it('a tiny memory limit (spilling to disk) gives the same result', async () => {
    const rows = ['user,item,ts'];
    for (let u = 0; u < 3000; u++) for (let j = 0; j < 8; j++) rows.push(`u${u},i${(u * 7 + j * 13) % 997},${(u * 31 + j * 17) % 5000}`);
    await compare(file(rows.join('\n') + '\n'), withTime, 2, '64MB');
  });
  it('ids a CSV writer would quote or escape, users with one item, leading zeros kept apart', async () => {
    const csv = ['user,item,ts', '"a""b",x,1', 'c,"x,y",2', 'é,\\,3', '007,1,4', '7,1,5', 'solo,only,6', 'c,"q""",7', 'z,x,8'].join('\n');
    await compare(file(csv + '\n'), withTime, 1);
  });
  it('integer ids: held as BIGINT up to 18 digits, as text from 19 (same result either way)', async () => {
    const rows = (big: string) => ['user,item,ts', `${big},5,1`, '0,5,2', `${big},6,3`, '12,6,4', '12,5,0', '0,6,9', `${big},7,2`].join('\n') + '\n';
    await compare(file(rows('123456789012345678')), withTime, 1);
    await compare(file(rows('1234567890123456789')), withTime, 1);
  });
  it('a generated log of 150,000 rows on two threads (several row groups sorted in parallel), 5-core', async () => {
    const p = t.path(`gen${++n}.csv`);
    generateInteractionLog(p, { preset: LOG_PRESETS.taobao, rows: 150_000, seed: 3, badRowShare: 0.01 });
    await compare(p, { user: 'user', item: 'item', timestamp: 'timestamp' }, 5, '256MB', 2);
  });
});
