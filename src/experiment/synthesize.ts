/**
 * `samplify synthesize <config>`: read a feature table, detect (and override) column types, fit a
 * synthesizer, sample rows under conditions and constraints, and write the table, the fitted model
 * and a provenance record — each atomically, the provenance last (its presence says the run finished).
 */
import { extname, resolve } from 'node:path';
import { z } from 'zod';
import { peakRssMiB, silentProgress, writeJsonAtomic, type CancelToken, type ProgressReporter } from '../core/index.ts';
import { COLUMN_TYPES, TABLE_FORMATS, detectMetadata, readTable, selectRows, writeTable, type ColumnType, type MetadataOverride, type Table } from '../data/index.ts';
import { privacyReport, qualityReport } from '../eval/index.ts';
import { createSynthesizer, synthesizers, synthesizerSpecSchema, GaussianCopulaSynthesizer, type Constraint, type SampleReport, type SynthFitReport } from '../synth/index.ts';
import { parseWithSchema, runEnvironment, runSettings, readConfigFile } from './config.ts';
import { reportHoldout } from './holdout.ts';
import { isSequenceSynthesizeConfig, parseSequenceSynthesizeConfig, type SequenceSynthesizeConfig } from './synthesize-sequences.ts';
import { resolveConfigPaths, withOutputPath } from './paths.ts';
import { reportRejections } from './read-summary.ts';

const cellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const constraintSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('range'), column: z.string().min(1), min: z.number().optional(), max: z.number().optional() }).strict(),
  z.object({ kind: z.literal('inequality'), low: z.string().min(1), high: z.string().min(1), strict: z.boolean().optional() }).strict(),
  z.object({ kind: z.literal('fixed-combinations'), columns: z.array(z.string().min(1)).min(1) }).strict(),
]);
const columnTypeSchema = z.enum(COLUMN_TYPES as [ColumnType, ...ColumnType[]]);

export const synthesizeSchema = z
  .object({
    name: z.string().min(1).default('synthesize'),
    data: z
      .object({
        /** Relative to the config file. */
        path: z.string().min(1),
        format: z.enum(TABLE_FORMATS).optional(),
        /** Keep only these columns. */
        columns: z.array(z.string().min(1)).min(1).optional(),
        delimiter: z.string().min(1).optional(),
        nullValues: z.array(z.string()).optional(),
        /** Write rejected input rows here (JSONL). */
        rejected: z.string().min(1).optional(),
      })
      .strict(),
    /** Column type overrides: a type name or { type, integer?, datetimeFormat? }. */
    metadata: z
      .record(
        z.string(),
        z.union([columnTypeSchema, z.object({ type: columnTypeSchema, integer: z.boolean().optional(), datetimeFormat: z.enum(['unix-seconds', 'unix-ms', 'iso']).optional() }).strict()]),
      )
      .default({}),
    synthesizer: synthesizerSpecSchema(synthesizers),
    seed: z.number().int().min(0).default(0),
    /** Training epochs for GAN/VAE synthesizers. */
    epochs: z.number().int().min(1).optional(),
    rows: z.number().int().min(0),
    conditions: z.record(z.string(), cellSchema).optional(),
    maxTriesPerRow: z.number().int().min(1).optional(),
    /** Categories rarer than this share of the training rows are held to their training rate (0 = off; the synthesizer's sample option). */
    rareCategoryShare: z.number().min(0).lt(1).optional(),
    constraints: z.array(constraintSchema).default([]),
    /** Output table: .csv, .tsv, .jsonl or .parquet (relative to the config file's folder; --out on the command line: to the working directory). */
    out: z.string().regex(/\.(csv|tsv|jsonl|parquet)$/i, 'must end in .csv, .tsv, .jsonl or .parquet'),
    /** Fitted model (default: the output path with .model.json). */
    model: z.string().min(1).optional(),
    /** Provenance record (default: the output path with .provenance.json). */
    provenance: z.string().min(1).optional(),
    /**
     * Fidelity + privacy report (<out>.report.json): this share of the input rows is held out
     * (seeded), the synthesizer fits on the rest, and the synthetic rows are compared with the
     * training rows (fidelity) and with both (privacy: DCR and membership inference need real rows
     * the model never saw).
     */
    report: z.object({ holdout: z.number().gt(0).lt(1).default(0.2) }).strict().optional(),
  })
  .strict();

export type SynthesizeConfig = z.infer<typeof synthesizeSchema>;

export function parseSynthesizeConfig(raw: unknown, file?: string): SynthesizeConfig {
  return parseWithSchema(synthesizeSchema, raw, file);
}

/** Paths a synthesize config writes to; relative ones are relative to the config file's folder. */
const OUTPUT_FIELDS = ['out', 'model', 'provenance', 'data.rejected'] as const;

/**
 * Reads a YAML or JSON synthesize config. Every relative path in it is relative to its folder: the
 * data path is resolved by the run (against `baseDir`), the output paths here (so `config.out`,
 * `model`, `provenance`, `data.rejected` are usable as they are, from any working directory).
 */
export function readSynthesizeConfig(path: string): { config: SynthesizeConfig; baseDir: string } {
  const { config, baseDir } = readConfigFile(path, parseSynthesizeConfig);
  return { config: resolveConfigPaths(config, baseDir, OUTPUT_FIELDS), baseDir };
}

export type AnySynthesizeConfig = { readonly kind: 'table'; readonly config: SynthesizeConfig } | { readonly kind: 'sequences'; readonly config: SequenceSynthesizeConfig };

/** A synthesize config of either kind: a sequence synthesizer's name (markov, autoregressive, vae) picks the sequence schema. */
export function readAnySynthesizeConfig(path: string): { config: AnySynthesizeConfig; baseDir: string } {
  const { config, baseDir } = readConfigFile(path, (raw, file): AnySynthesizeConfig =>
    isSequenceSynthesizeConfig(raw) ? { kind: 'sequences', config: parseSequenceSynthesizeConfig(raw, file) } : { kind: 'table', config: parseSynthesizeConfig(raw, file) });
  return { config: resolveSynthesizeOutputs(config, baseDir), baseDir };
}

/** Output paths relative to the config file's folder (`baseDir`), as its data path is. */
export function resolveSynthesizeOutputs(any: AnySynthesizeConfig, baseDir: string): AnySynthesizeConfig {
  return any.kind === 'sequences' ? { kind: 'sequences', config: resolveConfigPaths(any.config, baseDir, OUTPUT_FIELDS) } : { kind: 'table', config: resolveConfigPaths(any.config, baseDir, OUTPUT_FIELDS) };
}

/**
 * A synthesize config of either kind writing to `out` (the command line's --out, relative to the
 * working directory) instead: its model and provenance paths are dropped too, so they go beside
 * `out` rather than being overwritten at the config's place on every run.
 */
export function synthesizeConfigWithOutput(any: AnySynthesizeConfig, out: string): AnySynthesizeConfig {
  return any.kind === 'sequences' ? { kind: 'sequences', config: withOutputPath(any.config, out, ['model', 'provenance']) } : { kind: 'table', config: withOutputPath(any.config, out, ['model', 'provenance']) };
}

export interface SynthesizeOptions {
  readonly config: SynthesizeConfig;
  /** Folder that relative data paths are resolved against (the config file's). */
  readonly baseDir: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

export interface SynthesizeResult {
  readonly out: string;
  readonly model: string;
  readonly provenance: string;
  /** Fidelity/privacy report file, when the config asks for one. */
  readonly qualityReport?: string;
  readonly report: SampleReport;
  readonly fit: SynthFitReport;
  readonly seconds: { readonly read: number; readonly fit: number; readonly sample: number; readonly write: number };
}

function stripExt(p: string): string {
  return p.slice(0, p.length - extname(p).length);
}

export async function runSynthesis(o: SynthesizeOptions): Promise<SynthesizeResult> {
  const c = o.config;
  const progress = o.progress ?? silentProgress;
  const modelPath = c.model ?? `${stripExt(c.out)}.model.json`;
  const provenancePath = c.provenance ?? `${stripExt(c.out)}.provenance.json`;
  // The synthesizer is built first so a bad name or param fails before any reading.
  const synth = createSynthesizer(c.synthesizer.name, c.synthesizer.params);
  const dataPath = resolve(o.baseDir, c.data.path);
  let t = performance.now();
  progress.line(`reading ${c.data.path}`);
  const read = await readTable(dataPath, {
    ...(c.data.format ? { format: c.data.format } : {}),
    ...(c.data.columns ? { columns: c.data.columns } : {}),
    ...(c.data.delimiter ? { delimiter: c.data.delimiter } : {}),
    ...(c.data.nullValues ? { nullValues: c.data.nullValues } : {}),
    ...(c.data.rejected ? { rejectedPath: c.data.rejected } : {}),
  });
  const rep = read.report;
  progress.line(`read ${c.data.path}: ${rep.rowsIn} rows in = ${rep.rowsKept} kept + ${rep.rowsRejected} rejected${rep.rowsRejected ? ` (${Object.entries(rep.rejectedByCode).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`);
  reportRejections(rep, progress);
  const metadata = detectMetadata(read.table, { overrides: c.metadata as Record<string, MetadataOverride>, file: dataPath });
  progress.line(`columns: ${read.table.columns.map((col) => `${col} ${metadata.columns[col]!.type}${metadata.columns[col]!.overridden ? ' (given)' : ''}`).join(', ')}`);
  const readSeconds = (performance.now() - t) / 1000;
  const peakMiB: Record<string, number> = { read: peakRssMiB() };
  const { train, holdout } = c.report ? holdOut(read.table, c.report.holdout, c.seed) : { train: read.table, holdout: null };
  if (holdout) progress.line(`report: ${holdout.rowCount} rows held out for the privacy baseline; fitting on ${train.rowCount}`);
  t = performance.now();
  progress.line(`fitting ${c.synthesizer.name} (seed ${c.seed})`);
  const fit = await synth.fit(train, metadata, {
    seed: c.seed,
    ...(c.epochs !== undefined ? { epochs: c.epochs } : {}),
    constraints: c.constraints as Constraint[],
    progress,
    // Neural synthesizers checkpoint each epoch here, so a killed fit resumes (statistical ones ignore it).
    checkpointDir: `${stripExt(modelPath)}.checkpoints`,
    ...(o.cancel ? { cancel: o.cancel } : {}),
  });
  const fitSeconds = (performance.now() - t) / 1000;
  peakMiB['fit'] = peakRssMiB();
  t = performance.now();
  progress.line(`sampling ${c.rows} rows${c.conditions ? ` with conditions ${JSON.stringify(c.conditions)}` : ''}`);
  const sample = synth.sample(c.rows, { seed: c.seed, ...(c.conditions ? { conditions: c.conditions } : {}), ...(c.maxTriesPerRow ? { maxTriesPerRow: c.maxTriesPerRow } : {}), ...(c.rareCategoryShare !== undefined ? { rareCategoryShare: c.rareCategoryShare } : {}) });
  const r = sample.report;
  progress.line(
    `sampled ${r.produced}/${r.requested} rows (conditions: ${r.conditionMethod}, acceptance ${(r.acceptanceRate * 100).toFixed(1)} %, exact copies of training rows removed: ${r.exactCopiesRemoved})`,
  );
  const rare = r.rareCategories;
  if (rare !== undefined) {
    progress.line(`rare categories (under ${(rare.share * 100).toFixed(1)} % of training rows) held to their training rate: ${rare.held}; ${rare.rejected} candidate rows over a quota rejected, ${rare.filled} rows drawn by conditional sampling`);
    for (const s of rare.short) progress.line(`warning: ${s.column} = ${JSON.stringify(s.value)} reached ${s.produced} of its ${s.target} rows; the model rarely writes it`);
  }
  if (r.produced < r.requested) progress.line(`warning: only ${r.produced} of ${r.requested} rows met the conditions and constraints within maxTriesPerRow`);
  const sampleSeconds = (performance.now() - t) / 1000;
  peakMiB['sample'] = peakRssMiB();
  t = performance.now();
  await writeTable(sample.table, c.out);
  synth.save(modelPath);
  const writeSeconds = (performance.now() - t) / 1000;
  peakMiB['write'] = peakRssMiB();
  let reportPath: string | undefined;
  if (holdout) {
    progress.line('measuring fidelity and privacy');
    const quality = qualityReport(train, sample.table, metadata, { seed: c.seed }, progress);
    const privacy = privacyReport(train, holdout, sample.table, metadata, { seed: c.seed }, progress);
    reportPath = `${stripExt(c.out)}.report.json`;
    writeJsonAtomic(reportPath, { kind: 'samplify-synthesis-report', holdoutShare: c.report!.holdout, rows: { train: train.rowCount, holdout: holdout.rowCount, synthetic: sample.table.rowCount }, quality, privacy });
    const det = 'detectionAuc' in quality.detection ? `${quality.detection.detectionAuc.trees.value.toFixed(3)} (trees; linear ${quality.detection.detectionAuc.linear.value.toFixed(3)})` : 'skipped';
    progress.line(
      `fidelity ${quality.overall.value.toFixed(3)} (higher is better), detection AUC ${det} (0.5 best); exact copies ${privacy.exactCopies.count}, membership-inference AUC ${privacy.membershipInference.auc.value.toFixed(3)} (0.5 safest)`,
    );
  }
  writeJsonAtomic(provenancePath, {
    kind: 'samplify-synthesis-provenance',
    name: c.name,
    config: c,
    seed: c.seed,
    settings: runSettings(),
    input: { path: c.data.path, sha256: read.checksum, rowsIn: rep.rowsIn, rowsKept: rep.rowsKept, rowsRejected: rep.rowsRejected, rejectedByCode: rep.rejectedByCode },
    metadata,
    synthesizer: { name: synth.name, params: c.synthesizer.params, ...(synth instanceof GaussianCopulaSynthesizer ? { marginals: synth.marginalChoices() } : {}) },
    fit: { seconds: fit.seconds, losses: fit.losses },
    sample: r,
    outputs: { table: c.out, model: modelPath, ...(reportPath ? { report: reportPath } : {}) },
    seconds: { read: readSeconds, fit: fitSeconds, sample: sampleSeconds, write: writeSeconds },
    // Peak resident memory of the process at the end of each stage (MiB; see src/core/memory.ts).
    peakRssMiB: { ...peakMiB, ...(reportPath ? { report: peakRssMiB() } : {}) },
    node: process.version,
    environment: runEnvironment(),
  });
  progress.line(`written: ${c.out}, ${modelPath}, ${provenancePath}`);
  return { out: c.out, model: modelPath, provenance: provenancePath, ...(reportPath ? { qualityReport: reportPath } : {}), report: r, fit, seconds: { read: readSeconds, fit: fitSeconds, sample: sampleSeconds, write: writeSeconds } };
}

/** A seeded random share of the rows held out (at least one row on each side). */
function holdOut(table: Table, share: number, seed: number): { train: Table; holdout: Table } {
  const { kept, held } = reportHoldout(table.rowCount, share, seed, 'input rows');
  return { train: selectRows(table, kept), holdout: selectRows(table, held) };
}
