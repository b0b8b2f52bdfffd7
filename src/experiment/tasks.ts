/**
 * Config-file front ends of the two task experiments that measure synthesis outside the lift
 * experiment: `samplify ctr <config>` (real vs real+synthetic vs synthetic-only rows for CTR models,
 * AUC/log-loss on a real held-out split) and `samplify cold-start <config>` (held-out items,
 * synthetic interactions from their attributes, HR/NDCG on the held-out items).
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DataValidationError, writeJsonAtomic, type CancelToken, type ProgressReporter } from '../core/index.ts';
import { COLUMN_TYPES, detectMetadata, itemColdStartSplit, loadDataset, loadMovieLensCtr, readTable, TABLE_FORMATS, MOVIELENS_LABEL, type ColumnType, type ReadReport } from '../data/index.ts';
import { loadItemAttributes } from '../augment/index.ts';
import { createSynthesizer, synthesizers } from '../synth/index.ts';
import { modelSpecSchema } from '../models/index.ts';
import { runEnvironment, runSettings, dataFragment, epochsFragment, outFragment, parseWithSchema, patienceFragment, readConfigFile, seedsFragment } from './config.ts';
import { ctrExperimentSchema, formatCtrTable, tableFingerprint, runCtrExperiment, temporalCtrSplit, userTemporalCtrSplit, type CtrDataset, type CtrExperimentResult } from './ctr.ts';
import { finishPlan, type DryRunArm, type DryRunPlan } from './dry-run.ts';
import { runOutputDir } from './paths.ts';
import { reportRejections } from './read-summary.ts';
import { runColdStartExperiment, type ColdStartExperimentOptions, type ColdStartExperimentResult } from './cold-start.ts';

const columnTypeSchema = z.enum(COLUMN_TYPES as [ColumnType, ...ColumnType[]]);

/** Where the CTR rows come from: MovieLens-100K's three files, or one table with a label and a time column. */
const ctrDataSchema = z.union([
  z.object({ movielens100k: z.string().min(1), positiveFrom: z.number().min(1).max(5).default(4) }).strict(),
  z
    .object({
      path: z.string().min(1),
      format: z.enum(TABLE_FORMATS).optional(),
      /** Binary label column (1/0, true/false). */
      label: z.string().min(1),
      /** Event-time column (numbers in any monotone unit); the split is temporal. */
      timestamp: z.string().min(1),
      /** Column type overrides, as in `samplify synthesize`. */
      metadata: z.record(z.string(), columnTypeSchema).default({}),
    })
    .strict(),
]);

export const ctrTaskSchema = ctrExperimentSchema
  .safeExtend({
    name: z.string().min(1).default('ctr'),
    data: ctrDataSchema,
    /** Output folder (results.json); default runs/<name>. */
    out: outFragment,
  })
  .strict()
  // The task builds synthesizers from the registry: an unknown name is a config error before any work.
  .superRefine((c, ctx) => c.synthesizers.forEach((name, i) => synthesizers.refine(name, {}, ctx, ['synthesizers', i], ['synthParams', name])));
export type CtrTaskConfig = z.infer<typeof ctrTaskSchema>;

export const coldStartTaskSchema = z
  .object({
    name: z.string().min(1).default('cold-start'),
    data: dataFragment.extend({ attributes: z.string().min(1) }).strict(),
    split: z
      .object({ itemFraction: z.number().gt(0).lt(1).default(0.05), seed: z.number().int().min(0).default(0), minInteractions: z.number().int().min(1).default(5), validShare: z.number().gt(0).lt(1).default(0.5) })
      .strict()
      .default({ itemFraction: 0.05, seed: 0, minInteractions: 5, validShare: 0.5 }),
    /** The model; its config is checked against the model's own schema at parse time. */
    model: modelSpecSchema.default({ model: 'sasrec', config: { loss: 'bce' }, trainer: {} }),
    seeds: seedsFragment,
    epochs: epochsFragment,
    patience: patienceFragment,
    /** Candidate synthetic interactions per cold item; the best on validation-cold items is reported. */
    intensities: z.array(z.number().int().min(1)).min(1).default([5, 20]),
    selectIntensityOn: z.enum(['first-seed', 'all-seeds']).default('first-seed'),
    synth: z
      .object({ placement: z.enum(['substitute', 'insert']).optional(), neighbors: z.number().int().min(1).optional(), budget: z.enum(['uniform', 'neighbor-popularity']).optional() })
      .strict()
      .default({}),
    affinities: z.array(z.number().min(0)).min(1).optional(),
    hybridShifts: z.array(z.number()).optional(),
    earlyStoppingCases: z.number().int().min(1).optional(),
    /** The context-copy control arm (synthesis windows without the cold item). */
    contextControl: z.boolean().default(true),
    out: outFragment,
  })
  .strict();
export type ColdStartTaskConfig = z.infer<typeof coldStartTaskSchema>;

export function parseCtrTaskConfig(raw: unknown, file?: string): CtrTaskConfig {
  return parseWithSchema(ctrTaskSchema, raw, file);
}

export function parseColdStartTaskConfig(raw: unknown, file?: string): ColdStartTaskConfig {
  return parseWithSchema(coldStartTaskSchema, raw, file);
}

/** A config file path, or a config already read and parsed (e.g. by the CLI, after `--set` overrides). */
export type TaskSource<T> = string | { readonly config: T; readonly baseDir: string };

function readTask<T>(source: TaskSource<T>, parse: (raw: unknown, file: string) => T): { config: T; baseDir: string } {
  return typeof source === 'string' ? readConfigFile(source, parse) : source;
}

export interface TaskRunOptions {
  /** Overrides the config's out. */
  readonly out?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

/** Reads the CTR rows a config names; relative paths resolve against the config's folder. */
async function loadCtrDataset(data: CtrTaskConfig['data'], baseDir: string, progress?: ProgressReporter): Promise<CtrDataset & { readonly readReport: ReadReport }> {
  if ('movielens100k' in data) {
    const ml = await loadMovieLensCtr(resolve(baseDir, data.movielens100k), { positiveFrom: data.positiveFrom });
    progress?.line(`ml-100k: ${ml.report.interactions.rowsIn} rows in = ${ml.report.interactions.rowsKept} kept + ${ml.report.interactions.rowsIn - ml.report.interactions.rowsKept} rejected; positive share ${ml.report.positiveShare.toFixed(4)}`);
    return { table: ml.table, metadata: ml.metadata, label: MOVIELENS_LABEL, rowIds: ml.rowIds, timestamps: ml.timestamps, readReport: ml.report.interactions };
  }
  const file = resolve(baseDir, data.path);
  const read = await readTable(file, data.format ? { format: data.format } : {});
  const { table, lines } = read;
  progress?.line(`${file}: ${read.report.rowsIn} rows in = ${read.report.rowsKept} kept + ${read.report.rowsRejected} rejected`);
  if (progress) reportRejections(read.report, progress);
  for (const col of [data.label, data.timestamp]) {
    if (!table.columns.includes(col)) throw new DataValidationError(`the table has no column '${col}'; columns are: ${table.columns.join(', ')}`, { file, field: col });
  }
  const timestamps = new Float64Array(table.rowCount);
  const times = table.data[data.timestamp]!;
  const labels = table.data[data.label]!;
  for (let i = 0; i < table.rowCount; i++) {
    const t = times[i];
    const v = typeof t === 'number' ? t : typeof t === 'string' && t.trim() !== '' ? Number(t) : Number.NaN;
    if (!Number.isFinite(v)) throw new DataValidationError(`timestamp ${JSON.stringify(t)} is not a number`, { file, line: lines[i]!, field: data.timestamp });
    timestamps[i] = v;
    const y = labels[i];
    if (!(y === 0 || y === 1 || y === true || y === false || y === '0' || y === '1' || y === 'true' || y === 'false')) {
      throw new DataValidationError(`label ${JSON.stringify(y)} is not binary (expected 0/1 or true/false)`, { file, line: lines[i]!, field: data.label });
    }
  }
  // The time column is the split key, not a feature: leaving it in would let models read the split.
  const featureColumns = table.columns.filter((c) => c !== data.timestamp);
  const features = { columns: featureColumns, rowCount: table.rowCount, data: Object.fromEntries(featureColumns.map((c) => [c, table.data[c]!])) };
  const metadata = detectMetadata(features, { ...data.metadata, [data.label]: 'boolean' });
  return { table: features, metadata, label: data.label, rowIds: Float64Array.from(lines), timestamps, readReport: read.report };
}

/**
 * `samplify ctr --dry-run`: the config, the rows with their accounting and the split, and the plan
 * of runs (models × arms × synthesizers × seeds); nothing is trained or written.
 */
export async function dryRunCtrTask(source: TaskSource<CtrTaskConfig>): Promise<DryRunPlan> {
  const { config, baseDir } = readTask(source, parseCtrTaskConfig);
  const dataset = await loadCtrDataset(config.data, baseDir);
  const split =
    config.split === 'temporal'
      ? temporalCtrSplit(dataset.timestamps, dataset.rowIds, config.validFraction, config.testFraction)
      : userTemporalCtrSplit(dataset.timestamps, dataset.rowIds, dataset.table.data[config.userColumn] ?? [], config.validFraction, config.testFraction);
  const train = config.maxTrainRows !== undefined ? Math.min(config.maxTrainRows, split.train.length) : split.train.length;
  const synthArms = config.arms.filter((a) => a !== 'real');
  const arms: DryRunArm[] = [];
  for (const model of config.models) {
    if (config.arms.includes('real')) arms.push({ name: `${model} · real`, trainSize: train, added: 0, secondsPerSeed: 0 });
    for (const synth of config.synthesizers) for (const arm of synthArms) arms.push({ name: `${model} · ${arm} · ${synth}`, trainSize: arm === 'synth-only' ? Math.round(train * config.synthRatio) : train + Math.round(train * config.synthRatio), added: Math.round(train * config.synthRatio), secondsPerSeed: 0 });
  }
  return { ...finishPlan('ctr', config.name, dataset.readReport, { kind: config.split, train, valid: split.valid.length, test: split.test.length }, config.seeds.length, arms, 0, ''), estimate: null };
}

/** `samplify cold-start --dry-run`: the data with its accounting, the cold-item split and the plan; nothing trained or written. */
export async function dryRunColdStartTask(source: TaskSource<ColdStartTaskConfig>): Promise<DryRunPlan> {
  const { config, baseDir } = readTask(source, parseColdStartTaskConfig);
  const read = await loadDataset(resolve(baseDir, config.data.path), config.data.format);
  const attributes = loadItemAttributes(resolve(baseDir, config.data.attributes), read.dataset.itemIds);
  if (attributes.numItems !== read.dataset.numItems) throw new DataValidationError(`attributes cover ${attributes.numItems} items, the dataset has ${read.dataset.numItems}`, { file: config.data.attributes });
  const s = itemColdStartSplit(read.dataset, config.split).summary;
  const arms: DryRunArm[] = [
    { name: 'none (no synthesis)', trainSize: s.trainInteractions, added: 0, secondsPerSeed: 0 },
    ...config.intensities.map((k) => ({ name: `synthesis ×${k} per cold item`, trainSize: s.trainInteractions + k * (s.validColdItems + s.testColdItems), added: k * (s.validColdItems + s.testColdItems), secondsPerSeed: 0 })),
    ...(config.contextControl ? [{ name: 'context control', trainSize: s.trainInteractions, added: 0, secondsPerSeed: 0 }] : []),
  ];
  return {
    ...finishPlan('cold-start', config.name, read.report, { coldValidItems: s.validColdItems, coldTestItems: s.testColdItems, coldTestCases: s.coldTestCases, warmTestCases: s.warmTestCases, trainInteractions: s.trainInteractions }, config.seeds, arms, 0, ''),
    estimate: null,
  };
}

/** `samplify ctr <config>`: runs the CTR experiment a config describes and writes <out>/results.json. */
export async function runCtrTask(source: TaskSource<CtrTaskConfig>, o: TaskRunOptions = {}): Promise<{ result: CtrExperimentResult; table: string; out: string }> {
  const { config, baseDir } = readTask(source, parseCtrTaskConfig);
  const out = runOutputDir({ cliOut: o.out, configOut: config.out, baseDir, name: config.name });
  const { name: _name, data, out: _out, ...experiment } = config;
  const { readReport: _report, ...dataset } = await loadCtrDataset(data, baseDir, o.progress);
  const result = await runCtrExperiment(dataset, experiment, { createSynthesizer, runDir: join(out, 'runs'), ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) });
  // The checksum is of the rows as read (columns and cells), so the same data in another file layout fingerprints alike.
  const checksum = tableFingerprint(dataset.table);
  writeJsonAtomic(join(out, 'results.json'), { ...result, name: config.name, task: config, settings: runSettings(), dataset: { name: 'movielens100k' in data ? data.movielens100k : data.path, checksum }, environment: runEnvironment() });
  return { result, table: formatCtrTable(result), out };
}

/** `samplify cold-start <config>`: the item cold-start experiment (it writes <out>/results.json and per-seed files). */
export async function runColdStartTask(source: TaskSource<ColdStartTaskConfig>, o: TaskRunOptions = {}): Promise<{ result: ColdStartExperimentResult; out: string }> {
  const { config, baseDir } = readTask(source, parseColdStartTaskConfig);
  const out = runOutputDir({ cliOut: o.out, configOut: config.out, baseDir, name: config.name });
  const read = await loadDataset(resolve(baseDir, config.data.path), config.data.format);
  o.progress?.line(`${read.report.file}: ${read.report.rowsIn} rows in = ${read.report.rowsKept} kept + ${read.report.rowsRejected} rejected`);
  if (o.progress) reportRejections(read.report, o.progress);
  const attributes = loadItemAttributes(resolve(baseDir, config.data.attributes), read.dataset.itemIds);
  const trainer = config.model.trainer;
  const result = await runColdStartExperiment({
    dataset: read.dataset,
    attributes,
    split: config.split,
    model: { model: config.model.model, config: config.model.config, ...(Object.keys(trainer).length > 0 ? { trainer } : {}) },
    seeds: Array.from({ length: config.seeds }, (_, i) => i),
    ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
    ...(config.patience !== undefined ? { patience: config.patience } : {}),
    intensities: config.intensities,
    selectIntensityOn: config.selectIntensityOn,
    synth: config.synth as ColdStartExperimentOptions['synth'] & {}, // zod leaves absent keys absent
    ...(config.affinities ? { affinities: config.affinities } : {}),
    ...(config.hybridShifts ? { hybridShifts: config.hybridShifts } : {}),
    ...(config.earlyStoppingCases !== undefined ? { earlyStoppingCases: config.earlyStoppingCases } : {}),
    contextControl: config.contextControl,
    out,
    ...(o.progress ? { progress: o.progress } : {}),
    ...(o.cancel ? { cancel: o.cancel } : {}),
  });
  return { result, out };
}
