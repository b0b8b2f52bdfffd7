/**
 * Before/after CPU cost of prepareOutOfCore, measured side by side: the sources of an earlier
 * commit (extracted with `git archive`) and the working tree run alternately on one generated log,
 * each run in a fresh child process, so both see the same machine and the same load.
 *
 *   node --import tsx bench/out-of-core-ab.ts --baseline-rev 26f70e0 --rows 1000000 --reps 3 [--out bench/results/out-of-core-ab.json]
 *
 * CPU time (user + system of the child, all threads: Node and DuckDB) is the figure to compare on
 * a shared machine; wall times are recorded too. Every run's output files (the Parquet files,
 * sequences.txt, summary.json, rejected.jsonl) are hashed, and the result records whether all runs
 * of both variants wrote byte-identical files. Options as bench/out-of-core.ts:
 * Taobao preset, 1 % malformed rows, 5-core, leave-one-out, sequences.txt, DuckDB 512 MB, 2 threads.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateInteractionLog, LOG_PRESETS } from '../src/data/index.ts';
import { arg, flag } from './args.ts';

interface Run {
  variant: 'before' | 'after';
  cpuSeconds: number;
  wallSeconds: number;
  stageCpuSeconds: Record<string, number>;
  rows: number;
  interactions: number;
  loadAverage: number;
  /** sha256 of each output file, by name. */
  outputs: Record<string, string>;
}

async function child(): Promise<void> {
  const src = arg('src', '');
  const mod = (await import(pathToFileURL(join(src, 'data', 'index.ts')).href)) as typeof import('../src/data/index.ts');
  const work = arg('work', '');
  const cpu = (): number => {
    const u = process.resourceUsage();
    return (u.userCPUTime + u.systemCPUTime) / 1e6;
  };
  const stageCpuSeconds: Record<string, number> = {};
  let last = cpu();
  const c0 = last;
  const t0 = performance.now();
  const r = await mod.prepareOutOfCore(arg('log', ''), {
    format: 'csv',
    columns: { user: 'user', item: 'item', timestamp: 'timestamp' },
    outDir: join(work, 'prepared'),
    rejectedPath: join(work, 'prepared', 'rejected.jsonl'),
    tempDir: join(work, 'spill'),
    kCore: 5,
    memoryLimit: '512MB',
    threads: 2,
    sequenceText: true,
    onStage: (s) => {
      const now = cpu();
      stageCpuSeconds[s] = Math.round((now - last) * 100) / 100;
      last = now;
    },
  });
  const cpuSeconds = Math.round((cpu() - c0) * 100) / 100;
  const wallSeconds = Math.round(performance.now() - t0) / 1000;
  const dir = join(work, 'prepared');
  const outputs = Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]),
  );
  const out = { cpuSeconds, wallSeconds, stageCpuSeconds, rows: r.report.rowsIn, interactions: r.interactions, outputs };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function main(): void {
  const rev = arg('baseline-rev', '');
  if (!rev) throw new Error('--baseline-rev <commit> is required');
  const rows = Number(arg('rows', '1000000'));
  const reps = Number(arg('reps', '3'));
  const out = arg('out', 'bench/results/out-of-core-ab.json');
  const root = join(arg('work', tmpdir()), 'ooc-ab');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'base'), { recursive: true });
  // The baseline's sources, with this checkout's dependencies.
  execFileSync('sh', ['-c', `git archive ${rev} src | tar -x -C ${JSON.stringify(join(root, 'base'))}`]);
  symlinkSync(resolve('node_modules'), join(root, 'base', 'node_modules'));
  const log = join(root, 'log.csv');
  generateInteractionLog(log, { preset: LOG_PRESETS.taobao, rows, seed: 1, badRowShare: 0.01 });
  const variants = { before: join(root, 'base', 'src'), after: resolve('src') } as const;
  const runs: Run[] = [];
  try {
    for (let k = 0; k < reps; k++) {
      for (const variant of (k % 2 === 0 ? ['before', 'after'] : ['after', 'before']) as ('before' | 'after')[]) {
        const work = join(root, `work-${variant}`);
        rmSync(work, { recursive: true, force: true });
        mkdirSync(work);
        const loadAverage = Math.round(loadavg()[0]! * 100) / 100;
        const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'bench/out-of-core-ab.ts', '--child', '--src', variants[variant], '--log', log, '--work', work], { encoding: 'utf-8' });
        const r = { variant, ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as Omit<Run, 'variant' | 'loadAverage'>), loadAverage };
        console.log(JSON.stringify(r));
        runs.push(r);
        rmSync(work, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const summary = Object.fromEntries(
    (['before', 'after'] as const).map((v) => {
      const rs = runs.filter((r) => r.variant === v);
      const cpu = median(rs.map((r) => r.cpuSeconds));
      const perMillion = (cpu / rs[0]!.rows) * 1e6;
      return [v, { medianCpuSeconds: Math.round(cpu * 100) / 100, cpuSecondsPerMillionRows: Math.round(perMillion * 100) / 100, rowsPerCpuSecond: Math.round(rs[0]!.rows / cpu), medianWallSeconds: median(rs.map((r) => r.wallSeconds)) }];
    }),
  );
  // Byte-identical outputs: every run, before and after, wrote the same files with the same hashes.
  const outputsIdentical = runs.every((r) => JSON.stringify(r.outputs) === JSON.stringify(runs[0]!.outputs));
  const doc = {
    bench: 'out-of-core-ab',
    command: `node --import tsx bench/out-of-core-ab.ts --baseline-rev ${rev} --rows ${rows} --reps ${reps} --out ${out}`,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', note: 'shared with other processes; CPU seconds are the comparable figure' },
    baselineRev: rev,
    rows,
    summary,
    outputsIdentical,
    outputs: runs[0]!.outputs,
    runs,
  };
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(JSON.stringify(summary), outputsIdentical ? 'outputs byte-identical' : 'OUTPUTS DIFFER');
  console.log(`wrote ${out}`);
}

if (flag('child')) await child();
else main();
