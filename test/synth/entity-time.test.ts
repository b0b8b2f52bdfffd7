/**
 * Composite entity keys and the per-entity time model of entity-blocks (src/synth/entities.ts,
 * src/synth/entity-time.ts), on a planted event table without id columns: 40 users, each a unique
 * (age, gender, job) combination, rate in 1–3 sessions of 5–15 rows (gaps ≤ 5 min inside a
 * session, days between sessions); genre and label vary per row.
 * - the session split and the quantile helpers on hand-made numbers;
 * - a composite key keeps every sampled combination a real one (the plain copula does not);
 * - 'copy': each sampled entity's first time is one of its real session starts, and its rows come
 *   in sessions; 'synthetic': rows come in sessions too, and the saved file holds no entity's times;
 * - same seed ⇒ same rows, save → load ⇒ same rows, including the time model;
 * - a new time never makes a row equal a training row;
 * - a time column that is an attribute, not a time, or conditioned on is a ConfigError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { cellKey, parseIsoMs, type Cell, type Table, type TableMetadata } from '../../src/data/index.ts';
import { createSynthesizer, type Synthesizer } from '../../src/synth/index.ts';
import { drawQuantile, fitEntityTime, quantiles, QUANTILES } from '../../src/synth/entity-time.ts';

const KEY = ['age', 'gender', 'job'] as const;
const GAP = 1800;
const text = (s: number): string => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');

function plantedEvents(seed: number): { table: Table; metadata: TableMetadata } {
  const rng = new Rng(seed);
  const cols: Record<string, Cell[]> = { time: [], age: [], gender: [], job: [], genre: [], label: [] };
  const jobs = ['student', 'engineer', 'artist', 'doctor', 'writer'];
  const t0 = Date.UTC(1997, 8, 20) / 1000;
  for (let u = 0; u < 40; u++) {
    // Unique per user: age 20 + u/2 and gender alternate make (age, gender) unique already.
    const age = 20 + Math.floor(u / 2);
    const gender = u % 2 === 0 ? 'F' : 'M';
    const job = jobs[rng.int(jobs.length)]!;
    let start = t0 + rng.int(30 * 86400);
    for (let s = 1 + rng.int(3); s > 0; s--) {
      let t = start;
      for (let r = 5 + rng.int(11); r > 0; r--) {
        cols.time!.push(text(t));
        cols.age!.push(age);
        cols.gender!.push(gender);
        cols.job!.push(job);
        cols.genre!.push(['drama', 'comedy', 'action'][rng.int(3)]!);
        cols.label!.push(rng.next() < 0.5);
        t += rng.int(300);
      }
      start = t + 86400 * (1 + rng.int(10));
    }
  }
  return {
    table: { columns: Object.keys(cols), rowCount: cols.time!.length, data: cols },
    metadata: { columns: { time: { type: 'datetime', datetimeFormat: 'iso' }, age: { type: 'numerical', integer: true }, gender: { type: 'categorical' }, job: { type: 'categorical' }, genre: { type: 'categorical' }, label: { type: 'boolean' } } },
  };
}

const { table, metadata } = plantedEvents(7);
const combo = (t: Table, r: number): string => KEY.map((c) => cellKey(t.data[c]![r] ?? null)).join('|');
const seconds = (c: Cell): number => parseIsoMs(String(c)) / 1000;

/** Per combination: its times in seconds, ascending. */
function timesByCombo(t: Table): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (let r = 0; r < t.rowCount; r++) {
    const k = combo(t, r);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(seconds(t.data.time![r] ?? null));
  }
  for (const ts of m.values()) ts.sort((a, b) => a - b);
  return m;
}

/** Real session starts per combination. */
function sessionStarts(t: Table): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [k, ts] of timesByCombo(t)) out.set(k, new Set(ts.filter((x, i) => i === 0 || x - ts[i - 1]! > GAP)));
  return out;
}

/** Share of consecutive times of one combination at most GAP apart. */
function inSessionShare(t: Table): number {
  let inside = 0;
  let all = 0;
  for (const ts of timesByCombo(t).values()) {
    for (let i = 1; i < ts.length; i++) {
      all++;
      if (ts[i]! - ts[i - 1]! <= GAP) inside++;
    }
  }
  return inside / all;
}

const timed = (source: 'copy' | 'synthetic', extra: Record<string, unknown> = {}) => ({ entities: [{ key: [...KEY], time: { column: 'time', source, ...extra } }] });

async function fitted(params: Record<string, unknown>, seed = 3): Promise<Synthesizer> {
  const s = createSynthesizer('entity-blocks', params);
  await s.fit(table, metadata, { seed });
  return s;
}

test('fitEntityTime cuts sessions at the gap; quantiles and draws stay within the data', () => {
  const cells = [0, 60, 120, 10000, 10030, 500].map((s) => text(s));
  const state = fitEntityTime({ column: 'time', sessionGap: 1800, source: 'copy', startJitter: 0 }, cells, { type: 'datetime', datetimeFormat: 'iso' }, Int32Array.from([0, 0, 0, 0, 0, 1]), ['a', 'b']);
  assert.deepEqual(state.sessions?.a, { starts: [0, 10_000_000], sizes: [3, 2] });
  assert.deepEqual(state.sessions?.b, { starts: [500_000], sizes: [1] });
  assert.equal(state.min, 0);
  assert.equal(state.max, 10_030_000);
  assert.equal(state.inSessionGaps.length, QUANTILES);
  assert.equal(state.inSessionGaps[0], 30_000);
  assert.equal(state.inSessionGaps[QUANTILES - 1], 60_000);
  assert.deepEqual(state.betweenSessionGaps, quantiles([9_880_000]));
  const rng = new Rng(1);
  for (let i = 0; i < 100; i++) {
    const x = drawQuantile(state.inSessionGaps, rng);
    assert.ok(x >= 30_000 && x <= 60_000, String(x));
  }
});

test('a composite key keeps every sampled combination a real one; the plain copula does not', async () => {
  const real = new Set(Array.from({ length: table.rowCount }, (_, r) => combo(table, r)));
  const s = await fitted({ entities: [{ key: [...KEY] }] });
  const sample = s.sample(600, { seed: 1 }).table;
  assert.deepEqual(sample.columns, table.columns, 'the derived key column does not leak into the output');
  for (let r = 0; r < sample.rowCount; r++) assert.ok(real.has(combo(sample, r)), `row ${r}: ${combo(sample, r)} is a real combination`);
  const copula = createSynthesizer('gaussian-copula', {});
  await copula.fit(table, metadata, { seed: 3 });
  const plain = copula.sample(600, { seed: 1 }).table;
  const invented = Array.from({ length: plain.rowCount }, (_, r) => combo(plain, r)).filter((k) => !real.has(k)).length;
  assert.ok(invented > 100, `the copula invents combinations (${invented} of 600 rows), so the test can tell`);
});

test("time 'copy': each sampled entity starts at one of its real session starts, and its rows come in sessions", async () => {
  const starts = sessionStarts(table);
  const s = await fitted(timed('copy'));
  const sample = s.sample(table.rowCount, { seed: 2 }).table;
  // Within 10 s: a row that a copied start would make a training row moves one second on.
  for (const [k, ts] of timesByCombo(sample)) assert.ok([...starts.get(k)!].some((x) => ts[0]! - x >= 0 && ts[0]! - x <= 10), `${k}: first time ${text(ts[0]!)} is a real session start`);
  const realShare = inSessionShare(table);
  assert.ok(inSessionShare(sample) > 0.85 * realShare, `in-session share ${inSessionShare(sample).toFixed(3)} vs real ${realShare.toFixed(3)}`);
  // Without the time model the same wrapper spreads an entity's rows over the month.
  const noTime = await fitted({ entities: [{ key: [...KEY] }] });
  assert.ok(inSessionShare(noTime.sample(table.rowCount, { seed: 2 }).table) < 0.5 * realShare, 'the test tells sessions from no sessions');
});

test("time 'copy' with startJitter moves the starts off the real ones, by at most the jitter", async () => {
  const starts = sessionStarts(table);
  const sample = (await fitted(timed('copy', { startJitter: 3600 }))).sample(table.rowCount, { seed: 2 }).table;
  let exact = 0;
  for (const [k, ts] of timesByCombo(sample)) {
    if (starts.get(k)!.has(ts[0]!)) exact++;
    assert.ok([...starts.get(k)!].some((x) => Math.abs(x - ts[0]!) <= 3600), `${k}: first time within 1 h of a real start`);
  }
  assert.ok(exact <= 2, `${exact} entities still start exactly at a real start`);
});

test("time 'synthetic': rows come in sessions within the training period, and the saved file holds no entity's sessions", async () => {
  const s = await fitted(timed('synthetic'));
  const sample = s.sample(table.rowCount, { seed: 2 }).table;
  const all = table.data.time!.map(seconds);
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  for (const c of sample.data.time!) assert.ok(seconds(c) >= lo && seconds(c) <= hi, `${String(c)} within the training period`);
  assert.ok(inSessionShare(sample) > 0.7 * inSessionShare(table), `in-session share ${inSessionShare(sample).toFixed(3)}`);
  const dir = mkdtempSync(join(tmpdir(), 'samplify-entity-time-'));
  try {
    s.save(join(dir, 'm.json'));
    assert.ok(!readFileSync(join(dir, 'm.json'), 'utf8').includes('"sessions"'), 'no per-entity sessions saved');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const source of ['copy', 'synthetic'] as const) {
  test(`time '${source}': same seed ⇒ same rows (whole-second text kept); save → load ⇒ same rows`, async () => {
    const a = await fitted(timed(source));
    const sample = a.sample(500, { seed: 4 }).table;
    assert.ok(sample.data.time!.every((c) => typeof c === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(c)), 'the input format');
    const b = await fitted(timed(source));
    assert.equal(JSON.stringify(b.sample(500, { seed: 4 }).table), JSON.stringify(sample), 'same seed, same rows');
    assert.notEqual(JSON.stringify(a.sample(500, { seed: 5 }).table), JSON.stringify(sample), 'another seed, other rows');
    const dir = mkdtempSync(join(tmpdir(), 'samplify-entity-time-'));
    try {
      a.save(join(dir, 'm.json'));
      const loaded = createSynthesizer('entity-blocks', {});
      loaded.load(join(dir, 'm.json'));
      assert.equal(JSON.stringify(loaded.sample(500, { seed: 4 }).table), JSON.stringify(sample), 'loaded model samples as the saved one');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a copied session start never makes a row a training row: such rows move one second on', async () => {
  // Every row of a user at the same second with one genre and label: a copied start plus a zero
  // in-session gap reproduces a training row unless the wrapper moves it.
  const n = table.rowCount;
  const flat: Table = { columns: ['time', ...KEY], rowCount: n, data: { time: table.data.time!.map((_, r) => timesByCombo(table).get(combo(table, r))![0]!).map(text), age: table.data.age!, gender: table.data.gender!, job: table.data.job! } };
  const flatMeta: TableMetadata = { columns: { time: metadata.columns.time!, age: metadata.columns.age!, gender: metadata.columns.gender!, job: metadata.columns.job! } };
  const s = createSynthesizer('entity-blocks', timed('copy'));
  await s.fit(flat, flatMeta, { seed: 1 });
  const r = s.sample(400, { seed: 1 });
  const realRows = new Set(Array.from({ length: n }, (_, i) => flat.columns.map((c) => cellKey(flat.data[c]![i] ?? null)).join('|')));
  for (let i = 0; i < r.table.rowCount; i++) assert.ok(!realRows.has(r.table.columns.map((c) => cellKey(r.table.data[c]![i] ?? null)).join('|')), `row ${i} is no training row`);
  assert.ok(r.report.exactCopiesRemoved > 0, 'copies were found and moved');
});

test('time model config errors name the key path', async () => {
  const field = async (params: Record<string, unknown>, conditions?: Record<string, Cell>): Promise<string | null> => {
    try {
      const s = createSynthesizer('entity-blocks', params);
      await s.fit(table, metadata, { seed: 1 });
      if (conditions) s.sample(10, { seed: 1, conditions });
      return null;
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.location.field ?? null;
    }
  };
  assert.equal(await field({ entities: [{ key: [...KEY], time: { column: 'nope' } }] }), 'synthesizer.params.entities[0].time.column');
  assert.equal(await field({ entities: [{ key: [...KEY], time: { column: 'genre' } }] }), 'synthesizer.params.entities[0].time.column');
  assert.equal(await field({ entities: [{ key: [...KEY], time: { column: 'age' } }] }), 'synthesizer.params.entities[0].time.column');
  assert.equal(await field({ entities: [{ key: ['age', 'nope'] }] }), 'synthesizer.params.entities[0].key[1]');
  assert.match((await field({ entities: [{ key: 'genre' }] })) ?? '', /entities\[0\]\.attributes$/);
  assert.equal(await field(timed('copy'), { time: '1997-09-20 00:00:00' }), 'conditions.time');
  assert.equal(await field(timed('copy'), { gender: 'F' }), null, 'a condition on a key column is met by rejection');
});
