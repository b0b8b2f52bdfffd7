/**
 * Where prepareOutOfCore's peak RSS happens: the peak of each stage and of each DuckDB statement,
 * in one process (Linux only). Before each statement the process's high-water mark is reset
 * (writing 5 to /proc/self/clear_refs sets VmHWM to the current RSS) and read back after it
 * (VmHWM in /proc/self/status), so each line is that statement's own peak; the current RSS after
 * it shows what stays held. The staging pass (TS, before DuckDB starts) is one line of its own.
 *
 *   node --import tsx bench/out-of-core-memory.ts --rows 10000000 [--log <existing generated log>] [--memory-limit 512MB] [--threads 2] [--work <scratch>] [--out <json>]
 *
 * Same options as bench/out-of-core.ts's prepare (Taobao preset, 1 % malformed rows, 5-core,
 * leave-one-out, sequences.txt). Without --log the log is generated into the work folder (and kept,
 * so a second run can pass it with --log).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { generateInteractionLog, LOG_PRESETS, prepareOutOfCore } from '../src/data/index.ts';
import { arg } from './args.ts';

/** VmHWM and VmRSS of this process, in MB. */
function memory(): { hwm: number; rss: number } {
  const status = readFileSync('/proc/self/status', 'utf-8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { hwm: Math.round(kb('VmHWM') / 1024), rss: Math.round(kb('VmRSS') / 1024) };
}

/** Resets VmHWM to the current RSS. */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

interface Step {
  what: string;
  ms: number;
  peakMB: number;
  rssAfterMB: number;
}

const steps: Step[] = [];

/** Wraps a DuckDBConnection method so that each call is one step: its SQL, wall time, own peak RSS and RSS after. */
function instrument(name: 'run' | 'stream'): void {
  const proto = DuckDBConnection.prototype as unknown as Record<string, (sql: string, ...rest: unknown[]) => Promise<unknown>>;
  const original = proto[name]!;
  proto[name] = async function (this: unknown, sql: string, ...rest: unknown[]): Promise<unknown> {
    resetPeak();
    const t = performance.now();
    const r = await original.call(this, sql, ...rest);
    const m = memory();
    steps.push({ what: sql.replace(/\s+/g, ' ').slice(0, 140), ms: Math.round(performance.now() - t), peakMB: m.hwm, rssAfterMB: m.rss });
    return r;
  };
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '1000000'));
  const memoryLimit = arg('memory-limit', '512MB');
  const threads = Number(arg('threads', '2'));
  const work = arg('work', join(tmpdir(), 'ooc-memory', String(rows)));
  const out = arg('out', '');
  let log = arg('log', '');
  mkdirSync(work, { recursive: true });
  if (log === '') {
    log = join(work, 'log.csv');
    if (!existsSync(log)) generateInteractionLog(log, { preset: LOG_PRESETS.taobao, rows, seed: 1, badRowShare: 0.01 });
  }
  // runAndReadAll goes through run, so run and stream see every statement once.
  for (const m of ['run', 'stream'] as const) instrument(m);
  const prepared = join(work, 'prepared');
  rmSync(prepared, { recursive: true, force: true });
  const start = memory();
  resetPeak();
  let stageStart = performance.now();
  const t0 = performance.now();
  await prepareOutOfCore(log, {
    format: 'csv',
    columns: { user: 'user', item: 'item', timestamp: 'timestamp' },
    outDir: prepared,
    tempDir: join(work, 'spill'),
    kCore: 5,
    memoryLimit,
    threads,
    sequenceText: true,
    onStage: (stage) => {
      // The staging pass runs before any statement: its peak is the HWM since the reset above.
      if (stage === 'validate') {
        const m = memory();
        steps.push({ what: '(staging pass, TS)', ms: Math.round(performance.now() - stageStart), peakMB: m.hwm, rssAfterMB: m.rss });
      }
      steps.push({ what: `-- end of stage ${stage}`, ms: 0, peakMB: 0, rssAfterMB: memory().rss });
      stageStart = performance.now();
    },
  });
  const prepareMs = Math.round(performance.now() - t0);
  const maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  for (const s of steps) console.log(`${String(s.peakMB).padStart(6)} ${String(s.rssAfterMB).padStart(6)} ${String(s.ms).padStart(7)}  ${s.what}`);
  console.log(`rows ${rows}, memory limit ${memoryLimit}, threads ${threads}: prepare ${prepareMs} ms, maxRSS ${maxRssMB} MB (RSS at start ${start.rss} MB), load ${loadavg()[0]!.toFixed(2)}`);
  if (out !== '')
    writeFileSync(
      out,
      `${JSON.stringify({ bench: 'out-of-core-memory', command: `node --import tsx bench/out-of-core-memory.ts --rows ${rows} --memory-limit ${memoryLimit} --threads ${threads} --out ${out}`, date: new Date().toISOString(), rows, memoryLimit, threads, prepareMs, maxRssMB, loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100, steps }, null, 2)}\n`,
    );
  rmSync(prepared, { recursive: true, force: true });
}

await main();
