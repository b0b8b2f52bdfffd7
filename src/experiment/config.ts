/**
 * Config schemas of the experiment layer and the fragments every command's schema is made of
 * (data, seeds, trainer, output, settings), so each value has one declaration and one default.
 * The merge order is the same for every command: schema defaults < config file < `--set`.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve, extname } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { ConfigError, layerConfig, mergeLayers, parseWithSchema } from '../core/index.ts';
import { DATA_FORMATS, type LoadOptions } from '../data/index.ts';
import { models, modelSpecSchema, trainerConfigSchema, type ModelSpec } from '../models/index.ts';
import { SEQUENCE_SYNTHESIZERS, sequenceSynthesizers } from '../synth/index.ts';
import { backendInfo, setThreads, useBackend } from '../nn/index.ts';
import { loadPipeline } from '../augment/index.ts';
import { DEFAULT_HISTORY_EXCLUSION } from '../eval/index.ts';

export { configErrorFrom, parseWithSchema } from '../core/index.ts';

// ------------------------------------------------------------------ shared fragments

/** A sequence/interaction file and its format (relative to the config file). */
export const dataFragment = z.object({ path: z.string().min(1), format: z.enum(DATA_FORMATS).default('seqtxt') }).strict();
/** Seeds 0 … n−1: each is one full training run. */
export const seedsFragment = z.number().int().min(1).max(100).default(3);
/** One seed (synthesis, augmentation): same seed + input ⇒ byte-identical output. */
export const seedFragment = z.number().int().min(0).default(0);
/** Maximum training epochs of neural models (the model's trainer default when absent). */
export const epochsFragment = z.number().int().min(1).optional();
/** Early stopping: epochs without a new best validation score. */
export const patienceFragment = z.number().int().min(1).optional();
/** Trainer overrides (batchSize, lr, weightDecay, evalEvery); epochs and patience are top-level keys. */
export const trainerFragment = trainerConfigSchema.omit({ epochs: true, patience: true });
/** Output folder; default runs/<name>. */
export const outFragment = z.string().min(1).optional();

/**
 * What happens to the items of a history at ranking time: neg-inf removes them from the ranking
 * (Beauty: no repeats), none keeps them rankable (repeat consumption: Taobao, sessions), zero is
 * CoSeRec's quirk (score 0, still rankable below positive scores). The one default: neg-inf.
 */
export const EXCLUDE_MODES = ['neg-inf', 'zero', 'none'] as const;
export const DEFAULT_EXCLUDE = DEFAULT_HISTORY_EXCLUSION;

/**
 * Run settings every command takes (`--threads`, `--backend`, or `--set settings.threads=1`):
 * applied before any work and recorded with the results (runSettings()). The thread default is
 * SAMPLIFY_THREADS, else min(2, cores); the backend default is native when it loads.
 */
export const settingsSchema = z
  .object({
    threads: z.number().int().min(1).optional(),
    backend: z.enum(['auto', 'native', 'typescript']).default('auto'),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

/** Applies settings to the nn backend (before any work). */
export function applySettings(s: Settings): void {
  if (s.backend === 'native' || s.backend === 'typescript') {
    try {
      useBackend(s.backend);
    } catch (e) {
      throw new ConfigError(`${(e as Error).message}`, { field: 'settings.backend' });
    }
  }
  if (s.threads !== undefined) setThreads(s.threads);
}

/** The settings in effect, for result files: threads and backend as the kernels see them. */
export function runSettings(): { threads: number; backend: string } {
  const b = backendInfo();
  return { threads: b.threads, backend: b.name };
}

/** Where a run ran, for its provenance record (samplify version, machine, settings, the command line). */
export interface RunEnvironment {
  readonly samplify: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly memoryGiB: number; readonly platform: string; readonly node: string };
  readonly settings: { readonly threads: number; readonly backend: string };
  /** The samplify command line that started the run (as typed, relative to the folder it ran in); null when the run was not started by the CLI (a test, a library call). */
  readonly command: string | null;
}

let packageVersion: string | undefined;

/** The samplify version from package.json (two folders up, in src/ and in dist/). */
export function samplifyPackageVersion(): string {
  if (packageVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      packageVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      packageVersion = 'unknown';
    }
  }
  return packageVersion;
}

/** A command-line argument as a POSIX shell reads it back. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/**
 * The run environment every writer records next to its results (the one shape the report reads for
 * every kind). Not for byte-identical results files: it names the machine and the command line.
 */
export function runEnvironment(): RunEnvironment {
  const entry = process.argv[1] ?? '';
  const viaCli = /(?:^|[\\/])(?:samplify(?:-src)?(?:\.m?js)?|main\.[jt]s)$/.test(entry);
  return {
    samplify: samplifyPackageVersion(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), platform: `${process.platform}-${process.arch}`, node: process.version },
    settings: runSettings(),
    command: viaCli ? ['samplify', ...process.argv.slice(2)].map(shellQuote).join(' ') : null,
  };
}

/**
 * Splits a layered config into its settings and the rest: `settings` is parsed here (errors name
 * `settings.…`), the rest by the command's schema.
 */
export function splitSettings(raw: unknown): { settings: Settings; rest: unknown } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { settings: settingsSchema.parse({}), rest: raw };
  const { settings, ...rest } = raw as Record<string, unknown>;
  return { settings: parseWithSchema(settingsSchema, settings ?? {}, { prefix: ['settings'] }), rest };
}

/** `defaults < file < --set` for a command whose schema is `schema`: the parsed config and its settings. */
export function parseLayered<S extends z.ZodType>(schema: S, file: unknown, sets: readonly string[] = [], source?: string): { config: z.infer<S>; settings: Settings } {
  const { settings, rest } = splitSettings(layerConfig({}, file, sets));
  return { config: parseWithSchema(schema, rest, source), settings };
}

/** Path to a pipeline file (YAML/JSON, relative to the config file) or the pipeline inline. */
const pipelineRef = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

/**
 * One arm of a lift experiment: the baseline's training set expanded offline by a pipeline, and/or
 * augmented inside the trainer (fresh every epoch), and/or a contrastive objective over augmented
 * views (CL4SRec). Everything else (model, hyper-parameters, seeds, selection) is the baseline's.
 */
const armSchema = z
  .object({
    name: z.string().min(1),
    /** Offline expansion: this pipeline's views are added to the training set once, before training. */
    pipeline: pipelineRef.optional(),
    /** Augmented views per user. */
    views: z.number().int().min(1).default(1),
    /** Keep each original sequence next to its views (the usual setting). */
    keepOriginal: z.boolean().default(true),
    /**
     * Align the added samples with the real training distribution before training: resample them
     * (popularity, length), keep the most real-looking (discriminator), or keep all and weight each
     * one's loss by its importance weight P(real)/P(added) from the discriminator (importance).
     */
    align: z.enum(['none', 'popularity', 'length', 'discriminator', 'importance']).default('none'),
    /** discriminator: share of augmented samples kept (the most real-looking ones). */
    keepShare: z.number().gt(0).lte(1).default(0.8),
    /**
     * Synthetic users: a sequence synthesizer (Markov, autoregressive) fitted on the training view
     * adds `share` × (real training users) whole synthetic histories, aligned like augmented ones.
     */
    synthesize: z
      .object({
        model: z.enum(SEQUENCE_SYNTHESIZERS),
        config: z.record(z.string(), z.unknown()).default({}),
        share: z.number().gt(0).max(10).default(0.5),
        /**
         * Pre-train on the synthetic users, then fine-tune on the real ones: the synthetic users
         * train only the first `epochs` epochs (alone, or next to the real users with `withReal`),
         * after which training continues on the real users alone. The pre-training epochs are not
         * validated and cannot be the selected epoch; patience counts from their end. Without it
         * the synthetic users train next to the real ones throughout.
         */
        pretrain: z.object({ epochs: z.number().int().min(1), withReal: z.boolean().default(false) }).strict().optional(),
      })
      .strict()
      .superRefine((s, ctx) => sequenceSynthesizers.refine(s.model, s.config, ctx, ['model'], ['config']))
      .optional(),
    /**
     * Online augmentation: each epoch a training sequence is replaced, with this probability, by a
     * fresh view; with keepTargets only its inputs are (length-preserving steps; targets stay real).
     */
    online: z.object({ pipeline: pipelineRef, probability: z.number().min(0).max(1).default(0.5), keepTargets: z.boolean().default(false) }).strict().optional(),
    /** CL4SRec: InfoNCE between two augmented views of each training sequence, added with `weight`. */
    contrastive: z
      .object({ pipeline: pipelineRef, weight: z.number().positive().default(0.1), temperature: z.number().positive().default(1) })
      .strict()
      .optional(),
    /**
     * The model as this arm trains it: `config` is deep-merged onto the baseline's model config
     * (e.g. `sideInfo` to fuse item attributes), checked against the model's schema at parse time.
     * The model family, trainer, seeds and selection stay the baseline's, so the arm measures the
     * change it names (alone, or together with its expansion).
     */
    model: z.object({ config: z.record(z.string(), z.unknown()) }).strict().optional(),
  })
  .strict()
  .refine((a) => a.pipeline !== undefined || a.synthesize !== undefined || a.online !== undefined || a.contrastive !== undefined || a.model !== undefined, {
    message: 'an arm needs at least one of pipeline (offline expansion), synthesize (synthetic users), online, contrastive or model (a model-config change)',
  })
  .refine((a) => a.align !== 'importance' || a.keepOriginal, {
    message: 'align: importance weights the added samples next to the real ones, so it needs keepOriginal: true',
    path: ['align'],
  })
  .refine((a) => a.synthesize?.pretrain === undefined || (a.keepOriginal && a.align !== 'importance'), {
    message: 'synthesize.pretrain fine-tunes on the real users after pre-training, so it needs keepOriginal: true (and no importance weights)',
    path: ['synthesize', 'pretrain'],
  })
  .refine((a) => a.pipeline === undefined || a.synthesize === undefined, {
    message: 'an arm adds either augmented views (pipeline) or synthetic users (synthesize), not both',
    path: ['synthesize'],
  });

export const experimentSchema = z
  .object({
    name: z.string().min(1).default('experiment'),
    data: dataFragment,
    /**
     * leave-one-out (last item test, second-last validation) or session (SR-GNN's protocol for
     * DIGINETICA: the last `testDays` of sessions are test, every prefix predicts its next item).
     */
    split: z.enum(['leave-one-out', 'session']).default('leave-one-out'),
    session: z
      .object({ testDays: z.number().positive().default(7), validDays: z.number().positive().default(7), minItemSupport: z.number().int().min(1).default(5) })
      .strict()
      .default({ testDays: 7, validDays: 7, minItemSupport: 5 }),
    /**
     * What happens to the items of a history at ranking time: neg-inf removes them from the ranking
     * (Beauty: no repeats), none keeps them rankable (repeat consumption: Taobao, sessions).
     */
    exclude: z.enum(EXCLUDE_MODES).exclude(['zero']).default(DEFAULT_EXCLUDE),
    /** The model; its config is checked against the model's own schema (model.config.hiden fails here). */
    model: modelSpecSchema.safeExtend({ trainer: trainerFragment.default({}) }),
    seeds: seedsFragment,
    epochs: epochsFragment,
    patience: patienceFragment,
    /** Metric the significance test and the headline lift use. */
    metric: z.enum(['NDCG@20', 'HR@20', 'NDCG@10', 'HR@10', 'MRR']).default('NDCG@20'),
    bootstrap: z.object({ resamples: z.number().int().min(100).max(100000).default(1000) }).strict().default({ resamples: 1000 }),
    arms: z.array(armSchema).min(1),
    out: outFragment,
  })
  .strict()
  .superRefine((c, ctx) => {
    // An arm's model change is checked as the merged config the arm will train (a typo in
    // arms[i].model.config.sideInfo fails here, naming that path).
    c.arms.forEach((arm, i) => {
      if (arm.model === undefined) return;
      const merged = mergeLayers(c.model.config, arm.model.config) as Record<string, unknown>;
      models.refine(c.model.model, { config: merged, trainer: c.model.trainer }, ctx, ['arms', i, 'model'], ['arms', i, 'model']);
    });
  });

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type ArmConfig = z.infer<typeof armSchema>;

/**
 * The model spec an experiment trains. An empty trainer block is left out so the spec (and the
 * seed fingerprints) equal `samplify evaluate`'s for the same model.
 */
export function experimentModelSpec(config: Pick<ExperimentConfig, 'model'>): ModelSpec {
  const trainer = config.model.trainer;
  return { model: config.model.model, config: config.model.config, ...(Object.keys(trainer).length > 0 ? { trainer: trainer as ModelSpec['trainer'] & {} } : {}) };
}

/** The model spec one arm trains: the baseline's, with the arm's `model.config` deep-merged onto it. */
export function armModelSpec(config: Pick<ExperimentConfig, 'model'>, arm: Pick<ArmConfig, 'model'>): ModelSpec {
  const base = experimentModelSpec(config);
  return arm.model === undefined ? base : { ...base, config: mergeLayers(base.config, arm.model.config) as Record<string, unknown> };
}

export function parseExperimentConfig(raw: unknown, file?: string): ExperimentConfig {
  return parseWithSchema(experimentSchema, raw, file);
}

/**
 * Builds every pipeline an experiment's arms name (files or inline), without data: a bad step or
 * parameter is a ConfigError naming the pipeline file and step before any data is read.
 */
export function checkExperimentPipelines(config: ExperimentConfig, baseDir: string): void {
  for (const arm of config.arms) for (const ref of [arm.pipeline, arm.online?.pipeline, arm.contrastive?.pipeline]) if (ref !== undefined) loadPipeline(ref, { baseDir, downstream: config.model });
}

/** Reads a YAML or JSON experiment config; relative paths inside it are resolved against its folder. */
export function readExperimentConfig(path: string, sets: readonly string[] = []): { config: ExperimentConfig; baseDir: string } {
  return readConfigFile(path, parseExperimentConfig, sets);
}

/**
 * Reads a YAML (or .json) config file and validates it with `parse`; a missing file, a folder or a
 * syntax error is a ConfigError naming the file. `baseDir` is the file's folder.
 */
export function readConfigFile<T>(path: string, parse: (raw: unknown, file: string) => T, sets: readonly string[] = []): { config: T; baseDir: string } {
  const raw = readRawConfig(path);
  return { config: parse(sets.length > 0 ? layerConfig({}, raw, sets) : raw, path), baseDir: dirname(resolve(path)) };
}

/** The plain data of a YAML (or .json) config file; a missing file, a folder or a syntax error is a ConfigError naming the file. */
export function readRawConfig(path: string): unknown {
  if (!existsSync(path)) throw new ConfigError('config file not found', { file: path });
  if (statSync(path).isDirectory()) throw new ConfigError('expected a config file, got a directory', { file: path });
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, { file: path });
  }
  return raw;
}

// ------------------------------------------------------------------ commands that take flags (no config file)

/**
 * Column names of csv/tsv/jsonl/parquet interaction tables (ignored by seqtxt/recbole). timestamp
 * 'none' keeps file order.
 */
export const tableColumnsFragment = z
  .object({
    user: z.string().min(1).default('user_id'),
    item: z.string().min(1).default('item_id'),
    timestamp: z.string().min(1).default('timestamp'),
    eventType: z.string().min(1).optional(),
  })
  .strict();
export const TABLE_COLUMN_DEFAULTS = tableColumnsFragment.parse({});

/** An input file read with row-level accounting: the data fragment plus table columns, allowed event types and where rejected rows go. */
export const inputFragment = dataFragment
  .extend({
    columns: tableColumnsFragment.default(TABLE_COLUMN_DEFAULTS),
    /** Allowed event types; other values are rejected rows. */
    eventTypes: z.array(z.string().min(1)).min(1).optional(),
    /** Write rejected rows here (JSONL, with file, line, field, reason). */
    rejected: z.string().min(1).optional(),
  })
  .strict();
export type InputConfig = z.infer<typeof inputFragment>;

/** The reader options an input fragment stands for. */
export function loadOptionsOf(input: InputConfig): LoadOptions {
  const tabular = input.format === 'csv' || input.format === 'tsv' || input.format === 'jsonl' || input.format === 'parquet';
  const c = input.columns;
  return {
    ...(tabular ? { columns: { user: c.user, item: c.item, ...(c.timestamp !== 'none' ? { timestamp: c.timestamp } : {}), ...(c.eventType ? { eventType: c.eventType } : {}) } } : {}),
    ...(input.eventTypes ? { eventTypes: input.eventTypes } : {}),
    ...(input.rejected ? { rejectedPath: input.rejected } : {}),
  };
}

/** `samplify evaluate`: one model, leave-one-out, several seeds. */
export const evaluateCommandSchema = z
  .object({
    data: inputFragment,
    model: modelSpecSchema,
    /** Seeds seed, seed+1, … seed+seeds−1 (one run: evaluate's default). */
    seeds: z.number().int().min(1).max(100).default(1),
    seed: z.number().int().min(0).default(0),
    epochs: epochsFragment,
    patience: patienceFragment,
    /** full: rank all items; sampled: the target among 99 sampled negatives (S3-Rec). */
    protocol: z.enum(['full', 'sampled']).default('full'),
    exclude: z.enum(EXCLUDE_MODES).default(DEFAULT_EXCLUDE),
    out: z.string().min(1),
  })
  .strict();
export type EvaluateCommandConfig = z.infer<typeof evaluateCommandSchema>;

/** `samplify augment`: K views of each user's training part, written with their operator chains. */
export const augmentCommandSchema = z
  .object({
    data: inputFragment,
    /** Pipeline file (YAML or JSON). */
    pipeline: z.string().min(1),
    views: z.number().int().min(1).default(1),
    seed: seedFragment,
    /** .jsonl or .parquet */
    out: z.string().min(1),
  })
  .strict();

/** `samplify augment-images`: expand a folder of images into a new folder. */
export const augmentImagesCommandSchema = z
  .object({
    /** Source folder (class sub-folders, or unlabelled). */
    images: z.string().min(1),
    /** Image pipeline file (YAML or JSON, family: image). */
    pipeline: z.string().min(1),
    views: z.number().int().min(1).default(1),
    seed: seedFragment,
    labels: z.enum(['subfolders', 'none']).default('subfolders'),
    channels: z.union([z.literal(1), z.literal(3), z.literal(4)]).default(3),
    /** Resize every image before augmenting: WIDTHxHEIGHT, e.g. 224x224. */
    resize: z.string().regex(/^[1-9]\d*x[1-9]\d*$/, { error: 'expected WIDTHxHEIGHT, e.g. 224x224' }).optional(),
    /** Worker threads (default: the available cores; 0 or 1: in this thread). */
    workers: z.number().int().min(0).optional(),
    /** Output folder; must not exist yet or be empty. */
    out: z.string().min(1),
  })
  .strict();

/** `samplify validate`: read a data file with row-level accounting. */
export const validateCommandSchema = z.object({ data: inputFragment }).strict();

/** `samplify benchmark`. */
export const benchmarkCommandSchema = z
  .object({
    quick: z.boolean().default(false),
    /** Beauty.txt to use (default: ../shared/data/beauty/Beauty.txt, else the shipped sample). */
    data: z.string().min(1).optional(),
    /** Comma-separated subset of the benchmark's models. */
    models: z.string().min(1).optional(),
    seeds: z.number().int().min(1).max(100).optional(),
    epochs: epochsFragment,
    out: z.string().min(1).default('runs/benchmark'),
  })
  .strict();
