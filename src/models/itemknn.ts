import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ModelStateError, writeJsonAtomic } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';
import type { FitOptions, FitReport, Recommender } from './types.ts';

export interface ItemKnnConfig {
  /** Neighbours kept per item (the rest of the similarity row is dropped). */
  readonly neighbors: number;
  /** Co-occurrence window inside a user's training sequence; 0 = the whole sequence. */
  readonly window: number;
  /** Shrinkage added to the cosine denominator; damps similarities built on one or two users. */
  readonly shrink: number;
  /** Only the last `historyLength` items of a history vote (0 = all); recent items matter more in sessions. */
  readonly historyLength: number;
  /** Vote weight decays by this factor per step back in the history (1 = no decay). */
  readonly recencyDecay: number;
}

export const DEFAULT_ITEMKNN: ItemKnnConfig = { neighbors: 100, window: 0, shrink: 10, historyLength: 0, recencyDecay: 1 };

/** ItemKNN's parameters: strict (an unknown key is a ConfigError at config parse time). */
export const itemKnnConfigSchema = z
  .object({
    neighbors: z.number().int().min(1, { error: 'neighbors must be >= 1' }).default(DEFAULT_ITEMKNN.neighbors),
    window: z.number().int().min(0).default(DEFAULT_ITEMKNN.window),
    shrink: z.number().min(0).default(DEFAULT_ITEMKNN.shrink),
    historyLength: z.number().int().min(0).default(DEFAULT_ITEMKNN.historyLength),
    recencyDecay: z.number().positive().default(DEFAULT_ITEMKNN.recencyDecay),
  })
  .strict();

/**
 * Item-based collaborative filtering from co-occurrence in training sequences, cosine-normalised:
 * sim(i, j) = c(i, j) / (sqrt(n_i · n_j) + shrink). A history's score for item j is the sum of
 * sim(h, j) over its items h, optionally recency-weighted.
 */
export class ItemKnnRecommender implements Recommender {
  readonly name = 'itemknn';
  readonly refitBeforeTest = true;
  readonly config: ItemKnnConfig;
  private numItems = 0;
  private neighborIds: Int32Array[] = [];
  private neighborSims: Float32Array[] = [];

  constructor(config: Partial<ItemKnnConfig> = {}) {
    this.config = { ...DEFAULT_ITEMKNN, ...config };
    if (!(this.config.neighbors >= 1)) throw new ConfigError('neighbors must be >= 1', { field: 'neighbors' });
  }

  async fit(train: TrainView, _options: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    const n = train.numItems;
    const itemCount = new Float64Array(n + 1);
    const cooc: Map<number, number>[] = Array.from({ length: n + 1 }, () => new Map());
    const { window } = this.config;
    for (const u of train.users()) {
      const seq = train.sequence(u);
      // Count each item once per user so a repeated click does not inflate its similarities.
      const seen = new Set<number>();
      for (const item of seq) if (!seen.has(item)) { seen.add(item); itemCount[item]! += 1; }
      for (let a = 0; a < seq.length; a++) {
        const end = window > 0 ? Math.min(seq.length, a + window + 1) : seq.length;
        for (let b = a + 1; b < end; b++) {
          const i = seq[a]!, j = seq[b]!;
          if (i === j) continue;
          const ri = cooc[i]!, rj = cooc[j]!;
          ri.set(j, (ri.get(j) ?? 0) + 1);
          rj.set(i, (rj.get(i) ?? 0) + 1);
        }
      }
    }
    this.numItems = n;
    this.neighborIds = new Array(n + 1);
    this.neighborSims = new Array(n + 1);
    for (let i = 0; i <= n; i++) {
      const row = cooc[i]!;
      const entries: [number, number][] = [];
      for (const [j, c] of row) entries.push([j, c / (Math.sqrt(itemCount[i]! * itemCount[j]!) + this.config.shrink)]);
      // Sort by similarity, then id, so equal similarities keep a reproducible order.
      entries.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
      const top = entries.slice(0, this.config.neighbors);
      this.neighborIds[i] = Int32Array.from(top, (e) => e[0]);
      this.neighborSims[i] = Float32Array.from(top, (e) => e[1]);
    }
    return { epochs: [], bestEpoch: 0, seconds: (performance.now() - t0) / 1000, resumed: false };
  }

  scoreAll(histories: readonly Int32Array[]): Float32Array {
    if (this.neighborIds.length === 0) throw new ModelStateError('itemknn model used before fit() or load()');
    const width = this.numItems + 1;
    const out = new Float32Array(histories.length * width);
    const { historyLength, recencyDecay } = this.config;
    for (let r = 0; r < histories.length; r++) {
      const h = histories[r]!;
      const row = out.subarray(r * width, (r + 1) * width);
      const from = historyLength > 0 ? Math.max(0, h.length - historyLength) : 0;
      let w = 1;
      for (let p = h.length - 1; p >= from; p--) {
        const item = h[p]!;
        if (item > 0 && item <= this.numItems) {
          const ids = this.neighborIds[item]!, sims = this.neighborSims[item]!;
          for (let q = 0; q < ids.length; q++) row[ids[q]!]! += w * sims[q]!;
        }
        w *= recencyDecay;
      }
      row[0] = Number.NEGATIVE_INFINITY;
    }
    return out;
  }

  save(dir: string): void {
    if (this.neighborIds.length === 0) throw new ModelStateError('itemknn model saved before fit()');
    // Neighbour lists as base64 typed arrays: exact float32 round trip, ~8x smaller than JSON numbers.
    const offsets = new Int32Array(this.neighborIds.length + 1);
    this.neighborIds.forEach((ids, i) => (offsets[i + 1] = offsets[i]! + ids.length));
    const ids = new Int32Array(offsets[offsets.length - 1]!);
    const sims = new Float32Array(ids.length);
    this.neighborIds.forEach((row, i) => { ids.set(row, offsets[i]!); sims.set(this.neighborSims[i]!, offsets[i]!); });
    const b64 = (a: Int32Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    writeJsonAtomic(join(dir, 'model.json'), { kind: this.name, config: this.config, numItems: this.numItems, offsets: b64(offsets), ids: b64(ids), sims: b64(sims) });
  }

  load(dir: string): void {
    const file = join(dir, 'model.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { kind?: string; numItems: number; offsets: string; ids: string; sims: string };
    if (saved.kind !== this.name) throw new ModelStateError('not a saved itemknn model', { file });
    const bytes = (s: string) => { const b = Buffer.from(s, 'base64'); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
    const offsets = new Int32Array(bytes(saved.offsets));
    const ids = new Int32Array(bytes(saved.ids));
    const sims = new Float32Array(bytes(saved.sims));
    this.numItems = saved.numItems;
    this.neighborIds = [];
    this.neighborSims = [];
    for (let i = 0; i + 1 < offsets.length; i++) {
      this.neighborIds.push(ids.slice(offsets[i]!, offsets[i + 1]!));
      this.neighborSims.push(sims.slice(offsets[i]!, offsets[i + 1]!));
    }
  }
}
