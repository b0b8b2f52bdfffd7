/**
 * What travels through Redis: small job metadata only. A job names a unit of an experiment kept
 * in a shared store folder — the experiment's fingerprint, the unit (arm, seed) and the store's
 * path — never data, results or checkpoints (those stay in the store). A worker validates every
 * job with jobSchema before touching it; a malformed one is rejected with the reason, never run.
 *
 * The experiment itself is written once into the store (`queue-experiment.json`, a run-store
 * record keyed by its fingerprint) and parsed by the worker with the experiment's own config
 * schema, so a job cannot smuggle settings past the schema a local run goes through.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, fingerprintHash } from '../core/index.ts';
import { parseExperimentConfig, parseSearchExperimentConfig, readRunResult, writeRunResult, type ExperimentConfig, type SearchExperimentConfig } from '../experiment/index.ts';

export const JOB_VERSION = 1;

/** One (arm, seed) unit of a sequence lift experiment or of a search experiment. */
export const unitJobSchema = z
  .object({
    v: z.literal(JOB_VERSION),
    kind: z.enum(['lift-unit', 'search-unit']),
    /** fingerprintHash of the experiment spec in the store. */
    experiment: z.string().regex(/^[0-9a-f]{16}$/, 'a 16-hex-digit experiment fingerprint'),
    /** The shared store folder (absolute: workers run anywhere). */
    store: z.string().min(1).refine((p) => isAbsolute(p), 'an absolute path'),
    arm: z.string().min(1).max(200),
    seed: z.number().int().min(0).max(1_000_000),
  })
  .strict();
export type UnitJob = z.infer<typeof unitJobSchema>;

/** The job's data when it is well formed; otherwise the reasons, one per bad field. */
export function parseJob(data: unknown): { ok: true; job: UnitJob } | { ok: false; reason: string } {
  const r = unitJobSchema.safeParse(data);
  if (r.success) return { ok: true, job: r.data };
  return { ok: false, reason: `malformed job: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
}

/** The experiment as the store keeps it for workers: the parsed config and the folder its relative paths resolve against. */
export type StoredExperiment = { readonly kind: 'lift'; readonly config: ExperimentConfig; readonly baseDir: string } | { readonly kind: 'search'; readonly config: SearchExperimentConfig; readonly baseDir: string };

/** The job kind of an experiment's units. */
export function unitKindOf(e: Pick<StoredExperiment, 'kind'>): UnitJob['kind'] {
  return e.kind === 'search' ? 'search-unit' : 'lift-unit';
}

/** The experiment's id on the queue: its spec and the store it writes to (the same config sent to two stores is two experiments). */
export function experimentFingerprint(e: StoredExperiment, store: string): string {
  return fingerprintHash({ kind: e.kind, config: e.config, baseDir: e.baseDir, store });
}

const SPEC_FILE = 'queue-experiment.json';

/** Writes the experiment into the store (idempotent: the same experiment writes the same record). */
export function writeStoredExperiment(store: string, e: StoredExperiment): string {
  const id = experimentFingerprint(e, store);
  writeRunResult(join(store, SPEC_FILE), { experiment: id }, e);
  return id;
}

/** The store's experiment when its fingerprint is `id`, parsed again with the config schema; a ConfigError otherwise. */
export function readStoredExperiment(store: string, id: string): StoredExperiment {
  const file = join(store, SPEC_FILE);
  const saved = readRunResult<{ kind?: unknown; config?: unknown; baseDir?: unknown }>(file, { experiment: id });
  if (!saved) throw new ConfigError(`the store holds no experiment ${id} (was it resubmitted with another config, or is the store path not the same on this machine?)`, { file });
  const { kind, config, baseDir } = saved.result;
  if ((kind !== 'lift' && kind !== 'search') || typeof baseDir !== 'string') throw new ConfigError('the stored experiment is neither a lift nor a search experiment', { file });
  return kind === 'search' ? { kind, config: parseSearchExperimentConfig(config, file), baseDir } : { kind, config: parseExperimentConfig(config, file), baseDir };
}
