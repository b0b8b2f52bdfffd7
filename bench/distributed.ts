/**
 * Scaling benchmark of the queue executor on this machine: a real redis-server on loopback and
 * real `samplify worker` processes (one per core, --threads 1).
 *
 *  - throughput: the same fixed set of (arm, seed) jobs (a tiny lift experiment, fresh store each
 *    time) with 1 and with 2 worker processes; ratio = wall(1) / wall(2) of the queue phase;
 *  - queue overhead per job: N empty jobs (a no-op BullMQ processor) through one worker, and N
 *    jobs of samplify units whose results are already stored (the worker reads them back);
 *  - the per-job times the projection in docs/guide/scaling-out.md uses.
 *
 * Flags: --seeds 4 (units = 2 × seeds), --epochs 12, --users 300 (synthetic users per job's data: the
 * size of each job), --empty 300.
 * Writes bench/results/distributed.json. Command:
 *   node --import tsx bench/distributed.ts
 */
import { cpus, loadavg } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { parseExperimentConfig } from '../src/experiment/index.ts';
import { submitLiftExperiment } from '../src/distributed/index.ts';
import { setThreads } from '../src/nn/index.ts';
import { startRedis, spawnWorker, stopAll, type WorkerProcess } from '../test/distributed/redis-fixture.ts';
import { arg } from './args.ts';

const root = resolve(import.meta.dirname, '..');
const seeds = Number(arg('seeds', '4'));
const epochs = Number(arg('epochs', '12'));
const emptyJobs = Number(arg('empty', '300'));
const users = Number(arg('users', '300'));
const tmp = mkdtempSync(join(tmpdir(), 'samplify-bench-dist-'));
setThreads(1);

const data = join(tmp, 'seqs.txt');
const rng = new Rng(11);
writeFileSync(data, Array.from({ length: users }, (_, u) => {
  let it = 1 + rng.int(80);
  return `${u + 1} ${Array.from({ length: 5 + rng.int(15) }, () => (it = 1 + ((it + 1 + rng.int(3)) % 80))).join(' ')}`;
}).join('\n') + '\n');
const config = parseExperimentConfig({
  name: 'bench-queue',
  data: { path: data },
  model: { model: 'sasrec', config: { hidden: 16, blocks: 1, heads: 2, maxLen: 20, loss: 'ce' }, trainer: { batchSize: 16 } },
  seeds,
  epochs,
  bootstrap: { resamples: 100 },
  arms: [{ name: 'crop', pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml') }],
});

const quiet = { line: () => {} };
const redis = await startRedis();
try {
  const timed = async (queueName: string, workers: number): Promise<{ wall: number; perJob: number[] }> => {
    const ws: WorkerProcess[] = await Promise.all(Array.from({ length: workers }, () => spawnWorker(redis.url, ['--queue-name', queueName])));
    const t0 = performance.now();
    await submitLiftExperiment({ config, baseDir: tmp, store: join(tmp, `store-${queueName}`), url: redis.url, queueName, pollMs: 100, progress: quiet });
    const wall = (performance.now() - t0) / 1000;
    const q = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port } });
    const done = await q.getCompleted(0, 1000);
    const perJob = done.map((j) => ((j.finishedOn ?? 0) - (j.processedOn ?? 0)) / 1000);
    await q.close();
    await Promise.all(ws.map((w) => w.stop()));
    return { wall, perJob };
  };
  const one = await timed('w1', 1);
  const two = await timed('w2', 2);

  // Empty jobs: BullMQ's own cost per job (add + fetch + lock + complete), one worker, concurrency 1.
  const empty = async (): Promise<number> => {
    const conn = { host: '127.0.0.1', port: redis.port };
    const q = new Queue('empty', { connection: conn });
    let done = 0;
    let finish = (): void => {};
    const all = new Promise<void>((r) => (finish = r));
    const w = new Worker('empty', async () => ({}), { connection: { ...conn, maxRetriesPerRequest: null }, concurrency: 1 });
    w.on('completed', () => ++done === emptyJobs && finish());
    await w.waitUntilReady();
    const t0 = performance.now();
    await q.addBulk(Array.from({ length: emptyJobs }, (_, i) => ({ name: 'noop', data: { i } })));
    await all;
    const ms = (performance.now() - t0) / emptyJobs;
    await w.close();
    await q.close();
    return ms;
  };
  const emptyMs = await empty();

  // Stored units: the w1 experiment submitted again on a new queue; each job finds its result stored.
  const ws = await spawnWorker(redis.url, ['--queue-name', 'stored']);
  await submitLiftExperiment({ config, baseDir: tmp, store: join(tmp, 'store-w1'), url: redis.url, queueName: 'stored', pollMs: 50, progress: quiet }); // warm: the worker prepares the experiment
  const q = new Queue('stored', { connection: { host: '127.0.0.1', port: redis.port } });
  const stored = (await q.getCompleted(0, 1000)).map((j) => ((j.finishedOn ?? 0) - (j.processedOn ?? 0)));
  await q.close();
  await ws.stop();

  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const jobs = 2 * seeds;
  const result = {
    command: `node --import tsx bench/distributed.ts --seeds ${seeds} --epochs ${epochs} --users ${users} --empty ${emptyJobs}`,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100), note: 'the cores are shared with other processes; the load average says how busy the machine was' },
    jobs: { count: jobs, what: `lift units (baseline + 1 crop arm) × ${seeds} seeds, tiny SASRec (hidden 16), ${epochs} epochs, ${users} users`, },
    throughput: {
      oneWorkerSeconds: round(one.wall),
      twoWorkersSeconds: round(two.wall),
      ratio: round(one.wall / two.wall),
      target: 1.8,
      meanJobSecondsOneWorker: round(mean(one.perJob)),
      meanJobSecondsTwoWorkers: round(mean(two.perJob)),
      note: 'wall time of submit → all jobs done (includes the submitter reading the data and aggregating, which does not parallelise)',
    },
    overheadPerJobMs: {
      emptyBullmqJob: round(emptyMs),
      storedSamplifyUnit: round(mean(stored)),
      target: 50,
      note: 'empty: add + fetch + lock + complete of a no-op job, one worker; stored: a samplify unit job whose result is already in the store (the worker checks and does nothing)',
    },
  };
  writeJsonAtomic(join(root, 'bench', 'results', 'distributed.json'), result);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} finally {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
