/**
 * Out-of-core benchmark (issue 18 §3): generated Taobao-like logs of several sizes, each run in a
 * fresh child process so its peak RSS (process.resourceUsage().maxRSS: Node heap + DuckDB's native
 * memory) is that size's alone.
 *
 *   node --import tsx bench/out-of-core.ts --sizes 1000000,10000000 [--memory-limit 512MB] [--work <scratch folder; default: the OS temp folder>]
 *
 * Per size: generate the log (1 % malformed rows), then in one child: validate + dedupe + dense ids
 * + 5-core + leave-one-out (prepareOutOfCore, DuckDB with the memory limit, spilling to the work
 * folder), then crop-reorder augmentation (1 view per user, one shard) into Parquet parts.
 * Writes bench/results/out-of-core.json; the work folder is removed after each size.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fingerprintHash } from '../src/core/fingerprint.ts';
import { expandSequences, loadPipeline } from '../src/augment/index.ts';
import { augmentShard, generateInteractionLog, LOG_PRESETS, prepareOutOfCore } from '../src/data/index.ts';
import { arg, flag } from './args.ts';

const PIPELINE = 'examples/pipelines/crop-reorder.yaml';

interface ChildResult {
  rows: number;
  rowsKept: number;
  rowsRejected: number;
  interactions: number;
  users: number;
  items: number;
  stagesMs: Record<string, number>;
  /** CPU seconds (user + system, all threads) of each prepare stage. */
  stagesCpuSeconds: Record<string, number>;
  prepareMs: number;
  peakRssAfterPrepareMB: number;
  augmentMs: number;
  samples: number;
  parts: number;
  peakRssMB: number;
  /** CPU seconds (user + system, all threads of the child) of prepare and of augmentation: load-independent cost. */
  prepareCpuSeconds: number;
  augmentCpuSeconds: number;
}

async function child(): Promise<void> {
  const log = arg('log', '');
  const work = arg('work', '');
  const memoryLimit = arg('memory-limit', '512MB');
  const stagesMs: Record<string, number> = {};
  const stagesCpuSeconds: Record<string, number> = {};
  const cpu = (): number => {
    const u = process.resourceUsage();
    return (u.userCPUTime + u.systemCPUTime) / 1e6;
  };
  const c0 = cpu();
  let lastCpu = c0;
  const t0 = performance.now();
  const r = await prepareOutOfCore(log, {
    format: 'csv',
    columns: { user: 'user', item: 'item', timestamp: 'timestamp' },
    outDir: join(work, 'prepared'),
    tempDir: join(work, 'spill'),
    kCore: 5,
    memoryLimit,
    threads: 2,
    sequenceText: true,
    onStage: (s, ms) => {
      stagesMs[s] = Math.round(ms);
      const now = cpu();
      stagesCpuSeconds[s] = Math.round((now - lastCpu) * 100) / 100;
      lastCpu = now;
    },
  });
  const prepareMs = performance.now() - t0;
  const peakRssAfterPrepareMB = process.resourceUsage().maxRSS / 1024;
  const c1 = cpu();
  const pipeline = loadPipeline(PIPELINE);
  const t1 = performance.now();
  const m = await augmentShard({
    preparedDir: join(work, 'prepared'),
    outDir: join(work, 'augmented'),
    shard: 0,
    shards: 1,
    seed: 1,
    views: 1,
    pipelineFingerprint: fingerprintHash(pipeline.spec),
    expand: (train, o) => expandSequences(train, pipeline, o),
    memoryLimit,
  });
  const out: ChildResult = {
    rows: r.report.rowsIn,
    rowsKept: r.report.rowsKept,
    rowsRejected: r.report.rowsRejected,
    interactions: r.interactions,
    users: r.users,
    items: r.items,
    stagesMs,
    stagesCpuSeconds,
    prepareMs: Math.round(prepareMs),
    peakRssAfterPrepareMB: Math.round(peakRssAfterPrepareMB),
    augmentMs: Math.round(performance.now() - t1),
    samples: m.samples,
    parts: m.parts.length,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    prepareCpuSeconds: Math.round((c1 - c0) * 10) / 10,
    augmentCpuSeconds: Math.round((cpu() - c1) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function main(): void {
  const sizes = arg('sizes', '1000000,10000000').split(',').map(Number);
  const memoryLimit = arg('memory-limit', '512MB');
  const root = arg('work', join(tmpdir(), 'ooc-bench'));
  const out = arg('out', 'bench/results/out-of-core.json');
  const results: unknown[] = [];
  const failed: unknown[] = [];
  const started = new Date().toISOString();
  // Written after every size, so a long run that fails at its largest size keeps the smaller ones.
  const write = (): void => {
    const doc = {
      bench: 'out-of-core',
      command: `node --import tsx bench/out-of-core.ts --sizes ${sizes.join(',')} --memory-limit ${memoryLimit}${out === 'bench/results/out-of-core.json' ? '' : ` --out ${out}`}`,
      loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100,
      date: started,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', totalMemGB: Math.round(totalmem() / 2 ** 30), note: '2 cores shared with other processes during the run' },
      preset: LOG_PRESETS.taobao,
      memoryLimit,
      pipeline: PIPELINE,
      results,
      ...(failed.length > 0 ? { failed } : {}),
    };
    writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  };
  for (const rows of sizes) {
    const work = join(root, String(rows));
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      const log = join(work, 'log.csv');
      const g0 = performance.now();
      const g = generateInteractionLog(log, { preset: LOG_PRESETS.taobao, rows, seed: 1, badRowShare: 0.01 });
      const generateMs = Math.round(performance.now() - g0);
      const load = loadavg()[0];
      let stdout: string;
      try {
        stdout = execFileSync(process.execPath, ['--import', 'tsx', 'bench/out-of-core.ts', '--child', '--log', log, '--work', work, '--memory-limit', memoryLimit], { encoding: 'utf-8', maxBuffer: 1 << 24 });
      } catch (e) {
        failed.push({ generatedRows: rows, logBytes: g.bytes, error: String((e as { stderr?: string }).stderr ?? e).split('\n').filter((l) => /Error/.test(l)).slice(0, 3), loadAverageAtStart: Math.round(load! * 100) / 100 });
        write();
        continue;
      }
      const c = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
      const validateSplitMs = c.prepareMs;
      const row = {
        generatedRows: rows,
        logBytes: g.bytes,
        generatedBadRows: g.badRows,
        generateMs,
        ...c,
        validateSplitRowsPerSecond: Math.round(c.rows / (validateSplitMs / 1000)),
        // Load-independent: what one core would do if it were ours alone (CPU time counts all threads).
        prepareCpuSecondsPerMillionRows: Math.round((c.prepareCpuSeconds / c.rows) * 1e8) / 100,
        projectedRowsPerSecondPerCore: Math.round(c.rows / c.prepareCpuSeconds),
        loadAverageAtStart: Math.round(load! * 100) / 100,
        loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100,
      };
      console.log(JSON.stringify(row));
      results.push(row);
      write();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  write();
  console.log(`wrote ${out}`);
}

if (flag('child')) await child();
else main();
