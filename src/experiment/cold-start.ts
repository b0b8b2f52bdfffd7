/**
 * The item cold-start experiment: hold out items (`itemColdStartSplit`), then compare how well
 * their later interactions are ranked by
 *   - `none`:       the model trained on the warm training view (it has never seen the cold items),
 *   - `synth`:      the same model trained on the training view + attribute-conditioned synthetic
 *                   interactions for the cold items (`synthesizeColdStartInteractions`), the number
 *                   per item chosen on validation-cold items only,
 *   - `attr-pop`:   the attribute-popularity heuristic (its affinity chosen on validation-cold),
 *   - `hybrid`:     `none` for items with training interactions, `attr-pop` for the others, put on
 *                   the model's score scale with a shift chosen on warm + cold validation
 *                   cases together (`ColdItemFallbackRecommender`).
 * Every arm is also measured on the warm leave-one-out test cases, so a cost on warm items shows.
 * Epochs of trained models are selected by early stopping on warm validation NDCG@20 (the model's
 * ordinary procedure); validation-cold chooses the synthesis intensity and the heuristic's
 * affinity; the hybrid's shift is chosen on warm and cold validation cases together. Test-cold items are disjoint from validation-cold items.
 * Significance: paired t-test and bootstrap CI over test-cold cases of the per-case metric
 * averaged over seeds (the heuristic is deterministic: the same values for every seed).
 */
import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CancelToken, ConfigError, silentProgress, writeFileAtomic, writeJsonAtomic, type ProgressReporter } from '../core/index.ts';
import { itemColdStartSplit, type EvalCase, type ItemAttributeSets, type ItemColdStartOptions, type ItemColdStartSplit, type SequenceDataset, type TrainView } from '../data/index.ts';
import { combineSeeds, fullRankingRanks, hitRateAtK, meanReciprocalRank, meanStdByMetric, metricsFromRanks, ndcgAtK, pairedBootstrapCI, pairedTTest, relativeLift, type MetricSpec } from '../eval/index.ts';
import { AttributePopularityRecommender, ColdItemFallbackRecommender, createRecommender, type ModelSpec, type Recommender } from '../models/index.ts';
import { backendInfo } from '../nn/index.ts';
import { synthesizeColdStartInteractions, withSyntheticSequences, type ColdStartSynthConfig, type ColdStartSynthesis } from '../synth/index.ts';
import { readRunResult, writeRunResult } from './run-store.ts';
import { runEnvironment, type RunEnvironment } from './config.ts';

export interface ColdStartExperimentOptions {
  readonly dataset: SequenceDataset;
  readonly attributes: ItemAttributeSets;
  readonly split: ItemColdStartOptions;
  /** The trained model; default SASRec with the BCE loss (the benchmark's sasrec-bce). */
  readonly model?: ModelSpec;
  readonly seeds: readonly number[];
  readonly epochs?: number;
  readonly patience?: number;
  /** Candidate synthetic interactions per cold item (each > 0); the best on validation-cold is reported. */
  readonly intensities: readonly number[];
  /** Intensities are compared on the first seed only (cheaper), or on every seed. Default 'first-seed'. */
  readonly selectIntensityOn?: 'first-seed' | 'all-seeds';
  readonly synth?: Partial<Omit<ColdStartSynthConfig, 'perItem'>>;
  /** Candidate affinity weights of the heuristic. Default [0, 1, 3, 10]. */
  readonly affinities?: readonly number[];
  /**
   * Candidate shifts of the `hybrid` arm (cold items placed at z_heuristic + shift on the model's
   * scale); [] for none. Default [-1, 0, 1, 2, 3, 4]. The shift is chosen on validation NDCG@20 over
   * warm and cold validation cases together: on cold cases alone the best shift puts every cold
   * item above every warm one, which measured on Beauty took warm-test NDCG@20 from 0.030 to 0.001.
   */
  readonly hybridShifts?: readonly number[];
  /**
   * Early stopping validates on at most this many warm validation cases (an evenly spaced subset,
   * the same for every arm), to keep per-epoch validation cheap. Default: all of them.
   */
  readonly earlyStoppingCases?: number;
  /**
   * Train a control arm `context-copy` (default true): the synthesis arm's copied windows with the
   * real neighbour kept instead of the cold item, so synth vs context-copy on warm cases separates
   * "cold items learned" from "more training sequences".
   */
  readonly contextControl?: boolean;
  readonly out: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

/** Which cases each metric set is computed on. */
type CaseSet = 'coldValid' | 'coldTest' | 'warmValid' | 'warmTest';
const CASE_SETS: readonly CaseSet[] = ['coldValid', 'coldTest', 'warmValid', 'warmTest'];

export const COLD_START_METRICS: readonly MetricSpec[] = [hitRateAtK(10), ndcgAtK(10), hitRateAtK(20), ndcgAtK(20), meanReciprocalRank];
const SELECT = 'NDCG@20';

interface RunRanks {
  readonly ranks: Record<CaseSet, Int32Array>;
  readonly info: Record<string, unknown>;
}

export interface ColdStartArmResult {
  readonly arm: string;
  readonly description: string;
  /** What was chosen on validation (intensity, affinity, weight), when anything. */
  readonly chosen: Record<string, number> | null;
  readonly seeds: readonly number[];
  readonly metrics: Record<CaseSet, Record<string, number>>;
  readonly std: Record<CaseSet, Record<string, number>>;
  readonly perSeed: readonly { seed: number; metrics: Record<CaseSet, Record<string, number>>; info: Record<string, unknown> }[];
}

export interface ColdStartComparison {
  readonly baseline: string;
  readonly treatment: string;
  readonly cases: 'coldTest' | 'warmTest';
  readonly metric: string;
  readonly baselineMean: number;
  readonly treatmentMean: number;
  readonly relativeLift: number;
  readonly pValueT: number;
  readonly ci95Bootstrap: readonly [number, number];
  readonly pValueBootstrap: number;
}

export interface ColdStartExperimentResult {
  readonly experiment: 'item-cold-start';
  readonly config: Record<string, unknown>;
  readonly split: ItemColdStartSplit['summary'];
  readonly selection: Record<string, unknown>;
  readonly arms: readonly ColdStartArmResult[];
  readonly comparisons: readonly ColdStartComparison[];
  readonly table: string;
  readonly backend: Record<string, unknown>;
  readonly machine: Record<string, unknown>;
  /** samplify version, machine, settings and command line (the provenance every run kind records). */
  readonly environment: RunEnvironment;
  /** Wall-clock seconds of this invocation (seeds finished earlier are read back, not retrained). */
  readonly seconds: number;
}

const DEFAULT_MODEL: ModelSpec = { model: 'sasrec', config: { loss: 'bce' } };

export async function runColdStartExperiment(o: ColdStartExperimentOptions): Promise<ColdStartExperimentResult> {
  const progress = o.progress ?? silentProgress;
  const startedAt = performance.now();
  if (o.seeds.length === 0) throw new ConfigError('at least one seed is needed', { field: 'seeds' });
  if (o.intensities.length === 0 || o.intensities.some((k) => !Number.isInteger(k) || k < 1)) throw new ConfigError(`intensities must be integers >= 1 (synthetic interactions per cold item), got [${o.intensities.join(', ')}]`, { field: 'intensities' });
  if (o.attributes.numItems !== o.dataset.numItems) throw new ConfigError(`attributes cover ${o.attributes.numItems} items, the dataset has ${o.dataset.numItems}`, { field: 'attributes' });
  const modelSpec = o.model ?? DEFAULT_MODEL;
  const affinities = o.affinities ?? [0, 1, 3, 10];
  const hybridShifts = o.hybridShifts ?? [-1, 0, 1, 2, 3, 4];
  const numItems = o.dataset.numItems;

  const split = itemColdStartSplit(o.dataset, o.split);
  const s = split.summary;
  progress.line(`cold-start split: ${s.validColdItems} validation-cold + ${s.testColdItems} test-cold items of ${s.eligibleItems} eligible; ${s.coldInteractions} cold interactions removed; cases: cold valid ${s.coldValidCases}, cold test ${s.coldTestCases} (${s.skippedNoHistory} without history skipped), warm valid ${s.warmValidCases}, warm test ${s.warmTestCases}; ${s.trainInteractions} train interactions`);
  const cases: Record<CaseSet, readonly EvalCase[]> = { coldValid: split.coldValid, coldTest: split.coldTest, warmValid: split.warm.valid, warmTest: split.warm.test };
  const rankAll = (m: Recommender): Record<CaseSet, Int32Array> => Object.fromEntries(CASE_SETS.map((k) => [k, fullRankingRanks(m, cases[k], numItems)])) as Record<CaseSet, Int32Array>;
  const stopCases = evenlySpaced(split.warm.valid, o.earlyStoppingCases ?? split.warm.valid.length);
  const selectScore = (r: Int32Array): number => metricsFromRanks(r, [ndcgAtK(20)]).means[SELECT]!;

  // ── the heuristic: affinity chosen on validation-cold ──
  const heuristicBy = new Map<number, { model: AttributePopularityRecommender; validScore: number }>();
  for (const beta of affinities) {
    const m = new AttributePopularityRecommender(o.attributes, { affinity: beta });
    await m.fit(split.train, { seed: 0 });
    heuristicBy.set(beta, { model: m, validScore: selectScore(fullRankingRanks(m, split.coldValid, numItems)) });
  }
  const bestBeta = argmaxKey(heuristicBy, (v) => v.validScore);
  const heuristic = heuristicBy.get(bestBeta)!.model;
  const heuristicRanks = rankAll(heuristic);
  progress.line(`attr-pop: validation-cold ${SELECT} by affinity ${[...heuristicBy].map(([b, v]) => `${b}: ${v.validScore.toFixed(4)}`).join(', ')} → affinity ${bestBeta}`);

  // ── trained arms ──
  const runs = new Map<string, RunRanks>(); // key `${arm}|${seed}`
  const trainModel = async (arm: string, seed: number, view: TrainView, info: Record<string, unknown>): Promise<{ model: Recommender; run: RunRanks }> => {
    const dir = join(o.out, 'runs', `${arm}-seed${seed}`);
    const fingerprint = { arm, seed, model: modelSpec, epochs: o.epochs ?? null, patience: o.patience ?? null, stopCases: stopCases.length, split: o.split, checksum: o.dataset.checksum, interactions: view.interactionCount, synth: arm === 'none' ? null : (o.synth ?? null) };
    const model = createRecommender(modelSpec);
    const saved = readRun(join(dir, 'ranks.json'), fingerprint);
    if (saved && existsSync(join(dir, 'model'))) {
      model.load(join(dir, 'model'));
      progress.line(`${arm} seed ${seed}: already done (${dir}); not rerun`);
      return { model, run: saved };
    }
    progress.line(`${arm} seed ${seed}: fitting ${model.name} on ${view.interactionCount} interactions (${view.users().length} sequences)`);
    const fit = await model.fit(view, {
      seed,
      ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
      ...(o.patience !== undefined ? { patience: o.patience } : {}),
      checkpointDir: join(dir, 'checkpoint'),
      progress,
      ...(o.cancel ? { cancel: o.cancel } : {}),
      validate: (m) => {
        const r = metricsFromRanks(fullRankingRanks(m, stopCases, numItems), [ndcgAtK(20), hitRateAtK(20)]).means;
        return { score: r[SELECT]!, metrics: r };
      },
    });
    const ranks = rankAll(model);
    const run: RunRanks = { ranks, info: { ...info, bestEpoch: fit.bestEpoch, epochs: fit.epochs.length, fitSeconds: round(fit.seconds), trainInteractions: view.interactionCount } };
    model.save(join(dir, 'model'));
    writeRunResult(join(dir, 'ranks.json'), fingerprint, { info: run.info, ranks: Object.fromEntries(CASE_SETS.map((k) => [k, Array.from(ranks[k])])) });
    progress.line(`${arm} seed ${seed}: cold test ${fmt(metricsFromRanks(ranks.coldTest, COLD_START_METRICS).means)} | warm test ${fmt(metricsFromRanks(ranks.warmTest, COLD_START_METRICS).means)} (best epoch ${fit.bestEpoch}, ${fit.seconds.toFixed(0)} s)`);
    return { model, run };
  };
  const coldItems = Int32Array.from([...split.validColdItems, ...split.testColdItems]);
  // One synthesis per (seed, intensity): the context-copy control reuses the synthesis arm's windows.
  const syntheses = new Map<string, ColdStartSynthesis>();
  const synthesisFor = (seed: number, perItem: number): ColdStartSynthesis => {
    const key = `${seed}|${perItem}`;
    let syn = syntheses.get(key);
    if (!syn) syntheses.set(key, (syn = synthesizeColdStartInteractions(split.train, o.attributes, coldItems, { ...o.synth, perItem }, seed)));
    return syn;
  };
  const synthView = (seed: number, perItem: number): { view: TrainView; info: Record<string, unknown> } => {
    const syn = synthesisFor(seed, perItem);
    return {
      view: withSyntheticSequences(split.train, syn.sequences),
      info: { perItem, syntheticSequences: syn.sequences.length, contextInteractions: syn.contextInteractions, itemsWithoutNeighbors: syn.itemsWithoutNeighbors, meanSimilarity: round(syn.meanSimilarity) },
    };
  };

  // Run directories name the budget so runs with another budget can share an output folder.
  const synthPrefix = o.synth?.budget === 'neighbor-popularity' ? 'synth-nbpop-' : 'synth-';
  const hybridValid = new Map<string, number>(); // `${shift}|${seed}` → NDCG@20 over warm + cold validation cases
  const mixedValid = [...split.warm.valid, ...split.coldValid];
  let chosenIntensity: number | null = o.intensities.length === 1 ? o.intensities[0]! : null;
  const selectOnAll = o.selectIntensityOn === 'all-seeds';
  const intensityValid = new Map<number, number[]>();
  /** Validation-cold NDCG@20 per intensity as it was when the choice was made. */
  let selectionScores: Map<number, number> | null = null;
  for (const [si, seed] of o.seeds.entries()) {
    const none = await trainModel('none', seed, split.train, {});
    runs.set(`none|${seed}`, none.run);
    for (const shift of hybridShifts) {
      const hybrid = new ColdItemFallbackRecommender(none.model, heuristic, shift).useKnownItemsOf(split.train);
      hybridValid.set(`${shift}|${seed}`, selectScore(fullRankingRanks(hybrid, mixedValid, numItems)));
    }
    const candidates = chosenIntensity !== null ? [chosenIntensity] : o.intensities;
    for (const k of selectOnAll || si === 0 ? o.intensities : candidates) {
      const { view, info } = synthView(seed, k);
      const r = await trainModel(`${synthPrefix}${k}`, seed, view, info);
      runs.set(`synth-${k}|${seed}`, r.run);
      intensityValid.set(k, [...(intensityValid.get(k) ?? []), selectScore(r.run.ranks.coldValid)]);
    }
    if (chosenIntensity === null && !selectOnAll) {
      chosenIntensity = argmaxKey(intensityValid, mean);
      selectionScores = new Map([...intensityValid].map(([k, v]) => [k, mean(v)]));
      progress.line(`synth: validation-cold ${SELECT} by intensity (seed ${seed}) ${[...intensityValid].map(([k, v]) => `${k}: ${mean(v).toFixed(4)}`).join(', ')} → ${chosenIntensity} per cold item`);
    }
  }
  if (chosenIntensity === null) chosenIntensity = argmaxKey(intensityValid, mean);
  selectionScores ??= new Map([...intensityValid].map(([k, v]) => [k, mean(v)]));

  // Control for the synthesis arm's warm-item effect: the same copied real windows, with the
  // neighbour left where it was (no cold item), so only "more context sequences" differs from none.
  if (o.contextControl ?? true) {
    for (const seed of o.seeds) {
      const syn = synthesisFor(seed, chosenIntensity);
      const windows = syn.sequences.map((s, k) => {
        const { coldItem, neighbor } = syn.provenance[k]!;
        return syn.config.placement === 'substitute' ? s.map((x) => (x === coldItem ? neighbor : x)) : s.filter((x) => x !== coldItem);
      });
      const r = await trainModel(`context-copy-${chosenIntensity}`, seed, withSyntheticSequences(split.train, windows), { perItem: chosenIntensity, copiedWindows: windows.length });
      runs.set(`context-copy|${seed}`, r.run);
    }
  }

  // ── assemble arms ──
  const arms: ColdStartArmResult[] = [];
  const perCase = new Map<string, Record<'coldTest' | 'warmTest', Float64Array>>();
  const addArm = (arm: string, description: string, chosen: Record<string, number> | null, seedRuns: readonly { seed: number; run: RunRanks }[]): void => {
    const perSeed = seedRuns.map(({ seed, run }) => ({ seed, metrics: Object.fromEntries(CASE_SETS.map((k) => [k, round4(metricsFromRanks(run.ranks[k], COLD_START_METRICS).means)])) as Record<CaseSet, Record<string, number>>, info: run.info }));
    const names = COLD_START_METRICS.map((m) => m.name);
    const metrics = {} as Record<CaseSet, Record<string, number>>;
    const std = {} as Record<CaseSet, Record<string, number>>;
    for (const k of CASE_SETS) {
      const ms = meanStdByMetric(perSeed.map((p) => p.metrics[k]), names);
      metrics[k] = round4(ms.mean);
      std[k] = round4(ms.std);
    }
    arms.push({ arm, description, chosen, seeds: seedRuns.map((r) => r.seed), metrics, std, perSeed });
    const spec = ndcgAtK(20);
    perCase.set(arm, {
      coldTest: combineSeeds(seedRuns.map(({ run }) => metricsFromRanks(run.ranks.coldTest, [spec]).perQuery[spec.name]!)),
      warmTest: combineSeeds(seedRuns.map(({ run }) => metricsFromRanks(run.ranks.warmTest, [spec]).perQuery[spec.name]!)),
    });
  };
  const seedsOf = (arm: string) => o.seeds.filter((seed) => runs.has(`${arm}|${seed}`)).map((seed) => ({ seed, run: runs.get(`${arm}|${seed}`)! }));
  addArm('attr-pop', 'attribute-popularity heuristic (no training of a model; deterministic)', { affinity: bestBeta }, [{ seed: 0, run: { ranks: heuristicRanks, info: { affinity: bestBeta } } }]);
  addArm('none', `${modelName(modelSpec)} on the warm training view (never sees cold items)`, null, seedsOf('none'));
  addArm('synth', `${modelName(modelSpec)} on training + ${chosenIntensity} synthetic interactions per cold item`, { perItem: chosenIntensity }, seedsOf(`synth-${chosenIntensity}`));
  let bestShift: number | null = null;
  if (hybridShifts.length) {
    const byShift = new Map(hybridShifts.map((x) => [x, o.seeds.map((seed) => hybridValid.get(`${x}|${seed}`)!)]));
    const shift = argmaxKey(byShift, mean);
    bestShift = shift;
    // Only the chosen shift is ranked on every case set; the fitted `none` models are reloaded.
    const hybridRuns = o.seeds.map((seed) => {
      const base = createRecommender(modelSpec);
      base.load(join(o.out, 'runs', `none-seed${seed}`, 'model'));
      return { seed, run: { ranks: rankAll(new ColdItemFallbackRecommender(base, heuristic, shift).useKnownItemsOf(split.train)), info: { shift, affinity: bestBeta } } };
    });
    addArm('hybrid', `none for items seen in training, attr-pop (shift ${shift}) for the others`, { shift, affinity: bestBeta }, hybridRuns);
  }
  if (o.contextControl ?? true) addArm('context-copy', `${modelName(modelSpec)} on training + the synthesis arm's copied windows with the real neighbour kept (control: extra context, no cold item)`, { perItem: chosenIntensity }, seedsOf('context-copy'));
  for (const k of o.intensities) if (k !== chosenIntensity) addArm(`synth-${k}`, `not chosen: ${k} synthetic interactions per cold item`, { perItem: k }, seedsOf(`synth-${k}`));

  const comparisons: ColdStartComparison[] = [];
  const compare = (baseline: string, treatment: string, set: 'coldTest' | 'warmTest'): void => {
    const a = perCase.get(baseline)?.[set];
    const b = perCase.get(treatment)?.[set];
    if (!a || !b) return;
    const t = pairedTTest(a, b);
    const boot = pairedBootstrapCI(a, b, { seed: 0, resamples: 2000 });
    const am = mean(Array.from(a));
    const bm = mean(Array.from(b));
    comparisons.push({ baseline, treatment, cases: set, metric: SELECT, baselineMean: round(am), treatmentMean: round(bm), relativeLift: round(relativeLift(am, bm)), pValueT: t.pValue, ci95Bootstrap: [round(boot.lo), round(boot.hi)], pValueBootstrap: boot.pValue });
  };
  for (const [base, treat] of [['none', 'synth'], ['none', 'attr-pop'], ['attr-pop', 'synth'], ['none', 'hybrid'], ['attr-pop', 'hybrid'], ['hybrid', 'synth']] as const) compare(base, treat, 'coldTest');
  for (const treat of ['synth', 'hybrid', 'attr-pop', 'context-copy']) compare('none', treat, 'warmTest');
  compare('context-copy', 'synth', 'warmTest');

  const selection = {
    intensity: { chosen: chosenIntensity, on: selectOnAll ? 'validation-cold, mean over seeds' : `validation-cold, seed ${o.seeds[0]}`, validNdcg20: Object.fromEntries([...selectionScores].map(([k, v]) => [k, round(v)])) },
    affinity: { chosen: bestBeta, validNdcg20: Object.fromEntries([...heuristicBy].map(([b, v]) => [b, round(v.validScore)])) },
    ...(bestShift !== null ? { hybridShift: { chosen: bestShift, on: 'warm + cold validation cases together, mean over seeds', validNdcg20: Object.fromEntries(hybridShifts.map((x) => [x, round(mean(o.seeds.map((seed) => hybridValid.get(`${x}|${seed}`)!)))])) } } : {}),
  };
  const table = coldStartTable(arms, comparisons);
  const result: ColdStartExperimentResult = {
    experiment: 'item-cold-start',
    config: { dataset: o.dataset.name, checksum: o.dataset.checksum, split: o.split, model: modelSpec, seeds: o.seeds, epochs: o.epochs ?? null, patience: o.patience ?? null, intensities: o.intensities, selectIntensityOn: o.selectIntensityOn ?? 'first-seed', synth: o.synth ?? {}, affinities, hybridShifts, earlyStoppingCases: stopCases.length, contextControl: o.contextControl ?? true, modelSelection: 'epochs: warm validation NDCG@20; intensity / affinity: validation-cold NDCG@20; hybrid shift: NDCG@20 over warm + cold validation cases', ranking: 'full ranking over all items, user history excluded (-inf)' },
    split: split.summary,
    selection,
    arms,
    comparisons,
    table,
    backend: { ...backendInfo() },
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    environment: runEnvironment(),
    seconds: Math.round(performance.now() - startedAt) / 1000,
  };
  writeJsonAtomic(join(o.out, 'results.json'), result);
  writeFileAtomic(join(o.out, 'table.md'), table + '\n');
  return result;
}

/** Markdown table: test-cold and warm-test metrics per arm, then the paired comparisons. */
export function coldStartTable(arms: readonly ColdStartArmResult[], comparisons: readonly ColdStartComparison[]): string {
  const cell = (a: ColdStartArmResult, set: CaseSet, m: string): string => `${a.metrics[set][m]!.toFixed(4)}${a.seeds.length > 1 ? ` ± ${a.std[set][m]!.toFixed(4)}` : ''}`;
  const lines = [
    '| arm | chosen on validation | seeds | cold test HR@20 | cold test NDCG@20 | warm test HR@20 | warm test NDCG@20 |',
    '|---|---|---|---|---|---|---|',
    ...arms.map((a) => `| ${a.arm} | ${a.chosen ? Object.entries(a.chosen).map(([k, v]) => `${k} ${v}`).join(', ') : '–'} | ${a.seeds.length} | ${cell(a, 'coldTest', 'HR@20')} | ${cell(a, 'coldTest', 'NDCG@20')} | ${cell(a, 'warmTest', 'HR@20')} | ${cell(a, 'warmTest', 'NDCG@20')} |`),
    '',
    '| comparison | cases | NDCG@20 baseline → treatment | lift | p (paired t) | 95 % bootstrap CI of Δ |',
    '|---|---|---|---|---|---|',
    ...comparisons.map((c) => `| ${c.treatment} vs ${c.baseline} | ${c.cases} | ${c.baselineMean.toFixed(4)} → ${c.treatmentMean.toFixed(4)} | ${fmtLift(c.relativeLift)} | ${fmtP(c.pValueT)} | [${c.ci95Bootstrap[0].toFixed(4)}, ${c.ci95Bootstrap[1].toFixed(4)}] |`),
  ];
  return lines.join('\n');
}

/** A run's ranks saved with the same fingerprint (runs/<arm>-seedN/ranks.json); null when absent or stale. */
function readRun(path: string, fingerprint: unknown): RunRanks | null {
  type Saved = { info: Record<string, unknown>; ranks: Record<string, number[]> };
  const saved = readRunResult<Saved>(path, fingerprint, {
    // Written before the run store as { fingerprint, info, ranks }.
    legacy: (raw) => ('fingerprint' in raw && 'ranks' in raw ? { fingerprint: raw['fingerprint'], result: { info: raw['info'], ranks: raw['ranks'] } as Saved } : null),
    valid: (r): r is Saved => r !== null && typeof r === 'object' && !!(r as Saved).info && !!(r as Saved).ranks,
  });
  if (!saved) return null;
  const { info, ranks } = saved.result;
  return { info, ranks: Object.fromEntries(CASE_SETS.map((k) => [k, Int32Array.from(ranks[k] ?? [])])) as Record<CaseSet, Int32Array> };
}

function evenlySpaced<T>(xs: readonly T[], n: number): readonly T[] {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`earlyStoppingCases must be an integer >= 1, got ${n}`, { field: 'earlyStoppingCases' });
  if (n >= xs.length) return xs;
  return Array.from({ length: n }, (_, k) => xs[Math.floor((k * xs.length) / n)]!);
}

function argmaxKey<K, V>(m: ReadonlyMap<K, V>, score: (v: V) => number): K {
  let best: K | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  // Ties keep the first key (the smallest intensity/affinity/weight as listed): the cheaper choice.
  for (const [k, v] of m) {
    const s = score(v);
    if (best === undefined || s > bestScore) (best = k), (bestScore = s);
  }
  return best!;
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}

function round4(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));
}

function modelName(spec: ModelSpec): string {
  const loss = spec.config?.['loss'];
  return typeof loss === 'string' ? `${spec.model}-${loss}` : spec.model;
}

function fmt(r: Record<string, number>): string {
  return ['HR@20', 'NDCG@20'].map((k) => `${k} ${r[k]!.toFixed(4)}`).join(' ');
}

function fmtLift(x: number): string {
  return Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %` : x > 0 ? '+∞' : '−∞';
}

function fmtP(p: number): string {
  return p < 1e-4 ? '< 1e-4' : p.toFixed(4);
}
