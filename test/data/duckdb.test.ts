import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { DataValidationError } from '../../src/core/index.ts';
import { jsonlToParquet, parquetColumns, quoteIdentifier, readInteractions, readTable, streamParquet, tableFromRows, withDuckDB, writeTable } from '../../src/data/index.ts';
import { expectDataError, tempDir } from './helpers.ts';

const tmp = tempDir('samplify-duckdb-');
// A folder whose name would break hand-quoted SQL: a single quote, a double quote and a semicolon.
const odd = tmp.path(`it's "odd"; DROP TABLE x`);
mkdirSync(odd, { recursive: true });

test('a path with quote characters: Parquet written, described, streamed and read back', async () => {
  const p = `${odd}/t'able.parquet`;
  const table = tableFromRows(["it's", 'say "hi"', 'flag'], [
    [1, 'a', true],
    [2, null, false],
  ]);
  await writeTable(table, p);
  assert.ok(existsSync(p));
  const cols = await withDuckDB(p, (conn) => parquetColumns(conn, p));
  assert.deepEqual(cols, [
    { name: "it's", type: 'BIGINT' },
    { name: 'say "hi"', type: 'VARCHAR' },
    { name: 'flag', type: 'BOOLEAN' },
  ]);
  const seen: unknown[][] = [];
  await withDuckDB(p, (conn) =>
    streamParquet(conn, p, `${quoteIdentifier("it's")}, ${quoteIdentifier('say "hi"')}`, (columns, n) => {
      for (let r = 0; r < n; r++) seen.push([columns[0]![r], columns[1]![r]]);
    }),
  );
  assert.deepEqual(seen, [[1n, 'a'], [2n, null]]);
  const back = await readTable(p);
  assert.deepEqual(back.table.columns, ["it's", 'say "hi"', 'flag']);
  assert.deepEqual(back.table.data["it's"], [1, 2]);
  assert.deepEqual(back.table.data['say "hi"'], ['a', null]);
  assert.deepEqual(back.table.data.flag, [true, false]);
});

test('an empty table keeps its schema through Parquet', async () => {
  const p = `${odd}/empty.parquet`;
  await writeTable({ columns: ['a', 'b'], rowCount: 0, data: { a: [], b: [] } }, p);
  const cols = await withDuckDB(p, (conn) => parquetColumns(conn, p));
  assert.deepEqual(cols.map((c) => c.name), ['a', 'b']);
});

test('jsonlToParquet infers columns when none are given (the augment output path)', async () => {
  const jsonl = `${odd}/rows'.jsonl`;
  const out = `${odd}/rows'.parquet`;
  writeFileSync(jsonl, '{"user":"u1","items":[1,2]}\n{"user":"u2","items":[3]}\n');
  await withDuckDB(out, (conn) => jsonlToParquet(conn, jsonl, out));
  const cols = await withDuckDB(out, (conn) => parquetColumns(conn, out));
  assert.deepEqual(cols.map((c) => c.name), ['user', 'items']);
});

test('interactions from Parquet under a quoted path; a missing declared column names file and field', async () => {
  const p = `${odd}/inter'.parquet`;
  await writeTable(tableFromRows(['uid', 'item', 'ts'], [['u1', 'i1', 1], ['u1', 'i2', 2]]), p);
  const ok = await readInteractions(p, { format: 'parquet', columns: { user: 'uid', item: 'item', timestamp: 'ts' } });
  assert.equal(ok.report.rowsKept, 2);
  const e = await expectDataError(readInteractions(p, { format: 'parquet', columns: { user: 'user', item: 'item' } }), { file: p, field: 'user', message: /no column 'user'/ });
  assert.doesNotMatch(e.message, /\n/);
  await expectDataError(readTable(p, { columns: ['uid', 'nope'] }), { file: p });
});

test('DuckDB failures become one-line DataValidationErrors naming the file', async () => {
  const p = `${odd}/not'parquet.parquet`;
  writeFileSync(p, 'this is not parquet\n');
  const e = await expectDataError(
    withDuckDB(p, (conn) => parquetColumns(conn, p)),
    { file: p, message: /DuckDB could not read/ },
  );
  assert.ok(e instanceof DataValidationError);
  assert.doesNotMatch(e.message, /\n/);
});

test('quoteIdentifier doubles inner double quotes', () => {
  assert.equal(quoteIdentifier('a'), '"a"');
  assert.equal(quoteIdentifier('say "hi"'), '"say ""hi"""');
});

test.after(() => tmp.cleanup());
