/**
 * Gaussian copula timings on MovieLens-100K (writes bench/results/synth-copula.json):
 *   - the users table (943 rows × 5 columns) and the ratings table joined with users and items
 *     (100,000 rows × 30 columns, loadMovieLensCtr): fit seconds, seconds to sample 10,000 rows,
 *     marginal choices, exact copies removed;
 *   - scaling: the joined table's first 10 columns resampled (with replacement, seeded) to 10 k,
 *     100 k and 1 M rows: fit seconds, sample-10k seconds, peak RSS so far.
 *   SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/synth-copula.ts [--sizes 10000,100000,1000000]
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import os from 'node:os';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { detectMetadata, loadMovieLensCtr, readTable, selectRows, type Table, type TableMetadata } from '../src/data/index.ts';
import { GaussianCopulaSynthesizer } from '../src/synth/index.ts';
import { arg } from './args.ts';

const root = resolve(import.meta.dirname, '..');
const dir = resolve(root, '../shared/data/ml-100k');
if (!existsSync(dir)) {
  console.error('needs ../shared/data/ml-100k');
  process.exit(2);
}
const sizes = arg('sizes', '10000,100000,1000000').split(',').map(Number);
const rssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function time(table: Table, metadata: TableMetadata, label: string) {
  const s = new GaussianCopulaSynthesizer();
  const t0 = performance.now();
  await s.fit(table, metadata, { seed: 0 });
  const fitSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const r = s.sample(10_000, { seed: 0 });
  const sampleSeconds = (performance.now() - t1) / 1000;
  const row = { table: label, rows: table.rowCount, columns: table.columns.length, fitSeconds: +fitSeconds.toFixed(3), sample10kSeconds: +sampleSeconds.toFixed(3), report: r.report, peakRssMiB: rssMiB() };
  console.error(JSON.stringify(row));
  return { row, synth: s };
}

const users = await readTable(resolve(dir, 'ml-100k.user'));
const u = await time(users.table, detectMetadata(users.table), 'ml-100k users');
const ctr = await loadMovieLensCtr(dir);
const j = await time(ctr.table, ctr.metadata, 'ml-100k ratings ⨝ users ⨝ items');
const cols = ctr.table.columns.slice(0, 10);
const base: Table = { columns: cols, rowCount: ctr.table.rowCount, data: Object.fromEntries(cols.map((c) => [c, ctr.table.data[c]!])) };
const baseMd: TableMetadata = { columns: Object.fromEntries(cols.map((c) => [c, ctr.metadata.columns[c]!])) };
const scaling = [];
for (const n of sizes) {
  const rng = new Rng(n);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = rng.int(base.rowCount);
  const t = selectRows(base, idx);
  scaling.push((await time(t, baseMd, `joined, first 10 columns, resampled`)).row);
}
writeJsonAtomic(resolve(root, 'bench/results/synth-copula.json'), {
  kind: 'synth-copula-bench',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version, loadavg: os.loadavg() },
  command: 'SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/synth-copula.ts',
  users: { ...u.row, marginals: u.synth.marginalChoices() },
  joined: { ...j.row, marginals: j.synth.marginalChoices().filter((m) => m.kind === 'numeric') },
  scaling,
});
