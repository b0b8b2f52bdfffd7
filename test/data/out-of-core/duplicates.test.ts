import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareOutOfCore, readInteractions, type ColumnNames } from '../../../src/data/index.ts';
import { tempDir } from '../helpers.ts';

const t = tempDir();
after(() => t.cleanup());
let n = 0;

/** Duplicate rejections (line: reason) of the out-of-core path, after checking its counts against readInteractions. */
async function duplicates(csv: string, columns: ColumnNames, filterBitsLog2?: number): Promise<string[]> {
  const p = t.path(`in${++n}.csv`);
  writeFileSync(p, csv);
  const { report } = await readInteractions(p, { format: 'csv', columns });
  const rejected = t.path(`rej${n}.jsonl`);
  const r = await prepareOutOfCore(p, { format: 'csv', columns, outDir: t.path(`out${n}`), threads: 1, rejectedPath: rejected, ...(filterBitsLog2 !== undefined ? { filterBitsLog2 } : {}) });
  assert.equal(r.report.rowsKept, report.rowsKept);
  assert.deepEqual(r.report.rejectedByCode, report.rejectedByCode);
  const lines = readFileSync(rejected, 'utf-8').trimEnd().split('\n');
  return lines.map((l) => JSON.parse(l) as { line: number; code: string; reason: string }).filter((x) => x.code === 'duplicate-row').map((x) => `${x.line}: ${x.reason}`);
}

describe('out-of-core duplicates through the repeated-key filter', () => {
  it('an event column is part of the key; events with a tab or a backslash too (staged as JSON or as text)', async () => {
    const csv = ['user,item,ts,ev', 'a,x,1,click', 'a,x,1,buy', 'a,x,1,click', 'a,y,2,"c\tk"', 'a,y,2,"c\tk"', 'a,y,2,c\\k', 'a,y,2,"c\\k"', 'b,x,3,click', 'b,x,3,buy', 'b,x,3,buy'].join('\n') + '\n';
    const cols: ColumnNames = { user: 'user', item: 'item', timestamp: 'ts', eventType: 'ev' };
    const want = [
      '4: duplicate of line 2 (same user, item, timestamp, event type)',
      '6: duplicate of line 5 (same user, item, timestamp, event type)',
      '8: duplicate of line 7 (same user, item, timestamp, event type)',
      '11: duplicate of line 10 (same user, item, timestamp, event type)',
    ];
    assert.deepEqual(await duplicates(csv, cols), want);
    assert.deepEqual(await duplicates(csv, cols, 5), want);
  });
  it('text ids and fractional timestamps (VARCHAR and DOUBLE columns): equal values are equal keys however they were written', async () => {
    const csv = ['user,item,ts', 'u1,i1,1.5', '"u1",i1,1.5', 'u1,i1,1.50', 'u1,i1,15e-1', 'u2,007,2', 'u2,7,2', 'u2,007,2.0'].join('\n') + '\n';
    const want = ['3: duplicate of line 2 (same user, item, timestamp)', '4: duplicate of line 2 (same user, item, timestamp)', '5: duplicate of line 2 (same user, item, timestamp)', '8: duplicate of line 6 (same user, item, timestamp)'];
    assert.deepEqual(await duplicates(csv, { user: 'user', item: 'item', timestamp: 'ts' }), want);
    assert.deepEqual(await duplicates(csv, { user: 'user', item: 'item', timestamp: 'ts' }, 5), want);
  });
});
