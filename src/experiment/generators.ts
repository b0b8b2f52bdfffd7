/**
 * Next-item generators for the model-based augmenters (pseudo_prior, continue) and sequence
 * synthesis: a SASRec (or GRU4Rec) trained on a TrainView — on its reversed sequences for
 * 'reverse' — wrapped as a NextItemSampler. Only the TrainView reaches training, and the sampler
 * may emit only items that occur in it, so an item first seen in validation/test is never generated.
 *
 * Trained generators are cached: `<cacheDir>/<direction>-<key>/` holds the saved model and a
 * `generator.json` written last; the key hashes the training view's contents, the model spec, the
 * seed and the epochs, so a rerun on the same data loads instead of retraining, and any change
 * retrains. An interrupted training resumes from its per-epoch checkpoint in the same folder.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, fingerprintHash, silentProgress, type CancelToken, type ProgressReporter } from '../core/index.ts';
import { makeTrainView, type TrainView } from '../data/index.ts';
import { claimRun, pauseForOtherWorkers, readRunResult, runHeldElsewhere, writeRunResult } from './run-store.ts';
import { createRecommender, NeuralRecommender, parseModelSpec, type EpochLog, type FitReport, type ModelSpec, type Recommender } from '../models/index.ts';
import { itemsSeenIn, prefetchGreedy, similarityFromEmbeddings, type BoundGenerators, type ItemSimilarity, type GenerationDirection, type GeneratorResourceSpec, type NextItemSampler, type Pipeline, type StepSpec } from '../augment/index.ts';

export interface GeneratorModelSpec {
  readonly model?: 'sasrec' | 'gru4rec';
  /** Network hyper-parameters; loss defaults to 'ce' (a full softmax is what sampling needs). */
  readonly config?: Record<string, unknown>;
  readonly trainer?: Record<string, unknown>;
}

export interface SequenceGeneratorOptions {
  readonly direction: GenerationDirection;
  readonly model?: GeneratorModelSpec;
  readonly seed: number;
  /** Fixed number of epochs (a generator has no validation signal to stop on). Default 20. */
  readonly epochs?: number;
  /** Folder for the trained model (see the module comment); without it nothing is cached. */
  readonly cacheDir?: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** How often a process waiting for a generator another process is training looks again (default 15 s). */
  readonly claimPollMs?: number;
}

/** A NextItemSampler backed by a trained model, with where it came from. */
export interface FittedGenerator extends NextItemSampler {
  readonly recommender: NeuralRecommender;
  /** True when the model was loaded from the cache instead of trained. */
  readonly fromCache: boolean;
  /** The cache folder holding the model, when cached. */
  readonly dir?: string;
  /** The training report (absent when loaded from the cache). */
  readonly report?: FitReport;
}

/** The same users with every training sequence reversed (the input of a reverse generator). */
export function reversedTrainView(train: TrainView): TrainView {
  const seqs: Int32Array[] = [];
  for (let u = 0; u < train.numUsers; u++) seqs.push(train.sequence(u).reverse());
  return makeTrainView(train.numItems, seqs);
}

/** sha256 (hex, 16 chars) of a training view's contents: item count and every user's sequence. */
export function trainViewFingerprint(train: TrainView): string {
  const h = createHash('sha256');
  h.update(`${train.numItems}:${train.numUsers}:`);
  for (let u = 0; u < train.numUsers; u++) {
    const s = train.sequence(u);
    h.update(`${s.length};`);
    h.update(new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}

/** Wraps a trained recommender's scoreAll as a sampler in `direction`, emitting only `allowed` items. */
export function samplerFromRecommender(recommender: Recommender, numItems: number, direction: GenerationDirection, allowed?: Uint8Array): NextItemSampler {
  return { direction, numItems, ...(allowed ? { allowed } : {}), scoreNext: (histories) => recommender.scoreAll(histories) };
}

function resolvedSpec(o: SequenceGeneratorOptions): { model: 'sasrec' | 'gru4rec'; config: Record<string, unknown>; trainer: Record<string, unknown>; epochs: number } {
  const model = o.model?.model ?? 'sasrec';
  if (model !== 'sasrec' && model !== 'gru4rec') throw new ConfigError(`generator model must be 'sasrec' or 'gru4rec', got ${JSON.stringify(model)}`, { field: 'model' });
  const epochs = o.epochs ?? 20;
  if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`generator epochs must be an integer ≥ 1, got ${epochs}`, { field: 'epochs' });
  if (o.direction !== 'forward' && o.direction !== 'reverse') throw new ConfigError(`generator direction must be 'forward' or 'reverse', got ${JSON.stringify(o.direction)}`, { field: 'direction' });
  return { model, config: { loss: 'ce', ...o.model?.config }, trainer: { ...o.model?.trainer }, epochs };
}

/** Where a generator with these options is cached, and the record that confirms it. */
function generatorCacheEntry(train: TrainView, o: SequenceGeneratorOptions): { spec: ReturnType<typeof resolvedSpec>; keyObj: Record<string, unknown>; key: string; dir: string | undefined; meta: string | undefined } {
  const spec = resolvedSpec(o);
  const keyObj = { version: 1, direction: o.direction, ...spec, seed: o.seed, train: trainViewFingerprint(train) };
  const key = fingerprintHash(keyObj);
  const dir = o.cacheDir !== undefined ? join(o.cacheDir, `${o.direction}-${key}`) : undefined;
  return { spec, keyObj, key, dir, meta: dir !== undefined ? join(dir, 'generator.json') : undefined };
}

function generatorRecommender(spec: ReturnType<typeof resolvedSpec>): NeuralRecommender {
  const rec = createRecommender({ model: spec.model, config: spec.config, trainer: spec.trainer });
  if (!(rec instanceof NeuralRecommender)) throw new ConfigError(`generator model '${spec.model}' is not a trained sequence model`, { field: 'model' });
  return rec;
}

/**
 * Whether a forward generator with options `o` is, epoch for epoch, the first `o.epochs` epochs of
 * the run that fits `model` on the same training view with seed `o.seed`: same network, same
 * trainer, same seed — the training loop's own fingerprint — and no augmentation or weights on
 * that run (the caller's part). Every epoch draws only from its own RNG stream and validation
 * draws none, so such a run's weights after epoch `o.epochs` ARE the generator.
 */
export function generatorIsPrefixOf(o: SequenceGeneratorOptions, model: ModelSpec): boolean {
  if (o.direction !== 'forward') return false;
  const spec = resolvedSpec(o);
  const generator = trainingIdentity({ model: spec.model, config: spec.config, trainer: spec.trainer });
  return generator !== null && generator === trainingIdentity(model);
}

/** The name of the cache folder of the generator `o` describes (`<direction>-<key>`): equal for every spec that trains the same model. */
export function generatorCacheName(train: TrainView, o: SequenceGeneratorOptions): string {
  return `${o.direction}-${generatorCacheEntry(train, o).key}`;
}

/** Whether the generator `o` describes is already in its cache folder. */
export function generatorIsCached(train: TrainView, o: SequenceGeneratorOptions): boolean {
  return readCachedGenerator(generatorCacheEntry(train, o)) !== null;
}

/** The cache record of a generator entry, or null when it is not cached (the folder name carries the key; the record's fingerprint confirms it). */
function readCachedGenerator({ keyObj, key, meta }: ReturnType<typeof generatorCacheEntry>) {
  return meta !== undefined ? readRunResult(meta, keyObj, { legacy: (raw) => (raw['key'] === key ? { fingerprint: keyObj, result: raw } : null) }) : null;
}

/**
 * The models a pipeline trains on the training view when its generators are fitted, as generator
 * options: the model behind a 'model-embedding' similarity and each declared generator.
 */
export function declaredModels(pipeline: Pipeline, o: PipelineGeneratorOptions = {}): SequenceGeneratorOptions[] {
  const similarity = pipeline.spec.resources?.similarity;
  const declared = pipeline.spec.resources?.generators;
  const out: SequenceGeneratorOptions[] = [];
  if (similarity?.kind === 'model-embedding') out.push(generatorOptions('forward', similarity.model, o));
  for (const dir of ['forward', 'reverse'] as const) {
    const g = declared?.[dir];
    if (g) out.push(generatorOptions(dir, g, o));
  }
  return out;
}

function generatorOptions(direction: GenerationDirection, g: GeneratorResourceSpec, o: PipelineGeneratorOptions): SequenceGeneratorOptions {
  return {
    direction,
    model: { model: g.model, config: g.config, ...(g.trainer ? { trainer: g.trainer } : {}) },
    seed: g.seed,
    epochs: g.epochs,
    ...(o.cacheDir !== undefined ? { cacheDir: o.cacheDir } : {}),
    ...(o.progress ? { progress: o.progress } : {}),
    ...(o.cancel ? { cancel: o.cancel } : {}),
  };
}

/** The network (its config with every default filled in) and the trainer a spec trains with; null for a model without a training loop. */
function trainingIdentity(spec: ModelSpec): string | null {
  const rec = createRecommender(spec);
  return rec instanceof NeuralRecommender ? fingerprintHash({ kind: rec.name, network: parseModelSpec(spec).config, trainer: rec.trainer }) : null;
}

/**
 * Caches `rec` — a run's weights right after epoch `o.epochs` (see generatorIsPrefixOf) — as the
 * generator `o` describes, so fitSequenceGenerator loads it instead of training the same epochs
 * again. The record is written last, as by a fit.
 */
export function cacheGeneratorSnapshot(train: TrainView, o: SequenceGeneratorOptions & { readonly cacheDir: string }, rec: Recommender, logs: readonly EpochLog[], from: string): void {
  const { keyObj, key, dir, meta } = generatorCacheEntry(train, o);
  if (!(rec instanceof NeuralRecommender) || logs.length !== (o.epochs ?? 20)) throw new Error(`cacheGeneratorSnapshot: needs a sequence network after exactly ${o.epochs ?? 20} epochs`);
  rec.save(dir!);
  writeRunResult(meta!, keyObj, { key, seconds: logs.reduce((t, l) => t + l.seconds, 0), epochs: logs.map((e) => ({ epoch: e.epoch, loss: e.loss, seconds: e.seconds })), from });
}

/**
 * Trains (or loads from the cache) a next-item model on `train` — reversed for 'reverse' — and
 * returns it as a sampler whose `allowed` items are those occurring in `train`.
 */
export async function fitSequenceGenerator(train: TrainView, o: SequenceGeneratorOptions): Promise<FittedGenerator> {
  const entry = generatorCacheEntry(train, o);
  const { spec, keyObj, key, dir, meta } = entry;
  const progress = o.progress ?? silentProgress;
  const allowed = itemsSeenIn(train.numItems, train.users().map((u) => train.sequence(u)));
  const view = o.direction === 'reverse' ? reversedTrainView(train) : train;
  const rec = generatorRecommender(spec);
  const loaded = (): FittedGenerator | null => {
    const saved = dir !== undefined ? readCachedGenerator(entry) : null;
    if (!saved) return null;
    rec.load(dir!);
    const from = (saved.result as { from?: unknown }).from;
    progress.line(`generator (${o.direction}): loaded ${dir}${typeof from === 'string' ? ` (${from})` : ''}`);
    return { ...samplerFromRecommender(rec, train.numItems, o.direction, allowed), recommender: rec, fromCache: true, dir: dir! };
  };
  const cached = loaded();
  if (cached) return cached;
  // Processes sharing the folder train a generator once: the one holding its lock trains it, the
  // others wait for the cached model instead of training the same epochs (a dead holder's lock is
  // taken over, and its checkpoint resumed).
  const lock = dir !== undefined ? claimRun(`${dir}.lock`) : undefined;
  if (lock === null) {
    progress.line(`generator (${o.direction}): another process is training ${dir}; waiting for it instead of training it again`);
    for (;;) {
      await pauseForOtherWorkers({ pollMs: o.claimPollMs, cancel: o.cancel }, `the generator another process is training (${dir})`);
      const done = loaded();
      if (done) return done;
      if (!runHeldElsewhere(`${dir}.lock`)) return fitSequenceGenerator(train, o);
    }
  }
  try {
    const again = loaded();
    if (again) return again;
    const prefixed: ProgressReporter = { line: (t) => progress.line(`generator (${o.direction}): ${t}`), step: (l, d, n) => progress.step?.(`generator (${o.direction}): ${l}`, d, n) };
    const report = await rec.fit(view, {
      seed: o.seed,
      epochs: spec.epochs,
      progress: prefixed,
      ...(dir !== undefined ? { checkpointDir: join(dir, 'checkpoint') } : {}),
      ...(o.cancel ? { cancel: o.cancel } : {}),
    });
    if (dir !== undefined && meta !== undefined) {
      rec.save(dir);
      writeRunResult(meta, keyObj, { key, seconds: report.seconds, epochs: report.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, seconds: e.seconds })) });
    }
    return { ...samplerFromRecommender(rec, train.numItems, o.direction, allowed), recommender: rec, fromCache: false, report, ...(dir !== undefined ? { dir } : {}) };
  } finally {
    lock?.release();
  }
}

export interface PipelineGeneratorOptions {
  readonly cacheDir?: string;
  /**
   * Precompute greedy model-based steps that see the original training sequences in batches
   * (default true): one model call per position for 256 histories instead of one per history.
   */
  readonly prefetch?: boolean;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

/**
 * Fits the models a pipeline declares on `train` — the generators (`resources.generators`) and a
 * 'model-embedding' item similarity — and binds them to the pipeline, so expandTrainView(train,
 * pipeline, …) runs its model-based and correlated steps. A pipeline declaring none is returned
 * untouched. Call it after loadPipeline(…, {train}).
 */
export async function fitPipelineGenerators(pipeline: Pipeline, train: TrainView, o: PipelineGeneratorOptions = {}): Promise<BoundGenerators> {
  const declared = pipeline.spec.resources?.generators;
  const similarity = pipeline.spec.resources?.similarity;
  if (similarity?.kind === 'model-embedding') await fitItemSimilarity(pipeline, train, similarity.model, similarity.topK, o);
  if (!declared) return {};
  const out: Partial<Record<GenerationDirection, NextItemSampler>> = {};
  for (const dir of ['forward', 'reverse'] as const) {
    const g: GeneratorResourceSpec | undefined = declared[dir];
    if (!g) continue;
    out[dir] = await fitDeclaredModel(train, dir, g, o);
  }
  pipeline.bindGenerators(train, out);
  if (o.prefetch ?? true) {
    const t0 = performance.now();
    const ctx = pipeline.contextFor(train);
    const seqs = train.users().map((u) => train.sequence(u));
    let made = 0;
    for (const { step, sequences } of stepsOnOriginals(pipeline.spec.steps[0]!, seqs)) {
      const { op, p: _p, ...config } = step;
      made += prefetchGreedy(op, config, sequences, ctx);
    }
    if (made > 0) o.progress?.line(`generators: greedy items for ${made} training sequences precomputed in batches (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
  }
  return out;
}

/** Trains (or loads from the cache) the model a pipeline resource declares. */
function fitDeclaredModel(train: TrainView, direction: GenerationDirection, g: GeneratorResourceSpec, o: PipelineGeneratorOptions): Promise<FittedGenerator> {
  return fitSequenceGenerator(train, generatorOptions(direction, g, o));
}

/**
 * Item-to-item cosine similarity of the input embeddings of a next-item model trained on `train`
 * (cached like a forward generator with the same spec — one model serves both). Only items that
 * occur in `train` get or are neighbours, so an item first seen in validation/test is never drawn.
 */
async function fitItemSimilarity(pipeline: Pipeline, train: TrainView, g: GeneratorResourceSpec, topK: number, o: PipelineGeneratorOptions): Promise<void> {
  // Arms that differ only in dose load the same pipeline file as separate pipelines: the neighbour
  // table (30 s for Taobao's 53k items) is computed once per training view and model.
  const key = JSON.stringify({ g, topK });
  const known = embeddingSimilarities.get(train)?.get(key);
  if (known) {
    pipeline.bindSimilarity(train, known);
    return;
  }
  const rec = (await fitDeclaredModel(train, 'forward', g, o)).recommender;
  if (!(rec instanceof NeuralRecommender)) throw new ConfigError(`similarity model '${g.model}' has no item embeddings`, { field: 'resources.similarity.model' });
  const t0 = performance.now();
  const sim = similarityFromEmbeddings(rec.itemEmbeddings().data, { numItems: train.numItems, topK, train });
  pipeline.bindSimilarity(train, sim);
  const forView = embeddingSimilarities.get(train) ?? new Map<string, ItemSimilarity>();
  forView.set(key, sim);
  embeddingSimilarities.set(train, forView);
  o.progress?.line(`similarity: cosine of the trained ${g.model} item embeddings, top ${topK} neighbours per item (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
}

/** Neighbour tables already computed in this process, by training view and (model, topK). */
const embeddingSimilarities = new WeakMap<TrainView, Map<string, ItemSimilarity>>();

/** Steps that receive the original training sequences (the first step, through compose / one_of / by_length), with the sequences each sees. */
function stepsOnOriginals(step: StepSpec, seqs: Int32Array[]): { step: StepSpec; sequences: Int32Array[] }[] {
  const asList = (v: unknown): StepSpec[] => (Array.isArray(v) ? (v as StepSpec[]) : [v as StepSpec]);
  switch (step.op) {
    case 'compose':
      return stepsOnOriginals(asList(step.steps)[0]!, seqs);
    case 'one_of':
      return asList(step.steps).flatMap((c) => stepsOnOriginals(c, seqs));
    case 'some_of':
      return [];
    case 'by_length': {
      const t = step.threshold as number;
      return [
        ...stepsOnOriginals(asList(step.short)[0]!, seqs.filter((s) => s.length <= t)),
        ...stepsOnOriginals(asList(step.long)[0]!, seqs.filter((s) => s.length > t)),
      ];
    }
    default:
      return [{ step, sequences: seqs }];
  }
}
