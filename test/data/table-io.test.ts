import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { readTable, writeTable, tableFromRows, type Table } from '../../src/data/index.ts';
import { ConfigError } from '../../src/core/index.ts';
import { expectDataError, sharedData, tempDir } from './helpers.ts';

const tmp = tempDir('samplify-table-');

test('CSV: types per column, nulls, quoting, and every bad row accounted for with line and field', async () => {
  const file = tmp.path('t.csv');
  writeFileSync(
    file,
    [
      'id,price,zip,label,note',
      '1,9.5,02139,true,"a, quoted ""note"""',
      '2,,10001,false,plain',
      '3,7,NA,true',            // column-count
      '4,NaN,10002,false,x',     // non-finite in a numeric column
      '',                        // empty line
      '5,1e3,10003,TRUE,"multi',
      'line"',
      '6,inf,10004,false,y',     // non-finite
    ].join('\n') + '\n',
  );
  const rejected = tmp.path('rej.jsonl');
  const r = await readTable(file, { rejectedPath: rejected });
  assert.equal(r.report.rowsIn, r.report.rowsKept + r.report.rowsRejected);
  assert.equal(r.report.rowsIn, 7);
  assert.equal(r.report.rowsKept, 3);
  assert.deepEqual(r.report.rejectedByCode, { 'column-count': 1, 'non-finite': 2, 'empty-line': 1 });
  const nonFinite = r.report.sample.filter((s) => s.code === 'non-finite');
  assert.deepEqual(nonFinite.map((s) => [s.line, s.field]), [[5, 'price'], [9, 'price']]);
  assert.deepEqual(r.table.columns, ['id', 'price', 'zip', 'label', 'note']);
  assert.deepEqual(r.table.data.id, [1, 2, 5]);
  assert.deepEqual(r.table.data.price, [9.5, null, 1000]);
  assert.deepEqual(r.table.data.zip, ['02139', '10001', '10003'], 'a leading zero keeps the column as text');
  assert.deepEqual(r.table.data.note, ['a, quoted "note"', 'plain', 'multi\nline']);
  assert.deepEqual([...r.lines], [2, 3, 7]);
  const rejLines = readFileSync(rejected, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number });
  assert.equal(rejLines.length, 4);
});

test('RecBole atomic header: types stripped from names, float columns must be numbers', async () => {
  const file = tmp.path('x.user');
  writeFileSync(file, 'user_id:token\tage:token\tscore:float\tgenres:token_seq\n1\t24\t0.5\tA B\n2\t30\tabc\tC\n3\t41\t2\t7\n');
  const r = await readTable(file);
  assert.deepEqual(r.table.columns, ['user_id', 'age', 'score', 'genres']);
  assert.deepEqual(r.table.data.age, [24, 41]);
  assert.deepEqual(r.table.data.genres, ['A B', '7'], 'token_seq stays text');
  assert.equal(r.report.rejectedByCode['bad-number'], 1);
  assert.equal(r.report.sample[0]!.line, 3);
  assert.equal(r.report.sample[0]!.field, 'score');
  await expectDataError(readTable(file, { format: 'recbole', columns: ['nope'] }), { field: 'nope' });
});

test('JSONL: typed values, absent keys are null, bad lines rejected', async () => {
  const file = tmp.path('t.jsonl');
  writeFileSync(file, '{"a":1,"b":"x"}\n{"b":"y","c":true}\nnot json\n{"a":{"nested":1}}\n[1,2]\n');
  const r = await readTable(file);
  assert.deepEqual(r.table.columns, ['a', 'b', 'c']);
  assert.deepEqual(r.table.data.a, [1, null]);
  assert.deepEqual(r.table.data.c, [null, true]);
  assert.equal(r.report.rowsIn, 5);
  assert.deepEqual(r.report.rejectedByCode, { 'bad-json': 2, 'bad-value': 1 });
});

test('write → read round-trips CSV, JSONL and Parquet; writes are atomic (no temp files left)', async () => {
  const t: Table = tableFromRows(['id', 'x', 'cat', 'flag', 'when'], [
    [1, 0.25, 'a,b', true, '2020-01-02'],
    [2, null, 'say "hi"', false, null],
    [3, -7, null, null, '2021-03-04T05:06:07Z'],
  ]);
  for (const ext of ['csv', 'jsonl', 'parquet']) {
    const p = tmp.path(`rt.${ext}`);
    await writeTable(t, p);
    const r = await readTable(p);
    assert.deepEqual(r.table.columns, t.columns, ext);
    assert.deepEqual(r.table.data.x, [0.25, null, -7], ext);
    assert.deepEqual(r.table.data.cat, ['a,b', 'say "hi"', null], ext);
    assert.equal(r.report.rowsKept, 3, ext);
  }
  const pq = await readTable(tmp.path('rt.parquet'));
  assert.deepEqual(pq.table.data.flag, [true, false, null]);
  assert.equal(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp')).length, 0);
  await assert.rejects(writeTable(t, tmp.path('x.inter')), ConfigError);
});

test('unreadable inputs are DataValidationErrors naming the file', async () => {
  await expectDataError(readTable(tmp.path('missing.csv')), { message: /not found/ });
  const headerOnly = tmp.path('h.csv');
  writeFileSync(headerOnly, 'a,b\n');
  await expectDataError(readTable(headerOnly), { message: /no data rows/ });
  const dup = tmp.path('d.csv');
  writeFileSync(dup, 'a,a\n1,2\n');
  await expectDataError(readTable(dup), { field: 'a', line: 1 });
  await assert.rejects(readTable(tmp.path('x.weird')), ConfigError);
});

const userFile = sharedData('ml-100k/ml-100k.user');
test('ml-100k users: 943 rows, all kept, age numeric, zip codes text', { skip: !existsSync(userFile) && 'no ../shared/data' }, async () => {
  const r = await readTable(userFile);
  assert.equal(r.report.rowsIn, 943);
  assert.equal(r.report.rowsKept, 943);
  assert.deepEqual(r.table.columns, ['user_id', 'age', 'gender', 'occupation', 'zip_code']);
  assert.equal(typeof r.table.data.age![0], 'number');
  assert.equal(typeof r.table.data.zip_code![0], 'string');
});

test.after(() => tmp.cleanup());
