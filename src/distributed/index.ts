/**
 * Running experiments on many machines: BullMQ jobs on Redis, one per (arm, seed) unit, and
 * workers that run the same unit code as the embedded runner against a shared store folder.
 * The seam is the UnitExecutor of src/experiment/run-store.ts; this folder adds the queue
 * executor (submit + live progress + collect), the worker, the job schema and `status`.
 */
export { queueExecutor, QueueJobsFailedError, DEFAULT_QUEUE_NAME, JOB_OPTIONS } from './queue.ts';
export type { QueueExecutorOptions, JobProgress } from './queue.ts';
export { startWorker } from './worker.ts';
export type { WorkerOptions, RunningWorker } from './worker.ts';
export { unitJobSchema, fitJobSchema, releaseJobSchema, unitKindOf, experimentKindOf, parseJob, experimentFingerprint, writeStoredExperiment, readStoredExperiment, JOB_VERSION } from './jobs.ts';
export type { UnitJob, FitJob, ReleaseJob, QueueJob, StoredExperiment } from './jobs.ts';
export { queueStatus, formatStatus } from './status.ts';
export type { QueueStatus } from './status.ts';
export { redactRedisUrl, redactSecrets, checkQueueUrl, redisConnection } from './redis.ts';
export { submitLiftExperiment, submitSearchExperiment } from './submit.ts';
