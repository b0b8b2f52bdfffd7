/**
 * `samplify experiment --dry-run <config>`: checks an experiment config end to end without training
 * and without writing anything — the config parses, the data reads (with its row accounting), the
 * split forms, every arm's pipeline builds against the real training data (and expands it, so the
 * plan knows each arm's training size), the generators an arm names exist — then prints the plan of
 * runs and an estimate of their time.
 *
 * The estimate comes from a probe: the configured model (or ranker) is fitted once on a small sample
 * of the training data for one epoch and its time is scaled linearly by each arm's training size and
 * the maximum number of epochs. It is an upper bound for models with early stopping (most stop well
 * before their cap), and it ignores extra per-epoch work of online / contrastive views; the plan says so.
 */
import { resolve } from 'node:path';
import { Rng, silentProgress } from '../core/index.ts';
import { leaveOneOutSplit, loadDataset, makeTrainView, sessionSplit, type ReadReport, type TrainView } from '../data/index.ts';
import { loadSearchDataset } from '../data/search/index.ts';
import { expandTrainViewDetailed, loadPipeline } from '../augment/index.ts';
import { createRecommender, DEFAULT_TRAINER, parseModelSpec, type ModelSpec } from '../models/index.ts';
import { searchRankers } from '../models/search/index.ts';
import { armModelSpec, experimentModelSpec, type ExperimentConfig } from './config.ts';
import { armTrainingGroups, checkSearchPipelines, searchReaderOptions, searchResourcesOf, searchSplitOf, type SearchExperimentConfig } from './search.ts';

export interface DryRunArm {
  readonly name: string;
  /** What the arm trains on: interactions (sequences) or query groups (search). */
  readonly trainSize: number;
  /** Samples the arm adds to the real training data (0 for the baseline; estimated for synthetic users and generated queries). */
  readonly added: number;
  readonly note?: string;
  /** Estimated seconds per seed. */
  readonly secondsPerSeed: number;
}

export interface DryRunPlan {
  readonly kind: 'sequence-lift' | 'search-lift' | 'ctr' | 'cold-start';
  readonly name: string;
  readonly data: Pick<ReadReport, 'file' | 'rowsIn' | 'rowsKept' | 'rowsRejected' | 'rejectedByCode'>;
  readonly split: Readonly<Record<string, number | string>>;
  readonly seeds: number;
  readonly arms: readonly DryRunArm[];
  readonly runs: number;
  /** Null where no probe is implemented for the kind (the plan says so). */
  readonly estimate: { readonly seconds: number; readonly probeSeconds: number; readonly basis: string } | null;
}

/** Sequence lift experiment: data, split, pipelines (expanded for seed 0), probe, plan. */
export async function dryRunLiftExperiment(config: ExperimentConfig, baseDir: string): Promise<DryRunPlan> {
  const read = await loadDataset(resolve(baseDir, config.data.path), config.data.format);
  const { dataset, split } = config.split === 'session' ? sessionSplit(read.dataset, config.session) : { dataset: read.dataset, split: leaveOneOutSplit(read.dataset) };
  const train = split.train;
  const model = experimentModelSpec(config);
  const params = parseModelSpec(model, ['model']);
  const epochs = config.epochs ?? params.trainer.epochs ?? DEFAULT_TRAINER.epochs;
  const { seconds: probeSeconds, interactions: probeInteractions } = await probeRecommender(model, train);
  const perInteractionEpoch = probeSeconds / Math.max(1, probeInteractions);
  const trained = config.model.model === 'sasrec' || config.model.model === 'gru4rec';
  const cost = (interactions: number) => perInteractionEpoch * interactions * (trained ? epochs : 1);

  const meanLength = train.interactionCount / Math.max(1, train.users().length);
  const arms: DryRunArm[] = [{ name: 'baseline', trainSize: train.interactionCount, added: 0, secondsPerSeed: cost(train.interactionCount) }];
  for (const arm of config.arms) {
    // Building each pipeline against the training view checks its parameters against the data.
    const load = (src: string | object) => loadPipeline(src, { baseDir, train, dataset, downstream: config.model });
    const online = arm.online ? load(arm.online.pipeline) : undefined;
    const contrastive = arm.contrastive ? load(arm.contrastive.pipeline) : undefined;
    let added = 0;
    let note: string | undefined;
    if (arm.pipeline !== undefined) {
      const offline = load(arm.pipeline);
      const needsFit = offline.toJSON().steps.some((s) => typeof s === 'object' && s !== null && ['pseudo_prior', 'continue'].includes(String((s as { op?: unknown }).op)));
      if (needsFit) note = 'model-based operators: their generators are fitted first (not in the estimate)';
      else {
        const expanded = expandTrainViewDetailed(train, offline, { views: arm.views, seed: 0, keepOriginal: true, maskToken: 'strip' });
        added = expanded.train.interactionCount - train.interactionCount;
      }
    } else if (arm.synthesize) {
      added = Math.round(arm.synthesize.share * train.users().length * meanLength);
      note = `${arm.synthesize.model} fitted per seed (not in the estimate); added interactions estimated from the mean history length`;
    }
    if (online || contrastive) note = [note, 'online / contrastive views add per-epoch work not in the estimate'].filter(Boolean).join('; ');
    if (arm.model) {
      // The arm's model is built here (its side-information file read and checked against the
      // data's items); its per-epoch cost is taken as the baseline's.
      await probeRecommender(armModelSpec(config, arm), train, 50);
      note = [note, `model config changed (${Object.keys(arm.model.config).join(', ')}); cost per epoch taken as the baseline's`].filter(Boolean).join('; ');
    }
    const size = (arm.keepOriginal === false ? 0 : train.interactionCount) + added;
    const pretrain = arm.synthesize?.pretrain;
    // Pre-training epochs see the synthetic users (and the real ones withReal), the rest the real ones.
    const seconds = pretrain && trained
      ? perInteractionEpoch * (Math.min(pretrain.epochs, epochs) * (added + (pretrain.withReal ? train.interactionCount : 0)) + Math.max(0, epochs - pretrain.epochs) * train.interactionCount)
      : cost(size);
    if (pretrain) note = [note, `pre-training: ${pretrain.epochs} epoch(s) on the synthetic users${pretrain.withReal ? ' and the real ones' : ''}, then the real users alone`].filter(Boolean).join('; ');
    arms.push({ name: arm.name, trainSize: size, added, ...(note ? { note } : {}), secondsPerSeed: seconds });
  }
  return finishPlan('sequence-lift', config.name, read.report, { kind: config.split, users: train.users().length, trainInteractions: train.interactionCount, validCases: split.valid.length, testCases: split.test.length }, config.seeds, arms, probeSeconds, trained ? `probe: ${config.model.model} fitted for 1 epoch on ${probeInteractions} interactions; scaled by interactions × ${epochs} epochs (the cap: an upper bound when early stopping ends sooner)` : `probe: ${config.model.model} fitted on ${probeInteractions} interactions; scaled by interactions`);
}

/** Fits the model once for one epoch on at most `maxUsers` users (seeded sample). */
async function probeRecommender(spec: ModelSpec, train: TrainView, maxUsers = 2000): Promise<{ seconds: number; interactions: number }> {
  const users = train.users();
  const idx = Int32Array.from(users);
  new Rng(0).split('dry-run-probe').shuffle(idx);
  const sample = Array.from(idx.subarray(0, Math.min(maxUsers, idx.length)), (u) => train.sequence(u));
  const view = makeTrainView(train.numItems, sample);
  const rec = createRecommender(spec);
  const t0 = performance.now();
  await rec.fit(view, { seed: 0, epochs: 1 });
  return { seconds: (performance.now() - t0) / 1000, interactions: view.interactionCount };
}

/** Search lift experiment: data, split, resources, pipelines (applied for seed 0), generators, probe, plan. */
export async function dryRunSearchExperiment(config: SearchExperimentConfig, baseDir: string): Promise<DryRunPlan> {
  const pipelines = checkSearchPipelines(config, baseDir);
  const dataset = await loadSearchDataset(resolve(baseDir, config.data.path), searchReaderOptions(config));
  const { full, split } = searchSplitOf(config.split, dataset);
  const resources = searchResourcesOf(config, split, baseDir);
  // Probe: the ranker fitted on at most 200 training queries; its time scales by query groups.
  const probeGroups = split.train.slice(0, Math.min(200, split.train.length));
  const ranker = searchRankers.create(config.ranker.name, config.ranker.config);
  const t0 = performance.now();
  await ranker.fit({ train: probeGroups, valid: split.valid.slice(0, 50), products: split.products, labelScale: split.labelScale, seed: 0, progress: silentProgress });
  const probeSeconds = (performance.now() - t0) / 1000;
  const perGroup = probeSeconds / Math.max(1, probeGroups.length);
  const arms: DryRunArm[] = [{ name: 'baseline', trainSize: split.train.length, added: 0, secondsPerSeed: perGroup * split.train.length }];
  const catalogue = new Set(full.train.flatMap((g) => g.productIds));
  for (const arm of config.arms) {
    const pipeline = pipelines.get(arm.name);
    let added = 0;
    const notes: string[] = [];
    if (pipeline) {
      pipeline.validate(resources);
      added += armTrainingGroups(split, pipeline, arm, resources, 0).added;
    }
    if (arm.generate) {
      const p = arm.generate.pairs;
      const products = p.products === 'judged' ? new Set(split.train.flatMap((g) => g.productIds)).size : catalogue.size;
      const requests = Math.min(products, p.maxProducts ?? products) * p.queriesPerProduct;
      added += requests;
      notes.push(`${requests} generation requests to ${arm.generate.generator.name} (kept queries ≤ requests; generation and the teacher's fit are not in the estimate)`);
    }
    const size = split.train.length + added;
    arms.push({ name: arm.name, trainSize: size, added, ...(notes.length ? { note: notes.join('; ') } : {}), secondsPerSeed: perGroup * size });
  }
  return finishPlan('search-lift', config.name, dataset.report, { kind: config.split.kind, trainQueries: split.train.length, validQueries: split.valid.length, testQueries: split.test.length, products: split.products.size }, config.seeds, arms, probeSeconds, `probe: ${config.ranker.name} fitted on ${probeGroups.length} training queries; scaled by query groups (tree fits grow about linearly with rows)`);
}

export function finishPlan(kind: DryRunPlan['kind'], name: string, report: ReadReport, split: DryRunPlan['split'], seeds: number, arms: DryRunArm[], probeSeconds: number, basis: string): DryRunPlan {
  const seconds = arms.reduce((s, a) => s + a.secondsPerSeed * seeds, 0);
  return {
    kind,
    name,
    data: { file: report.file, rowsIn: report.rowsIn, rowsKept: report.rowsKept, rowsRejected: report.rowsRejected, rejectedByCode: report.rejectedByCode },
    split,
    seeds,
    arms,
    runs: arms.length * seeds,
    estimate: { seconds, probeSeconds, basis },
  };
}

/** The plan as a few lines for a terminal. */
export function formatDryRun(plan: DryRunPlan): string {
  const d = plan.data;
  const rejected = Object.entries(d.rejectedByCode)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const lines = [
    `dry run of ${plan.kind} experiment '${plan.name}': nothing trained, nothing written`,
    `data: ${d.file}: ${d.rowsIn} rows in = ${d.rowsKept} kept + ${d.rowsRejected} rejected${rejected ? ` (${rejected})` : ''}`,
    `split: ${Object.entries(plan.split)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  const w = Math.max(24, ...plan.arms.map((a) => a.name.length));
  const est = (x: string) => (plan.estimate ? ` ${x.padStart(12)}` : '');
  lines.push(`${'arm'.padEnd(w)} ${'train size'.padStart(12)} ${'added'.padStart(10)}${est('est. s/seed')}`);
  for (const a of plan.arms) lines.push(`${a.name.padEnd(w)} ${String(a.trainSize).padStart(12)} ${String(a.added).padStart(10)}${est(a.secondsPerSeed.toFixed(1))}${a.note ? `  (${a.note})` : ''}`);
  const e = plan.estimate;
  if (e) {
    const minutes = e.seconds / 60;
    lines.push(`plan: ${plan.arms.length} arms × ${plan.seeds} seeds = ${plan.runs} runs; estimated ${minutes >= 1 ? `${minutes.toFixed(1)} min` : `${e.seconds.toFixed(1)} s`} on this machine`);
    lines.push(`estimate: ${e.basis}`);
  } else lines.push(`plan: ${plan.runs} runs; no time estimate for ${plan.kind} runs yet (no probe is implemented for this kind)`);
  return lines.join('\n');
}
