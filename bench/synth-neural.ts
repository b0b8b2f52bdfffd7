/**
 * CTGAN / TVAE timing on MovieLens-100K: the 100,000 ratings joined with user attributes (age,
 * gender, occupation) and the item's release year and first genre.
 *
 *   SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/synth-neural.ts [--rows N] [--epochs N] [--sample N] [--models ctgan,tvae] [--ctgan-config JSON] [--tvae-config JSON] [--out path]
 *
 * Per model: preprocessing (transformer fit + encode) seconds, seconds per epoch, sample seconds
 * for --sample rows, and a quick fidelity check (total-variation distance of each categorical
 * column's frequencies, real vs synthetic; mean/std of rating and age). Writes
 * bench/results/synth-neural-ml100k.json (or --out).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, collectingProgress, writeJsonAtomic } from '../src/core/index.ts';
import { type Cell, type Table, type TableMetadata, selectRows } from '../src/data/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { CtganSynthesizer } from '../src/synth/ctgan.ts';
import { TvaeSynthesizer } from '../src/synth/tvae.ts';
import type { Synthesizer } from '../src/synth/types.ts';
import { arg } from './args.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(repoRoot, '../shared/data/ml-100k');

function readTsv(path: string): string[][] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).slice(1).map((l) => l.split('\t'));
}

export function ml100kTable(): { table: Table; metadata: TableMetadata } {
  const users = new Map(readTsv(`${dataDir}/ml-100k.user`).map((r) => [r[0]!, r]));
  const items = new Map(readTsv(`${dataDir}/ml-100k.item`).map((r) => [r[0]!, r]));
  const cols: Record<string, Cell[]> = { user_id: [], item_id: [], rating: [], timestamp: [], age: [], gender: [], occupation: [], release_year: [], genre: [] };
  for (const r of readTsv(`${dataDir}/ml-100k.inter`)) {
    const u = users.get(r[0]!)!;
    const it = items.get(r[1]!)!;
    cols.user_id!.push(r[0]!);
    cols.item_id!.push(r[1]!);
    cols.rating!.push(Number(r[2]));
    cols.timestamp!.push(Number(r[3]));
    cols.age!.push(Number(u[1]));
    cols.gender!.push(u[2]!);
    cols.occupation!.push(u[3]!);
    const year = Number(it[2]);
    cols.release_year!.push(it[2] && Number.isFinite(year) ? year : null);
    cols.genre!.push((it[3] ?? '').split(' ')[0] || null);
  }
  const columns = Object.keys(cols);
  return {
    table: { columns, rowCount: cols.user_id!.length, data: cols },
    metadata: {
      columns: {
        user_id: { type: 'id' }, item_id: { type: 'id' }, rating: { type: 'numerical', integer: true },
        timestamp: { type: 'datetime', datetimeFormat: 'unix-seconds' }, age: { type: 'numerical', integer: true },
        gender: { type: 'categorical' }, occupation: { type: 'categorical' }, release_year: { type: 'numerical', integer: true }, genre: { type: 'categorical' },
      },
    },
  };
}

function tv(a: readonly Cell[], b: readonly Cell[]): number {
  const f = (xs: readonly Cell[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(String(x), (m.get(String(x)) ?? 0) + 1 / xs.length);
    return m;
  };
  const fa = f(a);
  const fb = f(b);
  let d = 0;
  for (const k of new Set([...fa.keys(), ...fb.keys()])) d += Math.abs((fa.get(k) ?? 0) - (fb.get(k) ?? 0));
  return d / 2;
}

function moments(xs: readonly Cell[]): { mean: number; std: number } {
  const v = xs.filter((x): x is number => typeof x === 'number');
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length) };
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '100000'));
  const epochs = Number(arg('epochs', '1'));
  const nSample = Number(arg('sample', '10000'));
  const models = arg('models', 'ctgan,tvae').split(',');
  const full = ml100kTable();
  const table = rows < full.table.rowCount ? selectRows(full.table, Int32Array.from({ length: rows }, (_, i) => i)) : full.table;
  const results: Record<string, unknown>[] = [];
  for (const name of models) {
    const extra = JSON.parse(arg(`${name}-config`, '{}')) as Record<string, unknown>;
    const model: Synthesizer = name === 'ctgan' ? new CtganSynthesizer(extra) : new TvaeSynthesizer(extra);
    const progress = collectingProgress();
    const fit = await model.fit(table, full.metadata, { seed: 0, epochs, progress: { line: (l) => { progress.line(l); process.stderr.write(l + '\n'); } } });
    const prep = progress.lines.find((l) => / features/.test(l))?.match(/\(([\d.]+) s\)/)?.[1];
    const epochSeconds = progress.lines.filter((l) => / epoch /.test(l)).map((l) => Number(l.match(/([\d.]+) s$/)![1]));
    const t0 = performance.now();
    const s = model.sample(nSample, { seed: 1 });
    const sampleSeconds = (performance.now() - t0) / 1000;
    const fidelity = {
      tvGender: tv(table.data.gender!, s.table.data.gender!),
      tvOccupation: tv(table.data.occupation!, s.table.data.occupation!),
      tvGenre: tv(table.data.genre!, s.table.data.genre!),
      tvRating: tv(table.data.rating!, s.table.data.rating!),
      rating: { real: moments(table.data.rating!), synthetic: moments(s.table.data.rating!) },
      age: { real: moments(table.data.age!), synthetic: moments(s.table.data.age!) },
    };
    const r = { model: name, config: extra, rows: table.rowCount, epochs, preprocessSeconds: Number(prep), epochSeconds, fitSeconds: fit.seconds, sampleRows: nSample, sampleSeconds, report: s.report, losses: fit.losses, fidelity };
    console.log(JSON.stringify({ ...r, losses: undefined }));
    results.push(r);
  }
  const out = resolve(repoRoot, arg('out', 'bench/results/synth-neural-ml100k.json'));
  writeJsonAtomic(out, {
    command: `SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/synth-neural.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    backend: backendInfo(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
    data: '../shared/data/ml-100k (ml-100k.inter joined with ml-100k.user and ml-100k.item)',
    results,
  });
  void Rng;
}

if (process.argv[1]?.endsWith("synth-neural.ts")) await main();
