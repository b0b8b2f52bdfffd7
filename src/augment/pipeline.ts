/**
 * Pipelines: operators composed with Compose / OneOf / SomeOf / ByLength, each step applied with
 * probability `p`. One mechanism serves every augmenter *family* (sequence, text, image): a family
 * is a sample type X, a context type Ctx and its own operator registry; the composition steps, the
 * validation, the YAML/JSON round trip, the per-step Rng splitting and the replayable chains are
 * the same for all of them. A pipeline is built from a plain spec (JSON or YAML), validated
 * completely before any work (unknown operators, bad params, missing fitted resources are
 * ConfigErrors naming the step), and serialises back to the same canonical spec (defaults filled
 * in), so parse → serialise → parse is exact.
 *
 * Spec:
 *   version: 1
 *   family: sequence              # optional, the default; `text` for queries/titles, …
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
 *
 * Adding an operator to a family: write an OperatorDef (name, family, summary, strict zod config,
 * sample, apply) in the family's folder and register it (`family.register(def)`, or
 * `registerOperator(def)`, which picks the family from `def.family`). Adding a family:
 * `defineFamily({name, copy, length?, checkOutput?, parseResources?})`, then build its pipelines
 * with `buildPipeline(spec, {family})` / `pipelineFromYaml(text, {family})`.
 */
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TrainView } from '../data/types.ts';
import { fitItemSimilarity, type ItemSimilarity, type SimilarityKind } from './similarity.ts';
import { loadItemAttributes, type ItemAttributes } from './attributes.ts';
import { ConfigError } from '../core/errors.ts';
import { ComponentRegistry, Registry, type ComponentEntry } from '../core/registry.ts';
import type { Rng } from '../core/rng.ts';
import { parseConfig } from './params.ts';
import { crop, del, duplicate, identity, mask, reorder, reverse } from './sequence/basic.ts';
import { insert, substitute } from './sequence/correlated.ts';
import { prefixes } from './sequence/prefixes.ts';
import { continueOp, pseudoPrior } from './sequence/model-based.ts';
import type { GenerationDirection, NextItemSampler } from './generator.ts';
import type { AugmentContext, AugmentResource, AugmentResult, Augmented, Augmenter, ChainEntry, OperatorDef } from './types.ts';

// ------------------------------------------------------------------ families

/** Names of the composition steps (reserved in every family; not operators). */
export const COMPOSITES = ['compose', 'one_of', 'some_of', 'by_length'] as const;

/** A registered operator: the registry form (name, description, schema, defaults, create) plus its definition. */
export interface OperatorEntry<X = Int32Array, Ctx = AugmentContext> extends ComponentEntry<unknown, Augmenter<X, unknown, Ctx>> {
  // biome-ignore lint/suspicious/noExplicitAny: any operator's config/params types (see OperatorDef)
  readonly def: OperatorDef<X, any, any, Ctx>;
}

/** Raises a ConfigError located in the pipeline file (what a family's resource parser reports with). */
export type SpecError = (label: string, message: string, field?: string) => ConfigError;

/** What defines a family besides its operators: how its samples are copied, measured and checked. */
export interface FamilySpec<X, Ctx> {
  /** The `family:` value of a pipeline spec (`sequence` is the default when a spec names none). */
  readonly name: string;
  /** A copy of an untouched input, so a run's output never aliases its input (immutable samples: return it). */
  copy(x: X): X;
  /** Size for `by_length` (items of a sequence, tokens of a text); a family without it has no by_length. */
  readonly length?: { of(x: X): number; describe: string };
  /** Rejects an operator output the family forbids (e.g. an empty sequence from a non-empty one). */
  checkOutput?(stepLabel: string, input: X, output: X): void;
  /** Validates the spec's `resources` object and returns its canonical form. Without it, `resources` is an error. */
  parseResources?(raw: unknown, err: SpecError): Record<string, unknown>;
  /** Builds this family's pipeline class (a subclass of FamilyPipeline); default `new FamilyPipeline(family, spec, opts)`. */
  create?(spec: unknown, opts: PipelineSourceOptions): FamilyPipeline<X, Ctx>;
}

/** One augmenter family: its spec plus its own operator registry. Create with `defineFamily`. */
export class AugmenterFamily<X, Ctx> {
  readonly name: string;
  readonly operators: ComponentRegistry<Augmenter<X, unknown, Ctx>, OperatorEntry<X, Ctx>>;
  constructor(readonly spec: FamilySpec<X, Ctx>) {
    this.name = spec.name;
    this.operators = new ComponentRegistry<Augmenter<X, unknown, Ctx>, OperatorEntry<X, Ctx>>(spec.name === 'sequence' ? 'augmentation operator' : `${spec.name} augmentation operator`);
  }

  /** Adds an operator (names are unique within the family; composition names are reserved). */
  // biome-ignore lint/suspicious/noExplicitAny: any operator's config/params types (see OperatorDef)
  register(def: OperatorDef<X, any, any, Ctx>): void {
    if (def.family !== undefined && def.family !== this.name) throw new Error(`augmentation operator '${def.name}' belongs to family '${def.family}', not '${this.name}'`);
    if (this.operators.has(def.name) || (COMPOSITES as readonly string[]).includes(def.name)) throw new Error(`augmentation operator '${def.name}' is registered twice`);
    const defaults = def.config.safeParse({});
    this.operators.add({ name: def.name, description: def.summary, schema: def.config, defaults: defaults.success ? defaults.data : {}, def, create: (params) => bindOperator(def, def.config.parse(params)) });
  }

  names(): string[] {
    return this.operators.names();
  }

  /** The operator called `name`; an unknown name is a ConfigError listing the known ones. */
  // biome-ignore lint/suspicious/noExplicitAny: any operator's config/params types (see OperatorDef)
  operator(name: string, label = 'step'): OperatorDef<X, any, any, Ctx> {
    if (!this.operators.has(name)) throw new ConfigError(`${label}: unknown operator '${name}'; expected one of: ${[...this.operators.names(), ...COMPOSITES].join(', ')}`, { field: 'op' });
    return this.operators.get(name).def;
  }

  /** Binds an operator to a validated config: the sample/apply pair of the contract. */
  createAugmenter(name: string, config: Record<string, unknown> = {}): Augmenter<X, unknown, Ctx> {
    const def = this.operator(name, name);
    return bindOperator(def, parseConfig(def.config, config, name));
  }

  /** Re-applies a recorded chain: the same input and chain give the same output, no rng involved. */
  replay(x: X, chain: readonly ChainEntry[], ctx: Ctx): X {
    let cur = x;
    for (const e of chain) cur = this.operator(e.op, 'chain').apply(cur, e.params, ctx);
    return cur === x ? this.spec.copy(x) : cur;
  }

  /** A validated pipeline of this family from a spec object (its `family`, if given, must be this one). */
  pipeline(spec: unknown, opts: PipelineSourceOptions = {}): FamilyPipeline<X, Ctx> {
    return this.spec.create ? this.spec.create(spec, opts) : new FamilyPipeline(this, spec, opts);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any operator's config/params types (see OperatorDef)
function bindOperator<X, Ctx>(def: OperatorDef<X, any, any, Ctx>, config: unknown): Augmenter<X, unknown, Ctx> {
  return { name: def.name, config, sample: (x, ctx, rng) => def.sample(x, config, ctx, rng), apply: (x, p, ctx) => def.apply(x, p, ctx) };
}

// Families are keyed by name; the registry stores them type-erased (each caller keeps its typed handle).
const families = new Registry<AugmenterFamily<unknown, unknown>>('augmenter family');

/** Creates and registers a family (names are unique). Keep the returned handle: it is typed. */
export function defineFamily<X, Ctx>(spec: FamilySpec<X, Ctx>): AugmenterFamily<X, Ctx> {
  const f = new AugmenterFamily(spec);
  families.register(spec.name, f as unknown as AugmenterFamily<unknown, unknown>);
  return f;
}

/** The family called `name` (type-erased); an unknown name is a ConfigError listing the known ones. */
export function getFamily(name: string): AugmenterFamily<unknown, unknown> {
  return families.get(name, 'family');
}

/** Every registered family name, in registration order. */
export function familyNames(): string[] {
  return families.names();
}

/**
 * Adds an operator to the family its `family` field names (`sequence` when absent). Typed code can
 * call `family.register(def)` on its family handle instead.
 */
// biome-ignore lint/suspicious/noExplicitAny: operators of any family, config and params type
export function registerOperator(def: OperatorDef<any, any, any, any>): void {
  const name = def.family ?? 'sequence';
  if (!families.has(name)) throw new Error(`augmentation operator '${def.name}': unknown family '${name}'; expected one of: ${families.names().join(', ')}`);
  families.get(name).register(def);
}

// ------------------------------------------------------------------ the sequence family

/** Sequences of item ids (Int32Array); the default family of a pipeline spec. */
export const sequenceFamily: AugmenterFamily<Int32Array, AugmentContext> = defineFamily<Int32Array, AugmentContext>({
  name: 'sequence',
  copy: (x) => x.slice(),
  length: { of: (x) => x.length, describe: 'sequences of length ≤ threshold take' },
  checkOutput(label, input, out) {
    if (out.length === 0 && input.length > 0) throw new ConfigError(`${label} produced an empty sequence from ${input.length} item(s); operators must keep at least one item`, { field: 'op' });
  },
  parseResources: (raw, err) => parseResources(raw, err) as Record<string, unknown>,
  create: (spec, opts) => new Pipeline(spec, opts),
});
for (const op of [identity, crop, mask, reorder, reverse, del, duplicate, insert, substitute, prefixes, pseudoPrior, continueOp]) sequenceFamily.register(op);

/** The sequence family's operator registry (augmentation operators by name, the `op` of a step). */
export const operators = sequenceFamily.operators;

/** Every registered sequence operator name, in registration order. */
export function operatorNames(): string[] {
  return sequenceFamily.names();
}

/** The sequence operator called `name`; an unknown name is a ConfigError listing the known ones. */
export function getOperator(name: string, label = 'step'): OperatorDef {
  return sequenceFamily.operator(name, label);
}

/** Binds a sequence operator to a validated config: the sample/apply pair of the contract. */
export function createAugmenter(name: string, config: Record<string, unknown> = {}): Augmenter<Int32Array, unknown, AugmentContext> {
  return sequenceFamily.createAugmenter(name, config);
}

// ------------------------------------------------------------------ spec and compiled nodes

/** One step as written in a pipeline file: `op`, optional `p`, then the operator's keys. */
export interface StepSpec {
  op: string;
  p?: number;
  [key: string]: unknown;
}
/**
 * Resources a sequence pipeline file can declare; `loadPipeline(source, {train, dataset})` fits /
 * loads them from the training view, so the pipeline carries its own context.
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
/** A pipeline spec in canonical form. `R` is the family's resources object (sequence: ResourcesSpec). */
export interface PipelineSpec<R = ResourcesSpec> {
  version: 1;
  /** Absent for the default family, `sequence`. */
  family?: string;
  name?: string;
  resources?: R;
  steps: StepSpec[];
}

/** An operator step of a compiled pipeline, as `FamilyPipeline.operatorSteps()` lists them. */
export interface OperatorStep<X, Ctx> {
  readonly path: string;
  /** `step 2.1 (crop)`: how messages name the step. */
  readonly label: string;
  readonly p: number;
  // biome-ignore lint/suspicious/noExplicitAny: any operator's config/params types (see OperatorDef)
  readonly def: OperatorDef<X, any, any, Ctx>;
  readonly config: unknown;
}

type Node<X, Ctx> =
  | ({ kind: 'op' } & OperatorStep<X, Ctx>)
  | { kind: 'compose'; path: string; label: string; p: number; steps: Node<X, Ctx>[] }
  | { kind: 'one_of'; path: string; label: string; p: number; steps: Node<X, Ctx>[]; cum: Float64Array }
  | { kind: 'some_of'; path: string; label: string; p: number; steps: Node<X, Ctx>[]; n: number }
  | { kind: 'by_length'; path: string; label: string; p: number; threshold: number; short: Node<X, Ctx>; long: Node<X, Ctx> };

interface Built<X, Ctx> {
  node: Node<X, Ctx>;
  canon: StepSpec | StepSpec[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class Builder<X, Ctx> {
  constructor(
    readonly family: AugmenterFamily<X, Ctx>,
    readonly file: string | undefined,
  ) {}
  err(label: string, msg: string, field?: string): ConfigError {
    return new ConfigError(`${label}: ${msg}`, { ...(this.file !== undefined ? { file: this.file } : {}), ...(field !== undefined ? { field } : {}) });
  }
  prob(v: unknown, label: string): number {
    if (v === undefined) return 1;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw this.err(label, `'p' must be a number in [0, 1], got ${typeof v === 'number' ? v : JSON.stringify(v)}`, 'p');
    return v;
  }
  list(v: unknown, label: string, key: string, path: string): Built<X, Ctx>[] {
    if (!Array.isArray(v) || v.length === 0) throw this.err(label, `'${key}' must be a non-empty list of steps, got ${JSON.stringify(v) ?? 'nothing'}`, key);
    return v.map((s, i) => this.step(s, `${path}.${i + 1}`));
  }
  /** A branch of by_length: one step, or a list of steps (a compose). */
  branch(v: unknown, label: string, key: string, path: string): Built<X, Ctx> {
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
  step(raw: unknown, path: string): Built<X, Ctx> {
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
        const length = this.family.spec.length;
        if (!length) throw this.err(label, `'by_length' is not available in the ${this.family.name} family (its samples have no length)`, 'op');
        this.only(raw, ['op', 'p', 'threshold', 'short', 'long'], label);
        const t = raw.threshold;
        if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw this.err(label, `'threshold' must be an integer ≥ 0 (${length.describe} 'short'), got ${JSON.stringify(t) ?? 'nothing'}`, 'threshold');
        const short = this.branch(raw.short, label, 'short', `${path}.short`);
        const long = this.branch(raw.long, label, 'long', `${path}.long`);
        return { node: { kind: 'by_length', path, label, p, threshold: t, short: short.node, long: long.node }, canon: { ...head, threshold: t, short: short.canon, long: long.canon } as StepSpec };
      }
    }
    const def = this.family.operator(name, `step ${path}`);
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (k !== 'op' && k !== 'p') rest[k] = v;
    const config = parseConfig(def.config, rest, label, this.file);
    return { node: { kind: 'op', path, label, p, def, config }, canon: { ...head, ...(config as Record<string, unknown>) } };
  }
}

function walk<X, Ctx>(node: Node<X, Ctx>, f: (n: Node<X, Ctx>) => void): void {
  f(node);
  if (node.kind === 'compose' || node.kind === 'one_of' || node.kind === 'some_of') for (const c of node.steps) walk(c, f);
  else if (node.kind === 'by_length') walk(node.short, f), walk(node.long, f);
}

export interface PipelineSourceOptions {
  /** Named in error messages (the file the spec came from). */
  file?: string;
}

/**
 * A validated, runnable pipeline of any family. Sequence pipelines are `Pipeline` (a subclass that
 * adds the fitted sequence resources); other families use this class or their own subclass.
 */
export class FamilyPipeline<X, Ctx> {
  readonly family: AugmenterFamily<X, Ctx>;
  readonly spec: PipelineSpec<unknown>;
  readonly #steps: Node<X, Ctx>[];
  readonly #multi: (Node<X, Ctx> & { kind: 'op' }) | undefined;

  constructor(family: AugmenterFamily<X, Ctx>, spec: unknown, opts: PipelineSourceOptions = {}) {
    this.family = family;
    const b = new Builder(family, opts.file);
    if (!isPlainObject(spec)) throw b.err('pipeline', `must be an object with 'steps', got ${JSON.stringify(spec) ?? 'nothing'}`);
    b.only(spec, ['version', 'family', 'name', 'resources', 'steps'], 'pipeline');
    const named = spec.family ?? 'sequence';
    if (named !== family.name) {
      const known = typeof named === 'string' && families.has(named);
      throw b.err('pipeline', known ? `it is a '${named}' pipeline; build it with {family: ${named}Family} (this loader builds '${family.name}' pipelines)` : `'family' must be one of: ${families.names().join(', ')}, got ${JSON.stringify(named)}`, 'family');
    }
    let resources: Record<string, unknown> | undefined;
    if (spec.resources !== undefined) {
      if (!family.spec.parseResources) throw b.err('pipeline', `the ${family.name} family declares no resources; remove 'resources'`, 'resources');
      resources = family.spec.parseResources(spec.resources, (label, msg, field) => b.err(label, msg, field));
    }
    if (spec.version !== undefined && spec.version !== 1) throw b.err('pipeline', `'version' must be 1, got ${JSON.stringify(spec.version)}`, 'version');
    if (spec.name !== undefined && typeof spec.name !== 'string') throw b.err('pipeline', `'name' must be a string, got ${JSON.stringify(spec.name)}`, 'name');
    if (!Array.isArray(spec.steps) || spec.steps.length === 0) throw b.err('pipeline', `'steps' must be a non-empty list of steps, got ${JSON.stringify(spec.steps) ?? 'nothing'}`, 'steps');
    const built = spec.steps.map((s, i) => b.step(s, String(i + 1)));
    this.#steps = built.map((x) => x.node);
    this.spec = {
      version: 1,
      // The default family is not written, so every sequence spec keeps its canonical bytes.
      ...(family.name !== 'sequence' ? { family: family.name } : {}),
      ...(spec.name !== undefined ? { name: spec.name as string } : {}),
      ...(resources ? { resources } : {}),
      steps: built.map((x) => x.canon as StepSpec),
    };
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

  /** Every operator step (in every branch), in spec order. */
  operatorSteps(): OperatorStep<X, Ctx>[] {
    const out: OperatorStep<X, Ctx>[] = [];
    for (const top of this.#steps) walk(top, (n) => n.kind === 'op' && out.push(n));
    return out;
  }

  /** Fitted resources the steps need, with the labels of the steps that need them. */
  requirements(): Map<string, string[]> {
    const req = new Map<string, string[]>();
    for (const n of this.operatorSteps()) for (const r of n.def.requires?.(n.config) ?? []) req.set(r, [...(req.get(r) ?? []), n.label]);
    return req;
  }

  /**
   * Runs the pipeline on one sample (not modified). Returns one result, or several when the last
   * step is multi-output. The output never aliases the input.
   */
  augment(x: X, ctx: Ctx, rng: Rng): Augmented<X>[] {
    const chain: ChainEntry[] = [];
    const steps = this.#steps;
    const multi = this.#multi;
    const end = multi ? steps.length - 1 : steps.length;
    let cur = x;
    for (let i = 0; i < end; i++) cur = this.#runNode(steps[i]!, cur, ctx, rng, chain);
    if (!multi) return [{ output: cur === x ? this.family.spec.copy(x) : cur, chain }];
    const r = rng.split(multi.path);
    const many = multi.def.sampleMany!(cur, multi.config, ctx, r);
    return many.map((params) => ({ output: this.#checked(multi, cur, multi.def.apply(cur, params, ctx)), chain: [...chain, { op: multi.def.name, params }] }));
  }

  /** Re-applies a recorded chain (the family's replay). */
  replay(x: X, chain: readonly ChainEntry[], ctx: Ctx): X {
    return this.family.replay(x, chain, ctx);
  }

  toJSON(): PipelineSpec<unknown> {
    return this.spec;
  }

  #checked(node: OperatorStep<X, Ctx>, input: X, out: X): X {
    this.family.spec.checkOutput?.(node.label, input, out);
    return out;
  }

  #runNode(node: Node<X, Ctx>, x: X, ctx: Ctx, rng: Rng, chain: ChainEntry[]): X {
    // A compose or by_length step that always runs draws nothing from its own stream, so it is not
    // opened (`r` is then never read; split does not advance `rng`: every other draw is the same).
    const r = node.p === 1 && (node.kind === 'compose' || node.kind === 'by_length') ? rng : rng.split(node.path);
    if (node.p < 1 && !(r.next() < node.p)) return x;
    switch (node.kind) {
      case 'op': {
        const params = node.def.sample(x, node.config, ctx, r);
        const out = this.#checked(node, x, node.def.apply(x, params, ctx));
        chain.push({ op: node.def.name, params });
        return out;
      }
      case 'compose': {
        let cur = x;
        for (const c of node.steps) cur = this.#runNode(c, cur, ctx, rng, chain);
        return cur;
      }
      case 'one_of': {
        const u = r.next();
        let k = 0;
        while (k < node.cum.length - 1 && u >= node.cum[k]!) k++;
        return this.#runNode(node.steps[k]!, x, ctx, rng, chain);
      }
      case 'some_of': {
        // n distinct children chosen uniformly, applied in their listed order.
        let need = node.n;
        let cur = x;
        const m = node.steps.length;
        for (let i = 0; i < m && need > 0; i++) {
          if (r.next() * (m - i) < need) {
            need--;
            cur = this.#runNode(node.steps[i]!, cur, ctx, rng, chain);
          }
        }
        return cur;
      }
      case 'by_length':
        return this.#runNode(this.family.spec.length!.of(x) <= node.threshold ? node.short : node.long, x, ctx, rng, chain);
    }
  }
}

// ------------------------------------------------------------------ the sequence pipeline

/** A validated, runnable sequence pipeline with its fitted resources. Build with pipelineFrom* / buildPipeline. */
export class Pipeline extends FamilyPipeline<Int32Array, AugmentContext> {
  declare readonly spec: PipelineSpec;
  #bound: { train: TrainView; similarity?: ItemSimilarity; attributes?: ItemAttributes; generators?: BoundGenerators } | undefined;

  constructor(spec: unknown, opts: PipelineSourceOptions = {}) {
    super(sequenceFamily, spec, opts);
  }

  /** Fitted resources the steps need, with the steps that need them. */
  override requirements(): Map<AugmentResource, string[]> {
    // Sequence operators declare AugmentResource names only.
    return super.requirements() as Map<AugmentResource, string[]>;
  }

  /** Steps that can emit the reserved mask token numItems+1. */
  maskSteps(): string[] {
    return this.operatorSteps()
      .filter((n) => n.def.emitsMask?.(n.config))
      .map((n) => n.label);
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
    return this.augment(seq, ctx, rng).map((r) => ({ items: r.output, chain: r.chain }));
  }

  override toJSON(): PipelineSpec {
    return this.spec;
  }
}

function onlyKeys(obj: Record<string, unknown>, allowed: string[], label: string, err: SpecError): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw err(label, `unknown key '${k}'; expected ${allowed.map((a) => `'${a}'`).join(', ')}`, k);
}

function parseResources(v: unknown, err: SpecError): ResourcesSpec {
  if (!isPlainObject(v)) throw err('pipeline', `'resources' must be an object, got ${JSON.stringify(v)}`, 'resources');
  onlyKeys(v, ['similarity', 'attributes', 'generators'], 'pipeline resources', err);
  const out: ResourcesSpec = {};
  if (v.similarity !== undefined) {
    const s = v.similarity;
    if (!isPlainObject(s)) throw err('pipeline resources', `'similarity' must be an object {kind, topK}, got ${JSON.stringify(s)}`, 'similarity');
    onlyKeys(s, ['kind', 'topK', 'model'], 'pipeline resources.similarity', err);
    if (s.kind !== 'itemcf-iuf' && s.kind !== 'attribute-jaccard' && s.kind !== 'model-embedding')
      throw err('pipeline resources.similarity', `'kind' must be one of: itemcf-iuf, attribute-jaccard, model-embedding, got ${JSON.stringify(s.kind)}`, 'kind');
    const topK = s.topK ?? 20;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) throw err('pipeline resources.similarity', `'topK' must be an integer ≥ 1, got ${JSON.stringify(topK)}`, 'topK');
    if (s.kind === 'model-embedding') out.similarity = { kind: s.kind, topK, model: parseGeneratorSpec(s.model ?? null, err, 'pipeline resources.similarity.model') };
    else if (s.model !== undefined) throw err('pipeline resources.similarity', `'model' applies only to kind 'model-embedding' (kind is '${s.kind}')`, 'model');
    else out.similarity = { kind: s.kind, topK };
  }
  if (v.attributes !== undefined) {
    if (typeof v.attributes !== 'string' || v.attributes === '') throw err('pipeline resources', `'attributes' must be a file path, got ${JSON.stringify(v.attributes)}`, 'attributes');
    out.attributes = v.attributes;
  }
  if (v.generators !== undefined) {
    const g = v.generators;
    if (!isPlainObject(g)) throw err('pipeline resources', `'generators' must be an object {forward?, reverse?}, got ${JSON.stringify(g)}`, 'generators');
    onlyKeys(g, ['forward', 'reverse'], 'pipeline resources.generators', err);
    const gens: NonNullable<ResourcesSpec['generators']> = {};
    for (const dir of ['forward', 'reverse'] as const) if (g[dir] !== undefined) gens[dir] = parseGeneratorSpec(g[dir], err, `pipeline resources.generators.${dir}`);
    out.generators = gens;
  }
  if (out.similarity?.kind === 'attribute-jaccard' && out.attributes === undefined) throw err('pipeline resources.similarity', "kind 'attribute-jaccard' needs 'resources.attributes'", 'attributes');
  return out;
}

function parseGeneratorSpec(v: unknown, err: SpecError, label: string): GeneratorResourceSpec {
  if (v === null) v = {};
  if (!isPlainObject(v)) throw err(label, `must be an object {model, epochs, seed, config, trainer}, got ${JSON.stringify(v)}`);
  onlyKeys(v, ['model', 'epochs', 'seed', 'config', 'trainer'], label, err);
  const model = v.model ?? 'sasrec';
  if (model === DOWNSTREAM) throw err(label, "'model: downstream' stands for an experiment's model and is resolved only when `samplify experiment` loads the pipeline", 'model');
  if (model !== 'sasrec' && model !== 'gru4rec') throw err(label, `'model' must be one of: sasrec, gru4rec, got ${JSON.stringify(model)}`, 'model');
  const epochs = v.epochs ?? 20;
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs < 1) throw err(label, `'epochs' must be an integer ≥ 1, got ${JSON.stringify(epochs)}`, 'epochs');
  const seed = v.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0) throw err(label, `'seed' must be an integer ≥ 0, got ${JSON.stringify(seed)}`, 'seed');
  if (v.config !== undefined && !isPlainObject(v.config)) throw err(label, `'config' must be an object of network hyper-parameters, got ${JSON.stringify(v.config)}`, 'config');
  if (v.trainer !== undefined && !isPlainObject(v.trainer)) throw err(label, `'trainer' must be an object of trainer settings, got ${JSON.stringify(v.trainer)}`, 'trainer');
  return { model, epochs, seed, config: { loss: 'ce', ...(v.config as Record<string, unknown> | undefined) }, ...(v.trainer !== undefined ? { trainer: { ...(v.trainer as Record<string, unknown>) } } : {}) };
}


/** Re-applies a recorded sequence chain: the same input and chain give the same output, no rng involved. */
export function replayChain(seq: Int32Array, chain: readonly ChainEntry[], ctx: AugmentContext): Int32Array {
  return sequenceFamily.replay(seq, chain, ctx);
}

// ------------------------------------------------------------------ (de)serialisation

/** Options of the spec readers: `family` picks the family (default: sequence, giving a `Pipeline`). */
export interface FamilyOption<X, Ctx> {
  family: AugmenterFamily<X, Ctx>;
}

/** A sequence pipeline from a spec object; with `{family}`, a pipeline of that family. */
export function buildPipeline(spec: unknown, opts?: PipelineSourceOptions): Pipeline;
export function buildPipeline<X, Ctx>(spec: unknown, opts: PipelineSourceOptions & FamilyOption<X, Ctx>): FamilyPipeline<X, Ctx>;
export function buildPipeline<X, Ctx>(spec: unknown, opts: PipelineSourceOptions & Partial<FamilyOption<X, Ctx>> = {}): FamilyPipeline<X, Ctx> | Pipeline {
  const { family, ...rest } = opts;
  return family ? family.pipeline(spec, rest) : new Pipeline(spec, rest);
}

/** A pipeline of whichever family the spec names (`family:`, default sequence), type-erased. */
export function buildAnyPipeline(spec: unknown, opts: PipelineSourceOptions = {}): FamilyPipeline<unknown, unknown> {
  const named = isPlainObject(spec) && typeof spec.family === 'string' && families.has(spec.family) ? spec.family : 'sequence';
  return families.get(named).pipeline(spec, opts);
}

function parseJsonSpec(text: string, file: string | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`pipeline is not valid JSON (${(e as Error).message})`, file !== undefined ? { file } : {});
  }
}

function parseYamlSpec(text: string, file: string | undefined): unknown {
  try {
    return yamlParse(text);
  } catch (e) {
    const pos = (e as { linePos?: { line: number }[] }).linePos?.[0];
    const msg = ((e as Error).message ?? String(e)).split('\n')[0];
    throw new ConfigError(`pipeline is not valid YAML (${msg})`, { ...(file !== undefined ? { file } : {}), ...(pos ? { line: pos.line } : {}) });
  }
}

export function pipelineFromJson(text: string, opts?: PipelineSourceOptions): Pipeline;
export function pipelineFromJson<X, Ctx>(text: string, opts: PipelineSourceOptions & FamilyOption<X, Ctx>): FamilyPipeline<X, Ctx>;
export function pipelineFromJson<X, Ctx>(text: string, opts: PipelineSourceOptions & Partial<FamilyOption<X, Ctx>> = {}): FamilyPipeline<X, Ctx> | Pipeline {
  const spec = parseJsonSpec(text, opts.file);
  return opts.family ? buildPipeline(spec, { ...opts, family: opts.family }) : buildPipeline(spec, opts);
}

export function pipelineFromYaml(text: string, opts?: PipelineSourceOptions): Pipeline;
export function pipelineFromYaml<X, Ctx>(text: string, opts: PipelineSourceOptions & FamilyOption<X, Ctx>): FamilyPipeline<X, Ctx>;
export function pipelineFromYaml<X, Ctx>(text: string, opts: PipelineSourceOptions & Partial<FamilyOption<X, Ctx>> = {}): FamilyPipeline<X, Ctx> | Pipeline {
  const spec = parseYamlSpec(text, opts.file);
  return opts.family ? buildPipeline(spec, { ...opts, family: opts.family }) : buildPipeline(spec, opts);
}

/** Canonical JSON (2-space indent, trailing newline): equal pipelines give equal bytes. */
export function pipelineToJson(p: { readonly spec: PipelineSpec<unknown> }): string {
  return JSON.stringify(p.spec, null, 2) + '\n';
}

export function pipelineToYaml(p: { readonly spec: PipelineSpec<unknown> }): string {
  return yamlStringify(p.spec, { lineWidth: 0 });
}

export interface LoadPipelineOptions {
  /** Folder that relative paths (the pipeline file, attribute files of inline specs) are resolved against. Default: cwd. */
  baseDir?: string;
  /** The model a generator declared as `model: downstream` stands for (an experiment's own model). */
  downstream?: DownstreamModel;
  /** Fit the declared resources on this training view (see Pipeline.bind). */
  train?: TrainView;
  /** The dataset (its itemIds map an attribute file onto dense ids). */
  dataset?: { readonly itemIds: readonly string[] };
}

/** Reads a pipeline file (.json as JSON, anything else as YAML) into a spec object; a missing file is a ConfigError. */
export function readPipelineFile(source: string, baseDir = process.cwd()): unknown {
  const path = resolve(baseDir, source);
  let text: string;
  try {
    text = readFileSync(path, 'utf-8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? 'pipeline file not found' : `cannot read pipeline file (${code})`, { file: source });
  }
  return path.endsWith('.json') ? parseJsonSpec(text, source) : parseYamlSpec(text, source);
}

/** The name a pipeline's generator uses for the experiment's own model (see withDownstreamModel). */
const DOWNSTREAM = 'downstream';

/** An experiment's model as a pipeline generator takes it over: network name, its config, trainer overrides. */
export interface DownstreamModel {
  readonly model: string;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly trainer?: Readonly<Record<string, unknown>>;
}

/**
 * A raw pipeline spec whose generators declared as `{ model: downstream, epochs, seed }` carry the
 * experiment's model (name, config, trainer) instead. Such a generator is then, epoch for epoch, the
 * start of the baseline's run with that seed, so the experiment takes it from that run rather than
 * training it again — whatever the model, loss or catalogue-size settings are (a sampled softmax on
 * a large catalogue included), with no second pipeline file to keep in step. A `downstream`
 * generator gets its config and trainer only from the experiment, so declaring either is an error.
 */
export function withDownstreamModel(raw: unknown, downstream: DownstreamModel, file?: string): unknown {
  if (!isPlainObject(raw) || !isPlainObject(raw.resources)) return raw;
  const resolveModel = (m: unknown, field: string): unknown => {
    if (!isPlainObject(m) || m.model !== DOWNSTREAM) return m;
    for (const key of ['config', 'trainer'] as const) {
      if (m[key] !== undefined) throw new ConfigError(`a 'model: downstream' generator takes its ${key} from the experiment's model; remove '${key}'`, { ...(file !== undefined ? { file } : {}), field: `${field}.${key}` });
    }
    // No trainer overrides is no `trainer` key, as a generator written out by hand would have it:
    // the pipeline (and so every run fingerprint that records it) is the same either way.
    const trainer = downstream.trainer !== undefined && Object.keys(downstream.trainer).length > 0 ? { trainer: { ...downstream.trainer } } : {};
    return { ...m, model: downstream.model, config: { ...downstream.config }, ...trainer };
  };
  const resources: Record<string, unknown> = { ...raw.resources };
  if (isPlainObject(resources.similarity)) resources.similarity = { ...resources.similarity, model: resolveModel(resources.similarity.model, 'resources.similarity.model') };
  if (isPlainObject(resources.generators)) {
    const gens: Record<string, unknown> = { ...resources.generators };
    for (const dir of ['forward', 'reverse'] as const) if (gens[dir] !== undefined) gens[dir] = resolveModel(gens[dir], `resources.generators.${dir}`);
    resources.generators = gens;
  }
  return { ...raw, resources };
}

/** A pipeline of `family` from a file path (see readPipelineFile) or an inline spec object. */
export function loadFamilyPipeline<X, Ctx>(source: string | object, family: AugmenterFamily<X, Ctx>, opts: { baseDir?: string } = {}): FamilyPipeline<X, Ctx> {
  return typeof source === 'string' ? family.pipeline(readPipelineFile(source, opts.baseDir), { file: source }) : family.pipeline(source);
}

/**
 * A sequence pipeline from a file path (.json as JSON, anything else as YAML) or an inline spec object.
 * With `train`, the resources the spec declares are fitted on it and bound to the pipeline.
 */
export function loadPipeline(source: string | object, opts: LoadPipelineOptions = {}): Pipeline {
  const base = opts.baseDir ?? process.cwd();
  const file = typeof source === 'string' ? source : undefined;
  const raw = file !== undefined ? readPipelineFile(file, base) : source;
  const spec = opts.downstream ? withDownstreamModel(raw, opts.downstream, file) : raw;
  const p = new Pipeline(spec, file !== undefined ? { file } : {});
  const dir = typeof source === 'string' ? dirname(resolve(base, source)) : base;
  if (opts.train) {
    const attr = p.spec.resources?.attributes;
    p.bind(opts.train, { ...(opts.dataset ? { itemIds: opts.dataset.itemIds } : {}), ...(attr !== undefined ? { attributesPath: resolve(dir, attr) } : {}) });
  }
  return p;
}
