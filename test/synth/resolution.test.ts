import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';
import { CtganSynthesizer, GaussianCopulaSynthesizer, TvaeSynthesizer, type Synthesizer } from '../../src/synth/index.ts';
import { formatValue, learnValueFormat, MAX_DECIMALS } from '../../src/synth/resolution.ts';

const tmp = mkdtempSync(join(tmpdir(), 'samplify-resolution-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const SPELLINGS = ['Red ', 'gREEN', 'blue-ish', 'Ümlaut', '42'];

/** One column per kind of resolution and format the synthesizers must keep. */
function resolutionTable(n: number, seed: number): { table: Table; metadata: TableMetadata } {
  const rng = new Rng(seed);
  const cols: Record<string, Cell[]> = { spaced: [], isoZ: [], isoMs: [], day: [], unix: [], minute: [], price: [], qty: [], ratio: [], colour: [] };
  const t0 = Date.UTC(1997, 8, 20, 3, 5, 10);
  for (let i = 0; i < n; i++) {
    const t = t0 + Math.floor(rng.next() * 200 * 86400) * 1000; // whole seconds
    const iso = new Date(t).toISOString();
    cols.spaced!.push(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
    cols.isoZ!.push(iso.replace('.000Z', 'Z'));
    cols.isoMs!.push(new Date(t + rng.int(1000)).toISOString());
    cols.day!.push(iso.slice(0, 10));
    cols.unix!.push(t / 1000);
    cols.minute!.push(new Date(Math.floor(t / 60000) * 60000).toISOString().replace('.000Z', 'Z'));
    cols.price!.push(Math.round((5 + 20 * rng.next()) * 100) / 100);
    cols.qty!.push(1 + rng.int(9));
    cols.ratio!.push(rng.next());
    cols.colour!.push(SPELLINGS[rng.int(SPELLINGS.length)]!);
  }
  const columns = Object.keys(cols);
  return {
    table: { columns, rowCount: n, data: cols },
    metadata: {
      columns: {
        spaced: { type: 'datetime', datetimeFormat: 'iso' },
        isoZ: { type: 'datetime', datetimeFormat: 'iso' },
        isoMs: { type: 'datetime', datetimeFormat: 'iso' },
        day: { type: 'datetime', datetimeFormat: 'iso' },
        unix: { type: 'datetime', datetimeFormat: 'unix-seconds' },
        minute: { type: 'datetime', datetimeFormat: 'iso' },
        price: { type: 'numerical' },
        qty: { type: 'numerical', integer: true },
        ratio: { type: 'numerical' },
        colour: { type: 'categorical' },
      },
    },
  };
}

function decimals(x: number): number {
  const s = String(x);
  return s.includes('.') ? s.length - s.indexOf('.') - 1 : 0;
}

function assertResolutionKept(sample: Table, real: Table): void {
  const col = (c: string) => sample.data[c]!;
  const every = (c: string, ok: (v: Cell) => boolean, what: string) => {
    const bad = col(c).find((v) => !ok(v));
    assert.equal(bad, undefined, `${c}: ${JSON.stringify(bad)} is not ${what}`);
  };
  assert.ok(sample.rowCount > 0);
  every('spaced', (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v), 'YYYY-MM-DD HH:mm:ss');
  every('isoZ', (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v), 'ISO without ms');
  every('isoMs', (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v), 'ISO with ms');
  every('day', (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v), 'a date');
  every('unix', (v) => typeof v === 'number' && Number.isInteger(v), 'integer unix seconds');
  every('minute', (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/.test(v), 'on a whole minute');
  every('price', (v) => typeof v === 'number' && decimals(v) <= 2, 'at most 2 decimals');
  every('qty', (v) => typeof v === 'number' && Number.isInteger(v), 'an integer');
  every('colour', (v) => SPELLINGS.includes(v as string), 'spelled as in the input');
  // Rounding never leaves the observed range.
  const prices = real.data.price as number[];
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  every('price', (v) => (v as number) >= lo && (v as number) <= hi, `inside [${lo}, ${hi}]`);
  // A float column with many decimals is not rounded.
  const longRatios = (col('ratio') as number[]).filter((v) => decimals(v) > MAX_DECIMALS).length;
  assert.ok(longRatios > sample.rowCount / 2, `ratio was rounded: only ${longRatios} of ${sample.rowCount} values have > ${MAX_DECIMALS} decimals`);
}

/** Drops every learned format from a saved model, as a file written before formats existed. */
function stripFormats(path: string): number {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  let n = 0;
  const walk = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return;
    const rec = o as Record<string, unknown>;
    if ((rec.kind === 'numeric' || rec.kind === 'continuous') && 'format' in rec) {
      delete rec.format;
      n++;
    }
    for (const v of Object.values(rec)) walk(v);
  };
  walk(doc);
  writeFileSync(path, JSON.stringify(doc) + '\n');
  return n;
}

const { table, metadata } = resolutionTable(300, 1);
const makers: [string, () => Synthesizer, number][] = [
  ['gaussian-copula', () => new GaussianCopulaSynthesizer({ removeExactCopies: false }), 1],
  ['tvae', () => new TvaeSynthesizer({ batchSize: 50, embeddingDim: 8, encoderDims: [16], decoderDims: [16] }), 3],
  ['ctgan', () => new CtganSynthesizer({ batchSize: 50, embeddingDim: 8, generatorDims: [16], discriminatorDims: [16] }), 2],
];

for (const [name, make, epochs] of makers) {
  test(`${name}: every column comes out at the resolution and in the format it came in; save → load keeps it`, async () => {
    const m = make();
    await m.fit(table, metadata, { seed: 3, epochs });
    const s = m.sample(400, { seed: 2 }).table;
    assertResolutionKept(s, table);
    const path = join(tmp, `${name}.json`);
    m.save(path);
    const back = make();
    back.load(path);
    assert.deepEqual(back.sample(400, { seed: 2 }).table, s);
  });

  test(`${name}: a model saved without learned formats still loads and decodes as before`, async () => {
    const m = make();
    await m.fit(table, metadata, { seed: 3, epochs });
    const path = join(tmp, `${name}-old.json`);
    m.save(path);
    // The neural synthesizers encode qty (a handful of whole numbers) as a discrete column, which keeps its cells as they were: no format to strip.
    assert.equal(stripFormats(path), name === 'gaussian-copula' ? 9 : 8);
    const old = make();
    old.load(path);
    const s = old.sample(200, { seed: 2 }).table;
    // The old decoding wrote text datetimes as ISO in UTC ('Z'), never with a space.
    assert.ok((s.data.spaced as string[]).every((v) => /^\d{4}-\d{2}-\d{2}T.*Z$/.test(v)));
    assert.ok((s.data.price as number[]).some((v) => decimals(v) > 2), 'the old decoding did not round prices');
  });
}

test('learnValueFormat: text layouts, zones, steps and decimals', () => {
  const dt = { type: 'datetime', datetimeFormat: 'iso' } as const;
  const num = { type: 'numerical' } as const;
  assert.deepEqual(learnValueFormat(['1997-09-20 03:05:10', null, '1997-09-21 13:00:59'], dt), { kind: 'datetime-text', layout: 'second', separator: ' ', fractionDigits: 0, zone: '', stepMs: 1000 });
  assert.deepEqual(learnValueFormat(['2020-01-01T10:00+02:00', '2020-01-01T11:30+02:00'], dt), { kind: 'datetime-text', layout: 'minute', separator: 'T', fractionDigits: 0, zone: '+02:00', stepMs: 60_000 });
  assert.equal(formatValue(Date.UTC(2020, 0, 1, 8, 15, 20), learnValueFormat(['2020-01-01T10:00+02:00', '2020-01-01T11:30+02:00'], dt)), '2020-01-01T10:15+02:00');
  // One value on the hour: the only resolution the data shows is hours.
  assert.equal(formatValue(Date.UTC(2020, 0, 1, 8, 15, 20), learnValueFormat(['2020-01-01T10:00+02:00'], dt)), '2020-01-01T10:00+02:00');
  assert.deepEqual(learnValueFormat(['2020-01-01', '2020-03-04'], dt), { kind: 'datetime-text', layout: 'date', separator: 'T', fractionDigits: 0, zone: '', stepMs: 86_400_000 });
  assert.equal(formatValue(Date.UTC(2020, 0, 1, 13), learnValueFormat(['2020-01-01'], dt)), '2020-01-02');
  const tenths = learnValueFormat(['2020-01-01T00:00:00.5Z', '2020-01-01T00:00:01.2Z'], dt);
  assert.deepEqual(tenths, { kind: 'datetime-text', layout: 'second', separator: 'T', fractionDigits: 1, zone: 'Z', stepMs: 100 });
  assert.equal(formatValue(Date.UTC(2020, 0, 1) + 1234, tenths), '2020-01-01T00:00:01.2Z');
  assert.deepEqual(learnValueFormat([874965758, 875000000, null], { type: 'datetime', datetimeFormat: 'unix-seconds' }), { kind: 'number', decimals: 0, step: 1 });
  assert.deepEqual(learnValueFormat([874965720, 875000040], { type: 'datetime', datetimeFormat: 'unix-seconds' }), { kind: 'number', decimals: 0, step: 60 });
  assert.equal(formatValue(874965751.7, { kind: 'number', decimals: 0, step: 60 }), 874965780);
  assert.deepEqual(learnValueFormat([874965720000, 875000040000], { type: 'datetime', datetimeFormat: 'unix-ms' }), { kind: 'number', decimals: 0, step: 60_000 });
  assert.deepEqual(learnValueFormat([1.5, '12.50', 3], num), { kind: 'number', decimals: 2 });
  assert.deepEqual(learnValueFormat([1, 2, 3], num), { kind: 'number', decimals: 0 });
  assert.deepEqual(learnValueFormat([1.5, 2], { type: 'numerical', integer: true }), { kind: 'number', decimals: 0 });
  assert.deepEqual(learnValueFormat([0.1234567, 2], num), { kind: 'number', decimals: null });
  assert.deepEqual(learnValueFormat([1e-9, 2], num), { kind: 'number', decimals: null });
  assert.equal(formatValue(12.345678, { kind: 'number', decimals: 2 }), 12.35);
  assert.equal(formatValue(0.1 + 0.2, { kind: 'number', decimals: 1 }), 0.3);
  assert.equal(formatValue(0.1 + 0.2, { kind: 'number', decimals: null }), 0.1 + 0.2);
  assert.equal(formatValue(NaN, { kind: 'number', decimals: 0 }), null);
});
