/**
 * The job-queue executor: BullMQ on Redis. `queueExecutor(…)` is a UnitExecutor (the seam in
 * src/experiment/run-store.ts): it enqueues one job per unit — job id = experiment fingerprint +
 * unit index, so submitting again adds nothing twice — shows each job's live progress (the
 * workers' job.updateProgress, through QueueEvents), and resolves when every job has completed.
 * A job that failed for good (a deterministic error, or out of attempts) fails the run with each
 * job's reason. Jobs that vanished (a Redis restarted without persistence) are enqueued again:
 * a worker that finds the unit's result in the store does nothing, so nothing is done twice.
 */
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { SamplifyError, silentProgress, type ProgressReporter } from '../core/index.ts';
import type { UnitExecutor, UnitOutcome, WorkUnit } from '../experiment/index.ts';
import { JOB_VERSION, type UnitJob } from './jobs.ts';
import { redactRedisUrl, redisConnection } from './redis.ts';

export const DEFAULT_QUEUE_NAME = 'samplify';

/** Retries for errors that may pass (a lost connection, a full disk); deterministic errors are not retried (the worker marks them unrecoverable). */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Some jobs failed for good: each with its reason (as `samplify status` shows them). Exit 1. */
export class QueueJobsFailedError extends SamplifyError {
  readonly failures: readonly { readonly job: string; readonly reason: string }[];
  constructor(failures: readonly { job: string; reason: string }[]) {
    super(`${failures.length} job(s) failed: ${failures.map((f) => `${f.job}: ${f.reason}`).join(' | ')}`);
    this.failures = failures;
  }
}

export interface QueueExecutorOptions {
  readonly url: string;
  readonly queueName?: string;
  /** The experiment's fingerprint (see jobs.ts) and the shared store folder (absolute). */
  readonly experiment: string;
  readonly store: string;
  /** Which experiment the units belong to (default lift-unit). */
  readonly unitKind?: UnitJob['kind'];
  readonly progress?: ProgressReporter;
  /** How often job states are checked besides the events (ms; default 1000). */
  readonly pollMs?: number;
}

/** Progress a worker reports on a job (job.updateProgress): the last line and where the current epoch stands. */
export interface JobProgress {
  readonly line?: string;
  readonly label?: string;
  readonly done?: number;
  readonly total?: number;
}

export function queueExecutor(o: QueueExecutorOptions): UnitExecutor {
  return {
    claims: 'executor',
    async execute<U extends WorkUnit>(units: readonly U[]): Promise<ReadonlyMap<string, UnitOutcome>> {
      const progress = o.progress ?? silentProgress;
      const name = o.queueName ?? DEFAULT_QUEUE_NAME;
      const onError = (m: string): void => progress.line(m);
      const queueConn = redisConnection(o.url, { onError });
      const eventsConn = redisConnection(o.url, { onError });
      const queue = new Queue(name, { connection: queueConn });
      const events = new QueueEvents(name, { connection: eventsConn });
      queue.on('error', () => {}); // reported once per 5 s by the connection itself
      events.on('error', () => {});
      const jobs = units.map((u, i) => {
        const data: UnitJob = { v: JOB_VERSION, kind: o.unitKind ?? 'lift-unit', experiment: o.experiment, store: o.store, arm: u.arm, seed: u.seed };
        return { id: `${data.kind === 'search-unit' ? 'search' : 'lift'}-${o.experiment}-${i}`, name: u.key, data };
      });
      const byId = new Map(jobs.map((j) => [j.id, j]));
      const lastLine = new Map<string, string>();
      events.on('progress', ({ jobId, data }) => {
        const j = byId.get(jobId);
        if (!j || data === null || typeof data !== 'object') return;
        const p = data as JobProgress;
        if (typeof p.line === 'string' && lastLine.get(jobId) !== p.line) {
          lastLine.set(jobId, p.line);
          progress.line(`[${j.name}] ${p.line}`);
        }
        if (typeof p.label === 'string' && typeof p.done === 'number' && typeof p.total === 'number') progress.step?.(`${j.name} ${p.label}`, p.done, p.total);
      });
      try {
        await events.waitUntilReady();
        const add = async (ids: readonly string[]): Promise<void> => {
          await queue.addBulk(ids.map((id) => ({ name: byId.get(id)!.name, data: byId.get(id)!.data, opts: { ...JOB_OPTIONS, jobId: id } })));
        };
        // A job that failed in an earlier submission is tried again (the user resubmits after fixing what was wrong).
        for (const j of jobs) {
          const existing = await queue.getJob(j.id);
          if (existing && (await existing.getState()) === 'failed') await existing.retry('failed');
        }
        await add(jobs.map((j) => j.id));
        progress.line(`queue ${name} on ${redactRedisUrl(o.url)}: ${jobs.length} job(s) submitted; waiting for workers (samplify worker --queue …)`);
        const open = new Set(jobs.map((j) => j.id));
        const failures: { job: string; reason: string }[] = [];
        let finished = 0;
        while (open.size > 0) {
          const missing: string[] = [];
          for (const id of [...open]) {
            const job = await queue.getJob(id);
            if (!job) {
              missing.push(id);
              continue;
            }
            const state = await job.getState();
            if (state === 'completed') {
              open.delete(id);
              progress.line(`[${byId.get(id)!.name}] done (${++finished}/${jobs.length})`);
            } else if (state === 'failed') {
              open.delete(id);
              failures.push({ job: byId.get(id)!.name, reason: job.failedReason ?? 'unknown' });
              progress.line(`[${byId.get(id)!.name}] failed: ${job.failedReason}`);
            }
          }
          if (missing.length > 0) {
            progress.line(`${missing.length} job(s) are no longer in the queue (was Redis restarted without persistence?); submitting them again — finished units are not redone`);
            await add(missing);
          }
          if (open.size > 0) await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
        }
        if (failures.length > 0) throw new QueueJobsFailedError(failures);
        return new Map(units.map((u) => [u.key, 'done' as const]));
      } finally {
        await events.close();
        await queue.close();
        // Connections passed in are the caller's to end (BullMQ leaves them open).
        queueConn.disconnect();
        eventsConn.disconnect();
      }
    },
  };
}
