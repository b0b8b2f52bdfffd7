/**
 * The attribute-popularity heuristic: a recommender that knows items only through their attributes,
 * so it scores an item that never occurred in training (a cold item) as well as any other.
 *
 *   est(a)  = (Σ_{known items i with a} count(i) + m·μ) / (#known items with a + m)
 *             — the expected training interactions of an item carrying attribute a, shrunk
 *             towards μ (the mean count of known items) with strength m = `smoothing`;
 *   prior(i) = ln( mean_{a ∈ A(i)} est(a) )            (ln μ for an item without attributes);
 *   score(i | history) = prior(i) + affinity · Σ_{a ∈ A(i), a seen in history} idf(a) / Σ_{a ∈ A(i)} idf(a).
 *
 * "Known" items are those with at least one training interaction; items without any (cold ones)
 * do not pull their attributes' estimate towards 0. With affinity 0 the ranking is the same for
 * everyone (Popularity by attributes); affinity > 0 prefers items whose attributes (brand,
 * category) the user has interacted with, weighted by how distinctive each attribute is.
 *
 * `BlendedRecommender` adds models' per-user standardised scores with weights: the hybrid of a
 * trained model (which knows warm items) and this heuristic (which knows cold items too).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ModelStateError, writeJsonAtomic } from '../core/index.ts';
import { itemPopularity, type ItemAttributeSets, type TrainView } from '../data/index.ts';
import type { FitOptions, FitReport, Recommender } from './types.ts';

export interface AttributePopularityConfig {
  /** Pseudo-items at the global mean added to every attribute's estimate (m). Default 5. */
  readonly smoothing: number;
  /** Weight of the user's attribute affinity (0: same ranking for everyone). Default 0. */
  readonly affinity: number;
}

export const DEFAULT_ATTRIBUTE_POPULARITY: AttributePopularityConfig = { smoothing: 5, affinity: 0 };

export class AttributePopularityRecommender implements Recommender {
  readonly name = 'attribute-popularity';
  /** Nothing is selected on validation inside fit, so it may count validation interactions for test, like Popularity. */
  readonly refitBeforeTest = true;
  readonly config: AttributePopularityConfig;
  readonly #attrs: ItemAttributeSets;
  #prior: Float32Array | null = null;
  /** idf(a) / Σ_{a' ∈ A(i)} idf(a'), per (item, attribute) entry of the attribute table. */
  readonly #affinityWeight: Float32Array;
  /** Items carrying each attribute: itemsOf[attrOffsets[a] .. attrOffsets[a+1]), with entry index into `values`. */
  readonly #attrOffsets: Int32Array;
  readonly #attrItems: Int32Array;
  readonly #attrEntry: Int32Array;

  constructor(attributes: ItemAttributeSets, config: Partial<AttributePopularityConfig> = {}) {
    this.config = { ...DEFAULT_ATTRIBUTE_POPULARITY, ...config };
    if (!(this.config.smoothing >= 0) || !Number.isFinite(this.config.smoothing)) throw new ConfigError(`attribute-popularity: smoothing must be a finite number >= 0, got ${this.config.smoothing}`, { field: 'smoothing' });
    if (!Number.isFinite(this.config.affinity)) throw new ConfigError(`attribute-popularity: affinity must be a finite number, got ${this.config.affinity}`, { field: 'affinity' });
    this.#attrs = attributes;
    const { numItems, numAttributes, offsets, values } = attributes;
    const df = new Float64Array(numAttributes);
    let withAttrs = 0;
    for (let i = 1; i <= numItems; i++) {
      if (offsets[i + 1]! > offsets[i]!) withAttrs++;
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) df[values[k]!]!++;
    }
    const idf = df.map((d) => 1 + Math.log((1 + withAttrs) / (1 + d)));
    this.#affinityWeight = new Float32Array(values.length);
    for (let i = 1; i <= numItems; i++) {
      let norm = 0;
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) norm += idf[values[k]!]!;
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) this.#affinityWeight[k] = idf[values[k]!]! / norm;
    }
    this.#attrOffsets = new Int32Array(numAttributes + 1);
    for (let a = 0; a < numAttributes; a++) this.#attrOffsets[a + 1] = this.#attrOffsets[a]! + df[a]!;
    this.#attrItems = new Int32Array(values.length);
    this.#attrEntry = new Int32Array(values.length);
    const fill = this.#attrOffsets.slice(0, numAttributes);
    for (let i = 1; i <= numItems; i++)
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) {
        const a = values[k]!;
        this.#attrItems[fill[a]!] = i;
        this.#attrEntry[fill[a]!++] = k;
      }
  }

  async fit(train: TrainView, _options: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    const { numItems, numAttributes, offsets, values } = this.#attrs;
    if (train.numItems !== numItems) throw new ConfigError(`attribute-popularity: attributes cover ${numItems} items, the training view ${train.numItems}`, { field: 'attributes' });
    const counts = itemPopularity(train);
    const sum = new Float64Array(numAttributes);
    const known = new Float64Array(numAttributes);
    let total = 0;
    let knownItems = 0;
    for (let i = 1; i <= numItems; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      total += c;
      knownItems++;
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) (sum[values[k]!]! += c), known[values[k]!]!++;
    }
    const mu = knownItems ? total / knownItems : 1;
    const m = this.config.smoothing;
    const est = new Float64Array(numAttributes);
    for (let a = 0; a < numAttributes; a++) est[a] = known[a]! + m > 0 ? (sum[a]! + m * mu) / (known[a]! + m) : mu;
    const prior = new Float32Array(numItems + 1);
    prior[0] = Number.NEGATIVE_INFINITY;
    for (let i = 1; i <= numItems; i++) {
      const n = offsets[i + 1]! - offsets[i]!;
      let s = 0;
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) s += est[values[k]!]!;
      prior[i] = Math.log(Math.max(n > 0 ? s / n : mu, 1e-12));
    }
    this.#prior = prior;
    return { epochs: [], bestEpoch: 0, seconds: (performance.now() - t0) / 1000, resumed: false };
  }

  scoreAll(histories: readonly Int32Array[]): Float32Array {
    const prior = this.#requirePrior();
    const width = prior.length;
    const out = new Float32Array(histories.length * width);
    const { offsets, values } = this.#attrs;
    const beta = this.config.affinity;
    const seenAttr = new Uint8Array(this.#attrs.numAttributes);
    for (let h = 0; h < histories.length; h++) {
      const row = out.subarray(h * width, (h + 1) * width);
      row.set(prior);
      if (beta === 0) continue;
      const touched: number[] = [];
      for (const item of histories[h]!) {
        if (item < 1 || item >= width) continue;
        for (let k = offsets[item]!; k < offsets[item + 1]!; k++) {
          const a = values[k]!;
          if (!seenAttr[a]) (seenAttr[a] = 1), touched.push(a);
        }
      }
      for (const a of touched) {
        for (let p = this.#attrOffsets[a]!; p < this.#attrOffsets[a + 1]!; p++) row[this.#attrItems[p]!]! += beta * this.#affinityWeight[this.#attrEntry[p]!]!;
        seenAttr[a] = 0;
      }
    }
    return out;
  }

  save(dir: string): void {
    writeJsonAtomic(join(dir, 'model.json'), { kind: this.name, config: this.config, prior: Array.from(this.#requirePrior().subarray(1)) });
  }

  load(dir: string): void {
    const file = join(dir, 'model.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { kind?: string; prior?: number[] };
    if (saved.kind !== this.name || !Array.isArray(saved.prior) || saved.prior.length !== this.#attrs.numItems) throw new ModelStateError(`not a saved attribute-popularity model for ${this.#attrs.numItems} items`, { file });
    this.#prior = Float32Array.from([Number.NEGATIVE_INFINITY, ...saved.prior]);
  }

  #requirePrior(): Float32Array {
    if (!this.#prior) throw new ModelStateError('attribute-popularity model used before fit() or load()');
    return this.#prior;
  }
}

export interface BlendPart {
  readonly model: Recommender;
  readonly weight: number;
}

/**
 * Σ weight · standardise(scores of model) per history, where standardise maps the finite scores of
 * items 1..numItems to mean 0 and standard deviation 1 (so models on different scales add up).
 * `fit` fits every part; when the parts are already fitted, only scoreAll is needed.
 */
export class BlendedRecommender implements Recommender {
  readonly name: string;
  readonly refitBeforeTest: boolean;
  readonly parts: readonly BlendPart[];

  constructor(parts: readonly BlendPart[]) {
    if (parts.length === 0) throw new ConfigError('a blend needs at least one model', { field: 'parts' });
    for (const p of parts) if (!Number.isFinite(p.weight)) throw new ConfigError(`blend weight of ${p.model.name} must be finite, got ${p.weight}`, { field: 'weight' });
    this.parts = parts;
    this.name = `blend(${parts.map((p) => `${p.model.name}×${p.weight}`).join(' + ')})`;
    this.refitBeforeTest = parts.every((p) => p.model.refitBeforeTest);
  }

  async fit(train: TrainView, options: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    for (const p of this.parts) await p.model.fit(train, options);
    return { epochs: [], bestEpoch: 0, seconds: (performance.now() - t0) / 1000, resumed: false };
  }

  scoreAll(histories: readonly Int32Array[]): Float32Array {
    let out: Float32Array | null = null;
    for (const part of this.parts) {
      if (part.weight === 0) continue;
      const s = part.model.scoreAll(histories);
      const width = s.length / Math.max(1, histories.length);
      out ??= new Float32Array(s.length);
      if (out.length !== s.length) throw new ConfigError(`blend: ${part.model.name} returned ${s.length} scores, an earlier part ${out.length}`);
      for (let h = 0; h < histories.length; h++) {
        const row = s.subarray(h * width, (h + 1) * width);
        let n = 0, mean = 0, m2 = 0;
        for (let i = 1; i < width; i++) {
          const x = row[i]!;
          if (!Number.isFinite(x)) continue;
          n++;
          const d = x - mean;
          mean += d / n;
          m2 += d * (x - mean);
        }
        const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 1;
        const scale = part.weight / (sd > 0 ? sd : 1);
        const o = h * width;
        for (let i = 1; i < width; i++) {
          const x = row[i]!;
          out[o + i]! += Number.isFinite(x) ? (x - mean) * scale : x === Number.NEGATIVE_INFINITY ? Number.NEGATIVE_INFINITY : 0;
        }
      }
    }
    if (!out) throw new ConfigError('blend: every weight is 0');
    for (let h = 0; h < histories.length; h++) out[h * (out.length / histories.length)] = Number.NEGATIVE_INFINITY;
    return out;
  }

  save(dir: string): void {
    this.parts.forEach((p, k) => p.model.save(join(dir, `part${k}`)));
    writeJsonAtomic(join(dir, 'model.json'), { kind: 'blend', parts: this.parts.map((p) => ({ name: p.model.name, weight: p.weight })) });
  }

  load(dir: string): void {
    this.parts.forEach((p, k) => p.model.load(join(dir, `part${k}`)));
  }
}

/**
 * "The model for items it knows, the heuristic for items it does not": items with training
 * interactions keep the base model's score; an item without any (a cold item, whose embedding the
 * base model never trained except as a negative) gets the fallback's score placed on the base
 * model's scale, mean_known + sd_known · (z_fallback(i) + shift), per history. `shift` decides how
 * far up cold items may come (chosen on validation-cold); the ranking among known items never
 * changes, so any cost on warm items is only cold items taking their places.
 */
export class ColdItemFallbackRecommender implements Recommender {
  readonly name: string;
  readonly refitBeforeTest = false;
  #known: Uint8Array | null = null;

  constructor(
    readonly base: Recommender,
    readonly fallback: Recommender,
    readonly shift: number,
  ) {
    if (!Number.isFinite(shift)) throw new ConfigError(`cold-item fallback: shift must be finite, got ${shift}`, { field: 'shift' });
    this.name = `${base.name}+${fallback.name}@cold`;
  }

  /** Fits both parts on `train` and records which items it holds. */
  async fit(train: TrainView, options: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    await this.base.fit(train, options);
    await this.fallback.fit(train, options);
    this.useKnownItemsOf(train);
    return { epochs: [], bestEpoch: 0, seconds: (performance.now() - t0) / 1000, resumed: false };
  }

  /** For parts fitted elsewhere on `train`: records its items as the known ones. */
  useKnownItemsOf(train: TrainView): this {
    const counts = itemPopularity(train);
    this.#known = Uint8Array.from(counts, (c) => (c > 0 ? 1 : 0));
    return this;
  }

  scoreAll(histories: readonly Int32Array[]): Float32Array {
    const known = this.#known;
    if (!known) throw new ModelStateError('cold-item fallback used before fit() or useKnownItemsOf()');
    const out = this.base.scoreAll(histories);
    const fb = this.fallback.scoreAll(histories);
    const width = known.length;
    if (out.length !== histories.length * width || fb.length !== out.length) throw new ConfigError(`cold-item fallback: parts returned ${out.length} and ${fb.length} scores for ${histories.length} histories × ${width}`);
    for (let h = 0; h < histories.length; h++) {
      const o = h * width;
      const bm = moments(out, o, width, known, 1);
      const fm = moments(fb, o, width, null, 0);
      for (let i = 1; i < width; i++) {
        if (known[i]) continue;
        const z = Number.isFinite(fb[o + i]!) ? (fb[o + i]! - fm.mean) / fm.sd : -1e9;
        out[o + i] = bm.mean + bm.sd * (z + this.shift);
      }
    }
    return out;
  }

  save(dir: string): void {
    this.base.save(join(dir, 'base'));
    this.fallback.save(join(dir, 'fallback'));
    writeJsonAtomic(join(dir, 'model.json'), { kind: 'cold-item-fallback', shift: this.shift, known: Array.from(this.#known ?? []) });
  }

  load(dir: string): void {
    this.base.load(join(dir, 'base'));
    this.fallback.load(join(dir, 'fallback'));
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { known?: number[] };
    if (!Array.isArray(saved.known)) throw new ModelStateError('not a saved cold-item fallback model', { file: join(dir, 'model.json') });
    this.#known = Uint8Array.from(saved.known);
  }
}

/** Mean and sample sd of the finite scores row[1..width) (only where mask[i] === want when a mask is given). */
function moments(s: Float32Array, o: number, width: number, mask: Uint8Array | null, want: number): { mean: number; sd: number } {
  let n = 0, mean = 0, m2 = 0;
  for (let i = 1; i < width; i++) {
    if (mask && mask[i] !== want) continue;
    const x = s[o + i]!;
    if (!Number.isFinite(x)) continue;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 1;
  return { mean, sd: sd > 0 ? sd : 1 };
}
