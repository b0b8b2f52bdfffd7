/**
 * The few-label experiment (`task: few-label`): one protocol for images and product titles.
 *
 *  - Per (k, seed), k labelled examples per class are drawn from the training part and
 *    `validPerClass` per class from the rest (for titles, from clusters no labelled title is in);
 *    the test set is fixed (src/experiment/few-label-data.ts).
 *  - Arms are expansions of the k labelled examples only: augmented copies (`pipeline`, `views`),
 *    online augmentation (images, `online: true`), synthetic images from a conditional generator
 *    of the imageSynthesizers registry fitted per (k, seed) on the same labelled images
 *    (`synthesize`). `none` — no expansion — is always the first arm.
 *  - Every arm trains the same classifier with the same seed; selection (early stopping, the arm a
 *    user would ship) uses validation only. Per arm and k: mean ± std test accuracy over seeds, a
 *    paired t-test and a paired bootstrap CI over test examples (correctness averaged over seeds)
 *    against `none`, and a verdict.
 *  - Each (arm, k, seed) is a unit of the run store (src/experiment/run-store.ts): a rerun skips
 *    finished units, results.json is aggregated from the stored records and holds no timings
 *    (those go to stages.json), so the same config and data give byte-identical results.json.
 *
 * Leakage guard: whatever reaches a synthesizer's fit or an augmenter must be one of the unit's
 * labelled examples (by key), never a validation or test example; an expansion output identical to
 * a held-out example that is not one of the labelled ones is a leak — fatal for a generator (it
 * cannot produce a held-out image by chance), a counted drop for augmented titles (a short title
 * can collide by chance; the search experiment drops such queries the same way).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, fingerprintHash, Rng, SamplifyError, silentProgress, writeJsonAtomic, type CancelToken, type ErrorLocation, type ProgressReporter } from '../core/index.ts';
import type { ImageTensor } from '../data/index.ts';
import { augmentTexts, brandList, buildImagePipeline, loadFamilyPipeline, imageFamily, loadTextPipeline, loadWordNet, mineBrands, type FamilyPipeline, type ImageAugmentContext, type TextContext } from '../augment/index.ts';
import { ImageCnnClassifier, TitleClassifier } from '../models/index.ts';
import { imageSynthesizers, writeImageGrid, type ImageSynthesizer } from '../synth/image/index.ts';
import { combineSeeds, meanStd, pairedBootstrapCI, pairedTTest } from '../eval/index.ts';
import { parseWithSchema, refineWith } from '../core/config.ts';
import { runEnvironment } from './config.ts';
import { claimRun, inProcessExecutor, readRunResult, writeRunResult, type UnitExecutor, type UnitOutcome, type WorkUnit } from './run-store.ts';
import {
  autoBatchSize,
  drawFewLabel,
  fewLabelCnnSchema,
  fewLabelDataSchema,
  fewLabelTitleSchema,
  readFewLabelImages,
  readFewLabelTitles,
  type FewLabelData,
  type FewLabelExample,
  type ImageData,
  type TitleData,
} from './few-label-data.ts';

// ------------------------------------------------------------------ config

const pipelineRef = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

const synthesizeSchema = z
  .object({
    /** A conditional image synthesizer of the imageSynthesizers registry (conditional-dcgan, conv-vae). */
    name: z.string().min(1),
    /** Its parameters, checked against its own schema. */
    config: z.record(z.string(), z.unknown()).default({}),
    /** Optimiser steps of the fit (turned into epochs over the k × classes labelled images). */
    steps: z.number().int().min(1).max(1_000_000).default(300),
    /** Generated images per class added to training (default k × views). */
    perClass: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((s, ctx) => imageSynthesizers.refine(s.name, s.config, ctx, ['name'], ['config']));

const armSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits and . _ + - only'),
    /** Augmentation pipeline (file relative to the config, or inline): image family for images, text for titles. */
    pipeline: pipelineRef.optional(),
    /** Augmented copies per labelled example (offline), and the default of synthesize.perClass / k. */
    views: z.number().int().min(1).max(50).default(4),
    /** Images: apply the pipeline afresh to every image of every batch instead of adding fixed copies. */
    online: z.boolean().default(false),
    /** Images: synthetic images from a generator fitted per (k, seed) on the labelled images only. */
    synthesize: synthesizeSchema.optional(),
  })
  .strict()
  .refine((a) => a.pipeline !== undefined || a.synthesize !== undefined, { message: 'an arm needs a pipeline, a synthesize block, or both (no expansion is the built-in arm none)', path: ['pipeline'] })
  .refine((a) => !a.online || a.pipeline !== undefined, { message: 'online augmentation needs a pipeline', path: ['online'] });

export const fewLabelExperimentSchema = z
  .object({
    task: z.literal('few-label'),
    name: z.string().min(1).default('few-label'),
    /** images: { kind: images, train, test?, testPerClass?, classNames? }; titles: { kind: titles, path, testClusters?, classes? }. */
    data: fewLabelDataSchema,
    /** Labelled examples per class. */
    ks: z.array(z.number().int().min(1)).min(1).default([5, 10, 20]),
    /** Seeds 0 … seeds−1: each draws its own labelled and validation examples. */
    seeds: z.number().int().min(1).max(100).default(3),
    /** Validation examples per class (default: 50 images, 20 titles). */
    validPerClass: z.number().int().min(1).optional(),
    /** The classifier's config: the CNN's (images) or the title classifier's (titles). */
    classifier: z.record(z.string(), z.unknown()).default({}),
    arms: z.array(armSchema).default([]),
    bootstrap: z.object({ resamples: z.number().int().min(100).max(100000).default(1000) }).strict().default({ resamples: 1000 }),
    /** Images: PNG grids of each arm's added images (k, seed 0) under <out>/grids. */
    grids: z.boolean().default(true),
    out: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    refineWith(c.data.kind === 'images' ? fewLabelCnnSchema : fewLabelTitleSchema, c.classifier, ctx, ['classifier']);
    const seen = new Set<string>(['none']);
    c.arms.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', message: a.name === 'none' ? "'none' is the built-in arm without expansion" : `arm name '${a.name}' is used twice`, path: ['arms', i, 'name'] });
      seen.add(a.name);
      if (c.data.kind === 'titles' && a.online) ctx.addIssue({ code: 'custom', message: 'online augmentation is for images; titles are augmented offline', path: ['arms', i, 'online'] });
      if (c.data.kind === 'titles' && a.synthesize) ctx.addIssue({ code: 'custom', message: 'synthesize is for images (a conditional image generator)', path: ['arms', i, 'synthesize'] });
    });
    if (new Set(c.ks).size !== c.ks.length) ctx.addIssue({ code: 'custom', message: 'ks repeats a value', path: ['ks'] });
  });

export type FewLabelExperimentConfig = z.infer<typeof fewLabelExperimentSchema>;
export type FewLabelArmConfig = z.infer<typeof armSchema>;

/** True when a raw experiment config is a few-label experiment (`task: few-label`). */
export function isFewLabelExperimentConfig(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && (raw as { task?: unknown }).task === 'few-label';
}

export function parseFewLabelExperimentConfig(raw: unknown, file?: string): FewLabelExperimentConfig {
  return parseWithSchema(fewLabelExperimentSchema, raw, file);
}

type ImagePipeline = FamilyPipeline<ImageTensor, ImageAugmentContext>;
type TitlePipeline = ReturnType<typeof loadTextPipeline>['pipeline'];

/** Builds every arm's pipeline without data: a bad step is a ConfigError naming the file and step. */
export function checkFewLabelPipelines(config: FewLabelExperimentConfig, baseDir: string): Map<string, ImagePipeline | TitlePipeline> {
  const out = new Map<string, ImagePipeline | TitlePipeline>();
  for (const arm of config.arms) {
    if (arm.pipeline === undefined) continue;
    if (config.data.kind === 'images') out.set(arm.name, typeof arm.pipeline === 'string' ? loadFamilyPipeline(arm.pipeline, imageFamily, { baseDir }) : buildImagePipeline(arm.pipeline));
    else {
      const { pipeline } = loadTextPipeline(arm.pipeline, { baseDir });
      // Titles get brands (mined from the labelled titles) and WordNet; nothing is fitted on queries here.
      for (const [res, steps] of pipeline.requirements()) {
        if (res === 'domain-synonyms' || res === 'typos') throw new ConfigError(`${steps[0]}: needs ${res === 'typos' ? 'a typo profile measured on training queries' : 'domain synonyms mined from training queries'}, which a few-label title experiment does not have (use WordNet synonyms or character noise)`, { field: `arms[${config.arms.indexOf(arm)}].pipeline` });
      }
      out.set(arm.name, pipeline);
    }
  }
  return out;
}

function validPerClassOf(config: FewLabelExperimentConfig): number {
  return config.validPerClass ?? (config.data.kind === 'images' ? 50 : 20);
}

// ------------------------------------------------------------------ leakage guard

/** An expansion saw, or produced, a validation or test example: the lift it would measure is not real. */
export class FewLabelLeakError extends SamplifyError {
  constructor(message: string, location: ErrorLocation = {}) {
    super(message, location);
    this.name = 'FewLabelLeakError';
  }
}

/**
 * The leakage guard of one (arm, k, seed): built from the unit's labelled examples and every
 * held-out (validation and test) example. `checkInputs` before a synthesizer fit or an augmenter
 * runs; `isHeldOutCopy` on what an expansion produced.
 */
export class ExpansionGuard {
  readonly #labelled: ReadonlySet<string>;
  readonly #heldOut: ReadonlySet<string>;
  readonly #labelledContent: ReadonlySet<string>;
  readonly #heldOutContent: ReadonlySet<string>;
  readonly #where: string;
  constructor(o: { labelled: readonly { key: string; content: string }[]; heldOut: readonly { key: string; content: string }[]; where: string }) {
    this.#labelled = new Set(o.labelled.map((e) => e.key));
    this.#heldOut = new Set(o.heldOut.map((e) => e.key));
    this.#labelledContent = new Set(o.labelled.map((e) => e.content));
    this.#heldOutContent = new Set(o.heldOut.map((e) => e.content));
    this.#where = o.where;
    const both = o.labelled.find((e) => this.#heldOut.has(e.key));
    if (both) throw new FewLabelLeakError(`${this.#where}: labelled example '${both.key}' is also a validation or test example`, { field: 'data' });
  }

  /** Throws unless `keys` are labelled examples of this unit (each at most once for a fit). */
  checkInputs(what: string, keys: readonly string[]): void {
    const seen = new Set<string>();
    for (const k of keys) {
      if (this.#heldOut.has(k)) throw new FewLabelLeakError(`${this.#where}: held-out example '${k}' reached ${what}`, { field: 'arms' });
      if (!this.#labelled.has(k)) throw new FewLabelLeakError(`${this.#where}: '${k}' reached ${what} but is not one of the ${this.#labelled.size} labelled examples`, { field: 'arms' });
      if (seen.has(k)) throw new FewLabelLeakError(`${this.#where}: labelled example '${k}' reached ${what} twice`, { field: 'arms' });
      seen.add(k);
    }
  }

  /** True when `content` equals a held-out example and none of the labelled ones. */
  isHeldOutCopy(content: string): boolean {
    return this.#heldOutContent.has(content) && !this.#labelledContent.has(content);
  }
}

// ------------------------------------------------------------------ units and records

/** One (arm, k, seed) run: the run store's unit with its k. */
export interface FewLabelUnit extends WorkUnit {
  readonly k: number;
}

export function fewLabelUnitKey(arm: string, k: number, seed: number): string {
  return `${arm}/k${k}/seed${seed}`;
}

/** What a unit stores: everything results.json is aggregated from, and its seconds (for stages.json only). */
export interface FewLabelUnitRecord {
  readonly arm: string;
  readonly k: number;
  readonly seed: number;
  /** Keys of the labelled examples (the only ones any expansion saw). */
  readonly labelled: readonly string[];
  readonly trainExamples: number;
  readonly added: number;
  /** Augmented titles dropped because they equal a held-out title. */
  readonly droppedHeldOut: number;
  readonly validAccuracy: number;
  readonly testAccuracy: number;
  /** '1'/'0' per test example (test order): correct or not. */
  readonly testCorrect: string;
  readonly bestEpoch?: number;
  readonly epochs?: number;
  readonly seconds: number;
  readonly generatorSeconds?: number;
}

function isUnitRecord(r: unknown): r is FewLabelUnitRecord {
  const x = r as Partial<FewLabelUnitRecord> | null;
  return x !== null && typeof x === 'object' && typeof x.testCorrect === 'string' && typeof x.testAccuracy === 'number' && Array.isArray(x.labelled);
}

export interface FewLabelSummaryRow {
  readonly k: number;
  readonly arm: string;
  readonly seeds: number;
  readonly testAccuracyMean: number;
  readonly testAccuracyStd: number;
  readonly validAccuracyMean: number;
  readonly trainExamples: number;
  readonly added: number;
  readonly droppedHeldOut: number;
  readonly vsNone?: { readonly meanDiff: number; readonly t: number; readonly pValue: number; readonly n: number; readonly ci95: readonly [number, number] };
  readonly verdict: 'baseline' | 'better' | 'worse' | 'not significant';
}

export interface FewLabelSelection {
  readonly k: number;
  readonly seeds: number;
  /** Per seed, the arm with the best validation accuracy (ties: the earlier arm). */
  readonly chosenArms: readonly string[];
  readonly testAccuracyMean: number;
  readonly testAccuracyStd: number;
  /** The arm with the best mean validation accuracy over seeds. */
  readonly selected: string;
  /**
   * The per-seed selection as a procedure against `none`: each test example's correctness under the
   * arm validation chose for its seed, averaged over seeds, paired with `none` (t-test and bootstrap
   * CI as for the arms). All seeds choosing `none` gives Δ = 0, p = 1.
   */
  readonly vsNone: { readonly meanDiff: number; readonly t: number; readonly pValue: number; readonly n: number; readonly ci95: readonly [number, number] };
}

export interface FewLabelExperimentResult {
  readonly summary: readonly FewLabelSummaryRow[];
  readonly selectedOnValidation: readonly FewLabelSelection[];
  readonly table: string;
  readonly pending?: readonly string[];
}

/** Seam for tests: how an arm's image synthesizer is made (default: the registry). */
export type ImageSynthesizerFactory = (name: string, config: Readonly<Record<string, unknown>>) => ImageSynthesizer;

export interface FewLabelExperimentOptions {
  readonly config: FewLabelExperimentConfig;
  readonly baseDir: string;
  readonly out: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  readonly executor?: UnitExecutor;
  readonly synthesizers?: ImageSynthesizerFactory;
}

export interface FewLabelUnitOptions {
  readonly claims: UnitExecutor['claims'];
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

export interface PreparedFewLabelExperiment {
  readonly units: readonly FewLabelUnit[];
  runUnit(unit: FewLabelUnit, u: FewLabelUnitOptions): Promise<UnitOutcome>;
  aggregate(): FewLabelExperimentResult;
}

const ALPHA = 0.05;

export async function runFewLabelExperiment(o: FewLabelExperimentOptions): Promise<FewLabelExperimentResult> {
  const prepared = await prepareFewLabelExperiment(o);
  const executor = o.executor ?? inProcessExecutor;
  // The experiment-level bar: (arm, k, seed) runs done of all, with an ETA from their pace.
  const bar = (done: number): void => o.progress?.step?.('experiment: (arm, k, seed) runs', done, prepared.units.length);
  let done = 0;
  bar(0);
  await executor.execute(prepared.units, async (unit) => {
    const outcome = await prepared.runUnit(unit, { claims: executor.claims, ...(o.progress ? { progress: o.progress } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) });
    bar(++done);
    return outcome;
  });
  return prepared.aggregate();
}

/** What an arm trains on for one (k, seed), before the classifier sees it. */
interface ArmTraining<X> {
  readonly train: readonly { readonly x: X; readonly label: number }[];
  readonly added: number;
  readonly droppedHeldOut: number;
  readonly online?: ImagePipeline;
  readonly generatorSeconds?: number;
  /** Images added by the arm, for the grid (labels ≥ 0). */
  readonly shown?: readonly { readonly image: ImageTensor; readonly label: number }[];
}

interface ClassifierRun {
  readonly validCorrect: Uint8Array;
  readonly testCorrect: Uint8Array;
  readonly bestEpoch?: number;
  readonly epochs?: number;
}

/** One modality's expansion and classifier; the protocol around them is shared. */
interface Modality<X> {
  readonly data: FewLabelData<X>;
  expand(arm: FewLabelArmConfig, k: number, seed: number, labelled: readonly FewLabelExample<X>[], guard: ExpansionGuard, u: FewLabelUnitOptions): Promise<ArmTraining<X>>;
  classify(made: ArmTraining<X>, valid: readonly FewLabelExample<X>[], seed: number, u: FewLabelUnitOptions): Promise<ClassifierRun>;
}

function correctness(pred: ArrayLike<number>, truth: readonly { label: number }[]): Uint8Array {
  return Uint8Array.from(truth, (e, i) => (pred[i] === e.label ? 1 : 0));
}

function imageModality(data: ImageData, config: FewLabelExperimentConfig, pipelines: ReadonlyMap<string, ImagePipeline>, o: FewLabelExperimentOptions): Modality<ImageTensor> {
  const cnn = parseWithSchema(fewLabelCnnSchema, config.classifier, { prefix: ['classifier'] });
  const makeSynth = o.synthesizers ?? ((name, params) => imageSynthesizers.create(name, params));
  const numClasses = data.classNames.length;
  const testImages = data.test.map((e) => e.x);
  // Fitted generators of this process, by (spec, k, seed): gan and gan+offline share one fit.
  const generators = new Map<string, Promise<{ synth: ImageSynthesizer; seconds: number }>>();
  const generatorFor = (spec: NonNullable<FewLabelArmConfig['synthesize']>, k: number, seed: number, labelled: readonly FewLabelExample<ImageTensor>[], guard: ExpansionGuard, u: FewLabelUnitOptions) => {
    const id = fingerprintHash({ name: spec.name, config: spec.config, steps: spec.steps });
    const key = `${id}/k${k}/seed${seed}`;
    const known = generators.get(key);
    if (known !== undefined) return known;
    const made = (async () => {
      const samples = labelled.map((e) => ({ image: e.x, label: e.label, source: e.key }));
      guard.checkInputs(`the ${spec.name} generator's fit`, samples.map((s) => s.source));
      const synth = makeSynth(spec.name, spec.config);
      const params = imageSynthesizers.parse(spec.name, spec.config) as { batchSize?: number };
      const batches = Math.ceil(samples.length / (params.batchSize ?? 32));
      const epochs = Math.max(1, Math.ceil(spec.steps / batches));
      const t = performance.now();
      await synth.fit(samples, { seed: 2000 + seed, epochs, checkpointDir: join(o.out, 'generators', id.slice(0, 16), `k${k}-seed${seed}`), ...(u.cancel ? { cancel: u.cancel } : {}) });
      const seconds = Math.round((performance.now() - t) / 100) / 10;
      (u.progress ?? silentProgress).line(`   ${spec.name} generator for k=${k} seed=${seed}: ${epochs} epochs on ${samples.length} labelled images (${seconds} s)`);
      return { synth, seconds };
    })();
    generators.set(key, made);
    made.catch(() => generators.delete(key));
    return made;
  };
  return {
    data,
    async expand(arm, k, seed, labelled, guard, u) {
      const train: { x: ImageTensor; label: number }[] = labelled.map((e) => ({ x: e.x, label: e.label }));
      const shown: { image: ImageTensor; label: number }[] = [];
      const pipeline = pipelines.get(arm.name);
      if (pipeline && !arm.online) {
        guard.checkInputs(`the ${arm.name} augmenter`, labelled.map((e) => e.key));
        for (const e of labelled) {
          for (let v = 0; v < arm.views; v++) {
            const image = pipeline.augment(e.x, {}, new Rng(seed).split('few-label offline').split(e.key).split(v))[0]!.output;
            if (guard.isHeldOutCopy(data.content(image))) throw new FewLabelLeakError(`arm ${arm.name}, k=${k}, seed ${seed}: an augmented copy of '${e.key}' is identical to a held-out image`, { field: 'arms' });
            train.push({ x: image, label: e.label });
            shown.push({ image, label: e.label });
          }
        }
      }
      let generatorSeconds: number | undefined;
      if (arm.synthesize) {
        const g = await generatorFor(arm.synthesize, k, seed, labelled, guard, u);
        generatorSeconds = g.seconds;
        const perClass = arm.synthesize.perClass ?? k * arm.views;
        for (let c = 0; c < numClasses; c++) {
          for (const s of g.synth.sample(perClass, { seed: 3000 + seed * 10 + c, conditions: { label: c } })) {
            if (guard.isHeldOutCopy(data.content(s.image))) throw new FewLabelLeakError(`arm ${arm.name}, k=${k}, seed ${seed}: the ${arm.synthesize.name} generator produced an exact copy of a validation or test image — it has seen data beyond the ${labelled.length} labelled images`, { field: `arms` });
            if (s.label !== c) throw new FewLabelLeakError(`arm ${arm.name}: the ${arm.synthesize.name} generator gave label ${s.label} when asked for class ${c}`, { field: 'arms' });
            train.push({ x: s.image, label: c });
            shown.push({ image: s.image, label: c });
          }
        }
      }
      return { train, added: train.length - labelled.length, droppedHeldOut: 0, ...(pipeline && arm.online ? { online: pipeline } : {}), ...(generatorSeconds !== undefined ? { generatorSeconds } : {}), shown };
    },
    async classify(made, valid, seed, u) {
      const model = new ImageCnnClassifier({ ...cnn, batchSize: cnn.batchSize ?? autoBatchSize(made.train.length) });
      const res = await model.fit(
        { images: made.train.map((e) => e.x), labels: Int32Array.from(made.train, (e) => e.label), numClasses },
        {
          seed: 1000 + seed,
          valid: { images: valid.map((e) => e.x), labels: Int32Array.from(valid, (e) => e.label), numClasses },
          ...(made.online ? { augment: made.online } : {}),
          ...(u.cancel ? { cancel: u.cancel } : {}),
        },
      );
      return { validCorrect: correctness(model.predict(valid.map((e) => e.x)), valid), testCorrect: correctness(model.predict(testImages), data.test), bestEpoch: res.bestEpoch, epochs: res.logs.length };
    },
  };
}

function titleModality(data: TitleData, config: FewLabelExperimentConfig, pipelines: ReadonlyMap<string, TitlePipeline>): Modality<string> {
  const cfg = parseWithSchema(fewLabelTitleSchema, config.classifier, { prefix: ['classifier'] });
  const wordnet = pipelines.size > 0 ? loadWordNet() : undefined;
  const names = data.classNames;
  const testTitles = data.test.map((e) => e.x);
  const predictLabels = (model: TitleClassifier, titles: readonly string[]): Int32Array => {
    const index = new Map(names.map((n, i) => [n, i]));
    return Int32Array.from(model.predict(titles), (p) => index.get(p) ?? -1);
  };
  return {
    data,
    async expand(arm, _k, seed, labelled, guard) {
      const train = labelled.map((e) => ({ x: e.x, label: e.label }));
      const pipeline = pipelines.get(arm.name);
      let dropped = 0;
      if (pipeline) {
        guard.checkInputs(`the ${arm.name} augmenter`, labelled.map((e) => e.key));
        // The augmenter's context is fitted on the labelled titles only: brands mined from them, WordNet.
        const ctx: TextContext = { brands: brandList(mineBrands(labelled.map((e) => ({ id: e.key, title: e.x })), { minTitles: 2 })), ...(wordnet ? { wordnet } : {}) };
        const aug = augmentTexts(labelled.map((e) => e.x), pipeline, ctx, { seed, views: arm.views });
        const seen = new Set(labelled.map((e) => data.content(e.x)));
        aug.forEach((a, i) => {
          const c = data.content(a.text);
          if (seen.has(c)) return; // an unchanged or repeated copy adds nothing
          if (guard.isHeldOutCopy(c)) {
            dropped++;
            return;
          }
          seen.add(c);
          train.push({ x: a.text, label: labelled[Math.floor(i / arm.views)]!.label });
        });
      }
      return { train, added: train.length - labelled.length, droppedHeldOut: dropped };
    },
    async classify(made, valid) {
      const model = new TitleClassifier(cfg);
      model.fit(made.train.map((e) => e.x), made.train.map((e) => names[e.label]!));
      return { validCorrect: correctness(predictLabels(model, valid.map((e) => e.x)), valid), testCorrect: correctness(predictLabels(model, testTitles), data.test) };
    },
  };
}

/**
 * Reads the data and builds every arm, so units can run: here, or (later) in a queue worker that
 * prepared the same experiment from the same config.
 */
export async function prepareFewLabelExperiment(o: FewLabelExperimentOptions): Promise<PreparedFewLabelExperiment> {
  const { config } = o;
  const progress = o.progress ?? silentProgress;
  const stages: { stage: string; seconds: number }[] = [];
  let t0 = performance.now();
  const pipelines = checkFewLabelPipelines(config, o.baseDir);
  const modality: Modality<ImageTensor> | Modality<string> =
    config.data.kind === 'images'
      ? imageModality(await readFewLabelImages(config.data, o.baseDir, progress), config, pipelines as Map<string, ImagePipeline>, o)
      : titleModality(await readFewLabelTitles(config.data, o.baseDir, progress), config, pipelines as Map<string, TitlePipeline>);
  const data = modality.data as FewLabelData<unknown>;
  stages.push({ stage: 'read', seconds: Math.round(performance.now() - t0) / 1000 });
  progress.line(`few-label ${data.modality}: ${data.classNames.length} classes, ${data.pool.length} training-part examples, ${data.test.length} test examples`);
  const validPerClass = validPerClassOf(config);
  const seeds = Array.from({ length: config.seeds }, (_, i) => i);
  const arms: (FewLabelArmConfig | null)[] = [null, ...config.arms];
  const armName = (a: FewLabelArmConfig | null): string => a?.name ?? 'none';
  const armByName = new Map(arms.map((a) => [armName(a), a]));
  const armKey = (a: FewLabelArmConfig | null): unknown => (a === null ? 'none' : { pipeline: pipelines.get(a.name)?.toJSON() ?? null, views: a.views, online: a.online, synthesize: a.synthesize ?? null });
  const units: FewLabelUnit[] = config.ks.flatMap((k) => seeds.flatMap((seed) => arms.map((a) => ({ key: fewLabelUnitKey(armName(a), k, seed), arm: armName(a), k, seed }))));
  const recordPath = (u: FewLabelUnit): string => join(o.out, 'arms', u.arm, `k${u.k}`, `seed${u.seed}.json`);
  const fingerprintOf = (u: FewLabelUnit): unknown => ({ protocol: 'few-label/1', data: data.fingerprint, k: u.k, seed: u.seed, validPerClass, classifier: config.classifier, arm: armKey(armByName.get(u.arm) ?? null) });
  // The draw of a (k, seed), shared by its arms within this process.
  const draws = new Map<string, ReturnType<typeof drawFewLabel<unknown>>>();
  const drawOf = (k: number, seed: number) => {
    const key = `${k}/${seed}`;
    let d = draws.get(key);
    if (!d) draws.set(key, (d = drawFewLabel(data, k, validPerClass, seed)));
    return d;
  };

  const runUnit = async (unit: FewLabelUnit, u: FewLabelUnitOptions): Promise<UnitOutcome> => {
    if (!armByName.has(unit.arm)) throw new ConfigError(`the experiment has no arm '${unit.arm}' (arms: ${[...armByName.keys()].join(', ')})`, { field: 'arm' });
    if (!seeds.includes(unit.seed) || !config.ks.includes(unit.k)) throw new ConfigError(`unit ${unit.key} is not one of the experiment's (k, seed) pairs`, { field: 'seed' });
    const uProgress = u.progress ?? silentProgress;
    const path = recordPath(unit);
    const fingerprint = fingerprintOf(unit);
    if (readRunResult(path, fingerprint, { valid: isUnitRecord })) {
      uProgress.line(`── ${unit.key}: finished earlier (${path})`);
      return 'done';
    }
    const lock = u.claims === 'store-locks' ? claimRun(`${path}.lock`) : undefined;
    if (lock === null) {
      uProgress.line(`── ${unit.key}: another worker is running it; skipped here`);
      return 'pending';
    }
    try {
      if (readRunResult(path, fingerprint, { valid: isUnitRecord })) return 'done';
      const t = performance.now();
      const { labelled, valid } = drawOf(unit.k, unit.seed);
      const arm = armByName.get(unit.arm)!;
      const heldOut = [...valid, ...data.test].map((e) => ({ key: e.key, content: data.content(e.x) }));
      const guard = new ExpansionGuard({ labelled: labelled.map((e) => ({ key: e.key, content: data.content(e.x) })), heldOut, where: `arm ${unit.arm}, k=${unit.k}, seed ${unit.seed}` });
      const m = modality as Modality<unknown>;
      const made = arm ? await m.expand(arm, unit.k, unit.seed, labelled, guard, u) : { train: labelled.map((e) => ({ x: e.x, label: e.label })), added: 0, droppedHeldOut: 0 };
      const run = await m.classify(made, valid, unit.seed, u);
      const mean = (v: Uint8Array): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
      const record: FewLabelUnitRecord = {
        arm: unit.arm,
        k: unit.k,
        seed: unit.seed,
        labelled: labelled.map((e) => e.key),
        trainExamples: made.train.length,
        added: made.added,
        droppedHeldOut: made.droppedHeldOut,
        validAccuracy: mean(run.validCorrect),
        testAccuracy: mean(run.testCorrect),
        testCorrect: Array.from(run.testCorrect).join(''),
        ...(run.bestEpoch !== undefined ? { bestEpoch: run.bestEpoch, epochs: run.epochs! } : {}),
        seconds: Math.round(performance.now() - t) / 1000,
        ...('generatorSeconds' in made && made.generatorSeconds !== undefined ? { generatorSeconds: made.generatorSeconds } : {}),
      };
      if (config.grids && unit.seed === 0 && 'shown' in made && made.shown && made.shown.length > 0) {
        const perClass = new Map<number, { image: ImageTensor; label: number; source: string }[]>();
        for (const s of made.shown) {
          const row = perClass.get(s.label) ?? [];
          if (row.length < 10) row.push({ ...s, source: '' });
          perClass.set(s.label, row);
        }
        const grid = [...perClass.keys()].sort((a, b) => a - b).flatMap((c) => perClass.get(c)!);
        await writeImageGrid(grid, join(o.out, 'grids', `k${unit.k}-${unit.arm}.png`), { columns: 10, scale: 2 });
      }
      writeRunResult(path, fingerprint, record);
      uProgress.line(`── ${unit.key}: ${record.trainExamples} training examples (+${record.added}${record.droppedHeldOut ? `, ${record.droppedHeldOut} dropped: equal to a held-out example` : ''}), valid ${record.validAccuracy.toFixed(4)}, test ${record.testAccuracy.toFixed(4)}${record.bestEpoch !== undefined ? `, best epoch ${record.bestEpoch}/${record.epochs}` : ''} (${record.seconds} s)`);
      return 'done';
    } finally {
      lock?.release();
    }
  };

  const aggregate = (): FewLabelExperimentResult => {
    t0 = performance.now();
    const records = new Map<string, FewLabelUnitRecord>();
    const pending: string[] = [];
    for (const unit of units) {
      const saved = readRunResult(recordPath(unit), fingerprintOf(unit), { valid: isUnitRecord });
      if (saved) records.set(unit.key, saved.result);
      else pending.push(unit.key);
    }
    if (pending.length > 0) {
      const note = `${pending.length} run(s) are not finished (${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', …' : ''}); run the same command again when they are to aggregate`;
      progress.line(note);
      return { summary: [], selectedOnValidation: [], table: note, pending };
    }
    const rec = (arm: string, k: number, seed: number): FewLabelUnitRecord => records.get(fewLabelUnitKey(arm, k, seed))!;
    const perExample = (arm: string, k: number): Float64Array => combineSeeds(seeds.map((s) => Float64Array.from(rec(arm, k, s).testCorrect, (ch) => (ch === '1' ? 1 : 0))));
    const summary: FewLabelSummaryRow[] = [];
    const selection: FewLabelSelection[] = [];
    for (const k of config.ks) {
      const base = perExample('none', k);
      for (const a of arms) {
        const name = armName(a);
        const runs = seeds.map((s) => rec(name, k, s));
        const test = meanStd(runs.map((r) => r.testAccuracy));
        const validMean = meanStd(runs.map((r) => r.validAccuracy)).mean;
        let vsNone: FewLabelSummaryRow['vsNone'];
        let verdict: FewLabelSummaryRow['verdict'] = 'baseline';
        if (a !== null) {
          const mine = perExample(name, k);
          const t = pairedTTest(base, mine);
          const b = pairedBootstrapCI(base, mine, { resamples: config.bootstrap.resamples, seed: 0, confidence: 0.95 });
          vsNone = { meanDiff: t.meanDiff, t: t.t, pValue: t.pValue, n: t.n, ci95: [b.lo, b.hi] };
          verdict = t.pValue < ALPHA ? (t.meanDiff > 0 ? 'better' : 'worse') : 'not significant';
        }
        const mean = (xs: readonly number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
        summary.push({ k, arm: name, seeds: runs.length, testAccuracyMean: test.mean, testAccuracyStd: test.std, validAccuracyMean: validMean, trainExamples: mean(runs.map((r) => r.trainExamples)), added: mean(runs.map((r) => r.added)), droppedHeldOut: mean(runs.map((r) => r.droppedHeldOut)), ...(vsNone ? { vsNone } : {}), verdict });
      }
      const chosen = seeds.map((s) => arms.map((a) => rec(armName(a), k, s)).reduce((best, r) => (r.validAccuracy > best.validAccuracy ? r : best)));
      const rows = summary.filter((r) => r.k === k);
      const sel = meanStd(chosen.map((r) => r.testAccuracy));
      const chosenPerExample = combineSeeds(chosen.map((r) => Float64Array.from(r.testCorrect, (ch) => (ch === '1' ? 1 : 0))));
      const selT = pairedTTest(base, chosenPerExample);
      const selB = pairedBootstrapCI(base, chosenPerExample, { resamples: config.bootstrap.resamples, seed: 0, confidence: 0.95 });
      selection.push({
        k,
        seeds: seeds.length,
        chosenArms: chosen.map((r) => r.arm),
        testAccuracyMean: sel.mean,
        testAccuracyStd: sel.std,
        selected: rows.reduce((best, r) => (r.validAccuracyMean > best.validAccuracyMean ? r : best)).arm,
        vsNone: { meanDiff: selT.meanDiff, t: selT.t, pValue: selT.pValue, n: selT.n, ci95: [selB.lo, selB.hi] },
      });
    }
    const table = fewLabelTable(summary, selection);
    writeJsonAtomic(join(o.out, 'results.json'), {
      kind: 'few-label',
      modality: data.modality,
      benchmark: `few-label-${data.modality}`,
      name: config.name,
      complete: true,
      config,
      dataset: data.summary,
      classNames: data.classNames,
      protocol:
        `k labelled ${data.modality} per class drawn per seed from the training part; validation (${validPerClass} per class${data.modality === 'titles' ? ', from clusters no labelled title is in' : ''}) drawn from the rest; a fixed test set. ` +
        'Arms expand the labelled examples only (generators fitted per k and seed on them; a guard checks every input and output). Selection (early stopping, chosen arm) on validation only. ' +
        'vsNone: paired t-test and paired bootstrap 95 % CI over test examples of the per-example correctness averaged over seeds; meanDiff = arm − none; verdict at p < 0.05.',
      ks: config.ks,
      seeds,
      arms: arms.map((a) => (a === null ? { name: 'none' } : { name: a.name, pipeline: pipelines.get(a.name)?.toJSON() ?? null, views: a.views, online: a.online, synthesize: a.synthesize ?? null })),
      summary,
      selectedOnValidation: selection,
      runs: units.map((un) => {
        const r = records.get(un.key)!;
        return { k: r.k, seed: r.seed, arm: r.arm, testAccuracy: r.testAccuracy, validAccuracy: r.validAccuracy, trainExamples: r.trainExamples, added: r.added, ...(r.bestEpoch !== undefined ? { bestEpoch: r.bestEpoch, epochs: r.epochs } : {}) };
      }),
    });
    stages.push({ stage: 'aggregate', seconds: Math.round(performance.now() - t0) / 1000 });
    // Timings beside results.json, never in it, so a rerun's results are byte-identical.
    writeJsonAtomic(join(o.out, 'stages.json'), {
      stages,
      wallSeconds: [...stages, ...records.values()].reduce((t, x) => t + (x.seconds ?? 0), 0),
      environment: runEnvironment(),
      units: units.map((un) => {
        const r = records.get(un.key)!;
        return { key: un.key, seconds: r.seconds, ...(r.generatorSeconds !== undefined ? { generatorSeconds: r.generatorSeconds } : {}) };
      }),
    });
    return { summary, selectedOnValidation: selection, table };
  };

  return { units, runUnit, aggregate };
}

/** What `samplify experiment --dry-run` prints for a few-label config: the data read and drawn, the units, nothing trained. */
export interface FewLabelDryRun {
  readonly modality: 'images' | 'titles';
  readonly dataset: Record<string, unknown>;
  readonly classes: readonly string[];
  readonly arms: readonly string[];
  readonly ks: readonly number[];
  readonly seeds: number;
  readonly validPerClass: number;
  readonly units: number;
  readonly lines: readonly string[];
}

/**
 * Reads the data, builds every arm's pipeline and draws every (k, seed)'s labelled and validation
 * examples — so a class short of examples or a bad path fails here — without training anything.
 */
export async function dryRunFewLabelExperiment(config: FewLabelExperimentConfig, baseDir: string): Promise<FewLabelDryRun> {
  const lines: string[] = [];
  const progress: ProgressReporter = { line: (l) => lines.push(l) };
  checkFewLabelPipelines(config, baseDir);
  const data: FewLabelData<unknown> = config.data.kind === 'images' ? await readFewLabelImages(config.data, baseDir, progress) : await readFewLabelTitles(config.data, baseDir, progress);
  const validPerClass = validPerClassOf(config);
  for (const k of config.ks) for (let seed = 0; seed < config.seeds; seed++) drawFewLabel(data, k, validPerClass, seed);
  const arms = ['none', ...config.arms.map((a) => a.name)];
  const units = arms.length * config.ks.length * config.seeds;
  lines.push(`${data.modality}: ${data.classNames.length} classes, ${data.pool.length} training-part examples, ${data.test.length} test examples`);
  lines.push(`every (k, seed) drawn: k = ${config.ks.join(', ')} labelled + ${validPerClass} validation per class, ${config.seeds} seed(s)`);
  lines.push(`arms: ${arms.join(', ')} → ${units} runs (arm × k × seed); nothing trained`);
  return { modality: data.modality, dataset: data.summary, classes: data.classNames, arms, ks: config.ks, seeds: config.seeds, validPerClass, units, lines };
}

export function fewLabelTable(summary: readonly FewLabelSummaryRow[], selection: readonly FewLabelSelection[]): string {
  const lines = [`${'k'.padStart(3)} ${'arm'.padEnd(18)} ${'test acc % (mean ± std)'.padStart(24)}  ${'Δ vs none'.padStart(10)}  ${'p'.padStart(9)}  ${'95% CI of Δ (pt)'.padEnd(18)}  verdict`];
  for (const r of summary) {
    const sel = selection.find((s) => s.k === r.k)?.selected === r.arm;
    const v = r.vsNone;
    lines.push(
      `${String(r.k).padStart(3)} ${(r.arm + (sel ? ' *' : '')).padEnd(18)} ${`${(100 * r.testAccuracyMean).toFixed(2)} ± ${(100 * r.testAccuracyStd).toFixed(2)}`.padStart(24)}  ` +
        (v ? `${v.meanDiff >= 0 ? '+' : ''}${(100 * v.meanDiff).toFixed(2)} pt`.padStart(10) + `  ${v.pValue.toExponential(2).padStart(9)}  ${`[${(100 * v.ci95[0]).toFixed(2)}, ${(100 * v.ci95[1]).toFixed(2)}]`.padEnd(18)}  ${r.verdict}` : `${'—'.padStart(10)}  ${'—'.padStart(9)}  ${''.padEnd(18)}  baseline`),
    );
  }
  lines.push('* selected on validation (mean validation accuracy over seeds)');
  for (const s of selection) {
    const v = s.vsNone;
    lines.push(
      `k=${s.k}: validation picks per seed ${s.chosenArms.join(', ')} → test ${(100 * s.testAccuracyMean).toFixed(2)} ± ${(100 * s.testAccuracyStd).toFixed(2)} %, ` +
        `Δ vs none ${v.meanDiff >= 0 ? '+' : ''}${(100 * v.meanDiff).toFixed(2)} pt, p ${v.pValue.toExponential(2)}, 95% CI [${(100 * v.ci95[0]).toFixed(2)}, ${(100 * v.ci95[1]).toFixed(2)}]`,
    );
  }
  return lines.join('\n');
}
