/**
 * `samplify report` generation time and page size (writes bench/results/report.json):
 *   - every stored result in bench/results that a run kind renders (copied as results.json into a
 *     temp folder, the form a run folder has), the largest first: median build time of --repeats
 *     builds (the first, which loads Vega, is reported apart), page bytes, charts;
 *   - the committed example run folders in docs/examples.
 *   - the workbench under load: --viewers concurrent clients for --load-seconds on loopback (list + report).
 *   SAMPLIFY_THREADS=1 node --import tsx bench/report.ts [--repeats 3] [--viewers 20] [--load-seconds 10]
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../src/core/index.ts';
import { buildReport } from '../src/report/index.ts';
import { arg } from './args.ts';

const root = resolve(import.meta.dirname, '..');
const results = join(root, 'bench/results');
const repeats = Number(arg('repeats', '3'));
const t0 = performance.now();

async function measure(dir: string): Promise<{ kind: string; firstMs: number; medianMs: number; bytes: number; charts: number; notes: number }> {
  const times: number[] = [];
  let last = await buildReport(dir);
  for (let i = 0; i <= repeats; i++) {
    const t = performance.now();
    last = await buildReport(dir);
    times.push(performance.now() - t);
  }
  const first = times.shift()!;
  const sorted = times.sort((a, b) => a - b);
  return { kind: last.kind, firstMs: Math.round(first), medianMs: Math.round(sorted[sorted.length >> 1]!), bytes: Buffer.byteLength(last.html), charts: last.charts, notes: last.notes.length };
}

// Vega's first parse compiles its modules: warm it once so the first measured file is not charged for it.
const warm = mkdtempSync(join(os.tmpdir(), 'bench-report-'));
copyFileSync(join(results, 'ctr-ml100k.json'), join(warm, 'results.json'));
const coldStartMs = (() => {
  const t = performance.now();
  return buildReport(warm).then(() => Math.round(performance.now() - t));
})();
const firstBuildMs = await coldStartMs;
rmSync(warm, { recursive: true, force: true });

const files = readdirSync(results)
  .filter((f) => f.endsWith('.json') && f !== 'report.json')
  .map((f) => ({ f, size: statSync(join(results, f)).size }))
  .sort((a, b) => b.size - a.size);
const stored: Record<string, unknown>[] = [];
for (const { f, size } of files) {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-report-'));
  copyFileSync(join(results, f), join(dir, 'results.json'));
  const probe = await buildReport(dir);
  if (probe.kind !== 'unknown') {
    const m = await measure(dir);
    stored.push({ file: `bench/results/${f}`, resultBytes: size, ...m });
    console.error(`${f}: ${m.kind}, ${m.medianMs} ms, ${m.bytes} bytes, ${m.charts} charts`);
  }
  rmSync(dir, { recursive: true, force: true });
}
const examples: Record<string, unknown>[] = [];
for (const d of ['beauty-recipe', 'ml100k-synthesis']) {
  const m = await measure(join(root, 'docs/examples', d));
  examples.push({ folder: `docs/examples/${d}`, ...m });
  console.error(`${d}: ${m.kind}, ${m.medianMs} ms, ${m.bytes} bytes, ${m.charts} charts`);
}
const largest = stored[0];
writeJsonAtomic(join(results, 'report.json'), {
  benchmark: 'report',
  command: `SAMPLIFY_THREADS=1 node --import tsx bench/report.ts --repeats ${repeats}`,
  note: 'medianMs: median of the repeated builds in one warm process (HTML + server-side SVG charts); firstMs: the first build of that file; processFirstBuildMs: the first build in a fresh process (loads and compiles Vega). bench/results files render as run folders holding only results.json, so per-user ranks, curves and timings are noted as missing.',
  repeats,
  processFirstBuildMs: firstBuildMs,
  largest,
  stored,
  examples,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
  seconds: (performance.now() - t0) / 1000,
  date: new Date().toISOString(),
});

// ── The workbench under load: 20 concurrent viewers on loopback, each loading the run list and the
// largest stored result's report in turn for a fixed time (bounded load test).
const { startWorkbench } = await import('../src/serve/index.ts');
const viewers = Number(arg('viewers', '20'));
const seconds = Number(arg('load-seconds', '10'));
const runsDir = mkdtempSync(join(os.tmpdir(), 'bench-serve-'));
const largestFile = String((largest as { file: string }).file);
mkdirSync(join(runsDir, 'largest'));
copyFileSync(join(root, largestFile), join(runsDir, 'largest', 'results.json'));
const wb = await startWorkbench({ runs: runsDir, port: 0 });
const latencies: Record<string, number[]> = { list: [], report: [] };
let failures = 0;
const until = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: viewers }, async () => {
    while (performance.now() < until) {
      for (const [what, path] of [['list', '/'], ['report', '/runs/largest/report']] as const) {
        const t = performance.now();
        const r = await fetch(wb.origin + path).catch(() => null);
        if (!r || r.status !== 200) failures++;
        else await r.arrayBuffer();
        latencies[what]!.push(performance.now() - t);
      }
    }
  }),
);
await wb.close();
rmSync(runsDir, { recursive: true, force: true });
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10;
};
const serveResult = {
  viewers,
  seconds,
  requests: latencies['list']!.length + latencies['report']!.length,
  failures,
  requestsPerSecond: Math.round(((latencies['list']!.length + latencies['report']!.length) / seconds) * 10) / 10,
  latencyMs: Object.fromEntries(Object.entries(latencies).map(([k, xs]) => [k, { p50: pct(xs, 0.5), p95: pct(xs, 0.95), max: pct(xs, 1) }])),
  note: `GET / and GET /runs/<name>/report of ${largestFile} in turn, in one process with the server (client and server share the 2 cores); reports are cached until a file of the run changes.`,
};
console.error(`serve: ${JSON.stringify(serveResult)}`);
const written = JSON.parse(readFileSync(join(results, 'report.json'), 'utf8')) as Record<string, unknown>;
writeJsonAtomic(join(results, 'report.json'), { ...written, command: `${String(written['command'])} --viewers ${viewers} --load-seconds ${seconds}`, serve: serveResult });
