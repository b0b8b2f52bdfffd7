import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, resolve, extname } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/index.ts';
import { DATA_FORMATS } from '../data/index.ts';
import { MODEL_NAMES } from '../models/index.ts';
import { SEQUENCE_SYNTHESIZERS } from '../synth/index.ts';

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
      .object({ model: z.enum(SEQUENCE_SYNTHESIZERS), config: z.record(z.string(), z.unknown()).default({}), share: z.number().gt(0).max(10).default(0.5) })
      .strict()
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
  })
  .strict()
  .refine((a) => a.pipeline !== undefined || a.synthesize !== undefined || a.online !== undefined || a.contrastive !== undefined, {
    message: 'an arm needs at least one of pipeline (offline expansion), synthesize (synthetic users), online or contrastive',
  })
  .refine((a) => a.align !== 'importance' || a.keepOriginal, {
    message: 'align: importance weights the added samples next to the real ones, so it needs keepOriginal: true',
    path: ['align'],
  })
  .refine((a) => a.pipeline === undefined || a.synthesize === undefined, {
    message: 'an arm adds either augmented views (pipeline) or synthetic users (synthesize), not both',
    path: ['synthesize'],
  });

export const experimentSchema = z
  .object({
    name: z.string().min(1).default('experiment'),
    data: z.object({ path: z.string().min(1), format: z.enum(DATA_FORMATS).default('seqtxt') }).strict(),
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
    exclude: z.enum(['neg-inf', 'none']).default('neg-inf'),
    model: z
      .object({
        model: z.enum(MODEL_NAMES),
        config: z.record(z.string(), z.unknown()).default({}),
        trainer: z
          .object({ batchSize: z.number().int().min(1), lr: z.number().positive(), weightDecay: z.number().min(0), evalEvery: z.number().int().min(1) })
          .partial()
          .strict()
          .default({}),
      })
      .strict(),
    seeds: z.number().int().min(1).max(100).default(3),
    epochs: z.number().int().min(1).optional(),
    patience: z.number().int().min(1).optional(),
    /** Metric the significance test and the headline lift use. */
    metric: z.enum(['NDCG@20', 'HR@20', 'NDCG@10', 'HR@10', 'MRR']).default('NDCG@20'),
    bootstrap: z.object({ resamples: z.number().int().min(100).max(100000).default(1000) }).strict().default({ resamples: 1000 }),
    arms: z.array(armSchema).min(1),
    out: z.string().min(1).optional(),
  })
  .strict();

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type ArmConfig = z.infer<typeof armSchema>;

/** Turns zod issues into one ConfigError naming the key path and what was expected. */
export function configErrorFrom(issues: readonly z.core.$ZodIssue[], file?: string): ConfigError {
  const first = issues[0]!;
  const path = first.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const field = first.code === 'unrecognized_keys' ? [path, ...(first as { keys: string[] }).keys].filter(Boolean).join('.') : path || '(top level)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return new ConfigError(`${first.message}${more}`, { ...(file ? { file } : {}), field });
}

/** Validates a config against its schema; the first problem becomes a ConfigError naming the key. */
export function parseWithSchema<S extends z.ZodType>(schema: S, raw: unknown, file?: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw configErrorFrom(r.error.issues, file);
  return r.data;
}

export function parseExperimentConfig(raw: unknown, file?: string): ExperimentConfig {
  return parseWithSchema(experimentSchema, raw, file);
}

/** Reads a YAML or JSON experiment config; relative paths inside it are resolved against its folder. */
export function readExperimentConfig(path: string): { config: ExperimentConfig; baseDir: string } {
  return readConfigFile(path, parseExperimentConfig);
}

/**
 * Reads a YAML (or .json) config file and validates it with `parse`; a missing file, a folder or a
 * syntax error is a ConfigError naming the file. `baseDir` is the file's folder.
 */
export function readConfigFile<T>(path: string, parse: (raw: unknown, file: string) => T): { config: T; baseDir: string } {
  if (!existsSync(path)) throw new ConfigError('config file not found', { file: path });
  if (statSync(path).isDirectory()) throw new ConfigError('expected a config file, got a directory', { file: path });
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, { file: path });
  }
  return { config: parse(raw, path), baseDir: dirname(resolve(path)) };
}
