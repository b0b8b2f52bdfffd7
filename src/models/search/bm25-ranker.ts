/**
 * The lexical baseline: BM25 of the query against each product's title, plus (where the catalogue
 * has descriptions) BM25 against the description weighted by `descriptionWeight` — a per-field sum,
 * fitted on the products the training queries reference. Labels are not used at all.
 */
import { z } from 'zod';
import { ModelStateError, parseWithSchema } from '../../core/index.ts';
import type { Product } from '../../data/search/types.ts';
import { BM25_DEFAULTS, Bm25Field, type Bm25FieldState } from './bm25.ts';
import { referencedProducts } from './features.ts';
import { notFitted, saveRankerJson } from './saved.ts';
import { stem, tokenize } from './text.ts';
import type { RankerFitInput, RankerQuery, SearchRanker } from './types.ts';

export const bm25RankerConfigSchema = z
  .object({
    k1: z.number().positive().default(BM25_DEFAULTS.k1),
    b: z.number().min(0).max(1).default(BM25_DEFAULTS.b),
    /** Weight of the description field's BM25 (0 = titles only). */
    descriptionWeight: z.number().min(0).default(0.5),
    /** Light plural stemming of query and product tokens (text.ts). */
    stem: z.boolean().default(true),
  })
  .strict();
export type Bm25RankerConfig = z.infer<typeof bm25RankerConfigSchema>;
export const BM25_RANKER_DEFAULTS: Bm25RankerConfig = bm25RankerConfigSchema.parse({});

interface Bm25RankerState {
  readonly title: Bm25FieldState;
  readonly description: Bm25FieldState | null;
}

export class Bm25Ranker implements SearchRanker {
  readonly name = 'bm25';
  readonly predictsLabels = false;
  readonly config: Bm25RankerConfig;
  private fields: { title: Bm25Field; description: Bm25Field | null } | null = null;

  constructor(config: Partial<Bm25RankerConfig> | Readonly<Record<string, unknown>> = {}) {
    this.config = parseWithSchema(bm25RankerConfigSchema, config, { label: 'bm25 config' });
  }

  private tokens(text: string): string[] {
    const t = tokenize(text);
    return this.config.stem ? t.map(stem) : t;
  }

  async fit(input: RankerFitInput): Promise<void> {
    const params = { k1: this.config.k1, b: this.config.b };
    const catalogue = referencedProducts(input.train, input.products);
    const title = Bm25Field.fit(catalogue.map((p) => this.tokens(p.title)), params);
    const hasDescription = catalogue.some((p) => (p.description ?? '').trim() !== '');
    const description = hasDescription ? Bm25Field.fit(catalogue.map((p) => this.tokens(p.description ?? '')), params) : null;
    this.fields = { title, description };
    input.progress?.line(`bm25: statistics of ${catalogue.length} products (${hasDescription ? 'titles + descriptions' : 'titles'})`);
  }

  score(query: RankerQuery, products: ReadonlyMap<string, Product>): Float64Array {
    const f = this.fields;
    if (!f) throw notFitted(this.name);
    const q = this.tokens(query.query);
    const w = this.config.descriptionWeight;
    return Float64Array.from(query.productIds, (id) => {
      const p = products.get(id);
      if (!p) throw new ModelStateError(`bm25: product '${id}' of query '${query.query}' is not in the catalogue`);
      const t = f.title.score(q, this.tokens(p.title));
      return f.description && w > 0 && p.description ? t + w * f.description.score(q, this.tokens(p.description)) : t;
    });
  }

  save(): string {
    const f = this.fields;
    if (!f) throw notFitted(this.name);
    const state: Bm25RankerState = { title: f.title.state, description: f.description?.state ?? null };
    return saveRankerJson(this.name, this.config, state);
  }

  static restore(config: Readonly<Record<string, unknown>>, state: unknown): Bm25Ranker {
    const r = new Bm25Ranker(config);
    const s = state as Partial<Bm25RankerState>;
    if (!s || !s.title) throw new ModelStateError('bm25: malformed saved state');
    const params = { k1: r.config.k1, b: r.config.b };
    r.fields = { title: Bm25Field.fromState(s.title, params), description: s.description ? Bm25Field.fromState(s.description, params) : null };
    return r;
  }
}
