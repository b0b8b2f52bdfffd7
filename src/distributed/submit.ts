/** `samplify experiment <config> --queue …`: the lift experiment with its units run by queue workers. */
import { resolve } from 'node:path';
import type { CancelToken, ProgressReporter } from '../core/index.ts';
import { runLiftExperiment, type ArmSummary, type ExperimentConfig } from '../experiment/index.ts';
import { writeStoredExperiment } from './jobs.ts';
import { queueExecutor } from './queue.ts';

export interface SubmitLiftOptions {
  readonly config: ExperimentConfig;
  readonly baseDir: string;
  /** The shared store: the experiment's output folder, on a path every worker sees the same way. */
  readonly store: string;
  readonly url: string;
  readonly queueName?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  readonly pollMs?: number;
}

/**
 * Writes the experiment into the store, prepares it here (data, split, pipelines, shared generator
 * fits — cached in the store, so workers load them), enqueues one job per (arm, seed) and waits;
 * then aggregates from the store into the same results.json / results.csv / table as a local run.
 */
export async function submitLiftExperiment(o: SubmitLiftOptions): Promise<{ arms: ArmSummary[]; table: string; pending?: string[] }> {
  const store = resolve(o.store);
  const baseDir = resolve(o.baseDir);
  const experiment = writeStoredExperiment(store, { kind: 'lift', config: o.config, baseDir });
  const executor = queueExecutor({ url: o.url, experiment, store, ...(o.queueName ? { queueName: o.queueName } : {}), ...(o.progress ? { progress: o.progress } : {}), ...(o.pollMs ? { pollMs: o.pollMs } : {}) });
  return runLiftExperiment({ config: o.config, baseDir, out: store, executor, ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) });
}
