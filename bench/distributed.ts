/**
 * Scaling benchmark of the queue executor on this machine: a real redis-server on loopback and
 * real `samplify worker` processes (one per core, --threads 1).
 *
 *  - throughput: the same fixed set of (arm, seed) jobs (a tiny lift experiment, fresh store each
 *    time) with 1 and with 2 worker processes; ratio = wall(1) / wall(2) of the queue phase;
 *  - queue overhead per job: N empty jobs (a no-op BullMQ processor) through one worker, and N
 *    jobs of samplify units whose results are already stored (the worker reads them back);
 *  - the per-job times the projection in docs/guide/scaling-out.md uses;
 *  - the hardware ceiling, measured in the same run: the same units run by 1 and by 2 plain
 *    processes at once (no queue, no Redis: each process prepares the experiment, waits for a
 *    common start, then runs its units back to back), so the report gives the queue's ratio, the
 *    machine's ratio for two single-threaded processes, and queue efficiency = their quotient;
 *  - where the CPU goes: per-thread CPU of a worker process (is it really one thread with
 *    --threads 1?) and the submitting process's own CPU while it waits (does polling steal a core?).
 *
 * Flags: --seeds 4 (units = 2 × seeds), --epochs 12, --users 300 (synthetic users per job's data: the
 * size of each job), --empty 300.
 * Writes bench/results/distributed.json. Command:
 *   node --import tsx bench/distributed.ts
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { parseExperimentConfig, prepareLiftExperiment } from '../src/experiment/index.ts';
import { submitLiftExperiment } from '../src/distributed/index.ts';
import { setThreads } from '../src/nn/index.ts';
import { startRedis, spawnWorker, stopAll, type WorkerProcess } from '../test/distributed/redis-fixture.ts';
import { arg, flag } from './args.ts';

const root = resolve(import.meta.dirname, '..');
const seeds = Number(arg('seeds', '4'));
const epochs = Number(arg('epochs', '12'));
const emptyJobs = Number(arg('empty', '300'));
const users = Number(arg('users', '300'));
setThreads(1);
const plainChild = flag('plain-child');
const tmp = plainChild ? arg('tmp', '') : mkdtempSync(join(tmpdir(), 'samplify-bench-dist-'));

const data = join(tmp, 'seqs.txt');
if (!plainChild) {
  const rng = new Rng(11);
  writeFileSync(data, Array.from({ length: users }, (_, u) => {
    let it = 1 + rng.int(80);
    return `${u + 1} ${Array.from({ length: 5 + rng.int(15) }, () => (it = 1 + ((it + 1 + rng.int(3)) % 80))).join(' ')}`;
  }).join('\n') + '\n');
}
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

/** CPU seconds so far of each thread of a process (utime + stime from /proc/<pid>/task/<tid>/stat), by thread id. */
function threadCpu(pid: number | 'self'): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf-8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, (Number(f[11]) + Number(f[12])) / 100); // USER_HZ
  }
  return out;
}

/** CPU between two threadCpu snapshots: the main thread's (tid = pid), the other threads' together, and how many threads used any. */
function threadCpuSince(pid: number | 'self', before: Map<string, number>): { mainThread: number; otherThreads: number; threadsUsingCpu: number } {
  const main = String(pid === 'self' ? process.pid : pid);
  let mainThread = 0;
  let otherThreads = 0;
  let threadsUsingCpu = 0;
  for (const [tid, s] of threadCpu(pid)) {
    const d = s - (before.get(tid) ?? 0);
    if (d <= 0) continue;
    threadsUsingCpu++;
    if (tid === main) mainThread += d;
    else otherThreads += d;
  }
  return { mainThread: round(mainThread), otherThreads: round(otherThreads), threadsUsingCpu };
}

/**
 * --plain-child: the hardware ceiling's process. Prepares the experiment in its own folder (no
 * store shared, no queue), says 'ready', waits for 'go' on stdin, runs its units back to back,
 * prints their seconds and its threads' CPU.
 */
async function runPlainChild(): Promise<void> {
  const keys = arg('units', '').split(',');
  const lift = await prepareLiftExperiment({ config, baseDir: tmp, out: arg('out', ''), progress: quiet });
  const units = lift.units.filter((u) => keys.includes(u.key));
  process.stdout.write('ready\n');
  await new Promise<void>((ok) => process.stdin.once('data', () => ok()));
  const cpu0 = threadCpu('self');
  const seconds: number[] = [];
  for (const u of units) {
    const t = performance.now();
    await lift.runUnit(u, { claims: 'executor', progress: quiet });
    seconds.push(round((performance.now() - t) / 1000));
  }
  process.stdout.write(`${JSON.stringify({ seconds, threads: threadCpuSince('self', cpu0) })}\n`);
  process.exit(0);
}

/** The units split over `procs` plain processes (round robin, as workers take queue jobs in turn); wall from the common start to the last one done. */
async function plainRun(unitKeys: readonly string[], procs: number, tag: string): Promise<{ wall: number; perUnit: number[]; threads: ReturnType<typeof threadCpuSince>[] }> {
  const shares = Array.from({ length: procs }, (_, p) => unitKeys.filter((_, i) => i % procs === p));
  const children = shares.map((share, p) =>
    spawn(process.execPath, ['--import', 'tsx', 'bench/distributed.ts', '--plain-child', '--tmp', tmp, '--out', join(tmp, `plain-${tag}-${p}`), '--units', share.join(','), '--seeds', String(seeds), '--epochs', String(epochs), '--users', String(users)], {
      cwd: root,
      env: { ...process.env, SAMPLIFY_THREADS: '1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const lines = children.map((c) => {
    let buf = '';
    const waiters: ((l: string) => void)[] = [];
    const seen: string[] = [];
    c.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = waiters.shift();
        if (w) w(l);
        else seen.push(l);
      }
    });
    return (): Promise<string> => (seen.length > 0 ? Promise.resolve(seen.shift()!) : new Promise((ok) => waiters.push(ok)));
  });
  for (const next of lines) if ((await next()) !== 'ready') throw new Error('plain child did not get ready');
  const t0 = performance.now();
  for (const c of children) c.stdin!.write('go\n');
  const done = await Promise.all(lines.map(async (next) => JSON.parse(await next()) as { seconds: number[]; threads: ReturnType<typeof threadCpuSince> }));
  const wall = (performance.now() - t0) / 1000;
  return { wall, perUnit: done.flatMap((d) => d.seconds), threads: done.map((d) => d.threads) };
}

if (plainChild) await runPlainChild();

const loadavgAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
const redis = await startRedis();
try {
  const timed = async (queueName: string, workers: number): Promise<{ wall: number; perJob: number[]; firstToLastJob: number; submitterCpuSeconds: number; workerThreads: ReturnType<typeof threadCpuSince>[] }> => {
    const ws: WorkerProcess[] = await Promise.all(Array.from({ length: workers }, () => spawnWorker(redis.url, ['--queue-name', queueName])));
    const before = ws.map((w) => threadCpu(w.child.pid!));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await submitLiftExperiment({ config, baseDir: tmp, store: join(tmp, `store-${queueName}`), url: redis.url, queueName, pollMs: 100, progress: quiet });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // The workers' CPU during the run, main thread and the rest (starting up before it is not counted).
    const workerThreads = ws.map((w, k) => threadCpuSince(w.child.pid!, before[k]!));
    const q = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port } });
    const done = await q.getCompleted(0, 1000);
    const perJob = done.map((j) => ((j.finishedOn ?? 0) - (j.processedOn ?? 0)) / 1000);
    // From the first job's start to the last one's end: the queue phase without the submitter's preparation and aggregation.
    const firstToLastJob = (Math.max(...done.map((j) => j.finishedOn ?? 0)) - Math.min(...done.map((j) => j.processedOn ?? 0))) / 1000;
    await q.close();
    await Promise.all(ws.map((w) => w.stop()));
    return { wall, perJob, firstToLastJob, submitterCpuSeconds: round((cpu.user + cpu.system) / 1e6), workerThreads };
  };
  const one = await timed('w1', 1);
  const two = await timed('w2', 2);
  // The hardware ceiling, right after, on the same units: 1 vs 2 plain processes.
  const unitKeys = (await prepareLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'plain-keys'), progress: quiet })).units.map((u) => u.key);
  const plain1 = await plainRun(unitKeys, 1, 'p1');
  const plain2 = await plainRun(unitKeys, 2, 'p2');

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
  const queueRatio = one.wall / two.wall;
  const hardwareRatio = plain1.wall / plain2.wall;
  const result = {
    command: `node --import tsx bench/distributed.ts --seeds ${seeds} --epochs ${epochs} --users ${users} --empty ${emptyJobs}`,
    date: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavgAtStart, loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100), note: 'the cores are shared with other processes; the load average says how busy the machine was' },
    jobs: { count: jobs, what: `lift units (baseline + 1 crop arm) × ${seeds} seeds, tiny SASRec (hidden 16), ${epochs} epochs, ${users} users`, },
    throughput: {
      oneWorkerSeconds: round(one.wall),
      twoWorkersSeconds: round(two.wall),
      ratio: round(one.wall / two.wall),
      target: 1.8,
      meanJobSecondsOneWorker: round(mean(one.perJob)),
      meanJobSecondsTwoWorkers: round(mean(two.perJob)),
      firstToLastJobSecondsOneWorker: round(one.firstToLastJob),
      firstToLastJobSecondsTwoWorkers: round(two.firstToLastJob),
      jobPhaseRatio: round(one.firstToLastJob / two.firstToLastJob),
      note: 'wall time of submit → all jobs done (includes the submitter reading the data and aggregating, which does not parallelise); jobPhaseRatio: the same from the first job started to the last one finished',
    },
    hardwareCeiling: {
      oneProcessSeconds: round(plain1.wall),
      twoProcessesSeconds: round(plain2.wall),
      ratio: round(hardwareRatio),
      meanUnitSecondsOneProcess: round(mean(plain1.perUnit)),
      meanUnitSecondsTwoProcesses: round(mean(plain2.perUnit)),
      note: 'the same units, no queue: 1 process runs all of them back to back vs 2 processes at once (round robin), each prepared first and started together; wall = common start → last unit done. The best a queue could give on this machine at this load.',
    },
    queueEfficiency: {
      value: round(queueRatio / hardwareRatio),
      jobPhase: round(one.firstToLastJob / two.firstToLastJob / hardwareRatio),
      note: 'queue ratio / hardware ratio: 1 = the queue loses nothing against plain processes on the same cores',
    },
    cpu: {
      submitterCpuSecondsOneWorker: one.submitterCpuSeconds,
      submitterCpuSecondsTwoWorkers: two.submitterCpuSeconds,
      workerThreadCpuSecondsOneWorker: one.workerThreads,
      workerThreadCpuSecondsTwoWorkers: two.workerThreads,
      plainProcessThreadCpuSeconds: plain2.threads,
      note: 'CPU seconds during the queue phase: of the submitting process (prepares, polls every 100 ms, aggregates), and of each worker and each plain process: its main thread (JS + the BLAS calls it makes with --threads 1) and all its other threads together (V8 GC/compiler, libuv, any BLAS pool)',
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
