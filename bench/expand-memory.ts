/**
 * Peak memory of offline expansion (`samplify augment`): Beauty at 1× and 10× the users (the file
 * repeated with renamed users), each with 1 and 10 views per user. Every case runs in a fresh
 * process and reports its peak RSS; the output is streamed to disk, so memory should follow the
 * input (which is held as compact Int32Arrays), not the number of samples written.
 *   node --import tsx bench/expand-memory.ts   → bench/results/expand-memory.json
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../src/core/index.ts';

const root = resolve(import.meta.dirname, '..');

if (process.argv[2] === 'child') {
  const { augmentFile } = await import('../src/experiment/index.ts');
  const [, , , data, views, out] = process.argv;
  const t0 = performance.now();
  const r = await augmentFile({ data: data!, format: 'seqtxt', pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml'), views: Number(views), seed: 1, out: out! });
  process.stdout.write(JSON.stringify({ samples: r.samples, seconds: (performance.now() - t0) / 1000, peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
  process.exit(0);
}

const beauty = join(root, '..', 'shared', 'data', 'beauty', 'Beauty.txt');
if (!existsSync(beauty)) {
  console.error(`needs ${beauty}`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'expand-mem-'));
const lines = readFileSync(beauty, 'utf8').trimEnd().split('\n');
const inputs: Record<string, string> = {};
for (const scale of [1, 10]) {
  const path = join(dir, `beauty-x${scale}.txt`);
  const out: string[] = [];
  for (let k = 0; k < scale; k++) for (const l of lines) out.push(k === 0 ? l : l.replace(/^(\S+)/, `$1_${k}`));
  writeFileSync(path, out.join('\n') + '\n');
  inputs[scale] = path;
}
const cases = [];
for (const scale of [1, 10]) {
  for (const views of [1, 10]) {
    const out = join(dir, `out-${scale}-${views}.jsonl`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, 'child', inputs[scale]!, String(views), out], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { samples: number; seconds: number; peakRssMiB: number };
    const row = { inputScale: scale, users: lines.length * scale, views, ...m, outputMiB: statSync(out).size / 2 ** 20, samplesPerSecond: m.samples / m.seconds };
    console.error(JSON.stringify(row));
    cases.push(row);
    rmSync(out);
  }
}
rmSync(dir, { recursive: true, force: true });
writeJsonAtomic(join(root, 'bench', 'results', 'expand-memory.json'), {
  benchmark: 'offline expansion peak memory (samplify augment, crop-reorder pipeline, JSONL output)',
  command: 'node --import tsx bench/expand-memory.ts',
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
  cases,
});
