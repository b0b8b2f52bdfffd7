/**
 * `samplify worker`: pulls unit jobs from the queue and runs each with the same unit code the
 * embedded runner runs (prepareLiftExperiment(…).runUnit), writing through the run store: a unit
 * whose result is already stored trains nothing, an interrupted one resumes from its last
 * per-epoch checkpoint in the store. The queue's job lock is the claim (no lock files).
 *
 * Failures: a malformed job, or a SamplifyError other than an interruption (bad config, bad
 * data, a model in the wrong state) is deterministic — rerunning cannot help — so it becomes
 * BullMQ's UnrecoverableError: failed at once, its reason kept for `samplify status`. Anything
 * else (a lost connection, a full disk) is retried with backoff (JOB_OPTIONS.attempts). A worker
 * killed outright stops renewing its job's lock; after lockDuration another worker's stalled
 * check puts the job back and it resumes from the checkpoint.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ConfigError, isSamplifyError, InterruptedError, silentProgress, CancelToken, type ProgressReporter } from '../core/index.ts';
import { prepareLiftExperiment, prepareSearchExperiment, type UnitExecutor, type UnitOutcome, type WorkUnit } from '../experiment/index.ts';
import { parseJob, readStoredExperiment, unitKindOf, type UnitJob } from './jobs.ts';
import { DEFAULT_QUEUE_NAME, type JobProgress } from './queue.ts';
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
}

export interface RunningWorker {
  /** Stops taking jobs; waits for the running ones unless `force`. */
  close(force?: boolean): Promise<void>;
  /** Resolves when the worker is connected and waiting for jobs. */
  readonly ready: Promise<void>;
}

/** What a worker needs of a prepared experiment (lift or search): run one unit. */
interface PreparedUnits {
  runUnit(unit: WorkUnit, u: { claims: UnitExecutor['claims']; progress?: ProgressReporter; cancel?: CancelToken }): Promise<UnitOutcome>;
}

/** Prepared experiments, per fingerprint: units of one experiment share one read of the data. */
class PreparedCache {
  private readonly map = new Map<string, Promise<PreparedUnits>>();
  get(job: UnitJob, progress: ProgressReporter): Promise<PreparedUnits> {
    const key = `${job.store}\u0000${job.experiment}`;
    let p = this.map.get(key);
    if (!p) {
      const e = readStoredExperiment(job.store, job.experiment);
      if (unitKindOf(e) !== job.kind) throw new ConfigError(`a ${job.kind} job names a ${e.kind} experiment`, { field: 'kind' });
      p = e.kind === 'search' ? prepareSearchExperiment({ config: e.config, baseDir: e.baseDir, out: job.store, progress }) : prepareLiftExperiment({ config: e.config, baseDir: e.baseDir, out: job.store, progress });
      p.catch(() => this.map.delete(key));
      this.map.set(key, p);
      while (this.map.size > 2) this.map.delete(this.map.keys().next().value!);
    }
    return p;
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
  const cancel = new CancelToken();
  const processor = async (job: Job): Promise<{ outcome: string }> => {
    const parsed = parseJob(job.data);
    if (!parsed.ok) {
      own.line(`[${job.name}] rejected: ${parsed.reason}`);
      throw new UnrecoverableError(parsed.reason);
    }
    const progress = jobProgress(job, own);
    try {
      const lift = await cache.get(parsed.job, own);
      const outcome = await lift.runUnit({ key: job.name, arm: parsed.job.arm, seed: parsed.job.seed }, { claims: 'executor', progress, cancel });
      return { outcome };
    } catch (e) {
      if (isSamplifyError(e) && !(e instanceof InterruptedError)) {
        own.line(`[${job.name}] failed for good: ${e.describe()}`);
        throw new UnrecoverableError(e.describe());
      }
      throw e;
    }
  };
  const onError = (m: string): void => own.line(m);
  const conn = redisConnection(o.url, { onError });
  const worker = new Worker(o.queueName ?? DEFAULT_QUEUE_NAME, processor, {
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
  own.line(`worker on queue ${o.queueName ?? DEFAULT_QUEUE_NAME} at ${redactRedisUrl(o.url)}, concurrency ${o.concurrency ?? 1}`);
  return {
    ready: worker.waitUntilReady().then(() => undefined),
    async close(force = false) {
      if (force) cancel.cancel();
      await worker.close(force);
      conn.disconnect();
    },
  };
}
