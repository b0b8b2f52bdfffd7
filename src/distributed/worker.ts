/**
 * `samplify worker`: pulls unit jobs from the queue and runs each with the same unit code the
 * embedded runner runs (prepareLiftExperiment(…).runUnit), writing through the run store: a unit
 * whose result is already stored trains nothing, an interrupted one resumes from its last
 * per-epoch checkpoint in the store. The queue's job lock is the claim (no lock files).
 * Shared-fit jobs run prepared.runFit (the model goes to the store's generator cache); release
 * jobs enqueue the units that waited on a fit (see queue.ts).
 *
 * Failures: a malformed job, or a SamplifyError other than an interruption (bad config, bad
 * data, a model in the wrong state) is deterministic — rerunning cannot help — so it becomes
 * BullMQ's UnrecoverableError: failed at once, its reason kept for `samplify status`. Anything
 * else (a lost connection, a full disk) is retried with backoff (JOB_OPTIONS.attempts). A worker
 * killed outright stops renewing its job's lock; after lockDuration another worker's stalled
 * check puts the job back and it resumes from the checkpoint.
 */
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { ConfigError, isSamplifyError, InterruptedError, silentProgress, CancelToken, type ProgressReporter } from '../core/index.ts';
import { prepareLiftExperiment, prepareSearchExperiment, StoreError, type UnitExecutor, type UnitOutcome, type WorkUnit } from '../experiment/index.ts';
import { defaultMirrorRoot, openSharedStore, type OpenedStore } from './stores.ts';
import { experimentKindOf, parseJob, readStoredExperiment, type FitJob, type ReleaseJob, type UnitJob } from './jobs.ts';
import { DEFAULT_QUEUE_NAME, JOB_OPTIONS, failedReasonAfterState, type JobProgress } from './queue.ts';
import { redactRedisUrl, redactSecrets, redisConnection } from './redis.ts';

export interface WorkerOptions {
  readonly url: string;
  readonly queueName?: string;
  /** Jobs this process runs at once (BullMQ concurrency; training is CPU-bound, so one process per core is the usual choice). */
  readonly concurrency?: number;
  /** ms a job stays locked without renewal before another worker may take it over (BullMQ lockDuration; default 30000). */
  readonly lockDuration?: number;
  /** ms between this worker's checks for stalled jobs of dead workers (default lockDuration). */
  readonly stalledInterval?: number;
  /** Where this worker's own lines go (default silent). */
  readonly progress?: ProgressReporter;
  /** Object storage: where this process keeps its mirror folders (default: the system's temp folder). */
  readonly mirrorRoot?: string;
  /** Object storage: seconds between pushes of a running job's files (checkpoints) to the store (default SAMPLIFY_STORE_SYNC_SECONDS, else 30). */
  readonly syncSeconds?: number;
}

export interface RunningWorker {
  /** Stops taking jobs; waits for the running ones unless `force`. */
  close(force?: boolean): Promise<void>;
  /** Resolves when the worker is connected and waiting for jobs. */
  readonly ready: Promise<void>;
}

/** What a worker needs of a prepared experiment (lift or search): run one shared fit, run one unit. */
interface PreparedUnits {
  runFit(key: string, o: { progress?: ProgressReporter; cancel?: CancelToken }): Promise<void>;
  runUnit(unit: WorkUnit, u: { claims: UnitExecutor['claims']; progress?: ProgressReporter; cancel?: CancelToken }): Promise<UnitOutcome>;
}

/** Prepared experiments, per fingerprint: units of one experiment share one read of the data. */
class PreparedCache {
  private readonly map = new Map<string, Promise<PreparedUnits>>();
  /** `folder`: the store's folder, or this worker's mirror of it. */
  get(job: UnitJob | FitJob, folder: string, progress: ProgressReporter): Promise<PreparedUnits> {
    const key = `${job.store}\u0000${job.experiment}`;
    let p = this.map.get(key);
    if (!p) {
      const e = readStoredExperiment(folder, job.experiment);
      if (experimentKindOf(job.kind) !== e.kind) throw new ConfigError(`a ${job.kind} job names a ${e.kind} experiment`, { field: 'kind' });
      // Shared generator fits are jobs of their own here: preparing fits nothing, units load them from the store.
      p = e.kind === 'search' ? prepareSearchExperiment({ config: e.config, baseDir: e.baseDir, out: folder, progress }) : prepareLiftExperiment({ config: e.config, baseDir: e.baseDir, out: folder, progress, sharedFits: 'jobs' });
      p.catch(() => this.map.delete(key));
      this.map.set(key, p);
      while (this.map.size > 2) this.map.delete(this.map.keys().next().value!);
    }
    return p;
  }
}

/** The stores jobs name, opened once per process (object storage: with this process's mirror folder). */
class OpenedStores {
  private readonly map = new Map<string, Promise<OpenedStore>>();
  constructor(private readonly mirrorRoot: string | undefined) {}
  get(location: string): Promise<OpenedStore> {
    let s = this.map.get(location);
    if (!s) {
      s = openSharedStore(location, this.mirrorRoot !== undefined ? { mirrorRoot: this.mirrorRoot } : {});
      s.catch(() => this.map.delete(location));
      this.map.set(location, s);
    }
    return s;
  }
  async releaseAll(): Promise<void> {
    for (const s of this.map.values()) await s.then((x) => x.release(), () => undefined);
    this.map.clear();
  }
}

/** A job's progress: lines to the worker's log and to the job (job.log, updateProgress), epoch steps at most 4 per second. */
function jobProgress(job: Job, own: ProgressReporter): ProgressReporter {
  let last = 0;
  let line = '';
  const send = (p: JobProgress): void => void job.updateProgress({ ...p }).catch(() => {}); // Redis away: the next update carries on
  return {
    line(text) {
      line = text;
      own.line(`[${job.name}] ${text}`);
      void job.log(text).catch(() => {});
      send({ line });
    },
    step(label, done, total) {
      const now = Date.now();
      if (now - last < 250 && done < total) return;
      last = now;
      send({ line, label, done, total });
    },
  };
}

/** Starts a worker on the queue; it runs until close(). */
export function startWorker(o: WorkerOptions): RunningWorker {
  const own = o.progress ?? silentProgress;
  const cache = new PreparedCache();
  const stores = new OpenedStores(o.mirrorRoot);
  const fromEnv = Number(process.env['SAMPLIFY_STORE_SYNC_SECONDS']);
  const syncSeconds = o.syncSeconds ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 30);
  const cancel = new CancelToken();
  const onError = (m: string): void => own.line(m);
  const conn = redisConnection(o.url, { onError });
  const name = o.queueName ?? DEFAULT_QUEUE_NAME;
  const queue = new Queue(name, { connection: conn });
  queue.on('error', () => {});
  /** A release job: enqueues each of its units whose fits have all finished (another release enqueues the rest; ids make a second add a no-op). */
  const release = async (r: ReleaseJob): Promise<{ outcome: string }> => {
    const ready: ReleaseJob['units'] = [];
    for (const u of r.units) if ((await fitStates(u.data.after ?? [])).every((s) => s.state === 'completed' || s.state === 'failed')) ready.push(u);
    await queue.addBulk(ready.map((u) => ({ name: u.name, data: u.data, opts: { ...JOB_OPTIONS, jobId: u.id } })));
    return { outcome: `released ${ready.length} of ${r.units.length} unit(s)` };
  };
  const fitStates = (ids: readonly string[]): Promise<{ id: string; state: string; name: string; reason: string }[]> =>
    Promise.all(
      ids.map(async (id) => {
        const fit = await queue.getJob(id);
        if (!fit) return { id, state: 'missing', name: id, reason: 'unknown' };
        const state = await fit.getState();
        const reason = state === 'failed' ? await failedReasonAfterState(queue, id, fit) : (fit.failedReason ?? 'unknown');
        return { id, state, name: fit.name, reason };
      }),
    );
  const processor = async (job: Job, token?: string): Promise<{ outcome: string }> => {
    const parsed = parseJob(job.data);
    if (!parsed.ok) {
      own.line(`[${job.name}] rejected: ${parsed.reason}`);
      throw new UnrecoverableError(parsed.reason);
    }
    const data = parsed.job;
    if (data.kind === 'release') return release(data);
    if (data.kind === 'lift-unit' || data.kind === 'search-unit') {
      // A unit runs only after the shared fits it needs: one that failed fails it with its reason;
      // one not finished (a unit retried by a resubmission before its fit) puts it back to wait.
      const states = await fitStates(data.after ?? []);
      const failed = states.find((s) => s.state === 'failed');
      if (failed) {
        const reason = `its shared fit ${failed.name} failed: ${failed.reason}`;
        own.line(`[${job.name}] failed for good: ${reason}`);
        throw new UnrecoverableError(reason);
      }
      // 'missing': removed long after it completed (removeOnComplete) — its model is in the store.
      if (states.some((s) => s.state !== 'completed' && s.state !== 'missing')) {
        await job.moveToDelayed(Date.now() + 2000, token);
        throw new DelayedError();
      }
    }
    const progress = jobProgress(job, own);
    let stopSync: (() => Promise<void>) | undefined;
    try {
      const where = await stores.get(data.store);
      // Object storage: what other workers wrote comes in first; what this job writes goes out as it runs and at the end.
      if (where.mirror) {
        await where.mirror.pull();
        stopSync = where.mirror.pushEvery(syncSeconds * 1000, (e) => own.line(`[${job.name}] pushing to ${data.store}: ${(e as Error).message}`));
      }
      const prepared = await cache.get(data, where.folder, own);
      if ('fit' in data) {
        await prepared.runFit(data.fit, { progress, cancel });
        return { outcome: 'fitted' };
      }
      const outcome = await prepared.runUnit({ key: job.name, arm: data.arm, seed: data.seed }, { claims: 'executor', progress, cancel });
      return { outcome };
    } catch (e) {
      if (isSamplifyError(e) && !(e instanceof InterruptedError) && !(e instanceof StoreError)) {
        own.line(`[${job.name}] failed for good: ${e.describe()}`);
        throw new UnrecoverableError(e.describe());
      }
      throw e;
    } finally {
      // A job's files reach the store before it is reported done (or failed: its checkpoints too).
      await stopSync?.();
    }
  };
  const worker = new Worker(name, processor, {
    connection: conn,
    concurrency: o.concurrency ?? 1,
    lockDuration: o.lockDuration ?? 30_000,
    stalledInterval: o.stalledInterval ?? o.lockDuration ?? 30_000,
    maxStalledCount: 2,
    autorun: true,
  });
  worker.on('error', (e) => onError(`worker: ${redactSecrets(e.message, o.url)}`));
  worker.on('failed', (job, e) => {
    if (job && !(e instanceof UnrecoverableError)) own.line(`[${job.name}] attempt ${job.attemptsMade} failed: ${redactSecrets(e.message, o.url)}`);
  });
  worker.on('completed', (job) => own.line(`[${job.name}] completed`));
  // The effective object-storage settings are part of the line: flags and environment both end here.
  own.line(`worker on queue ${o.queueName ?? DEFAULT_QUEUE_NAME} at ${redactRedisUrl(o.url)}, concurrency ${o.concurrency ?? 1}; object-storage mirrors in ${o.mirrorRoot ?? defaultMirrorRoot()}, checkpoints pushed every ${syncSeconds} s`);
  return {
    ready: worker.waitUntilReady().then(() => undefined),
    async close(force = false) {
      if (force) cancel.cancel();
      await worker.close(force);
      await queue.close();
      await stores.releaseAll();
      conn.disconnect();
    },
  };
}
