import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { interactionsToSequences, kCoreFilter, prepareOutOfCore, readInteractions, readPreparedDataset, type ColumnNames, type InteractionFormat } from '../../../src/data/index.ts';
import { expectDataError, tempDir } from '../helpers.ts';

const t = tempDir();
after(() => t.cleanup());
let n = 0;
const cols: ColumnNames = { user: 'user', item: 'item', timestamp: 'ts' };

/** (line, field, code) of each rejection in a rejected JSONL file, sorted (duplicates come last out of core). */
function rejections(path: string): string[] {
  return readFileSync(path, 'utf-8')
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { line: number; field: string; code: string; reason: string })
    .map((r) => `${r.line}|${r.field}|${r.code}|${r.reason}`)
    .sort();
}

/** Prepares `path` out of core and checks accounting, rejections and the dataset against the in-memory reader. */
async function sameAsInMemory(path: string, format: InteractionFormat, k = 1): Promise<void> {
  const refRejected = t.path(`ref-rej${++n}.jsonl`);
  const ref = await readInteractions(path, { format, columns: cols, rejectedPath: refRejected });
  const want = kCoreFilter(interactionsToSequences(ref.table, { name: 'x' }), k).dataset;
  const out = t.path(`out${n}`);
  const rejected = t.path(`rej${n}.jsonl`);
  const r = await prepareOutOfCore(path, { format, columns: cols, outDir: out, kCore: k, threads: 1, rejectedPath: rejected, memoryLimit: '128MB' });
  assert.equal(r.report.rowsIn, ref.report.rowsIn);
  assert.equal(r.report.rowsKept, ref.report.rowsKept);
  assert.deepEqual(r.report.rejectedByCode, ref.report.rejectedByCode);
  assert.deepEqual(rejections(rejected), rejections(refRejected));
  const back = (await readPreparedDataset(out)).dataset;
  assert.deepEqual(back.userIds, want.userIds);
  assert.deepEqual(back.itemIds, want.itemIds);
  assert.deepEqual(back.sequences.map((s) => Array.from(s)), want.sequences.map((s) => Array.from(s)));
  assert.deepEqual(back.timestamps?.map((s) => Array.from(s)), want.timestamps?.map((s) => Array.from(s)));
}

describe('out-of-core JSONL and Parquet logs: the in-memory readers\' rules and accounting', () => {
  it('JSONL: bad JSON, non-objects, missing and bad fields are counted rejections with their line numbers', async () => {
    const lines = [
      '{"user":"a","item":"x","ts":3}',
      '{"user":"a","item":"y","ts":"2016-01-01T00:00:05Z"}',
      '{"user":"a","item":"x","ts":3}', // duplicate of line 1
      'not json',
      '[1,2,3]',
      '',
      '{"item":"z","ts":1}', // no user
      '{"user":"b","item":"z"}', // no timestamp
      '{"user":"b","item":"z","ts":-4}',
      '{"user":"b","item":"z","ts":"soon"}',
      '{"user":7,"item":8,"ts":1}', // numeric ids are ids
      '{"user":9007199254740993,"item":"q","ts":1}', // precision lost: rejected
      '{"user":"b","item":"it em","ts":2}',
      '{"user":"b","item":"w","ts":2,"extra":true}',
      '{"user":"b","item":"v","ts":1}',
      '{"user":"c","item":"x","ts":1}',
    ];
    const p = t.path('log.jsonl');
    writeFileSync(p, lines.join('\n') + '\n');
    await sameAsInMemory(p, 'jsonl');
  });

  it('Parquet: nulls, bad ids and a TIMESTAMP column, rows numbered from 1', async () => {
    const p = t.path('log.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT * FROM (VALUES
      ('a', 'x', TIMESTAMP '2020-01-01 00:00:03'), ('a', 'y', TIMESTAMP '2020-01-01 00:00:01'), (NULL, 'y', TIMESTAMP '2020-01-01'),
      ('b', 'x y', TIMESTAMP '2020-01-02'), ('b', 'x', NULL), ('b', 'z', TIMESTAMP '2020-01-03'), ('a', 'x', TIMESTAMP '2020-01-01 00:00:03'),
      ('c', 'z', TIMESTAMP '2019-12-31'), ('c', 'x', TIMESTAMP '2019-12-30')) AS v(user, item, ts)) TO '${p}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    await sameAsInMemory(p, 'parquet');
  });

  it('a k-core over a JSONL log gives the in-memory survivors', async () => {
    const rows: string[] = [];
    for (let u = 0; u < 300; u++) for (let j = 0; j < 3 + (u % 5); j++) rows.push(JSON.stringify({ user: `u${u}`, item: `i${(u * 7 + j * 13) % 97}`, ts: (u * 31 + j * 17) % 1000 }));
    rows.splice(50, 0, '{"user": "broken"');
    const p = t.path('kcore.jsonl');
    writeFileSync(p, rows.join('\n') + '\n');
    await sameAsInMemory(p, 'jsonl', 3);
  });

  it('a Parquet file without a configured column is a DataValidationError naming it', async () => {
    const p = t.path('nocol.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT 'a' AS user, 'x' AS item) TO '${p}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    await expectDataError(prepareOutOfCore(p, { format: 'parquet', columns: cols, outDir: t.path('nocol'), threads: 1 }), { file: p, field: 'ts', message: /no column 'ts'/ });
  });
});
