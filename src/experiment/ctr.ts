/**
 * CTR with synthetic data (issue 5 §2, "minority classes"): does adding synthetic rows to a
 * click-through-style training table move a logistic regression and a DeepFM on a *real* test set?
 *
 * Split: temporal, the honest choice for CTR (production models predict the future): rows sorted
 * by (timestamp, row id); the last `testFraction` is test, the `validFraction` before it validation,
 * the rest training. On MovieLens-100K that global cut makes 86 % of test rows come from users with
 * no training row (users arrive and rate in bursts), so 'user-temporal' (each user's own last rows)
 * is offered as the warm-user view of the same question. Synthesizers are fitted on the training part only; validation (early stopping,
 * the only model selection) and test are real rows never seen by a synthesizer or a model's fit.
 *
 * Arms (per synthesizer and seed; the synthesizer is refitted per seed, so the spread includes it):
 *   real             — the real training part;
 *   real+synth       — real + `synthRatio` × |train| synthetic rows;
 *   real+minority    — real + synthetic rows of the minority label only (sampled with a condition on
 *                      the label), as many as bring the two classes level;
 *   synth-only       — the same synthetic rows as real+synth, without the real ones (TSTR).
 */
import { z } from 'zod';
import { ConfigError, type CancelToken, hashSeed, type ProgressReporter, silentProgress } from '../core/index.ts';
import { type Cell, concatTables, selectRows, type Table, type TableMetadata } from '../data/index.ts';
import { AUC, LOG_LOSS, meanStd } from '../eval/index.ts';
import { createCtrModel, type CtrModel } from '../models/index.ts';
import { synthesizers as synthesizerRegistry, type SampleReport, type Synthesizer } from '../synth/index.ts';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readRunResult, writeRunResult } from './run-store.ts';

export const CTR_ARMS = ['real', 'real+synth', 'real+minority', 'synth-only'] as const;
export type CtrArm = (typeof CTR_ARMS)[number];

export const ctrExperimentSchema = z
  .object({
    models: z.array(z.enum(['logistic', 'deepfm'])).min(1).default(['logistic', 'deepfm']),
    /** Per model: config overrides (see LOGISTIC_DEFAULTS / DEEPFM_DEFAULTS). */
    modelConfig: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([0, 1, 2]),
    arms: z.array(z.enum(CTR_ARMS)).min(1).default([...CTR_ARMS]),
    synthesizers: z.array(z.string().min(1)).default([]),
    /** Per synthesizer: constructor params for createSynthesizer. */
    synthParams: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    /** Epochs for trained synthesizers (GAN/VAE); per synthesizer name. */
    synthEpochs: z.record(z.string(), z.number().int().positive()).default({}),
    /** Synthetic rows for real+synth and synth-only, as a multiple of the training rows. */
    synthRatio: z.number().positive().max(10).default(1),
    /**
     * 'temporal': one global time cut (the last rows overall are test). 'user-temporal': each user's
     * last rows are test and the ones before validation (every test user has a training history).
     */
    split: z.enum(['temporal', 'user-temporal']).default('temporal'),
    /** The user column for 'user-temporal'. */
    userColumn: z.string().default('user_id'),
    validFraction: z.number().gt(0).lt(0.5).default(0.1),
    testFraction: z.number().gt(0).lt(0.5).default(0.1),
    /** Keep only the most recent N training rows (quick runs); validation and test are unchanged. */
    maxTrainRows: z.number().int().positive().optional(),
    epochs: z.number().int().positive().optional(),
    patience: z.number().int().positive().optional(),
  })
  .strict()
  // Params of registry synthesizers are checked against their schema at parse time (a caller may
  // inject other synthesizers through deps.createSynthesizer; the task config checks the names).
  .superRefine((c, ctx) => {
    for (const [name, params] of Object.entries(c.synthParams)) if (synthesizerRegistry.has(name)) synthesizerRegistry.refine(name, params, ctx, ['synthParams', name], ['synthParams', name]);
  });

export type CtrExperimentConfig = z.infer<typeof ctrExperimentSchema>;

export function parseCtrExperimentConfig(raw: unknown): CtrExperimentConfig {
  const r = ctrExperimentSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(config)');
    throw new ConfigError(`ctr experiment: ${key}: ${issue.message}`, { field: key });
  }
  return r.data;
}

export interface CtrDataset {
  readonly table: Table;
  readonly metadata: TableMetadata;
  readonly label: string;
  /** A stable id per row (e.g. the source line). */
  readonly rowIds: ArrayLike<number>;
  /** Event time per row (any monotone unit). */
  readonly timestamps: ArrayLike<number>;
}

export interface TemporalCtrSplit {
  readonly train: Int32Array;
  readonly valid: Int32Array;
  readonly test: Int32Array;
}

/** Row positions of a temporal train/validation/test split (ties in time ordered by row id). */
export function temporalCtrSplit(timestamps: ArrayLike<number>, rowIds: ArrayLike<number>, validFraction: number, testFraction: number): TemporalCtrSplit {
  const n = timestamps.length;
  if (rowIds.length !== n) throw new ConfigError(`rowIds has ${rowIds.length} values, timestamps ${n}`);
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => timestamps[a]! - timestamps[b]! || rowIds[a]! - rowIds[b]!);
  const nTest = Math.round(n * testFraction);
  const nValid = Math.round(n * validFraction);
  if (n - nTest - nValid < 1 || nTest < 1 || nValid < 1) throw new ConfigError(`too few rows (${n}) for a split with ${validFraction} validation and ${testFraction} test`);
  return { train: order.slice(0, n - nTest - nValid), valid: order.slice(n - nTest - nValid, n - nTest), test: order.slice(n - nTest) };
}

/**
 * Per user: the user's rows sorted by (time, row id); the last round(n·testFraction) are test, the
 * round(n·validFraction) before them validation (a user with fewer rows keeps them all in training).
 * Validation and test times are each user's own future, not a global one.
 */
export function userTemporalCtrSplit(timestamps: ArrayLike<number>, rowIds: ArrayLike<number>, users: ArrayLike<Cell>, validFraction: number, testFraction: number): TemporalCtrSplit {
  const n = timestamps.length;
  if (rowIds.length !== n || users.length !== n) throw new ConfigError(`rowIds/users/timestamps lengths differ (${rowIds.length}/${users.length}/${n})`);
  const byUser = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const u = String(users[i]);
    if (!byUser.has(u)) byUser.set(u, []);
    byUser.get(u)!.push(i);
  }
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const rows of byUser.values()) {
    rows.sort((a, b) => timestamps[a]! - timestamps[b]! || rowIds[a]! - rowIds[b]!);
    const m = rows.length;
    const nTest = Math.round(m * testFraction);
    const nValid = Math.round(m * validFraction);
    if (m - nTest - nValid < 1) {
      train.push(...rows);
      continue;
    }
    train.push(...rows.slice(0, m - nTest - nValid));
    valid.push(...rows.slice(m - nTest - nValid, m - nTest));
    test.push(...rows.slice(m - nTest));
  }
  if (valid.length === 0 || test.length === 0) throw new ConfigError(`too few rows per user for a user-temporal split with ${validFraction} validation and ${testFraction} test`);
  // Training rows in global time order, so 'maxTrainRows' keeps the most recent ones.
  const byTime = (a: number, b: number) => timestamps[a]! - timestamps[b]! || rowIds[a]! - rowIds[b]!;
  return { train: Int32Array.from(train.sort(byTime)), valid: Int32Array.from(valid.sort(byTime)), test: Int32Array.from(test.sort(byTime)) };
}

/** Throws when any row id appears in two parts: the guard behind "test rows never reach a fit". */
export function assertDisjointRows(parts: Readonly<Record<string, readonly number[] | Int32Array>>, rowIds: ArrayLike<number>): void {
  const owner = new Map<number, string>();
  for (const [name, idx] of Object.entries(parts)) {
    for (const i of idx) {
      const id = rowIds[i]!;
      const prev = owner.get(id);
      if (prev !== undefined && prev !== name) throw new Error(`row ${id} is in both '${prev}' and '${name}' (split leak)`);
      owner.set(id, name);
    }
  }
}

export interface CtrRunResult {
  readonly seed: number;
  readonly testAuc: number;
  readonly testLogLoss: number;
  readonly validAuc: number;
  readonly validLogLoss: number;
  readonly bestEpoch: number;
  readonly epochsRun: number;
  readonly trainRows: number;
  readonly trainPositiveShare: number;
  readonly seconds: number;
}

export interface CtrCellResult {
  readonly arm: CtrArm;
  /** null for the real arm. */
  readonly synthesizer: string | null;
  readonly model: string;
  readonly runs: readonly CtrRunResult[];
  readonly testAuc: { mean: number; std: number };
  readonly testLogLoss: { mean: number; std: number };
  readonly validAuc: { mean: number; std: number };
}

export interface CtrSynthRun {
  readonly synthesizer: string;
  readonly seed: number;
  readonly fitSeconds: number;
  readonly sampleSeconds: number;
  readonly synthRows: number;
  readonly synthPositiveShare: number;
  readonly minorityLabel: Cell;
  readonly minorityRows: number;
  readonly sampleReport: SampleReport | null;
  readonly minorityReport: SampleReport | null;
  readonly error?: string;
}

export interface CtrExperimentResult {
  readonly config: CtrExperimentConfig;
  readonly split: {
    readonly kind: 'temporal' | 'user-temporal';
    readonly train: number;
    readonly valid: number;
    readonly test: number;
    readonly trainEnd: number;
    readonly validEnd: number;
    readonly positiveShare: { train: number; valid: number; test: number };
    /** Test rows whose user/item (first two id columns) never occur in training. */
    readonly coldTestRows: Readonly<Record<string, number>>;
  };
  readonly metrics: { readonly AUC: { direction: string }; readonly LogLoss: { direction: string } };
  readonly cells: readonly CtrCellResult[];
  readonly synthRuns: readonly CtrSynthRun[];
  readonly seconds: number;
}

export interface CtrExperimentDeps {
  readonly createModel?: (name: string, config: Record<string, unknown>) => CtrModel;
  readonly createSynthesizer?: (name: string, params: Record<string, unknown>) => Synthesizer;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /**
   * Folder of the run store: each model fit (arm, synthesizer, model, seed) and each synthesizer
   * fit is recorded there with its fingerprint, and a rerun reuses what is recorded (a synthesizer
   * whose runs are all recorded is not refitted). Without it nothing is saved or reused.
   */
  readonly runDir?: string | undefined;
}

/** sha256 of a table's columns and cells: the data part of CTR run fingerprints. */
export function tableFingerprint(t: Table): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(t.columns));
  for (const c of t.columns) h.update(JSON.stringify(t.data[c]));
  return h.digest('hex');
}

function labelOf(cell: Cell): 0 | 1 {
  return cell === true || cell === 1 || cell === '1' || cell === 'true' ? 1 : 0;
}

function labelsOf(t: Table, label: string): Uint8Array {
  return Uint8Array.from(t.data[label]!, labelOf);
}

function share(t: Table, label: string): number {
  if (t.rowCount === 0) return 0;
  let p = 0;
  for (const c of t.data[label]!) p += labelOf(c);
  return p / t.rowCount;
}

/** The synthetic table with the real table's columns in the real order (a missing column is an error). */
function alignColumns(synth: Table, like: Table, who: string): Table {
  const missing = like.columns.filter((c) => !(c in synth.data));
  if (missing.length) throw new Error(`${who} sampled a table without column(s) ${missing.join(', ')}`);
  const data: Record<string, readonly Cell[]> = {};
  for (const c of like.columns) data[c] = synth.data[c]!;
  return { columns: [...like.columns], rowCount: synth.rowCount, data };
}

export async function runCtrExperiment(dataset: CtrDataset, rawConfig: unknown, deps: CtrExperimentDeps = {}): Promise<CtrExperimentResult> {
  const t0 = performance.now();
  const config = parseCtrExperimentConfig(rawConfig);
  const progress = deps.progress ?? silentProgress;
  const makeModel = deps.createModel ?? createCtrModel;
  const { table, metadata, label, rowIds, timestamps } = dataset;
  if (!table.columns.includes(label)) throw new ConfigError(`the table has no label column '${label}'`, { field: 'label' });
  const needsSynth = config.arms.some((a) => a !== 'real');
  if (needsSynth && config.synthesizers.length > 0 && !deps.createSynthesizer) throw new ConfigError('synthesizers were requested but no synthesizer factory was given', { field: 'synthesizers' });

  let split: TemporalCtrSplit;
  if (config.split === 'temporal') split = temporalCtrSplit(timestamps, rowIds, config.validFraction, config.testFraction);
  else {
    const users = table.data[config.userColumn];
    if (users === undefined) throw new ConfigError(`the table has no user column '${config.userColumn}' for the user-temporal split`, { field: 'userColumn' });
    split = userTemporalCtrSplit(timestamps, rowIds, users, config.validFraction, config.testFraction);
  }
  const trainIdx = config.maxTrainRows !== undefined && split.train.length > config.maxTrainRows ? split.train.slice(split.train.length - config.maxTrainRows) : split.train;
  assertDisjointRows({ train: trainIdx, valid: split.valid, test: split.test }, rowIds);
  const train = selectRows(table, trainIdx);
  const valid = selectRows(table, split.valid);
  const test = selectRows(table, split.test);
  const testLabels = labelsOf(test, label);
  const validLabels = labelsOf(valid, label);

  const idCols = table.columns.filter((c) => metadata.columns[c]?.type === 'id').slice(0, 2);
  const coldTestRows: Record<string, number> = {};
  for (const c of idCols) {
    const seen = new Set(train.data[c]!.map(String));
    coldTestRows[c] = test.data[c]!.filter((v) => !seen.has(String(v))).length;
  }
  const lastTime = (idx: Int32Array): number => {
    let t = Number.NEGATIVE_INFINITY;
    for (const i of idx) t = Math.max(t, timestamps[i]!);
    return t;
  };
  progress.line(`ctr: ${config.split} split train ${train.rowCount} / valid ${valid.rowCount} / test ${test.rowCount}; positive share ${share(train, label).toFixed(3)} / ${share(valid, label).toFixed(3)} / ${share(test, label).toFixed(3)}`);

  const cells: CtrCellResult[] = [];
  const synthRuns: CtrSynthRun[] = [];
  const runsByKey = new Map<string, CtrRunResult[]>();
  const record = (arm: CtrArm, synth: string | null, model: string, r: CtrRunResult): void => {
    const key = `${arm}\u0000${synth ?? ''}\u0000${model}`;
    if (!runsByKey.has(key)) runsByKey.set(key, []);
    runsByKey.get(key)!.push(r);
  };

  // Everything a run's result depends on but its arm, synthesizer, model and seed.
  const base = deps.runDir !== undefined
    ? { data: tableFingerprint(table), label, split: config.split, userColumn: config.userColumn, validFraction: config.validFraction, testFraction: config.testFraction, maxTrainRows: config.maxTrainRows ?? null, synthRatio: config.synthRatio, arms: config.arms }
    : null;
  const synthSettings = (name: string) => ({ name, params: config.synthParams[name] ?? {}, epochs: config.synthEpochs[name] ?? null });
  const runRecord = (arm: CtrArm, synth: string | null, model: string, seed: number) =>
    base && deps.runDir !== undefined
      ? {
          path: join(deps.runDir, `${arm}${synth ? `-${synth}` : ''}-${model}-seed${seed}.json`),
          fingerprint: { ...base, arm, synthesizer: synth ? synthSettings(synth) : null, model, modelConfig: config.modelConfig[model] ?? {}, epochs: config.epochs ?? null, patience: config.patience ?? null, seed },
        }
      : null;
  const synthRecord = (name: string, seed: number) =>
    base && deps.runDir !== undefined ? { path: join(deps.runDir, `synthesizer-${name}-seed${seed}.json`), fingerprint: { ...base, synthesizer: synthSettings(name), seed } } : null;
  const savedRun = (arm: CtrArm, synth: string | null, model: string, seed: number): CtrRunResult | null => {
    const rec = runRecord(arm, synth, model, seed);
    return rec ? (readRunResult<CtrRunResult>(rec.path, rec.fingerprint)?.result ?? null) : null;
  };

  const fitAndScore = async (arm: CtrArm, synth: string | null, trainTable: Table, seed: number): Promise<void> => {
    for (const model of config.models) {
      const tag = `${arm}${synth ? `[${synth}]` : ''} ${model} seed ${seed}`;
      const saved = savedRun(arm, synth, model, seed);
      if (saved) {
        progress.line(`${tag}: already done; not rerun`);
        record(arm, synth, model, saved);
        continue;
      }
      const m = makeModel(model, config.modelConfig[model] ?? {});
      const r = await m.fit(trainTable, {
        seed,
        metadata,
        label,
        validation: valid,
        ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
        ...(config.patience !== undefined ? { patience: config.patience } : {}),
        progress: { line: (s) => progress.line(`  ${tag}: ${s}`), step: (l, d, t) => progress.step?.(`${tag}: ${l}`, d, t) },
        ...(deps.cancel ? { cancel: deps.cancel } : {}),
      });
      const pt = m.predict(test);
      const pv = m.predict(valid);
      const run: CtrRunResult = {
        seed,
        testAuc: AUC.compute(pt, testLabels),
        testLogLoss: LOG_LOSS.compute(pt, testLabels),
        validAuc: AUC.compute(pv, validLabels),
        validLogLoss: LOG_LOSS.compute(pv, validLabels),
        bestEpoch: r.bestEpoch,
        epochsRun: r.epochs.length,
        trainRows: trainTable.rowCount,
        trainPositiveShare: share(trainTable, label),
        seconds: r.seconds,
      };
      progress.line(`${tag}: test AUC ${run.testAuc.toFixed(4)} logloss ${run.testLogLoss.toFixed(4)} (valid AUC ${run.validAuc.toFixed(4)}, best epoch ${run.bestEpoch}, ${trainTable.rowCount} rows, ${run.seconds.toFixed(1)}s)`);
      const rec = runRecord(arm, synth, model, seed);
      if (rec) writeRunResult(rec.path, rec.fingerprint, run);
      record(arm, synth, model, run);
    }
  };

  if (config.arms.includes('real')) for (const seed of config.seeds) await fitAndScore('real', null, train, seed);

  const synthArms = config.arms.filter((a) => a !== 'real');
  if (synthArms.length > 0) {
    const trainLabels = labelsOf(train, label);
    let positives = 0;
    for (const y of trainLabels) positives += y;
    const negatives = train.rowCount - positives;
    // The label value the minority rows carry, written as the real table writes it.
    const minorityIsPositive = positives < negatives;
    const minorityCell = train.data[label]!.find((c) => labelOf(c) === (minorityIsPositive ? 1 : 0)) ?? minorityIsPositive;
    const minorityCount = Math.abs(positives - negatives);
    const nSynth = Math.round(train.rowCount * config.synthRatio);
    for (const name of config.synthesizers) {
      for (const seed of config.seeds) {
        // Every run of this synthesizer seed recorded: reuse them without refitting it.
        const synthRec = synthRecord(name, seed);
        const savedSynth = synthRec ? readRunResult<CtrSynthRun>(synthRec.path, synthRec.fingerprint)?.result : undefined;
        if (savedSynth) {
          const done = synthArms.flatMap((arm) => (arm === 'real+minority' && minorityCount === 0 ? [] : config.models.map((model) => ({ arm, model, run: savedRun(arm, name, model, seed) }))));
          if (done.every((d) => d.run !== null)) {
            progress.line(`ctr: ${name} seed ${seed}: already done; not refitted`);
            synthRuns.push(savedSynth);
            for (const d of done) record(d.arm, name, d.model, d.run!);
            continue;
          }
        }
        const synthesizer = deps.createSynthesizer!(name, config.synthParams[name] ?? {});
        const ts = performance.now();
        progress.line(`ctr: fitting ${name} (seed ${seed}) on ${train.rowCount} training rows`);
        const epochs = config.synthEpochs[name];
        await synthesizer.fit(train, metadata, {
          seed,
          ...(epochs !== undefined ? { epochs } : {}),
          progress: { line: (s) => progress.line(`  ${name}: ${s}`), step: (l, d, t) => progress.step?.(`${name}: ${l}`, d, t) },
          ...(deps.cancel ? { cancel: deps.cancel } : {}),
        });
        const fitSeconds = (performance.now() - ts) / 1000;
        const tsample = performance.now();
        const needPlain = synthArms.includes('real+synth') || synthArms.includes('synth-only');
        const plain = needPlain ? synthesizer.sample(nSynth, { seed: hashSeed(seed, 'ctr-synth') }) : null;
        const minority = synthArms.includes('real+minority') && minorityCount > 0
          ? synthesizer.sample(minorityCount, { seed: hashSeed(seed, 'ctr-minority'), conditions: { [label]: minorityCell } })
          : null;
        const sampleSeconds = (performance.now() - tsample) / 1000;
        const plainTable = plain ? alignColumns(plain.table, train, name) : null;
        const minorityTable = minority ? alignColumns(minority.table, train, name) : null;
        if (minorityTable && minorityTable.data[label]!.some((c) => labelOf(c) !== labelOf(minorityCell))) throw new Error(`${name} returned rows that violate the label condition`);
        const synthRun: CtrSynthRun = {
          synthesizer: name,
          seed,
          fitSeconds,
          sampleSeconds,
          synthRows: plainTable?.rowCount ?? 0,
          synthPositiveShare: plainTable ? share(plainTable, label) : 0,
          minorityLabel: minorityCell,
          minorityRows: minorityTable?.rowCount ?? 0,
          sampleReport: plain?.report ?? null,
          minorityReport: minority?.report ?? null,
        };
        synthRuns.push(synthRun);
        if (synthRec) writeRunResult(synthRec.path, synthRec.fingerprint, synthRun);
        progress.line(`ctr: ${name} seed ${seed}: fit ${fitSeconds.toFixed(1)}s, sampled ${plainTable?.rowCount ?? 0} rows (positive share ${plainTable ? share(plainTable, label).toFixed(3) : '-'}) + ${minorityTable?.rowCount ?? 0} minority rows in ${sampleSeconds.toFixed(1)}s`);
        for (const arm of synthArms) {
          if (arm === 'real+synth') await fitAndScore(arm, name, concatTables(train, plainTable!), seed);
          else if (arm === 'synth-only') await fitAndScore(arm, name, plainTable!, seed);
          else if (arm === 'real+minority' && minorityTable) await fitAndScore(arm, name, concatTables(train, minorityTable), seed);
        }
      }
    }
  }

  for (const [key, runs] of runsByKey) {
    const [arm, synth, model] = key.split('\u0000') as [CtrArm, string, string];
    cells.push({
      arm,
      synthesizer: synth === '' ? null : synth,
      model,
      runs,
      testAuc: meanStd(runs.map((r) => r.testAuc)),
      testLogLoss: meanStd(runs.map((r) => r.testLogLoss)),
      validAuc: meanStd(runs.map((r) => r.validAuc)),
    });
  }
  return {
    config,
    split: {
      kind: config.split,
      train: train.rowCount,
      valid: valid.rowCount,
      test: test.rowCount,
      trainEnd: lastTime(split.train),
      validEnd: lastTime(split.valid),
      positiveShare: { train: share(train, label), valid: share(valid, label), test: share(test, label) },
      coldTestRows,
    },
    metrics: { AUC: { direction: AUC.direction }, LogLoss: { direction: LOG_LOSS.direction } },
    cells,
    synthRuns,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** A plain-text table of the cells: one line per arm × synthesizer × model. */
export function formatCtrTable(result: CtrExperimentResult): string {
  const pm = (x: { mean: number; std: number }) => `${x.mean.toFixed(4)} ± ${x.std.toFixed(4)}`;
  const base = new Map<string, number>();
  for (const c of result.cells) if (c.arm === 'real') base.set(c.model, c.testAuc.mean);
  const rows = result.cells.map((c) => {
    const b = base.get(c.model);
    return [
      c.arm,
      c.synthesizer ?? '-',
      c.model,
      String(c.runs[0]?.trainRows ?? 0),
      (c.runs[0]?.trainPositiveShare ?? 0).toFixed(3),
      pm(c.testAuc),
      b !== undefined && c.arm !== 'real' ? `${c.testAuc.mean - b >= 0 ? '+' : ''}${(c.testAuc.mean - b).toFixed(4)}` : '-',
      pm(c.testLogLoss),
      pm(c.validAuc),
      c.runs.map((r) => r.bestEpoch).join(','),
      String(c.runs.length),
    ];
  });
  const head = ['arm', 'synthesizer', 'model', 'train rows', 'pos share', 'test AUC ↑', 'ΔAUC vs real', 'test LogLoss ↓', 'valid AUC', 'best epochs', 'seeds'];
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (r: string[]) => r.map((v, j) => v.padEnd(widths[j]!)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
