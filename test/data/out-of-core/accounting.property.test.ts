import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { prepareOutOfCore, readInteractions, type ColumnNames } from '../../../src/data/index.ts';
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

describe('row accounting (property): rows in = kept + rejected, codes as in memory', () => {
  const field = fc.constantFrom('a', 'b', 'c', '', ' ', 'x y', '7', '"q"');
  const ts = fc.constantFrom('1', '2', '2', '-1', 'NaN', '', '2016-01-01', '2016-02-31', '1e999');
  const row = fc.oneof({ weight: 8, arbitrary: fc.tuple(field, field, ts).map((r) => r.join(',')) }, fc.constantFrom('', 'a,b', 'a,b,1,2', 'user,item,ts'));
  it('holds on generated bad inputs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 40 }), async (rows) => {
        const p = file(['user,item,ts', 'seed,row,0', ...rows].join('\n') + '\n');
        const { report } = await readInteractions(p, { format: 'csv', columns: withTime });
        const r = await prepareOutOfCore(p, { format: 'csv', columns: withTime, outDir: t.path(`acc${n}`), sequenceText: false, threads: 1 });
        assert.equal(r.report.rowsIn, r.report.rowsKept + r.report.rowsRejected);
        assert.equal(r.report.rowsIn, report.rowsIn);
        assert.deepEqual(r.report.rejectedByCode, report.rejectedByCode);
      }),
      { numRuns: 8 },
    );
  });
});
