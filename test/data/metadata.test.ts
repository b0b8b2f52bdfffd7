import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectMetadata, tableFromRows } from '../../src/data/index.ts';
import { ConfigError, DataValidationError } from '../../src/core/index.ts';

const rows = Array.from({ length: 60 }, (_, i) => [
  i + 1, // user_id
  `sku-${i % 40}`, // item_key: named like a key
  18 + (i % 50), // age
  i % 3 === 0 ? 'F' : 'M', // gender
  i % 2 === 0, // flag
  1_600_000_000 + i * 3600, // timestamp
  `2021-01-${String(1 + (i % 28)).padStart(2, '0')}`, // signup date
  `mail${i}@x.org`, // email: unique text
  i % 5 === 0 ? null : (i % 7) * 1.5, // price with nulls
  i % 2, // clicked 0/1
  null, // empty
]);
const cols = ['user_id', 'item_key', 'age', 'gender', 'flag', 'timestamp', 'signup', 'email', 'price', 'clicked', 'empty'];
const table = tableFromRows(cols, rows);

test('detects id, numerical (integer flag), categorical, boolean, datetime, and all-null columns', () => {
  const md = detectMetadata(table);
  const t = Object.fromEntries(Object.entries(md.columns).map(([c, m]) => [c, m.type]));
  assert.deepEqual(t, {
    user_id: 'id',
    item_key: 'id',
    age: 'numerical',
    gender: 'categorical',
    flag: 'boolean',
    timestamp: 'datetime',
    signup: 'datetime',
    email: 'id',
    price: 'numerical',
    clicked: 'boolean',
    empty: 'categorical',
  });
  assert.equal(md.columns.age!.integer, true);
  assert.equal(md.columns.price!.integer, false);
  assert.equal(md.columns.timestamp!.datetimeFormat, 'unix-seconds');
  assert.equal(md.columns.signup!.datetimeFormat, 'iso');
  assert.equal(md.primaryKey, 'user_id');
});

test('a plain number column named like time but not in a timestamp range stays numerical', () => {
  const t = tableFromRows(['watch_time'], [[3], [5], [8]]);
  assert.equal(detectMetadata(t).columns.watch_time!.type, 'numerical');
});

test('overrides win and are marked; a missing column or unknown type is a ConfigError naming it', () => {
  const md = detectMetadata(table, { age: 'categorical', user_id: { type: 'numerical' } });
  assert.equal(md.columns.age!.type, 'categorical');
  assert.equal(md.columns.age!.overridden, true);
  assert.equal(md.columns.user_id!.integer, true);
  assert.equal(md.columns.gender!.overridden, undefined);
  assert.throws(() => detectMetadata(table, { agee: 'numerical' }), (e: unknown) => e instanceof ConfigError && e.location.field === 'metadata.agee' && /agee/.test(e.message));
  assert.throws(() => detectMetadata(table, { age: 'number' as never }), (e: unknown) => e instanceof ConfigError && /unknown column type/.test(e.message));
});

test('overriding a text column as numerical is a DataValidationError naming row and column', () => {
  assert.throws(
    () => detectMetadata(table, { gender: 'numerical' }),
    (e: unknown) => e instanceof DataValidationError && e.location.field === 'gender' && e.location.line === 1,
  );
});
