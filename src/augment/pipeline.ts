/**
 * Pipelines: operators composed with Compose / OneOf / SomeOf / ByLength, each step applied with
 * probability `p`. A pipeline is built from a plain spec (JSON or YAML), validated completely
 * before any work (unknown operators, bad params, missing fitted resources are ConfigErrors naming
 * the step), and serialises back to the same canonical spec (defaults filled in), so
 * parse → serialise → parse is exact.
 *
 * Spec:
 *   version: 1
 *   name: crop-reorder            # optional
 *   steps:                        # the top level is a compose
 *     - op: crop
 *       ratio: 0.6
 *     - op: reorder
 *       ratio: 0.2
 *       p: 0.5
 *     - op: one_of                # also: compose {steps}, some_of {n, steps}, by_length {threshold, short, long}
 *       weights: [1, 2]           # optional
 *       steps: [ {op: mask, ratio: 0.3}, {op: reverse} ]
 *
 * Steps are named by their path: top-level steps 1, 2, …; children 2.1, 2.2; by_length branches
 * 3.short, 3.long (a branch that is a list adds .1, .2, …).
 *
 * Randomness: a run gets one Rng (per sample); step `path` draws only from rng.split(path), both
 * for its coin flip (p) and for its params, so a step's draws never depend on how many numbers
 * another step used.
 */
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TrainView } from '../data/types.ts';
import { fitItemSimilarity, type ItemSimilarity, type SimilarityKind } from './similarity.ts';
import { loadItemAttributes, type ItemAttributes } from './attributes.ts';
import { ConfigError } from '../core/errors.ts';
import { ComponentRegistry, type ComponentEntry } from '../core/registry.ts';
import type { Rng } from '../core/rng.ts';
import { parseConfig } from './params.ts';
import { crop, del, duplicate, identity, mask, reorder, reverse } from './sequence/basic.ts';
import { insert, substitute } from './sequence/correlated.ts';
import { prefixes } from './sequence/prefixes.ts';
import { continueOp, pseudoPrior } from './sequence/model-based.ts';
import type { GenerationDirection, NextItemSampler } from './generator.ts';
import type { AugmentContext, AugmentResource, AugmentResult, Augmenter, ChainEntry, OperatorDef } from './types.ts';

// ------------------------------------------------------------------ operator registry

/** A registered operator: the registry form (name, description, schema, defaults, create) plus its definition. */
export interface OperatorEntry extends ComponentEntry<unknown, Augmenter<Int32Array, unknown, AugmentContext>> {
  readonly def: OperatorDef;
}

/** Augmentation operators by name (`op` of a pipeline step); each operator file owns its zod schema. */
export const operators = new ComponentRegistry<Augmenter<Int32Array, unknown, AugmentContext>, OperatorEntry>('augmentation operator');
/** Names of the composition steps (reserved; not operators). */
export const COMPOSITES = ['compose', 'one_of', 'some_of', 'by_length'] as const;

function bind(def: OperatorDef, config: unknown): Augmenter<Int32Array, unknown, AugmentContext> {
  return { name: def.name, config, sample: (x, ctx, rng) => def.sample(x, config, ctx, rng), apply: (x, p, ctx) => def.apply(x, p, ctx) };
}

/** Adds an operator (e.g. a custom one in a test or a plug-in). Names are unique. */
// biome-ignore lint/suspicious/noExplicitAny: any operator's config/params types (see OperatorDef)
export function registerOperator(def: OperatorDef<Int32Array, any, any, AugmentContext>): void {
  if (operators.has(def.name) || (COMPOSITES as readonly string[]).includes(def.name)) throw new Error(`augmentation operator '${def.name}' is registered twice`);
  const d = def as OperatorDef;
  const defaults = d.config.safeParse({});
  operators.add({ name: d.name, description: d.summary, schema: d.config, defaults: defaults.success ? defaults.data : {}, def: d, create: (params) => bind(d, d.config.parse(params)) });
}
for (const op of [identity, crop, mask, reorder, reverse, del, duplicate, insert, substitute, prefixes, pseudoPrior, continueOp]) registerOperator(op as OperatorDef);

/** Every registered operator name, in registration order. */
export function operatorNames(): string[] {
  return operators.names();
}

/** The operator called `name`; an unknown name is a ConfigError listing the known ones. */
export function getOperator(name: string, label = 'step'): OperatorDef {
  if (!operators.has(name)) throw new ConfigError(`${label}: unknown operator '${name}'; expected one of: ${[...operators.names(), ...COMPOSITES].join(', ')}`, { field: 'op' });
  return operators.get(name).def;
}

/** Binds an operator to a validated config: the sample/apply pair of the contract. */
export function createAugmenter(name: string, config: Record<string, unknown> = {}): Augmenter<Int32Array, unknown, AugmentContext> {
  const def = getOperator(name, name);
  return bind(def, parseConfig(def.config, config, name));
}

// ------------------------------------------------------------------ spec and compiled nodes

/** One step as written in a pipeline file: `op`, optional `p`, then the operator's keys. */
export interface StepSpec {
  op: string;
  p?: number;
  [key: string]: unknown;
}
/**
 * Resources a pipeline file can declare; `loadPipeline(source, {train, dataset})` fits / loads them
 * from the training view, so the pipeline carries its own context.
 */
export interface ResourcesSpec {
  similarity?: SimilarityResourceSpec;
  /** Item-attribute JSON, resolved against the pipeline file's folder (or baseDir for inline specs). */
  attributes?: string;
  /**
   * Next-item generators the model-based steps use. Augment cannot train models, so this only
   * records what to fit: `fitPipelineGenerators(pipeline, train)` in src/experiment trains them on
   * the training view (cached) and binds them (pipeline.bindGenerators).
   */
  generators?: { forward?: GeneratorResourceSpec; reverse?: GeneratorResourceSpec };
}
/**
 * The item similarity a pipeline fits on its training view: from co-occurrence or attributes
 * (fitted here, in bind), or — 'model-embedding' — cosine between the item embeddings of a
 * next-item model trained on the view. Augment cannot train models, so the latter is fitted by
 * `fitPipelineGenerators` in src/experiment and bound with `bindSimilarity`.
 */
export type SimilarityResourceSpec = { kind: SimilarityKind; topK: number } | { kind: 'model-embedding'; topK: number; model: GeneratorResourceSpec };
/** A generator to fit on the training view (reversed sequences for 'reverse'). */
export interface GeneratorResourceSpec {
  model: 'sasrec' | 'gru4rec';
  /** Training epochs (fixed: there is no validation signal for a generator). */
  epochs: number;
  /** Seed of the generator's training (fixed across the experiment's seeds: one generator per direction). */
  seed: number;
  /** Network hyper-parameters (hidden, blocks, heads, dropout, maxLen, loss); loss defaults to 'ce' (a full softmax to sample from). */
  config: Record<string, unknown>;
  /** Trainer overrides (batchSize, lr, …). */
  trainer?: Record<string, unknown>;
}
export type BoundGenerators = Readonly<Partial<Record<GenerationDirection, NextItemSampler>>>;
export interface PipelineSpec {
  version: 1;
  name?: string;
  resources?: ResourcesSpec;
  steps: StepSpec[];
}

type Node =
  | { kind: 'op'; path: string; label: string; p: number; def: OperatorDef; config: unknown }
  | { kind: 'compose'; path: string; label: string; p: number; steps: Node[] }
  | { kind: 'one_of'; path: string; label: string; p: number; steps: Node[]; cum: Float64Array }
  | { kind: 'some_of'; path: string; label: string; p: number; steps: Node[]; n: number }
  | { kind: 'by_length'; path: string; label: string; p: number; threshold: number; short: Node; long: Node };

interface Built {
  node: Node;
  canon: StepSpec | StepSpec[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class Builder {
  constructor(readonly file: string | undefined) {}
  err(label: string, msg: string, field?: string): ConfigError {
    return new ConfigError(`${label}: ${msg}`, { ...(this.file !== undefined ? { file: this.file } : {}), ...(field !== undefined ? { field } : {}) });
  }
  prob(v: unknown, label: string): number {
    if (v === undefined) return 1;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw this.err(label, `'p' must be a number in [0, 1], got ${typeof v === 'number' ? v : JSON.stringify(v)}`, 'p');
    return v;
  }
  list(v: unknown, label: string, key: string, path: string): Built[] {
    if (!Array.isArray(v) || v.length === 0) throw this.err(label, `'${key}' must be a non-empty list of steps, got ${JSON.stringify(v) ?? 'nothing'}`, key);
    return v.map((s, i) => this.step(s, `${path}.${i + 1}`));
  }
  /** A branch of by_length: one step, or a list of steps (a compose). */
  branch(v: unknown, label: string, key: string, path: string): Built {
    if (Array.isArray(v)) {
      const kids = this.list(v, label, key, path);
      return { node: { kind: 'compose', path, label: `step ${path} (compose)`, p: 1, steps: kids.map((k) => k.node) }, canon: kids.map((k) => k.canon as StepSpec) };
    }
    if (!isPlainObject(v)) throw this.err(label, `'${key}' must be a step or a list of steps, got ${JSON.stringify(v) ?? 'nothing'}`, key);
    return this.step(v, path);
  }
  only(obj: Record<string, unknown>, allowed: string[], label: string): void {
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw this.err(label, `unknown key '${k}'; expected ${allowed.map((a) => `'${a}'`).join(', ')}`, k);
  }
  step(raw: unknown, path: string): Built {
    if (!isPlainObject(raw)) throw this.err(`step ${path}`, `must be an object with an 'op' key, got ${JSON.stringify(raw) ?? 'nothing'}`);
    const name = raw.op;
    if (typeof name !== 'string') throw this.err(`step ${path}`, `'op' must be an operator name, got ${JSON.stringify(name) ?? 'nothing'}`, 'op');
    const label = `step ${path} (${name})`;
    const p = this.prob(raw.p, label);
    const head: StepSpec = p === 1 ? { op: name } : { op: name, p };
    switch (name) {
      case 'compose': {
        this.only(raw, ['op', 'p', 'steps'], label);
        const kids = this.list(raw.steps, label, 'steps', path);
        return { node: { kind: 'compose', path, label, p, steps: kids.map((k) => k.node) }, canon: { ...head, steps: kids.map((k) => k.canon) } };
      }
      case 'one_of': {
        this.only(raw, ['op', 'p', 'steps', 'weights'], label);
        const kids = this.list(raw.steps, label, 'steps', path);
        let w: number[] | undefined;
        if (raw.weights !== undefined) {
          const ws = raw.weights;
          if (!Array.isArray(ws) || ws.length !== kids.length || !ws.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) || !ws.some((x) => (x as number) > 0))
            throw this.err(label, `'weights' must be ${kids.length} non-negative numbers, not all 0, got ${JSON.stringify(ws)}`, 'weights');
          w = ws as number[];
        }
        const cum = new Float64Array(kids.length);
        let s = 0;
        for (let i = 0; i < kids.length; i++) cum[i] = s += w ? w[i]! : 1;
        for (let i = 0; i < kids.length; i++) cum[i] = cum[i]! / s;
        const canon: StepSpec = { ...head, steps: kids.map((k) => k.canon) };
        if (w) canon.weights = w.slice();
        return { node: { kind: 'one_of', path, label, p, steps: kids.map((k) => k.node), cum }, canon };
      }
      case 'some_of': {
        this.only(raw, ['op', 'p', 'steps', 'n'], label);
        const kids = this.list(raw.steps, label, 'steps', path);
        const n = raw.n;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > kids.length) throw this.err(label, `'n' must be an integer in 1..${kids.length} (the number of steps), got ${JSON.stringify(n) ?? 'nothing'}`, 'n');
        return { node: { kind: 'some_of', path, label, p, steps: kids.map((k) => k.node), n }, canon: { ...head, n, steps: kids.map((k) => k.canon) } };
      }
      case 'by_length': {
        this.only(raw, ['op', 'p', 'threshold', 'short', 'long'], label);
        const t = raw.threshold;
        if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw this.err(label, `'threshold' must be an integer ≥ 0 (sequences of length ≤ threshold take 'short'), got ${JSON.stringify(t) ?? 'nothing'}`, 'threshold');
        const short = this.branch(raw.short, label, 'short', `${path}.short`);
        const long = this.branch(raw.long, label, 'long', `${path}.long`);
        return { node: { kind: 'by_length', path, label, p, threshold: t, short: short.node, long: long.node }, canon: { ...head, threshold: t, short: short.canon, long: long.canon } as StepSpec };
      }
    }
    const def = getOperator(name, `step ${path}`);
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (k !== 'op' && k !== 'p') rest[k] = v;
    const config = parseConfig(def.config, rest, label, this.file);
    return { node: { kind: 'op', path, label, p, def, config }, canon: { ...head, ...(config as Record<string, unknown>) } };
  }
}

function walk(node: Node, f: (n: Node) => void): void {
  f(node);
  if (node.kind === 'compose' || node.kind === 'one_of' || node.kind === 'some_of') for (const c of node.steps) walk(c, f);
  else if (node.kind === 'by_length') walk(node.short, f), walk(node.long, f);
}

export interface PipelineSourceOptions {
  /** Named in error messages (the file the spec came from). */
  file?: string;
}

/** A validated, runnable pipeline. Build with pipelineFrom* / buildPipeline. */
export class Pipeline {
  readonly spec: PipelineSpec;
  readonly #steps: Node[];
  readonly #multi: (Node & { kind: 'op' }) | undefined;
  #bound: { train: TrainView; similarity?: ItemSimilarity; attributes?: ItemAttributes; generators?: BoundGenerators } | undefined;

  constructor(spec: unknown, opts: PipelineSourceOptions = {}) {
    const b = new Builder(opts.file);
    if (!isPlainObject(spec)) throw b.err('pipeline', `must be an object with 'steps', got ${JSON.stringify(spec) ?? 'nothing'}`);
    b.only(spec, ['version', 'name', 'resources', 'steps'], 'pipeline');
    const resources = spec.resources === undefined ? undefined : parseResources(spec.resources, b);
    if (spec.version !== undefined && spec.version !== 1) throw b.err('pipeline', `'version' must be 1, got ${JSON.stringify(spec.version)}`, 'version');
    if (spec.name !== undefined && typeof spec.name !== 'string') throw b.err('pipeline', `'name' must be a string, got ${JSON.stringify(spec.name)}`, 'name');
    if (!Array.isArray(spec.steps) || spec.steps.length === 0) throw b.err('pipeline', `'steps' must be a non-empty list of steps, got ${JSON.stringify(spec.steps) ?? 'nothing'}`, 'steps');
    const built = spec.steps.map((s, i) => b.step(s, String(i + 1)));
    this.#steps = built.map((x) => x.node);
    this.spec = { version: 1, ...(spec.name !== undefined ? { name: spec.name as string } : {}), ...(resources ? { resources } : {}), steps: built.map((x) => x.canon as StepSpec) };
    // Multi-output operators: only as the last top-level step, with p = 1.
    const last = this.#steps[this.#steps.length - 1]!;
    for (const top of this.#steps)
      walk(top, (n) => {
        if (n.kind === 'op' && n.def.sampleMany && !(n === last && n.p === 1))
          throw b.err(n.label, `'${n.def.name}' makes several samples from one, so it can only be the last top-level step, with p = 1`);
      });
    this.#multi = last.kind === 'op' && last.def.sampleMany ? last : undefined;
  }

  get name(): string | undefined {
    return this.spec.name;
  }
  /** True when the last step makes several outputs per input (prefix expansion). */
  get multiOutput(): boolean {
    return this.#multi !== undefined;
  }

  /** Fitted resources the steps need, with the steps that need them. */
  requirements(): Map<AugmentResource, string[]> {
    const req = new Map<AugmentResource, string[]>();
    for (const top of this.#steps)
      walk(top, (n) => {
        if (n.kind !== 'op' || !n.def.requires) return;
        for (const r of n.def.requires(n.config)) req.set(r, [...(req.get(r) ?? []), n.label]);
      });
    return req;
  }

  /** Steps that can emit the reserved mask token numItems+1. */
  maskSteps(): string[] {
    const out: string[] = [];
    for (const top of this.#steps) walk(top, (n) => n.kind === 'op' && n.def.emitsMask?.(n.config) && out.push(n.label));
    return out;
  }

  /**
   * Fits the declared resources (spec.resources) on `train` and keeps them with the pipeline;
   * expandSequences/expandTrainView on the same TrainView then use them when the caller passes
   * none. `attributesPath` is the resolved attribute file; `itemIds` maps it onto dense ids.
   */
  bind(train: TrainView, opts: { itemIds?: readonly string[]; attributesPath?: string } = {}): this {
    const r = this.spec.resources;
    let attributes: ItemAttributes | undefined;
    if (r?.attributes !== undefined) {
      if (!opts.itemIds) throw new ConfigError(`pipeline: 'resources.attributes' needs the dataset's item ids to map the file`, { field: 'resources.attributes' });
      attributes = loadItemAttributes(opts.attributesPath ?? r.attributes, opts.itemIds);
    }
    const same = this.#bound?.train === train ? this.#bound : undefined;
    const s = r?.similarity;
    const similarity = s && s.kind !== 'model-embedding' ? fitItemSimilarity(train, { kind: s.kind, topK: s.topK, ...(attributes ? { attributes } : {}) }) : same?.similarity;
    const generators = same?.generators;
    this.#bound = { train, ...(similarity ? { similarity } : {}), ...(attributes ? { attributes } : {}), ...(generators ? { generators } : {}) };
    return this;
  }

  /**
   * Keeps generators fitted on `train` (fitPipelineGenerators in src/experiment does this) for the
   * model-based steps; the other bound resources stay when they were fitted on the same view.
   */
  bindGenerators(train: TrainView, generators: BoundGenerators): this {
    for (const [dir, g] of Object.entries(generators))
      if (g && g.direction !== dir) throw new ConfigError(`pipeline: the '${dir}' generator was trained in direction '${g.direction}'`, { field: `resources.generators.${dir}` });
    const b = this.#bound?.train === train ? this.#bound : { train };
    this.#bound = { ...b, generators: { ...b.generators, ...generators } };
    return this;
  }

  /** Keeps an item similarity fitted on `train` (a model-embedding one, from fitPipelineGenerators). */
  bindSimilarity(train: TrainView, similarity: ItemSimilarity): this {
    if (similarity.numItems !== train.numItems) throw new ConfigError(`pipeline: the item similarity covers ${similarity.numItems} items, the training view has ${train.numItems}`, { field: 'resources.similarity' });
    const b = this.#bound?.train === train ? this.#bound : { train };
    this.#bound = { ...b, similarity };
    return this;
  }

  /** The context for `train`: explicit resources win, then the ones bound to this very TrainView. */
  contextFor(train: TrainView, given: { similarity?: ItemSimilarity; attributes?: ItemAttributes; generators?: BoundGenerators } = {}): AugmentContext {
    const b = this.#bound;
    if (b && b.train !== train && (given.similarity === undefined || given.attributes === undefined) && (b.similarity || b.attributes))
      throw new ConfigError('pipeline: its resources were fitted on a different training view; bind it to this one (loadPipeline(…, {train}) or pipeline.bind(train))', { field: 'resources' });
    if (b && b.train !== train && given.generators === undefined && b.generators)
      throw new ConfigError('pipeline: its generators were fitted on a different training view; fit them on this one (fitPipelineGenerators)', { field: 'resources.generators' });
    const similarity = given.similarity ?? b?.similarity;
    const attributes = given.attributes ?? b?.attributes;
    const generators = given.generators ?? b?.generators;
    return { numItems: train.numItems, ...(similarity ? { similarity } : {}), ...(attributes ? { attributes } : {}), ...(generators ? { generators } : {}) };
  }

  /** Checks the context against every step before any work: a ConfigError names the first step that cannot run. */
  validate(ctx: AugmentContext): void {
    if (!Number.isInteger(ctx.numItems) || ctx.numItems < 1) throw new ConfigError(`pipeline context: numItems must be an integer ≥ 1, got ${ctx.numItems}`, { field: 'numItems' });
    for (const [res, steps] of this.requirements()) {
      if (res === 'similarity') {
        if (!ctx.similarity) throw new ConfigError(`${steps[0]}: needs a fitted item similarity (fitItemSimilarity on the training view, or similarityFromEmbeddings; a declared 'model-embedding' similarity is fitted by fitPipelineGenerators), and none was given`, { field: 'similarity' });
        if (ctx.similarity.numItems !== ctx.numItems) throw new ConfigError(`${steps[0]}: the item similarity covers ${ctx.similarity.numItems} items, the data has ${ctx.numItems}`, { field: 'similarity' });
      } else if (res === 'attributes') {
        if (!ctx.attributes) throw new ConfigError(`${steps[0]}: needs item attributes (loadItemAttributes), and none were given`, { field: 'attributes' });
        if (ctx.attributes.numItems !== ctx.numItems) throw new ConfigError(`${steps[0]}: the item attributes cover ${ctx.attributes.numItems} items, the data has ${ctx.numItems}`, { field: 'attributes' });
      } else if (res === 'forward-generator' || res === 'reverse-generator') {
        const dir = res === 'forward-generator' ? 'forward' : 'reverse';
        const g = ctx.generators?.[dir];
        if (!g)
          throw new ConfigError(`${steps[0]}: needs a ${dir} next-item generator fitted on the training view (declare resources.generators.${dir} and run fitPipelineGenerators, or pass generators.${dir}), and none was given`, { field: `generators.${dir}` });
        if (g.direction !== dir) throw new ConfigError(`${steps[0]}: needs a ${dir} generator, got one trained in direction '${g.direction}'`, { field: `generators.${dir}` });
        if (g.numItems !== ctx.numItems) throw new ConfigError(`${steps[0]}: the ${dir} generator covers ${g.numItems} items, the data has ${ctx.numItems}`, { field: `generators.${dir}` });
      }
    }
  }

  /**
   * Runs the pipeline on one sequence (not modified). Returns one result, or several when the
   * last step is multi-output. Call `validate(ctx)` once before running many sequences.
   */
  run(seq: Int32Array, ctx: AugmentContext, rng: Rng): AugmentResult[] {
    const chain: ChainEntry[] = [];
    const steps = this.#steps;
    const multi = this.#multi;
    const end = multi ? steps.length - 1 : steps.length;
    let cur = seq;
    for (let i = 0; i < end; i++) cur = runNode(steps[i]!, cur, ctx, rng, chain);
    if (!multi) return [{ items: cur === seq ? seq.slice() : cur, chain }];
    const r = rng.split(multi.path);
    const many = multi.def.sampleMany!(cur, multi.config, ctx, r);
    return many.map((params) => ({ items: checked(multi, cur, multi.def.apply(cur, params, ctx)), chain: [...chain, { op: multi.def.name, params }] }));
  }

  toJSON(): PipelineSpec {
    return this.spec;
  }
}

function parseResources(v: unknown, b: Builder): ResourcesSpec {
  if (!isPlainObject(v)) throw b.err('pipeline', `'resources' must be an object, got ${JSON.stringify(v)}`, 'resources');
  b.only(v, ['similarity', 'attributes', 'generators'], 'pipeline resources');
  const out: ResourcesSpec = {};
  if (v.similarity !== undefined) {
    const s = v.similarity;
    if (!isPlainObject(s)) throw b.err('pipeline resources', `'similarity' must be an object {kind, topK}, got ${JSON.stringify(s)}`, 'similarity');
    b.only(s, ['kind', 'topK', 'model'], 'pipeline resources.similarity');
    if (s.kind !== 'itemcf-iuf' && s.kind !== 'attribute-jaccard' && s.kind !== 'model-embedding')
      throw b.err('pipeline resources.similarity', `'kind' must be one of: itemcf-iuf, attribute-jaccard, model-embedding, got ${JSON.stringify(s.kind)}`, 'kind');
    const topK = s.topK ?? 20;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) throw b.err('pipeline resources.similarity', `'topK' must be an integer ≥ 1, got ${JSON.stringify(topK)}`, 'topK');
    if (s.kind === 'model-embedding') out.similarity = { kind: s.kind, topK, model: parseGeneratorSpec(s.model ?? null, b, 'pipeline resources.similarity.model') };
    else if (s.model !== undefined) throw b.err('pipeline resources.similarity', `'model' applies only to kind 'model-embedding' (kind is '${s.kind}')`, 'model');
    else out.similarity = { kind: s.kind, topK };
  }
  if (v.attributes !== undefined) {
    if (typeof v.attributes !== 'string' || v.attributes === '') throw b.err('pipeline resources', `'attributes' must be a file path, got ${JSON.stringify(v.attributes)}`, 'attributes');
    out.attributes = v.attributes;
  }
  if (v.generators !== undefined) {
    const g = v.generators;
    if (!isPlainObject(g)) throw b.err('pipeline resources', `'generators' must be an object {forward?, reverse?}, got ${JSON.stringify(g)}`, 'generators');
    b.only(g, ['forward', 'reverse'], 'pipeline resources.generators');
    const gens: NonNullable<ResourcesSpec['generators']> = {};
    for (const dir of ['forward', 'reverse'] as const) if (g[dir] !== undefined) gens[dir] = parseGeneratorSpec(g[dir], b, `pipeline resources.generators.${dir}`);
    out.generators = gens;
  }
  if (out.similarity?.kind === 'attribute-jaccard' && out.attributes === undefined) throw b.err('pipeline resources.similarity', "kind 'attribute-jaccard' needs 'resources.attributes'", 'attributes');
  return out;
}

function parseGeneratorSpec(v: unknown, b: Builder, label: string): GeneratorResourceSpec {
  if (v === null) v = {};
  if (!isPlainObject(v)) throw b.err(label, `must be an object {model, epochs, seed, config, trainer}, got ${JSON.stringify(v)}`);
  b.only(v, ['model', 'epochs', 'seed', 'config', 'trainer'], label);
  const model = v.model ?? 'sasrec';
  if (model !== 'sasrec' && model !== 'gru4rec') throw b.err(label, `'model' must be one of: sasrec, gru4rec, got ${JSON.stringify(model)}`, 'model');
  const epochs = v.epochs ?? 20;
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs < 1) throw b.err(label, `'epochs' must be an integer ≥ 1, got ${JSON.stringify(epochs)}`, 'epochs');
  const seed = v.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0) throw b.err(label, `'seed' must be an integer ≥ 0, got ${JSON.stringify(seed)}`, 'seed');
  if (v.config !== undefined && !isPlainObject(v.config)) throw b.err(label, `'config' must be an object of network hyper-parameters, got ${JSON.stringify(v.config)}`, 'config');
  if (v.trainer !== undefined && !isPlainObject(v.trainer)) throw b.err(label, `'trainer' must be an object of trainer settings, got ${JSON.stringify(v.trainer)}`, 'trainer');
  return { model, epochs, seed, config: { loss: 'ce', ...(v.config as Record<string, unknown> | undefined) }, ...(v.trainer !== undefined ? { trainer: { ...(v.trainer as Record<string, unknown>) } } : {}) };
}

function checked(node: Node & { kind: 'op' }, input: Int32Array, out: Int32Array): Int32Array {
  if (out.length === 0 && input.length > 0)
    throw new ConfigError(`${node.label} produced an empty sequence from ${input.length} item(s); operators must keep at least one item`, { field: 'op' });
  return out;
}

function runNode(node: Node, seq: Int32Array, ctx: AugmentContext, rng: Rng, chain: ChainEntry[]): Int32Array {
  const r = rng.split(node.path);
  if (node.p < 1 && !(r.next() < node.p)) return seq;
  switch (node.kind) {
    case 'op': {
      const params = node.def.sample(seq, node.config, ctx, r);
      const out = checked(node, seq, node.def.apply(seq, params, ctx));
      chain.push({ op: node.def.name, params });
      return out;
    }
    case 'compose': {
      let cur = seq;
      for (const c of node.steps) cur = runNode(c, cur, ctx, rng, chain);
      return cur;
    }
    case 'one_of': {
      const u = r.next();
      let k = 0;
      while (k < node.cum.length - 1 && u >= node.cum[k]!) k++;
      return runNode(node.steps[k]!, seq, ctx, rng, chain);
    }
    case 'some_of': {
      // n distinct children chosen uniformly, applied in their listed order.
      let need = node.n;
      let cur = seq;
      const m = node.steps.length;
      for (let i = 0; i < m && need > 0; i++) {
        if (r.next() * (m - i) < need) {
          need--;
          cur = runNode(node.steps[i]!, cur, ctx, rng, chain);
        }
      }
      return cur;
    }
    case 'by_length':
      return runNode(seq.length <= node.threshold ? node.short : node.long, seq, ctx, rng, chain);
  }
}

/** Re-applies a recorded chain: the same input and chain give the same output, no rng involved. */
export function replayChain(seq: Int32Array, chain: readonly ChainEntry[], ctx: AugmentContext): Int32Array {
  let cur = seq;
  for (const e of chain) cur = getOperator(e.op, 'chain').apply(cur, e.params, ctx);
  return cur === seq ? seq.slice() : cur;
}

// ------------------------------------------------------------------ (de)serialisation

export function buildPipeline(spec: unknown, opts: PipelineSourceOptions = {}): Pipeline {
  return new Pipeline(spec, opts);
}

export function pipelineFromJson(text: string, opts: PipelineSourceOptions = {}): Pipeline {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`pipeline is not valid JSON (${(e as Error).message})`, opts.file !== undefined ? { file: opts.file } : {});
  }
  return new Pipeline(obj, opts);
}

export function pipelineFromYaml(text: string, opts: PipelineSourceOptions = {}): Pipeline {
  let obj: unknown;
  try {
    obj = yamlParse(text);
  } catch (e) {
    const pos = (e as { linePos?: { line: number }[] }).linePos?.[0];
    const msg = ((e as Error).message ?? String(e)).split('\n')[0];
    throw new ConfigError(`pipeline is not valid YAML (${msg})`, { ...(opts.file !== undefined ? { file: opts.file } : {}), ...(pos ? { line: pos.line } : {}) });
  }
  return new Pipeline(obj, opts);
}

/** Canonical JSON (2-space indent, trailing newline): equal pipelines give equal bytes. */
export function pipelineToJson(p: Pipeline): string {
  return JSON.stringify(p.spec, null, 2) + '\n';
}

export function pipelineToYaml(p: Pipeline): string {
  return yamlStringify(p.spec, { lineWidth: 0 });
}

export interface LoadPipelineOptions {
  /** Folder that relative paths (the pipeline file, attribute files of inline specs) are resolved against. Default: cwd. */
  baseDir?: string;
  /** Fit the declared resources on this training view (see Pipeline.bind). */
  train?: TrainView;
  /** The dataset (its itemIds map an attribute file onto dense ids). */
  dataset?: { readonly itemIds: readonly string[] };
}

/**
 * A pipeline from a file path (.json as JSON, anything else as YAML) or an inline spec object.
 * With `train`, the resources the spec declares are fitted on it and bound to the pipeline.
 */
export function loadPipeline(source: string | object, opts: LoadPipelineOptions = {}): Pipeline {
  const base = opts.baseDir ?? process.cwd();
  let p: Pipeline;
  let dir = base;
  if (typeof source === 'string') {
    const path = resolve(base, source);
    dir = dirname(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf-8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError(code === 'ENOENT' ? 'pipeline file not found' : `cannot read pipeline file (${code})`, { file: source });
    }
    p = path.endsWith('.json') ? pipelineFromJson(text, { file: source }) : pipelineFromYaml(text, { file: source });
  } else p = new Pipeline(source);
  if (opts.train) {
    const attr = p.spec.resources?.attributes;
    p.bind(opts.train, { ...(opts.dataset ? { itemIds: opts.dataset.itemIds } : {}), ...(attr !== undefined ? { attributesPath: resolve(dir, attr) } : {}) });
  }
  return p;
}
