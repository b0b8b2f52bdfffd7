/**
 * Fidelity, utility and privacy of the table synthesizers side by side, several seeds, on the
 * MovieLens-100K CTR table (ratings ⨝ users ⨝ items, label rating ≥ 4).
 *
 *   SAMPLIFY_THREADS=1 nice node --import tsx bench/synth-report.ts [--table ctr29] [--rows 20000] [--seeds 3]
 *     [--models gaussian-copula,ctgan,tvae] [--epochs ctgan:30,tvae:30] [--out bench/results/synth-report-ml100k.json]
 *     [--variant 'tvae-dp1=tvae:{"dp":{"noiseMultiplier":1}}' …] [--first-seed 0]
 *
 * A --variant adds a labelled synthesizer with a config (JSON) to the models; --epochs and
 * --models take its label. A model fitted with DP-SGD reports its (ε, δ) per run. Entity-consistent
 * sampling is a variant of the 'entity-blocks' wrapper, e.g.
 *   --variant 'entity-copy=entity-blocks:{"attributeSource":"copy"}'
 *   --variant 'entity-synthetic=entity-blocks:{"synthesizer":"gaussian-copula","attributeSource":"synthetic"}'
 * --fit-only times the fits alone (fit seconds and the process's peak RSS; no sampling, no
 * reports): run one model per process for a per-model peak RSS.
 * --transformer-only times the CTGAN/TVAE data transformer's fit alone (each model's transformer
 * options from its config; the mode count of every mixture-normalised column), e.g. the whole-column
 * mixture against the 5,000-value subsample:
 *   --transformer-only --rows 100000 --seeds 3 --models ctgan,ctgan-gmm
 *     --variant 'ctgan-gmm=ctgan:{"mixtureFitValues":0,"mixtureMaxIterations":100}'
 *
 * --table anchor9 takes issue 19's 9-column anchor table instead (bench/ml100k-anchor9.ts: timestamp
 * text, user age/gender/occupation/zip_region, movie release_year/n_genres/main_genre, label; all
 * 100,000 rows by default, the 80/20 split stratified by the label); the default, ctr29, is the
 * 29-column CTR join every earlier result used.
 * A seeded random --rows sample of the table is split 80/20 into train and holdout (the same split
 * for every synthesizer and seed). Each synthesizer fits on train and samples as many rows; then
 * - fidelity: qualityReport(train, synthetic) — column shapes, pair trends, detection AUC of the
 *   boosted trees (detectionAucTrees, with the columns that drive it) and of the logistic
 *   regression (detectionAucLinear, the number earlier results called detectionAuc);
 * - utility: TSTR — a logistic regression on the label trained on synthetic vs on train, AUC on holdout;
 * - privacy: privacyReport(train, holdout, synthetic) — exact copies, DCR vs the holdout baseline,
 *   membership inference.
 * Every number keeps its direction in the JSON. Results are mean ± std over seeds.
 */
import { cpus, loadavg } from 'node:os';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { MOVIELENS_LABEL } from '../src/data/index.ts';
import { meanStd, qualityReport, utilityReport, privacyReport } from '../src/eval/index.ts';
import { Rng } from '../src/core/index.ts';
import { createSynthesizer, DataTransformer, type RareQuotaReport, type Synthesizer, type TransformerOptions } from '../src/synth/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { loadMl100kSynthSplit } from './ml100k-synth-split.ts';
import { loadMl100kAnchor9Split } from './ml100k-anchor9.ts';
import { arg, threadsPrefix } from './args.ts';
import { loadSavedSynthesizer } from './saved-model.ts';

const tableName = arg('table', 'ctr29');
if (tableName !== 'ctr29' && tableName !== 'anchor9') {
  console.error(`bench/synth-report: --table must be ctr29 (the 29-column CTR join, default) or anchor9 (issue 19's 9-column anchor table), got ${JSON.stringify(tableName)}`);
  process.exit(2);
}
/** The --table as it goes into the recorded commands (absent for the default, so old commands read as before). */
const tableArg = tableName === 'ctr29' ? '' : ` --table ${tableName}`;
const tableDescription =
  tableName === 'anchor9'
    ? "issue 19's ml-100k anchor table as reconstructed in bench/ml100k-anchor9.ts (timestamp text, age, gender, occupation, zip_region, release_year, n_genres, main_genre, label = rating ≥ 4; split stratified by label)"
    : 'ml-100k ratings ⨝ users ⨝ items (loadMovieLensCtr)';
const rows = Number(arg('rows', tableName === 'anchor9' ? '100000' : '20000'));
const firstSeed = Number(arg('first-seed', '0'));
const seeds = Array.from({ length: Number(arg('seeds', '3')) }, (_, i) => firstSeed + i);
/** label → (registry name, config): the plain names, plus every --variant label=model:{json}. */
const variants = new Map<string, { model: string; config: Record<string, unknown> }>();
process.argv.forEach((a, i) => {
  if (a !== '--variant') return;
  const m = /^([\w.-]+)=([\w-]+):(\{.*\})$/s.exec(process.argv[i + 1] ?? '');
  if (!m) {
    console.error(`bench/synth-report: --variant must be label=model:{json config}, got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  variants.set(m[1]!, { model: m[2]!, config: JSON.parse(m[3]!) as Record<string, unknown> });
});
const models = arg('models', ['gaussian-copula', 'ctgan', 'tvae', ...variants.keys()].join(',')).split(',');
const epochs = Object.fromEntries(arg('epochs', 'ctgan:30,tvae:30').split(',').map((kv) => [kv.split(':')[0]!, Number(kv.split(':')[1])]));
const out = arg('out', 'bench/results/synth-report-ml100k.json');
const fitOnly = process.argv.includes('--fit-only');
const transformerOnly = process.argv.includes('--transformer-only');
/** --save-models DIR: each fitted model is also saved as DIR/<label>-seed<seed>.json, so sampling can be studied on it without refitting. */
const saveModelsDir = arg('save-models', '');
/**
 * --load-models DIR: instead of fitting, each model is loaded from DIR/<label>-seed<seed>.json (saved
 * by --save-models) and only sampled and scored; fitSeconds is then null.
 */
const loadModelsDir = arg('load-models', '');
/** The process's peak resident set so far, in MB (monotone: per model only when one model runs per process). */
const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

const t0 = performance.now();
const { train, holdout, metadata } = tableName === 'anchor9' ? await loadMl100kAnchor9Split('bench/synth-report', rows) : await loadMl100kSynthSplit('bench/synth-report', rows);
stderrProgress.line(`ml-100k ${tableName === 'anchor9' ? 'anchor' : 'CTR'} table: ${train.rowCount} train + ${holdout.rowCount} holdout rows, ${train.columns.length} columns`);

if (transformerOnly) {
  const fits: { model: string; seed: number; seconds: number; modes: Record<string, number> }[] = [];
  for (const model of models) {
    const v = variants.get(model);
    const config = (createSynthesizer(v?.model ?? model, v?.config ?? {}) as { config?: Required<TransformerOptions> }).config;
    if (config === undefined) throw new Error(`--transformer-only: ${model} has no data transformer`);
    const { maxModes, idBuckets, discreteIntegerMaxValues, mixtureFitValues, mixtureMaxIterations } = config;
    for (const seed of seeds) {
      const t = performance.now();
      // The same seed stream the synthesizers' fits give their transformer.
      const tr = DataTransformer.fit(train, metadata, new Rng(seed).split('transformer'), { maxModes, idBuckets, discreteIntegerMaxValues, mixtureFitValues, mixtureMaxIterations });
      const seconds = (performance.now() - t) / 1000;
      const modes = Object.fromEntries(tr.codecs.flatMap((c) => (c.kind === 'continuous' ? [[c.column, c.gmm.means.length]] : [])));
      fits.push({ model, seed, seconds, modes });
      stderrProgress.line(`${model} seed ${seed}: transformer fit ${seconds.toFixed(2)} s, modes ${JSON.stringify(modes)}`);
    }
  }
  writeJsonAtomic(out, {
    benchmark: 'synth-report-ml100k-transformer-fit-time',
    command: `${threadsPrefix()}node --import tsx bench/synth-report.ts${tableArg} --transformer-only --rows ${rows} --seeds ${seeds.length} --models ${models.join(',')}${[...variants].map(([l, v]) => ` --variant '${l}=${v.model}:${JSON.stringify(v.config)}'`).join('')} --out ${out}`,
    data: { ...(tableArg ? { table: tableDescription } : {}), trainRows: train.rowCount, columns: train.columns.length },
    summary: models.map((model) => ({ model, seconds: meanStd(fits.filter((f) => f.model === model).map((f) => f.seconds)), modes: fits.find((f) => f.model === model)?.modes })),
    fits,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
    date: new Date().toISOString(),
  });
  console.log(`wrote ${out}`);
  process.exit(0);
}

interface Run {
  model: string;
  seed: number;
  /** null when the model was loaded (--load-models), not fitted. */
  fitSeconds: number | null;
  sampleSeconds: number;
  fidelity: number;
  columnShapes: number;
  pairTrends: number;
  /** Mean |ΔCramér's V| over categorical–categorical column pairs (lower is better). */
  associationError: number | null;
  detectionAucTrees: number | null;
  detectionAucLinear: number | null;
  /** The trees' top source columns by share of split gain. */
  detectionTopColumns: { column: string; share: number }[];
  /** Share of the real rows' rare categories (< 1 % of rows) kept within 2× of their rate; null when none. */
  rareCategoryCoverage: number | null;
  rareCategoriesNeverProduced: string[];
  /** Every rare real category with its real and synthetic share of rows (worst ratio first). */
  rareCategories: { category: string; realShare: number; syntheticShare: number }[];
  tstrAuc: number;
  trtrAuc: number;
  utilityRatio: number;
  utilityAboveChance: number;
  exactCopies: number;
  dcrShareCloserThanP5: number;
  dcrMedianRatio: number;
  membershipInferenceAuc: number;
  /** What the sampler's rare-category quotas did (src/synth/rare-quota.ts); null when none held. */
  rareQuota: RareQuotaReport | null;
  /** Peak RSS of the process so far (MB; monotone over the runs of one process). */
  peakRssMb: number;
  /** DP-SGD guarantee of the fit (models fitted with `dp`), else absent. */
  privacy?: { epsilon: number; delta: number };
}
const runs: Run[] = [];
/** fitCpuSeconds: the process's user + system CPU time during the fit (one thread: what the fit costs however busy the machine is). */
const fits: { model: string; seed: number; fitSeconds: number; fitCpuSeconds: number; peakRssMb: number }[] = [];
/** The peak RSS once the table is loaded and split, before any fit (what the fits add is above it). */
const peakRssBeforeFitsMb = peakRssMb();
for (const model of models) {
  for (const seed of seeds) {
    const v = variants.get(model);
    let t = performance.now();
    const cpu0 = process.cpuUsage();
    let synth: Synthesizer;
    let fitSeconds: number | null = null;
    if (loadModelsDir !== '') synth = loadSavedSynthesizer(`${loadModelsDir}/${model}-seed${seed}.json`, train, metadata);
    else {
      synth = createSynthesizer(v?.model ?? model, v?.config ?? {});
      await synth.fit(train, metadata, { seed, ...(epochs[model] ? { epochs: epochs[model] } : {}), progress: { line: (l) => stderrProgress.line(`  ${model} seed ${seed}: ${l}`) } });
      fitSeconds = (performance.now() - t) / 1000;
    }
    if (saveModelsDir !== '') synth.save(`${saveModelsDir}/${model}-seed${seed}.json`);
    if (fitOnly && fitSeconds !== null) {
      const cpu = process.cpuUsage(cpu0);
      const fitCpuSeconds = (cpu.user + cpu.system) / 1e6;
      fits.push({ model, seed, fitSeconds, fitCpuSeconds, peakRssMb: peakRssMb() });
      stderrProgress.line(`${model} seed ${seed}: fit ${fitSeconds.toFixed(2)} s (CPU ${fitCpuSeconds.toFixed(2)} s), peak RSS ${peakRssMb().toFixed(0)} MB`);
      continue;
    }
    t = performance.now();
    const sample = synth.sample(train.rowCount, { seed });
    const sampleSeconds = (performance.now() - t) / 1000;
    const q = qualityReport(train, sample.table, metadata, { seed });
    const u = utilityReport(train, sample.table, holdout, metadata, { seed, target: MOVIELENS_LABEL, positive: true });
    const p = privacyReport(train, holdout, sample.table, metadata, { seed });
    const r: Run = {
      model,
      seed,
      fitSeconds,
      sampleSeconds,
      fidelity: q.overall.value,
      columnShapes: q.columnShapes.score.value,
      pairTrends: q.columnPairs.score?.value ?? Number.NaN,
      associationError: q.columnPairs.associationError?.value ?? null,
      detectionAucTrees: 'detectionAuc' in q.detection ? q.detection.detectionAuc.trees.value : null,
      detectionAucLinear: 'detectionAuc' in q.detection ? q.detection.detectionAuc.linear.value : null,
      detectionTopColumns: 'importances' in q.detection ? q.detection.importances.slice(0, 5).map((c) => ({ column: c.column, share: c.share })) : [],
      rareCategoryCoverage: q.rareCategories.score?.value ?? null,
      rareCategoriesNeverProduced: q.rareCategories.categories.filter((c) => c.ratio === 0).map((c) => `${c.column}=${c.value}`),
      rareCategories: q.rareCategories.categories.map((c) => ({ category: `${c.column}=${c.value}`, realShare: c.realShare, syntheticShare: c.syntheticShare })),
      tstrAuc: u.trainOnSynthetic,
      trtrAuc: u.trainOnReal,
      utilityRatio: u.fraction.value,
      utilityAboveChance: u.fractionAboveChance?.value ?? Number.NaN,
      exactCopies: p.exactCopies.count,
      dcrShareCloserThanP5: p.dcr.shareCloserThanHoldoutP5.value,
      dcrMedianRatio: p.dcr.medianRatio.value,
      membershipInferenceAuc: p.membershipInference.auc.value,
      rareQuota: sample.report.rareCategories ?? null,
      peakRssMb: peakRssMb(),
    };
    const dp = (synth as { privacy?: { epsilon: number; delta: number } | null }).privacy;
    if (dp) r.privacy = { epsilon: dp.epsilon, delta: dp.delta };
    runs.push(r);
    writeReport(true);
    stderrProgress.line(`${model} seed ${seed}: ${fitSeconds === null ? 'loaded' : `fit ${fitSeconds.toFixed(1)} s`}; fidelity ${r.fidelity.toFixed(3)}, association error ${r.associationError?.toFixed(4)}, detection trees ${r.detectionAucTrees?.toFixed(3)} / linear ${r.detectionAucLinear?.toFixed(3)} (top: ${r.detectionTopColumns.slice(0, 3).map((c) => `${c.column} ${(c.share * 100).toFixed(0)} %`).join(', ')}), TSTR ${r.tstrAuc.toFixed(3)} / TRTR ${r.trtrAuc.toFixed(3)}, copies ${r.exactCopies}, MIA ${r.membershipInferenceAuc.toFixed(3)}${r.privacy ? `, ε ${r.privacy.epsilon.toFixed(2)} (δ ${r.privacy.delta})` : ''}`);
  }
}

if (fitOnly) {
  writeJsonAtomic(out, {
    benchmark: 'synth-report-ml100k-fit-time',
    command: `${threadsPrefix()}node --import tsx bench/synth-report.ts${tableArg} --fit-only --rows ${rows} --seeds ${seeds.length} --models ${models.join(',')}${[...variants].map(([l, v]) => ` --variant '${l}=${v.model}:${JSON.stringify(v.config)}'`).join('')} --out ${out}`,
    data: { ...(tableArg ? { table: tableDescription } : {}), trainRows: train.rowCount, columns: train.columns.length },
    peakRssBeforeFitsMb,
    summary: models.map((model) => ({ model, fitSeconds: meanStd(fits.filter((f) => f.model === model).map((f) => f.fitSeconds)), fitCpuSeconds: meanStd(fits.filter((f) => f.model === model).map((f) => f.fitCpuSeconds)), peakRssMb: Math.max(...fits.filter((f) => f.model === model).map((f) => f.peakRssMb)) })),
    fits,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
    date: new Date().toISOString(),
  });
  console.log(`wrote ${out}`);
  process.exit(0);
}

writeReport(false);
/** Writes the report of the runs so far (after every run, so an interrupted run keeps its results). */
function writeReport(partial: boolean): void {
  const keys = ['fitSeconds', 'fidelity', 'columnShapes', 'pairTrends', 'associationError', 'detectionAucTrees', 'detectionAucLinear', 'rareCategoryCoverage', 'tstrAuc', 'trtrAuc', 'utilityRatio', 'utilityAboveChance', 'exactCopies', 'dcrShareCloserThanP5', 'dcrMedianRatio', 'membershipInferenceAuc'] as const;
  const summary = models.filter((model) => runs.some((r) => r.model === model)).map((model) => {
    const rs = runs.filter((r) => r.model === model);
    const stat = (k: (typeof keys)[number]) => meanStd(rs.map((r) => r[k]).filter((x): x is number => typeof x === 'number'));
    const v = variants.get(model);
    const eps = rs.map((r) => r.privacy?.epsilon).filter((x): x is number => x !== undefined);
    return { model, ...(v ? { synthesizer: v.model, config: v.config } : {}), ...Object.fromEntries(keys.map((k) => [k, stat(k)])), ...(eps.length > 0 ? { epsilon: meanStd(eps), delta: rs[0]!.privacy!.delta } : {}) };
  });
  const directions = {
    fidelity: 'higher is better (0..1)', columnShapes: 'higher is better (0..1)', pairTrends: 'higher is better (0..1)',
    associationError: "lower is better (0..1): mean |Cramér's V real − synthetic| over pairs of categorical/boolean columns",
    detectionAucTrees: '0.5 is best (real and synthetic not separable by cross-validated gradient-boosted trees)',
    detectionAucLinear: '0.5 is best (not separable by a cross-validated logistic regression; sees no column combinations)',
    detectionTopColumns: "the trees' top columns by share of split gain: what gives the synthetic rows away",
    rareCategoryCoverage: 'higher is better (0..1): share of the real rows\' rare categories (< 1 % of rows) that the synthetic rows produce within 2× of the real rate',
    rareCategoriesNeverProduced: 'rare real categories the synthetic rows never produce',
    rareCategories: 'every rare real category (< 1 % of the train rows) with its share of the real train rows and of the synthetic rows',
    rareQuota: "the sampler's quotas on rare categories: how many held, candidate rows rejected over a quota, rows drawn by conditional sampling, categories it could not fill (short)",
    tstrAuc: 'higher is better', trtrAuc: 'the same model trained on the real train rows (reference)', utilityRatio: 'TSTR / TRTR, 1 = as useful as the real rows',
    utilityAboveChance: '(TSTR − 0.5) / (TRTR − 0.5): the share of the real rows’ lift over chance that synthetic rows keep',
    exactCopies: 'lower is safer (copies are removed by default, so 0)', dcrShareCloserThanP5: "share of synthetic rows closer to their nearest train row than the holdout's 5th percentile; about 0.05 is what unseen real rows give, higher is less safe",
    dcrMedianRatio: 'median synthetic→train distance / median holdout→train distance; ≥ 1 is safe, well below 1 means copying',
    membershipInferenceAuc: '0.5 is safest',
    epsilon: 'DP-SGD privacy loss of the network weights at delta (lower is more private; the data transformer is not covered)',
  };
  writeJsonAtomic(out, {
    benchmark: 'synth-report-ml100k',
    command: `${threadsPrefix()}node --import tsx bench/synth-report.ts${tableArg} --rows ${rows} --seeds ${seeds.length}${firstSeed !== 0 ? ` --first-seed ${firstSeed}` : ''} --models ${models.join(',')} --epochs ${Object.entries(epochs).map(([k, v]) => `${k}:${v}`).join(',')}${loadModelsDir ? ` --load-models ${loadModelsDir}` : ''}${[...variants].map(([l, v]) => ` --variant '${l}=${v.model}:${JSON.stringify(v.config)}'`).join('')} --out ${out}`,
    data: { table: tableDescription, trainRows: train.rowCount, holdoutRows: holdout.rowCount, columns: train.columns.length },
    directions,
    summary,
    runs,
    backend: backendInfo(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
    seconds: (performance.now() - t0) / 1000,
    date: new Date().toISOString(),
    ...(partial ? { partial: `${runs.length} of ${models.length * seeds.length} runs (written after every run; the run was stopped or is still going)` } : {}),
  });
}
console.log(`wrote ${out}`);
