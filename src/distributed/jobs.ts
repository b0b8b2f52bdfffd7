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
import { isObjectStoreLocation, parseExperimentConfig, parseS3Location, parseSearchExperimentConfig, readRunResult, writeStoredRun, type ExperimentConfig, type SearchExperimentConfig, type Store } from '../experiment/index.ts';

export const JOB_VERSION = 1;

/** A job id this project makes (`<lift|search>-<experiment>-…`): letters, digits, '-' and '_' only. */
const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "a job id (letters, digits, '-', '_')");
const experimentSchema = z.string().regex(/^[0-9a-f]{16}$/, 'a 16-hex-digit experiment fingerprint');
/** The shared store: a folder (absolute: workers run anywhere) or object storage (s3://bucket/prefix). */
const storeSchema = z
  .string()
  .min(1)
  .max(1000)
  .refine((p) => (isObjectStoreLocation(p) ? validS3Location(p) : isAbsolute(p)), 'an absolute path or s3://bucket/prefix');

function validS3Location(p: string): boolean {
  try {
    parseS3Location(p);
    return true;
  } catch {
    return false;
  }
}

/** One (arm, seed) unit of a sequence lift experiment or of a search experiment. */
export const unitJobSchema = z
  .object({
    v: z.literal(JOB_VERSION),
    kind: z.enum(['lift-unit', 'search-unit']),
    /** fingerprintHash of the experiment spec in the store. */
    experiment: experimentSchema,
    store: storeSchema,
    arm: z.string().min(1).max(200),
    seed: z.number().int().min(0).max(1_000_000),
    /** The shared-fit jobs this unit needs finished first (their models are loaded from the store). */
    after: z.array(jobIdSchema).min(1).max(64).optional(),
  })
  .strict();
export type UnitJob = z.infer<typeof unitJobSchema>;

/** A fit several units share (a pipeline's generator, a search arm's text generator), run once before them. */
export const fitJobSchema = z
  .object({
    v: z.literal(JOB_VERSION),
    kind: z.enum(['lift-fit', 'search-fit']),
    experiment: experimentSchema,
    store: storeSchema,
    /** The fit's key within the experiment (PreparedLiftExperiment.fits / PreparedSearchExperiment.fits). */
    fit: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "a fit key (letters, digits, '-', '_')"),
  })
  .strict();
export type FitJob = z.infer<typeof fitJobSchema>;

/**
 * The BullMQ flow parent of a fit job: it runs once its fit has finished (completed, or failed for
 * good — ignoreDependencyOnFailure) and enqueues the units that were waiting on it, each as soon as
 * every fit it needs has finished. A unit whose fit failed then fails with that fit's reason.
 */
export const releaseJobSchema = z
  .object({
    v: z.literal(JOB_VERSION),
    kind: z.literal('release'),
    units: z.array(z.object({ id: jobIdSchema, name: z.string().min(1).max(300), data: unitJobSchema }).strict()).min(1).max(100_000),
  })
  .strict();
export type ReleaseJob = z.infer<typeof releaseJobSchema>;

export type QueueJob = UnitJob | FitJob | ReleaseJob;

const schemaOf = (kind: unknown): z.ZodType<QueueJob> | null =>
  kind === 'lift-unit' || kind === 'search-unit' ? unitJobSchema : kind === 'lift-fit' || kind === 'search-fit' ? fitJobSchema : kind === 'release' ? releaseJobSchema : null;

/** The job's data when it is well formed; otherwise the reasons, one per bad field. */
export function parseJob(data: unknown): { ok: true; job: QueueJob } | { ok: false; reason: string } {
  const kind = data !== null && typeof data === 'object' ? (data as { kind?: unknown }).kind : undefined;
  const schema = schemaOf(kind);
  if (!schema) return { ok: false, reason: `malformed job: kind: expected one of lift-unit, search-unit, lift-fit, search-fit, release, got ${JSON.stringify(kind) ?? 'nothing'}` };
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, job: r.data };
  return { ok: false, reason: `malformed job: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
}

/** The experiment as the store keeps it for workers: the parsed config and the folder its relative paths resolve against. */
export type StoredExperiment = { readonly kind: 'lift'; readonly config: ExperimentConfig; readonly baseDir: string } | { readonly kind: 'search'; readonly config: SearchExperimentConfig; readonly baseDir: string };

/** The job kind of an experiment's units. */
export function unitKindOf(e: Pick<StoredExperiment, 'kind'>): UnitJob['kind'] {
  return e.kind === 'search' ? 'search-unit' : 'lift-unit';
}

/** The experiment kind a unit or fit job belongs to. */
export function experimentKindOf(kind: UnitJob['kind'] | FitJob['kind']): StoredExperiment['kind'] {
  return kind === 'search-unit' || kind === 'search-fit' ? 'search' : 'lift';
}

/** The experiment's id on the queue: its spec and the store it writes to (the same config sent to two stores is two experiments). */
export function experimentFingerprint(e: StoredExperiment, store: string): string {
  return fingerprintHash({ kind: e.kind, config: e.config, baseDir: e.baseDir, store });
}

const SPEC_FILE = 'queue-experiment.json';

/** Writes the experiment into the store (idempotent: the same experiment writes the same record); its id. */
export async function writeStoredExperiment(store: Store, e: StoredExperiment): Promise<string> {
  const id = experimentFingerprint(e, store.location);
  await writeStoredRun(store, SPEC_FILE, { experiment: id }, e);
  return id;
}

/** The experiment in a store's folder (the store itself, or a worker's mirror of it) when its fingerprint is `id`, parsed again with the config schema; a ConfigError otherwise. */
export function readStoredExperiment(folder: string, id: string): StoredExperiment {
  const file = join(folder, SPEC_FILE);
  const saved = readRunResult<{ kind?: unknown; config?: unknown; baseDir?: unknown }>(file, { experiment: id });
  if (!saved) throw new ConfigError(`the store holds no experiment ${id} (was it resubmitted with another config, or is the store path not the same on this machine?)`, { file });
  const { kind, config, baseDir } = saved.result;
  if ((kind !== 'lift' && kind !== 'search') || typeof baseDir !== 'string') throw new ConfigError('the stored experiment is neither a lift nor a search experiment', { file });
  return kind === 'search' ? { kind, config: parseSearchExperimentConfig(config, file), baseDir } : { kind, config: parseExperimentConfig(config, file), baseDir };
}
