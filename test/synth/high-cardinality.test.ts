import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Rng } from '../../src/core/index.ts';
import type { Table, TableMetadata } from '../../src/data/index.ts';
import { GaussianCopulaSynthesizer, loadSynthesizer } from '../../src/synth/index.ts';
import { DataTransformer } from '../../src/synth/transformer.ts';

// Ids with millions of distinct values: the case that makes one-hot encoders run out of memory.
// 2,000,000 rows; `order_id` is unique per row (2 M distinct), `item_id` has ~1.4 M distinct values
// (a popular head of 1,000 items and a long tail), `basket` is numeric and `channel` categorical.
const ROWS = 2_000_000;

function bigTable(): { table: Table; metadata: TableMetadata } {
  const rng = new Rng(11);
  const orderId: number[] = new Array(ROWS);
  const itemId: string[] = new Array(ROWS);
  const basket: number[] = new Array(ROWS);
  const channel: string[] = new Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    orderId[i] = 10_000_000 + i;
    // 30 % of the rows draw from the head, 70 % from a 50 M-wide tail.
    itemId[i] = `sku-${rng.next() < 0.3 ? rng.int(1000) : 1000 + rng.int(50_000_000)}`;
    basket[i] = Math.round(Math.exp(2 + rng.normal()) * 100) / 100;
    channel[i] = rng.next() < 0.7 ? 'web' : 'app';
  }
  return {
    table: { columns: ['order_id', 'item_id', 'basket', 'channel'], rowCount: ROWS, data: { order_id: orderId, item_id: itemId, basket, channel } },
    metadata: { columns: { order_id: { type: 'id' }, item_id: { type: 'id' }, basket: { type: 'numerical' }, channel: { type: 'categorical' } } },
  };
}

const { table, metadata } = bigTable();
const distinctItems = new Set(table.data.item_id).size;
const tmp = mkdtempSync(join(tmpdir(), 'samplify-highcard-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('ids with millions of distinct values: the neural transformer buckets them (width independent of cardinality)', () => {
  assert.ok(distinctItems > 1_000_000, `${distinctItems} distinct items`);
  const t = DataTransformer.fit(table, metadata, new Rng(1), { idBuckets: 50 });
  // Two id spans of ≤ 50 buckets, the numeric column's scalar + modes, two channel categories.
  assert.ok(t.width <= 50 + 50 + 11 + 2, `encoded width ${t.width}`);
  assert.equal(t.condWidth, 2, 'ids never enter the conditional vector');
  const slice: Table = { columns: table.columns, rowCount: 1000, data: Object.fromEntries(table.columns.map((c) => [c, table.data[c]!.slice(0, 1000)])) };
  const { data } = t.transform(slice, new Rng(2));
  const back = t.inverse(data, 1000, new Rng(3));
  // Every decoded id is one seen in training (drawn inside its frequency bucket).
  const seen = new Set(table.data.item_id);
  assert.ok(back.data.item_id!.every((v) => seen.has(v as string)));
});

test('ids with millions of distinct values: the copula fits, samples, saves and loads them', async () => {
  const s = new GaussianCopulaSynthesizer();
  await s.fit(table, metadata, { seed: 0 });
  const out = s.sample(5000, { seed: 1 }).table;
  // A unique id column (a key) gets fresh keys; a repeated id column keeps its frequency profile.
  const keys = out.data.order_id as number[];
  assert.equal(new Set(keys).size, 5000);
  assert.ok(keys.every((k) => k >= 10_000_000 + ROWS));
  const head = (out.data.item_id as string[]).filter((v) => Number(v.slice(4)) < 1000).length / 5000;
  assert.ok(Math.abs(head - 0.3) < 0.05, `head share ${head}`);
  const path = join(tmp, 'copula.json');
  s.save(path);
  assert.ok(statSync(path).size < 200 * 1024 * 1024);
  assert.equal(JSON.stringify(loadSynthesizer(path).sample(500, { seed: 4 }).table), JSON.stringify(s.sample(500, { seed: 4 }).table));
});
