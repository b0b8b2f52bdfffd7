/**
 * Attribute-conditioned interaction synthesis for cold items (items with no training
 * interactions). The only things read are the training view and the item attributes; a cold
 * item's real interactions are never an input, so whatever the model learns about it comes from
 * its attributes and from the behaviour around warm items that look like it.
 *
 * Method ("neighbour transplant"): for each cold item c
 *   1. its warm neighbours are the warm items (≥ 1 training interaction) sharing an attribute with
 *      it, scored by IDF-weighted Jaccard similarity
 *        sim(c, w) = Σ_{a ∈ A(c) ∩ A(w)} idf(a) / Σ_{a ∈ A(c) ∪ A(w)} idf(a),
 *        idf(a) = 1 + ln((1 + N) / (1 + df(a)))   (N items with attributes, df(a) of them have a),
 *      so a shared brand counts for more than the shared top category everyone has; the top
 *      `neighbors` by similarity are kept (ties: more training interactions first, then lower id);
 *   2. `perItem` times: draw a neighbour w with probability ∝ sim(c, w), draw one of w's training
 *      occurrences (user u, position p) uniformly, and emit a synthetic sequence made from u's
 *      training sequence s around p: 'substitute' puts c in w's place
 *      (s[p−H..p) · c · s(p..p+after]), 'insert' puts c right after w (s[p−H+1..p] · c · s(p..p+after]).
 * The synthetic sequences are extra training sequences (the real ones are kept unchanged), so a
 * sequential model sees c as a next-item target after contexts that led to similar items, and as
 * input before what followed them.
 *
 * Alternatives (docs/decisions/cold-start.md): attribute-aware models (e.g. S3-Rec-style attribute
 * embeddings added to item embeddings), generating the cold item's embedding from attribute
 * embeddings (DropoutNet / meta-embeddings), in-place insertion into real users' sequences, and
 * a popularity-proportional budget per cold item instead of a fixed one.
 */
import { ConfigError, Rng } from '../core/index.ts';
import { makeTrainView, type ItemAttributeSets, type TrainView } from '../data/index.ts';

export type ColdPlacement = 'substitute' | 'insert';

export interface ColdStartSynthConfig {
  /** Synthetic interactions (= synthetic sequences) per cold item. */
  readonly perItem: number;
  /** Warm neighbours kept per cold item (top by attribute similarity). Default 20. */
  readonly neighbors: number;
  /** Where the cold item goes relative to the neighbour's occurrence. Default 'substitute'. */
  readonly placement: ColdPlacement;
  /** Items of real context kept before the cold item. Default 50 (SASRec's max length). */
  readonly maxHistory: number;
  /** Items of real context kept after the cold item. Default 2. */
  readonly after: number;
  /**
   * How many synthetic interactions each cold item gets. 'uniform': perItem each. 'neighbor-popularity':
   * perItem · est(c) / mean(est), est(c) = the similarity-weighted mean training count of c's
   * neighbours (at least 1, at most 10 · perItem), so an item that looks like popular items gets
   * more — the same total budget, spent where the cases are likely to be.
   */
  readonly budget: 'uniform' | 'neighbor-popularity';
}

export const DEFAULT_COLD_START_SYNTH: ColdStartSynthConfig = { perItem: 10, neighbors: 20, placement: 'substitute', maxHistory: 50, after: 2, budget: 'uniform' };

export interface SyntheticInteraction {
  readonly coldItem: number;
  readonly neighbor: number;
  readonly similarity: number;
  /** The training sequence (user) and position the context was taken from. */
  readonly sourceUser: number;
  readonly position: number;
}

export interface ColdStartSynthesis {
  readonly config: ColdStartSynthConfig;
  readonly seed: number;
  /** One synthetic sequence per synthetic interaction, aligned with `provenance`. */
  readonly sequences: readonly Int32Array[];
  readonly provenance: readonly SyntheticInteraction[];
  /** Cold items that got nothing: no attributes, or no warm item shares one. */
  readonly itemsWithoutNeighbors: number;
  /** Mean similarity of the drawn neighbours. */
  readonly meanSimilarity: number;
  /** Warm interactions copied as context into the synthetic sequences. */
  readonly contextInteractions: number;
}

function checkConfig(c: ColdStartSynthConfig): void {
  const intAtLeast = (v: number, min: number, field: string): void => {
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`cold-start synthesis: ${field} must be an integer >= ${min}, got ${v}`, { field });
  };
  intAtLeast(c.perItem, 0, 'perItem');
  intAtLeast(c.neighbors, 1, 'neighbors');
  intAtLeast(c.maxHistory, 0, 'maxHistory');
  intAtLeast(c.after, 0, 'after');
  if (c.placement !== 'substitute' && c.placement !== 'insert') throw new ConfigError(`cold-start synthesis: placement must be 'substitute' or 'insert', got '${String(c.placement)}'`, { field: 'placement' });
  if (c.budget !== 'uniform' && c.budget !== 'neighbor-popularity') throw new ConfigError(`cold-start synthesis: budget must be 'uniform' or 'neighbor-popularity', got '${String(c.budget)}'`, { field: 'budget' });
  if (c.placement === 'substitute' && c.maxHistory === 0 && c.after === 0) throw new ConfigError('cold-start synthesis: maxHistory and after are both 0, so a synthetic sequence would hold the cold item alone', { field: 'maxHistory' });
}

/** idf(a) = 1 + ln((1 + N) / (1 + df(a))) over the items that have attributes. */
export function attributeIdf(attrs: ItemAttributeSets): Float64Array {
  const df = new Float64Array(attrs.numAttributes);
  let n = 0;
  for (let i = 1; i <= attrs.numItems; i++) {
    const from = attrs.offsets[i]!, to = attrs.offsets[i + 1]!;
    if (to > from) n++;
    for (let k = from; k < to; k++) df[attrs.values[k]!]!++;
  }
  const idf = new Float64Array(attrs.numAttributes);
  for (let a = 0; a < idf.length; a++) idf[a] = 1 + Math.log((1 + n) / (1 + df[a]!));
  return idf;
}

/** IDF-weighted Jaccard similarity of two items' attribute sets (0 when either has none). */
export function weightedJaccard(attrs: ItemAttributeSets, idf: Float64Array, a: number, b: number): number {
  let x = attrs.offsets[a]!;
  const xe = attrs.offsets[a + 1]!;
  let y = attrs.offsets[b]!;
  const ye = attrs.offsets[b + 1]!;
  if (x === xe || y === ye) return 0;
  let inter = 0;
  let union = 0;
  while (x < xe || y < ye) {
    const va = x < xe ? attrs.values[x]! : Infinity;
    const vb = y < ye ? attrs.values[y]! : Infinity;
    if (va === vb) (inter += idf[va]!), (union += idf[va]!), x++, y++;
    else if (va < vb) (union += idf[va]!), x++;
    else (union += idf[vb]!), y++;
  }
  return union > 0 ? inter / union : 0;
}

export interface AttributeNeighbor {
  readonly item: number;
  readonly similarity: number;
}

/**
 * Top-k warm neighbours of each cold item by weighted Jaccard. `warmCount[i]` = training
 * interactions of item i; only items with warmCount > 0 that are not cold can be neighbours.
 */
export function coldItemNeighbors(attrs: ItemAttributeSets, coldItems: Int32Array, warmCount: Int32Array, k: number): Map<number, AttributeNeighbor[]> {
  if (attrs.numItems + 1 !== warmCount.length) throw new ConfigError(`item attributes cover ${attrs.numItems} items but the training view has ${warmCount.length - 1}`, { field: 'attributes' });
  const idf = attributeIdf(attrs);
  const isCold = new Uint8Array(attrs.numItems + 1);
  for (const c of coldItems) isCold[c] = 1;
  // Inverted index attribute → warm items, so each cold item only visits items it shares something with.
  const byAttr: number[][] = Array.from({ length: attrs.numAttributes }, () => []);
  for (let i = 1; i <= attrs.numItems; i++) {
    if (isCold[i] || warmCount[i]! === 0) continue;
    for (let p = attrs.offsets[i]!; p < attrs.offsets[i + 1]!; p++) byAttr[attrs.values[p]!]!.push(i);
  }
  const out = new Map<number, AttributeNeighbor[]>();
  const seen = new Uint8Array(attrs.numItems + 1);
  for (const c of coldItems) {
    const cand: number[] = [];
    for (let p = attrs.offsets[c]!; p < attrs.offsets[c + 1]!; p++)
      for (const w of byAttr[attrs.values[p]!]!) if (!seen[w]) (seen[w] = 1), cand.push(w);
    for (const w of cand) seen[w] = 0;
    const scored = cand.map((w) => ({ item: w, similarity: weightedJaccard(attrs, idf, c, w) })).filter((n) => n.similarity > 0);
    scored.sort((x, y) => y.similarity - x.similarity || warmCount[y.item]! - warmCount[x.item]! || x.item - y.item);
    out.set(c, scored.slice(0, k));
  }
  return out;
}

/**
 * Synthesizes `perItem` interactions for each cold item (see the module comment). Reads only
 * `train` and `attrs`; the same inputs and seed give the same sequences in the same order.
 */
export function synthesizeColdStartInteractions(train: TrainView, attrs: ItemAttributeSets, coldItems: Int32Array, config: Partial<ColdStartSynthConfig>, seed: number): ColdStartSynthesis {
  const cfg: ColdStartSynthConfig = { ...DEFAULT_COLD_START_SYNTH, ...config };
  checkConfig(cfg);
  if (!Number.isFinite(seed)) throw new ConfigError(`cold-start synthesis: seed must be a finite number, got ${seed}`, { field: 'seed' });
  const numItems = train.numItems;
  const cold = Int32Array.from(new Set(coldItems)).sort();
  for (const c of cold) if (!(c >= 1 && c <= numItems)) throw new ConfigError(`cold item ${c} is outside 1..${numItems}`, { field: 'coldItems' });

  // Occurrences of every item in training, as (user, position) pairs.
  const users = train.users();
  const seqs = new Map<number, Int32Array>();
  const warmCount = new Int32Array(numItems + 1);
  for (const u of users) {
    const s = train.sequence(u);
    seqs.set(u, s);
    for (let j = 0; j < s.length; j++) warmCount[s[j]!]!++;
  }
  for (const c of cold) if (warmCount[c]! > 0) throw new ConfigError(`item ${c} is listed as cold but has ${warmCount[c]} training interactions`, { field: 'coldItems' });
  const neighbors = coldItemNeighbors(attrs, cold, warmCount, cfg.neighbors);
  // Substitution needs a position with something before it to make the cold item a target.
  const minPos = cfg.placement === 'substitute' ? 1 : 0;
  const wanted = new Set<number>();
  for (const list of neighbors.values()) for (const n of list) wanted.add(n.item);
  const occurrences = new Map<number, number[]>();
  for (const w of wanted) occurrences.set(w, []);
  for (const u of users) {
    const s = seqs.get(u)!;
    for (let j = minPos; j < s.length; j++) occurrences.get(s[j]!)?.push(u, j);
  }

  const budgets = new Map<number, number>();
  const usable = (c: number) => (neighbors.get(c) ?? []).filter((n) => occurrences.get(n.item)!.length > 0);
  if (cfg.budget === 'uniform') for (const c of cold) budgets.set(c, cfg.perItem);
  else {
    const est = new Map<number, number>();
    for (const c of cold) {
      const list = usable(c);
      let w = 0, sum = 0;
      for (const n of list) (w += n.similarity), (sum += n.similarity * warmCount[n.item]!);
      if (w > 0) est.set(c, sum / w);
    }
    const meanEst = est.size ? [...est.values()].reduce((a, b) => a + b, 0) / est.size : 1;
    for (const [c, e] of est) budgets.set(c, Math.min(10 * cfg.perItem, Math.max(1, Math.round((cfg.perItem * e) / meanEst))));
  }
  const rng = new Rng(seed).split('cold-start-synthesis');
  const sequences: Int32Array[] = [];
  const provenance: SyntheticInteraction[] = [];
  let itemsWithoutNeighbors = 0;
  let simSum = 0;
  let contextInteractions = 0;
  for (const c of cold) {
    const list = usable(c);
    if (list.length === 0) {
      itemsWithoutNeighbors++;
      continue;
    }
    const cum = new Float64Array(list.length);
    let total = 0;
    for (let k = 0; k < list.length; k++) cum[k] = total += list[k]!.similarity;
    const r = rng.split(c);
    const budget = budgets.get(c) ?? 0;
    for (let t = 0; t < budget; t++) {
      const x = r.next() * total;
      let k = 0;
      while (k < list.length - 1 && cum[k]! <= x) k++;
      const nb = list[k]!;
      const occ = occurrences.get(nb.item)!;
      const o = r.int(occ.length / 2);
      const u = occ[2 * o]!;
      const p = occ[2 * o + 1]!;
      const s = seqs.get(u)!;
      const beforeEnd = cfg.placement === 'substitute' ? p : p + 1;
      const before = s.subarray(Math.max(0, beforeEnd - cfg.maxHistory), beforeEnd);
      const afterPart = s.subarray(p + 1, Math.min(s.length, p + 1 + cfg.after));
      const seq = new Int32Array(before.length + 1 + afterPart.length);
      seq.set(before, 0);
      seq[before.length] = c;
      seq.set(afterPart, before.length + 1);
      sequences.push(seq);
      provenance.push({ coldItem: c, neighbor: nb.item, similarity: nb.similarity, sourceUser: u, position: p });
      simSum += nb.similarity;
      contextInteractions += seq.length - 1;
    }
  }
  return { config: cfg, seed, sequences, provenance, itemsWithoutNeighbors, meanSimilarity: provenance.length ? simSum / provenance.length : 0, contextInteractions };
}

/** The training view plus the synthetic sequences as extra users (appended after the real ones). */
export function withSyntheticSequences(train: TrainView, synthetic: readonly Int32Array[]): TrainView {
  const sequences: Int32Array[] = [];
  for (let u = 0; u < train.numUsers; u++) sequences.push(train.sequence(u));
  for (const s of synthetic) sequences.push(s);
  return makeTrainView(train.numItems, sequences);
}
