/**
 * The job-queue executor: BullMQ on Redis. `queueExecutor(…)` is a UnitExecutor (the seam in
 * src/experiment/run-store.ts): it enqueues one job per unit — job id = experiment fingerprint +
 * unit index, so submitting again adds nothing twice — shows each job's live progress (the
 * workers' job.updateProgress, through QueueEvents), and resolves when every job has completed.
 * A job that failed for good (a deterministic error, or out of attempts) fails the run with each
 * job's reason.
 *
 * Shared fits (a generator several units train on) are jobs of their own, each the child of a
 * BullMQ flow whose parent — a small 'release' job — runs only once the fit has finished and then
 * enqueues the units waiting on it: the fit runs once, on one worker, writes its model to the store,
 * and its units start after it and load it. A fit that fails for good still releases its units
 * (ignoreDependencyOnFailure), and each fails at once with the fit's reason. Jobs that vanished (a Redis restarted without persistence) are enqueued again:
 * a worker that finds the unit's result in the store does nothing, so nothing is done twice.
 */
import { FlowProducer, Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { SamplifyError, silentProgress, type ProgressReporter } from '../core/index.ts';
import type { SharedFit, UnitExecutor, UnitOutcome, WorkUnit } from '../experiment/index.ts';
import { JOB_VERSION, type FitJob, type ReleaseJob, type UnitJob } from './jobs.ts';
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

/** The queue's job ids of one experiment: units by index, shared fits and their release parents by fit key. */
function jobIds(kind: UnitJob['kind'], experiment: string): { unit: (i: number) => string; fit: (key: string) => string; release: (key: string) => string } {
  const prefix = `${kind === 'search-unit' ? 'search' : 'lift'}-${experiment}`;
  return { unit: (i) => `${prefix}-${i}`, fit: (key) => `${prefix}-fit-${key}`, release: (key) => `${prefix}-after-${key}` };
}

/** A job the submitter follows: its id, its display name and, for a unit, the fit jobs it waits on. */
interface Followed {
  readonly id: string;
  readonly name: string;
  readonly unit?: { readonly data: UnitJob; readonly after: readonly string[] };
  readonly fit?: { readonly data: FitJob; readonly release: ReleaseJob; readonly releaseId: string };
}

const FINISHED = new Set(['completed', 'failed']);

/**
 * The reason a job found 'failed' failed. A job read before its state may have failed in between,
 * and that copy has no reason yet (seen on a loaded machine as "unknown"); state and reason are
 * written together, so a copy read after the state has it.
 */
export async function failedReasonAfterState(queue: Queue, id: string, readBefore: { failedReason?: string }): Promise<string> {
  return (await queue.getJob(id))?.failedReason ?? readBefore.failedReason ?? 'unknown';
}

export function queueExecutor(o: QueueExecutorOptions): UnitExecutor {
  return {
    claims: 'executor',
    sharedFits: 'jobs',
    async execute<U extends WorkUnit>(units: readonly U[], _run: unknown, fits: readonly SharedFit[] = []): Promise<ReadonlyMap<string, UnitOutcome>> {
      const progress = o.progress ?? silentProgress;
      const name = o.queueName ?? DEFAULT_QUEUE_NAME;
      const onError = (m: string): void => progress.line(m);
      const queueConn = redisConnection(o.url, { onError });
      const eventsConn = redisConnection(o.url, { onError });
      const queue = new Queue(name, { connection: queueConn });
      const flows = new FlowProducer({ connection: queueConn });
      const events = new QueueEvents(name, { connection: eventsConn });
      queue.on('error', () => {}); // reported once per 5 s by the connection itself
      flows.on('error', () => {});
      events.on('error', () => {});
      const kind = o.unitKind ?? 'lift-unit';
      const ids = jobIds(kind, o.experiment);
      // Shared fits: one job each; a unit needing some waits on them (its `after`), released by their flow parents.
      const after = new Map<string, string[]>();
      for (const f of fits) for (const key of f.units) after.set(key, [...(after.get(key) ?? []), ids.fit(f.key)]);
      const unitJobs: Followed[] = units.map((u, i) => {
        const needs = after.get(u.key) ?? [];
        const data: UnitJob = { v: JOB_VERSION, kind, experiment: o.experiment, store: o.store, arm: u.arm, seed: u.seed, ...(needs.length > 0 ? { after: needs } : {}) };
        return { id: ids.unit(i), name: u.key, unit: { data, after: needs } };
      });
      const unitByKey = new Map(units.map((u, i) => [u.key, unitJobs[i]!]));
      const fitJobs: Followed[] = fits.map((f) => {
        const data: FitJob = { v: JOB_VERSION, kind: kind === 'search-unit' ? 'search-fit' : 'lift-fit', experiment: o.experiment, store: o.store, fit: f.key };
        const release: ReleaseJob = { v: JOB_VERSION, kind: 'release', units: f.units.map((k) => unitByKey.get(k)!).map((j) => ({ id: j.id, name: j.name, data: j.unit!.data })) };
        return { id: ids.fit(f.key), name: `fit ${f.label}`, fit: { data, release, releaseId: ids.release(f.key) } };
      });
      const jobs = [...fitJobs, ...unitJobs];
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
        const addUnits = async (list: readonly Followed[]): Promise<void> => {
          if (list.length > 0) await queue.addBulk(list.map((j) => ({ name: j.name, data: j.unit!.data, opts: { ...JOB_OPTIONS, jobId: j.id } })));
        };
        // A fit job as the child of its release job: BullMQ runs the parent only after the child, so
        // the units it enqueues never start before their generator is in the store.
        // All in one transaction, so no release job sees a sibling fit not yet added.
        const addFits = async (list: readonly Followed[]): Promise<void> => {
          if (list.length === 0) return;
          await flows.addBulk(
            list.map((j) => ({
              name: `after ${j.name}`,
              queueName: name,
              data: j.fit!.release,
              opts: { ...JOB_OPTIONS, jobId: j.fit!.releaseId },
              children: [{ name: j.name, queueName: name, data: j.fit!.data, opts: { ...JOB_OPTIONS, jobId: j.id, ignoreDependencyOnFailure: true } }],
            })),
          );
        };
        // A job that failed in an earlier submission is tried again (the user resubmits after fixing
        // what was wrong); a unit retried before its fit is done again waits for it (see the worker).
        for (const j of jobs) {
          const existing = await queue.getJob(j.id);
          if (existing && (await existing.getState()) === 'failed') await existing.retry('failed');
        }
        await addFits(fitJobs);
        await addUnits(unitJobs.filter((j) => j.unit!.after.length === 0));
        progress.line(
          `queue ${name} on ${redactRedisUrl(o.url)}: ${unitJobs.length} job(s) submitted${fitJobs.length > 0 ? `, ${fitJobs.length} shared fit(s) first` : ''}; waiting for workers (samplify worker --queue …)`,
        );
        const open = new Set(jobs.map((j) => j.id));
        const failures: { job: string; reason: string }[] = [];
        let finished = 0;
        const fitState = new Map<string, string>();
        while ([...open].some((id) => byId.get(id)!.unit)) {
          const missingUnits: Followed[] = [];
          const missingFits: Followed[] = [];
          for (const id of [...open]) {
            const j = byId.get(id)!;
            const job = await queue.getJob(id);
            if (!job) {
              // Not enqueued yet (waiting on its fits) or lost (Redis restarted without persistence).
              if (j.fit) missingFits.push(j);
              else if (j.unit!.after.every((f) => FINISHED.has(fitState.get(f) ?? ''))) missingUnits.push(j);
              continue;
            }
            const state = await job.getState();
            if (j.fit) fitState.set(id, state);
            if (state === 'completed') {
              open.delete(id);
              progress.line(j.fit ? `[${j.name}] done` : `[${j.name}] done (${++finished}/${unitJobs.length})`);
            } else if (state === 'failed') {
              open.delete(id);
              const reason = await failedReasonAfterState(queue, id, job);
              failures.push({ job: j.name, reason });
              progress.line(`[${j.name}] failed: ${reason}`);
            }
          }
          if (missingFits.length + missingUnits.length > 0) {
            progress.line(`${missingFits.length + missingUnits.length} job(s) are not in the queue (was Redis restarted without persistence?); submitting them again — finished work is not redone`);
            await addFits(missingFits);
            await addUnits(missingUnits);
          }
          if ([...open].some((id) => byId.get(id)!.unit)) await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
        }
        if (failures.length > 0) throw new QueueJobsFailedError(failures);
        return new Map(units.map((u) => [u.key, 'done' as const]));
      } finally {
        await events.close();
        await flows.close();
        await queue.close();
        // Connections passed in are the caller's to end (BullMQ leaves them open).
        queueConn.disconnect();
        eventsConn.disconnect();
      }
    },
  };
}
