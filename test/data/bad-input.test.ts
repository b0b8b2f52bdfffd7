import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { ConfigError } from '../../src/core/errors.ts';
import { loadDataset, readDigineticaSessions, readInteractions, readRecBoleAtomic, readSequenceText } from '../../src/data/index.ts';
import { assertAccounting, assertNoTemp, assertRejectedFile, expectDataError, seqOf, tempDir } from './helpers.ts';

const t = tempDir();
after(() => t.cleanup());
let n = 0;
/** Writes a file in the test's temp dir and returns its path. */
function file(content: string | Buffer, ext = 'txt'): string {
  const p = t.path(`f${++n}.${ext}`);
  writeFileSync(p, content);
  return p;
}
const csvCols = { user: 'user', item: 'item', timestamp: 'ts' };

describe('files that cannot be read at all', () => {
  it('missing file', async () => {
    const p = t.path('nope.txt');
    await expectDataError(readSequenceText(p), { file: p, message: /not found/ });
    await expectDataError(readInteractions(p, { format: 'csv', columns: csvCols }), { file: p, message: /not found/ });
  });
  it('a directory instead of a file', async () => {
    const d = t.path('adir');
    mkdirSync(d);
    await expectDataError(readSequenceText(d), { file: d, message: /directory/ });
    await expectDataError(loadDataset(d, 'parquet', { columns: csvCols }), { file: d, message: /directory/ });
  });
  it('empty file (0 bytes), every format', async () => {
    const p = file('');
    await expectDataError(readSequenceText(p), { file: p, message: /empty/ });
    await expectDataError(readInteractions(p, { format: 'csv', columns: csvCols }), { file: p, message: /empty/ });
    await expectDataError(readInteractions(p, { format: 'jsonl', columns: csvCols }), { file: p, message: /empty/ });
    await expectDataError(readRecBoleAtomic(p), { file: p, message: /empty/ });
  });
  it('a file holding only a BOM has no rows', async () => {
    const p = file(Buffer.from([0xef, 0xbb, 0xbf]));
    await expectDataError(readSequenceText(p), { file: p, message: /no sequence rows/ });
  });
  it('header only', async () => {
    const p = file('user,item,ts\n', 'csv');
    const rej = t.path('header-only.rejected.jsonl');
    await expectDataError(readInteractions(p, { format: 'csv', columns: csvCols, rejectedPath: rej }), { file: p, message: /header but no data rows/ });
    assert.equal(existsSync(rej), false, 'a failed read leaves no rejected file');
    assertNoTemp(t.dir);
  });
  it('every row rejected: error names the first bad row, rejected file is complete', async () => {
    const p = file('1\n\nx 2\n');
    const rej = t.path('allbad.rejected.jsonl');
    await expectDataError(readSequenceText(p, { rejectedPath: rej }), { file: p, line: 1, field: 'items', message: /all 3 rejected/ });
    const rows = JSON.parse(`[${(await import('node:fs')).readFileSync(rej, 'utf-8').trim().split('\n').join(',')}]`);
    assert.deepEqual(rows.map((r: { code: string }) => r.code), ['too-few-tokens', 'empty-line', 'bad-id']);
    assertNoTemp(t.dir);
  });
  it('Parquet with the wrong schema names the missing column', async () => {
    const p = t.path('wrong.parquet');
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    await conn.run(`COPY (SELECT 1 AS uid, 2 AS item, 3.0 AS ts) TO '${p}' (FORMAT parquet)`);
    conn.closeSync();
    inst.closeSync();
    const rej = t.path('wrong.rejected.jsonl');
    const e = await expectDataError(readInteractions(p, { format: 'parquet', columns: csvCols, rejectedPath: rej }), { file: p, field: 'user', message: /no column 'user'.*uid/ });
    assert.doesNotMatch(e.message, /\n/);
    assert.equal(existsSync(rej), false);
  });
  it('a text file posing as Parquet: DuckDB error wrapped, one line', async () => {
    const p = file('this is not parquet\n', 'parquet');
    await expectDataError(readInteractions(p, { format: 'parquet', columns: csvCols }), { file: p, message: /DuckDB could not read/ });
  });
  it('wrong delimiter in the header: missing column with a hint', async () => {
    const p = file('user;item;ts\n1;2;3\n', 'csv');
    await expectDataError(readInteractions(p, { format: 'csv', columns: csvCols }), { file: p, line: 1, field: 'user', message: /delimiter/ });
  });
  it('RecBole file without name:type header', async () => {
    const p = file('user_id\titem_id\n1\t2\n', 'inter');
    await expectDataError(readRecBoleAtomic(p), { file: p, line: 1, message: /RecBole/ });
  });
  it('bad options are ConfigErrors, not data errors', async () => {
    const p = file('user,item\n1,2\n', 'csv');
    await assert.rejects(loadDataset(p, 'csv'), ConfigError);
    await assert.rejects(loadDataset(p, 'xml' as never), ConfigError);
    await assert.rejects(readInteractions(p, { format: 'csv', columns: { user: 'user', item: 'item' }, eventTypes: ['click'] }), ConfigError);
  });
});

describe('rows that are rejected with line, field and code', () => {
  it('wrong column count (csv), counted and written to the rejected file', async () => {
    const p = file('user,item,ts\n1,2,10\n1,3\n1,4,12,extra\n2,5,13\n', 'csv');
    const rej = t.path('colcount.rejected.jsonl');
    const { table, report } = await readInteractions(p, { format: 'csv', columns: csvCols, rejectedPath: rej });
    assertAccounting(report);
    assert.deepEqual([report.rowsIn, report.rowsKept, report.rowsRejected], [4, 2, 2]);
    assert.deepEqual(Array.from(table.lines), [2, 5]);
    const rows = assertRejectedFile(rej, report) as { line: number; code: string; field: string; file: string }[];
    assert.deepEqual(rows.map((r) => [r.line, r.code, r.field, r.file]), [
      [3, 'column-count', '*', p],
      [4, 'column-count', '*', p],
    ]);
  });
  it('non-numeric and negative ids (seqtxt, and csv with integer ids)', async () => {
    const p = file('1 10 11 12\n2 10 x1 12\n3 -4 5\n4 1.5 2\n');
    const { dataset, report } = await readSequenceText(p);
    assertAccounting(report);
    assert.equal(report.rowsKept, 1);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [
      [2, 'item[1]', 'bad-id'],
      [3, 'item[0]', 'bad-id'],
      [4, 'item[0]', 'bad-id'],
    ]);
    assert.match(report.sample[1]!.reason, /negative/);
    assert.deepEqual(seqOf(dataset, '1'), ['10', '11', '12']);
    const c = file('user,item\nabc,1\n7,2\n', 'csv');
    const r2 = await readInteractions(c, { format: 'csv', columns: { user: 'user', item: 'item' }, idType: 'integer' });
    assert.deepEqual(r2.report.sample.map((r) => [r.line, r.field, r.code]), [[2, 'user', 'bad-id']]);
  });
  it('NaN, empty, overflowing and negative timestamps', async () => {
    const p = file('user,item,ts\n1,2,NaN\n1,3,\n1,4,1e999\n1,5,-3\n1,6,Infinity\n1,7,2020-02-31\n1,8,2020-02-03\n1,9,7\n', 'csv');
    const { table, report } = await readInteractions(p, { format: 'csv', columns: csvCols });
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [
      [2, 'ts', 'bad-timestamp'],
      [3, 'ts', 'bad-timestamp'],
      [4, 'ts', 'bad-timestamp'],
      [5, 'ts', 'negative-timestamp'],
      [6, 'ts', 'bad-timestamp'],
      [7, 'ts', 'bad-timestamp'],
    ]);
    // ISO dates become Unix seconds (UTC), numbers are taken as written.
    assert.deepEqual(Array.from(table.timestamps!), [Date.UTC(2020, 1, 3) / 1000, 7]);
  });
  it('duplicate (user, item, timestamp) rows: the later copy is rejected and points to the first', async () => {
    const p = file('user,item,ts\n1,2,10\n1,3,11\n1,2,10\n1,2,12\n', 'csv');
    const { report } = await readInteractions(p, { format: 'csv', columns: csvCols });
    assertAccounting(report);
    assert.equal(report.rowsKept, 3);
    assert.deepEqual([report.sample[0]!.line, report.sample[0]!.code], [4, 'duplicate-row']);
    assert.match(report.sample[0]!.reason, /line 2/);
  });
  it('duplicate user lines in seqtxt: the second is rejected', async () => {
    const p = file('1 5 6\n2 7\n1 8 9\n');
    const { dataset, report } = await readSequenceText(p);
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [[3, 'user', 'duplicate-user']]);
    assert.deepEqual(seqOf(dataset, '1'), ['5', '6']);
  });
  it('BOM is removed transparently (seqtxt and csv header)', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const p = file(Buffer.concat([bom, Buffer.from('1 2 3\n2 3 4\n')]));
    const { dataset, report } = await readSequenceText(p);
    assert.equal(report.rowsRejected, 0);
    assert.deepEqual(dataset.userIds, ['1', '2']);
    const c = file(Buffer.concat([bom, Buffer.from('user,item,ts\n1,2,3\n')]), 'csv');
    const r = await readInteractions(c, { format: 'csv', columns: csvCols });
    assert.equal(r.report.rowsKept, 1);
  });
  it('CRLF line endings are transparent', async () => {
    const p = file('1 2 3\r\n2 3 4\r\n');
    const { dataset, report } = await readSequenceText(p);
    assert.equal(report.rowsRejected, 0);
    assert.deepEqual(seqOf(dataset, '1'), ['2', '3']);
    const c = file('user,item,ts\r\n1,2,3\r\n1,4,5\r\n', 'csv');
    const r = await readInteractions(c, { format: 'csv', columns: csvCols });
    assert.equal(r.report.rowsKept, 2);
    assert.deepEqual(Array.from(r.table.timestamps!), [3, 5]);
  });
  it('a 10 MB line is read; over the cap it is rejected without stopping the read', async () => {
    const items = Array.from({ length: 2_000_000 }, (_, i) => String((i % 50_000) + 1));
    const big = `7 ${items.join(' ')}`;
    assert.ok(big.length > 10_000_000);
    const p = file(`1 2 3\n${big}\n2 4 5\n`);
    const { dataset, report } = await readSequenceText(p);
    assert.equal(report.rowsKept, 3);
    assert.equal(dataset.sequences[1]!.length, 2_000_000);
    const capped = await readSequenceText(p, { maxLineBytes: 1_000_000 });
    assertAccounting(capped.report);
    assert.deepEqual(capped.report.sample.map((r) => [r.line, r.code]), [[2, 'line-too-long']]);
    assert.deepEqual(capped.dataset.userIds, ['1', '2']);
  });
  it('unknown event type', async () => {
    const p = file('user,item,ts,event\n1,2,3,click\n1,3,4,purchase\n1,4,5,hover\n1,5,6,\n', 'csv');
    const { table, report } = await readInteractions(p, { format: 'csv', columns: { ...csvCols, eventType: 'event' }, eventTypes: ['click', 'purchase'] });
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [
      [4, 'event', 'unknown-event-type'],
      [5, 'event', 'unknown-event-type'],
    ]);
    assert.deepEqual(table.eventTypes, ['click', 'purchase']);
  });
  it('latin-1 bytes: rejected as invalid UTF-8 naming the column, or read with encoding latin1', async () => {
    const p = file(Buffer.concat([Buffer.from('user,item,ts\n1,ok,3\n2,caf'), Buffer.from([0xe9]), Buffer.from(',4\n')]), 'csv');
    const { report } = await readInteractions(p, { format: 'csv', columns: csvCols });
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [[3, 'item', 'invalid-utf8']]);
    const r2 = await readInteractions(p, { format: 'csv', columns: csvCols, encoding: 'latin1' });
    assert.deepEqual(r2.table.items, ['ok', 'café']);
    const s = file(Buffer.concat([Buffer.from('1 2\n2 '), Buffer.from([0xff]), Buffer.from('\n')]));
    const r3 = await readSequenceText(s);
    assert.deepEqual(r3.report.sample.map((r) => [r.line, r.code]), [[2, 'invalid-utf8']]);
  });
  it('JSONL with a broken line, a non-object line and a blank line', async () => {
    const p = file('{"user":"a","item":"x","ts":1}\n{"user":"a","item":\n[1,2]\n\n{"user":"b","item":"y","ts":2}\n{"item":"z","ts":3}\n', 'jsonl');
    const { table, report } = await readInteractions(p, { format: 'jsonl', columns: csvCols });
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [
      [2, '*', 'bad-json'],
      [3, '*', 'bad-json'],
      [4, '*', 'empty-line'],
      [6, 'user', 'missing-id'],
    ]);
    assert.deepEqual(Array.from(table.lines), [1, 5]);
  });
  it('blank lines are counted rejections with their physical line numbers', async () => {
    const p = file('1 2 3\n\n   \n2 3 4\n\n');
    const { report } = await readSequenceText(p);
    assertAccounting(report);
    assert.equal(report.rowsIn, 5);
    assert.deepEqual(report.sample.map((r) => [r.line, r.code]), [
      [2, 'empty-line'],
      [3, 'empty-line'],
      [5, 'empty-line'],
    ]);
  });
  it('mixed delimiters in the body: column-count rejection', async () => {
    const p = file('user,item,ts\n1,2,3\n1;3;4\n1\t4\t5\n', 'csv');
    const { report } = await readInteractions(p, { format: 'csv', columns: csvCols });
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.code]), [
      [3, 'column-count'],
      [4, 'column-count'],
    ]);
  });
  it('ids with inner spaces are rejected; surrounding spaces are trimmed', async () => {
    const p = file('user,item,ts\n"a b",x,1\n  c  , y ,2\n', 'csv');
    const { table, report } = await readInteractions(p, { format: 'csv', columns: csvCols });
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [[2, 'user', 'bad-id']]);
    assert.deepEqual([table.users, table.items], [['c'], ['y']]);
  });
  it('huge numbers: integer ids stay exact strings; unsafe JSON numbers are rejected', async () => {
    const huge = '123456789012345678901234567890';
    const p = file(`${huge} 9007199254740993 0007\n`);
    const { dataset } = await readSequenceText(p);
    assert.deepEqual(dataset.userIds, [huge]);
    assert.deepEqual(seqOf(dataset, huge), ['9007199254740993', '7']);
    const j = file('{"user":1e20,"item":2,"ts":1}\n{"user":"1e20","item":2,"ts":1}\n', 'jsonl');
    const r = await readInteractions(j, { format: 'jsonl', columns: csvCols });
    assert.deepEqual(r.report.sample.map((x) => [x.line, x.field, x.code]), [[1, 'user', 'bad-id']]);
    assert.deepEqual(r.table.users, ['1e20']);
  });
  it('too few tokens on a seqtxt line', async () => {
    const p = file('1 2 3\n5\n');
    const { report } = await readSequenceText(p);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [[2, 'items', 'too-few-tokens']]);
  });
  it('quoted fields: a newline inside quotes keeps later line numbers physical; an unclosed quote rejects only its line', async () => {
    const p = file('user,item,ts,note\n1,2,3,"two\nlines"\n1,3,4,x\n1,"4,5,y\n1,5,6,z\n', 'csv');
    const { table, report } = await readInteractions(p, { format: 'csv', columns: csvCols });
    assertAccounting(report);
    assert.deepEqual(Array.from(table.lines), [2, 4, 6]);
    assert.deepEqual(report.sample.map((r) => [r.line, r.code]), [[5, 'unterminated-quote']]);
  });
  it('last line without a trailing newline is still read', async () => {
    const p = file('1 2\n2 3');
    const { report } = await readSequenceText(p);
    assert.equal(report.rowsKept, 2);
  });
  it('Parquet: null ids are rejected by row number; timestamps of TIMESTAMP type become seconds', async () => {
    const p = t.path('good.parquet');
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    await conn.run(
      `COPY (SELECT * FROM (VALUES (1, 'a', TIMESTAMP '2020-01-01 00:00:10'), (NULL, 'b', TIMESTAMP '2020-01-01 00:00:00'), (2, 'c', TIMESTAMP '2020-01-01 00:00:05')) v("user", item, ts)) TO '${p}' (FORMAT parquet)`,
    );
    conn.closeSync();
    inst.closeSync();
    const rej = t.path('good.rejected.jsonl');
    const { table, report } = await readInteractions(p, { format: 'parquet', columns: csvCols, rejectedPath: rej });
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [[2, 'user', 'missing-id']]);
    assert.deepEqual(table.users, ['1', '2']);
    assert.deepEqual(Array.from(table.timestamps!), [Date.UTC(2020, 0, 1, 0, 0, 10) / 1000, Date.UTC(2020, 0, 1, 0, 0, 5) / 1000]);
    assertRejectedFile(rej, report);
  });
  it('DIGINETICA: bad date and out-of-range timeframe', async () => {
    const p = file('session_id;user_id;item_id;timeframe;eventdate\n1;NA;5;10;2016-05-09\n1;NA;6;99999999999;2016-05-09\n2;NA;7;5;2016-13-01\n2;NA;8;5;2016-01-01\n', 'csv');
    const { table, report } = await readDigineticaSessions(p);
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [
      [3, 'timeframe', 'bad-timeframe'],
      [4, 'eventdate', 'bad-date'],
    ]);
    assert.deepEqual(table.users, ['1', '2']);
  });
  it('rejected file is replaced atomically and an empty one is written when nothing was rejected', async () => {
    const p = file('1 2\n2 3\n');
    const rej = t.path('none.rejected.jsonl');
    writeFileSync(rej, 'old content\n');
    const { report } = await readSequenceText(p, { rejectedPath: rej });
    assertRejectedFile(rej, report);
  });
});

describe('companion time file (seqtxt timesPath)', () => {
  it('mismatched counts and missing users are rejected rows; a malformed time file is an error', async () => {
    const items = file('1 5 6\n2 7 8\n3 9 9\n4 1 2\n');
    const times = file('1 10 20\n2 10\n4 5 x\n');
    const { dataset, report } = await readSequenceText(items, { timesPath: times });
    assertAccounting(report);
    assert.deepEqual(report.sample.map((r) => [r.line, r.field, r.code]), [
      [2, 'items', 'timestamp-mismatch'],
      [3, 'user', 'timestamp-mismatch'],
      [4, 'item[1]', 'timestamp-mismatch'],
    ]);
    assert.deepEqual(Array.from(dataset.timestamps![0]!), [10, 20]);
    const badTimes = file('1 10 20\nx 1\n');
    await expectDataError(readSequenceText(items, { timesPath: badTimes }), { file: badTimes, line: 2, field: 'user' });
  });
});
