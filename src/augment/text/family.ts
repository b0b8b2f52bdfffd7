/**
 * The text family: its registration with the shared pipeline mechanism, the text pipeline (label
 * rule, resource checks, fitting declared resources) and the helpers that augment query groups.
 *
 * Label rule: augmenting a judged query keeps its products and graded labels only when the
 * operators keep its meaning. Every text operator declares `labelPreserving(config)`; a pipeline
 * used on positive judged pairs (the default of augmentQueryGroups) refuses, before any work, a
 * step that may change the meaning (ConfigError naming the step). With `meaningChanging:
 * 'negatives'` such a step is allowed, and an augmented query whose chain did change the meaning
 * (its params say so, e.g. the head term was dropped) gets every product labelled `negativeLabel`.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { Product, QueryGroup } from '../../data/search/types.ts';
import { normalizeQuery } from '../../data/search/text.ts';
import { defineFamily, FamilyPipeline, readPipelineFile, type AugmenterFamily, type PipelineSourceOptions } from '../pipeline.ts';
import { parseConfig } from '../params.ts';
import type { ChainEntry } from '../types.ts';
import { TEXT_OPERATORS, type TextOperatorDef } from './operators.ts';
import { fitTextResources, type FitTextResourcesOptions, type TextContext, type TextResources } from './resources.ts';
import { splitRaw } from './tokens.ts';
import { dirname, resolve } from 'node:path';

/** Resources a text pipeline file may declare; fitted on training groups by `TextPipeline.fit`. */
export const TextResourcesSpec = z
  .object({
    /** Load WordNet (English synonyms). */
    wordnet: z.boolean({ error: 'must be true or false' }).default(true),
    /** Mine domain synonyms from the training groups. */
    mineSynonyms: z.boolean({ error: 'must be true or false' }).default(true),
    /** A user synonym file (resolved against the pipeline file's folder). */
    synonyms: z.string({ error: 'must be a file path' }).min(1).optional(),
    /** A user brand file. */
    brands: z.string({ error: 'must be a file path' }).min(1).optional(),
    minSupport: z.number({ error: 'must be an integer ≥ 1' }).int().gte(1).default(3),
  })
  .strict();
export type TextResourcesSpec = z.infer<typeof TextResourcesSpec>;

/** A validated text pipeline. Build with `buildTextPipeline` / `loadTextPipeline` (or buildPipeline(spec, {family: textFamily})). */
export class TextPipeline extends FamilyPipeline<string, TextContext> {
  constructor(spec: unknown, opts: PipelineSourceOptions = {}) {
    super(textFamily, spec, opts);
  }

  get resources(): TextResourcesSpec | undefined {
    return this.spec.resources as TextResourcesSpec | undefined;
  }

  /** Labels of the steps that may change the meaning (their labelPreserving(config) is false). */
  meaningChangingSteps(): string[] {
    return this.operatorSteps()
      .filter((s) => !(s.def as TextOperatorDef<unknown, unknown>).labelPreserving(s.config))
      .map((s) => s.label);
  }

  /** Throws a ConfigError naming the first step that may change the meaning. */
  requireLabelPreserving(use = 'augment positive judged pairs'): void {
    const bad = this.meaningChangingSteps();
    if (bad.length)
      throw new ConfigError(`${bad[0]}: may change the query's meaning, so it cannot ${use}; use it for negatives only (meaningChanging: 'negatives') or configure it to keep the head term`, { field: 'op' });
  }

  /** Checks the context has what the steps need (a ConfigError names the first step that cannot run). */
  validate(ctx: TextContext): void {
    for (const [res, steps] of this.requirements()) {
      const ok =
        res === 'domain-synonyms' ? (ctx.domainSynonyms?.size ?? 0) > 0 : res === 'wordnet' ? ctx.wordnet !== undefined : res === 'synonyms' ? (ctx.domainSynonyms?.size ?? 0) > 0 || ctx.wordnet !== undefined : res === 'typos' ? ctx.typos !== undefined : true;
      if (!ok) throw new ConfigError(`${steps[0]}: needs ${RESOURCE_HELP[res] ?? res} in the text context (fitTextResources on the training groups), and none was given`, { field: res });
    }
  }

  /** Fits the declared resources (spec.resources; defaults when none) on the training groups. */
  fit(trainGroups: readonly QueryGroup[], products: ReadonlyMap<string, Product>, opts: { baseDir?: string } & FitTextResourcesOptions = {}): TextResources {
    const r = this.resources ?? TextResourcesSpec.parse({});
    const base = opts.baseDir ?? process.cwd();
    return fitTextResources(trainGroups, products, {
      wordnet: r.wordnet,
      mineSynonyms: r.mineSynonyms,
      minSupport: r.minSupport,
      ...(r.synonyms !== undefined ? { synonymsFile: resolve(base, r.synonyms) } : {}),
      ...(r.brands !== undefined ? { brandsFile: resolve(base, r.brands) } : {}),
      ...opts,
    });
  }

  /** True when applying this recorded chain kept the meaning (no step reports that it changed it). */
  chainKeepsMeaning(chain: readonly ChainEntry[]): boolean {
    return chain.every((e) => {
      const def = textFamily.operator(e.op, 'chain') as TextOperatorDef<unknown, unknown>;
      return !def.changedMeaning?.(e.params);
    });
  }
}

const RESOURCE_HELP: Record<string, string> = {
  'domain-synonyms': 'a domain synonym table (mined or from a file)',
  wordnet: 'WordNet',
  synonyms: 'a synonym source (domain table or WordNet)',
  typos: 'a typo profile measured on training queries',
};

/** Queries and titles as strings; by_length counts tokens (jieba words for Chinese). */
export const textFamily: AugmenterFamily<string, TextContext> = defineFamily<string, TextContext>({
  name: 'text',
  copy: (x) => x,
  length: { of: (x) => splitRaw(x).length, describe: 'texts of ≤ threshold tokens take' },
  checkOutput(label, input, out) {
    // The input itself (an operator that changed nothing) cannot be an empty text made from a non-empty one.
    if (out === input) return;
    // A visible ASCII first character (33–126, never whitespace) means a non-empty trim: skip the two trims.
    const c0 = out.charCodeAt(0);
    if (c0 >= 33 && c0 <= 126) return;
    if (out.trim() === '' && input.trim() !== '') throw new ConfigError(`${label} produced an empty text from ${JSON.stringify(input)}; operators must keep at least one token`, { field: 'op' });
  },
  parseResources: (raw, err) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw err('pipeline', `'resources' must be an object, got ${JSON.stringify(raw)}`, 'resources');
    return parseConfig(TextResourcesSpec, raw, 'pipeline resources') as Record<string, unknown>;
  },
  create: (spec, opts) => new TextPipeline(spec, opts),
});
for (const op of TEXT_OPERATORS) textFamily.register(op as TextOperatorDef<unknown, unknown>);

/** A text pipeline from a spec object (its `family`, when written, must be `text`). */
export function buildTextPipeline(spec: unknown, opts: PipelineSourceOptions = {}): TextPipeline {
  const withFamily = spec !== null && typeof spec === 'object' && !Array.isArray(spec) && !('family' in spec) ? { family: 'text', ...spec } : spec;
  return new TextPipeline(withFamily, opts);
}

/** A text pipeline from a file (.json or YAML) or an inline spec; `baseDir` resolves relative paths. */
export function loadTextPipeline(source: string | object, opts: { baseDir?: string } = {}): { pipeline: TextPipeline; dir: string } {
  const base = opts.baseDir ?? process.cwd();
  if (typeof source !== 'string') return { pipeline: buildTextPipeline(source), dir: base };
  return { pipeline: buildTextPipeline(readPipelineFile(source, base), { file: source }), dir: dirname(resolve(base, source)) };
}

// ------------------------------------------------------------------ running over many texts

/** The rng of view `view` of the text with key `key`: independent of the order texts come in. */
export function textRng(seed: number, key: string, view: number): Rng {
  return new Rng(seed).split(key).split(view);
}

export interface AugmentedText {
  readonly source: string;
  readonly view: number;
  readonly text: string;
  readonly chain: readonly ChainEntry[];
}

/** Augments each text `views` times; deterministic for a seed (each text's rng comes from its index and view). */
export function augmentTexts(texts: readonly string[], pipeline: FamilyPipeline<string, TextContext>, ctx: TextContext, o: { seed: number; views: number }): AugmentedText[] {
  if (pipeline instanceof TextPipeline) pipeline.validate(ctx);
  const out: AugmentedText[] = [];
  texts.forEach((t, i) => {
    for (let v = 0; v < o.views; v++) {
      const r = pipeline.augment(t, ctx, textRng(o.seed, String(i), v))[0]!;
      out.push({ source: t, view: v, text: r.output, chain: r.chain });
    }
  });
  return out;
}

/** One JSON object per line, keys in a fixed order: equal runs give equal bytes. */
export function augmentedTextsToJsonl(rows: readonly AugmentedText[]): string {
  return rows.map((r) => JSON.stringify({ source: r.source, view: r.view, text: r.text, chain: r.chain })).join('\n') + (rows.length ? '\n' : '');
}

export interface AugmentQueryGroupsOptions {
  seed: number;
  /** Augmented copies tried per group. */
  views: number;
  /** The fitted context (fitTextResources on the same training groups). */
  context: TextContext;
  /**
   * 'refuse' (default): a step that may change the meaning is a ConfigError. 'negatives': allowed;
   * an augmented query whose chain changed the meaning gets `negativeLabel` for every product.
   */
  meaningChanging?: 'refuse' | 'negatives';
  /** The label given to meaning-changed queries (required with 'negatives'), e.g. the scale's minimum. */
  negativeLabel?: number;
}

/**
 * New query groups from augmented queries (the originals are not included). An augmented query
 * keeps its group's products and labels when its chain kept the meaning; one that equals its
 * source or an earlier query (after normalizeQuery, the split's grouping key) is skipped. Only for training groups.
 */
export function augmentQueryGroups(groups: readonly QueryGroup[], pipeline: TextPipeline, o: AugmentQueryGroupsOptions): QueryGroup[] {
  const mode = o.meaningChanging ?? 'refuse';
  if (mode === 'refuse') pipeline.requireLabelPreserving();
  else if (o.negativeLabel === undefined || !Number.isFinite(o.negativeLabel))
    throw new ConfigError(`meaningChanging: 'negatives' needs a finite negativeLabel (the label of a query whose meaning changed), got ${o.negativeLabel}`, { field: 'negativeLabel' });
  if (!Number.isInteger(o.views) || o.views < 1) throw new ConfigError(`views must be an integer ≥ 1, got ${o.views}`, { field: 'views' });
  pipeline.validate(o.context);
  const seen = new Set(groups.map((g) => normalizeQuery(g.query)));
  const out: QueryGroup[] = [];
  for (const g of groups) {
    for (let v = 0; v < o.views; v++) {
      const r = pipeline.augment(g.query, o.context, textRng(o.seed, g.key, v))[0]!;
      const key = normalizeQuery(r.output);
      if (key === '' || seen.has(key)) continue;
      seen.add(key);
      const keeps = pipeline.chainKeepsMeaning(r.chain);
      out.push({ query: r.output, key, productIds: g.productIds.slice(), labels: keeps ? g.labels.slice() : new Float64Array(g.labels.length).fill(o.negativeLabel!) });
    }
  }
  return out;
}
