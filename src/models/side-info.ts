/**
 * Item side information for the sequence networks (FDSA / S3-Rec style feature fusion).
 *
 * An `ItemFeatureSource` describes, per dense item id 0..numItems (0 = padding), either a list of
 * categorical attribute ids (brand, category tokens: Beauty_item2attributes.json) or a dense
 * vector (title-text or image embeddings from the text and image families). `SideInfoFusion`
 * turns the sources into one side embedding per item — the mean of the item's attribute
 * embeddings plus a learned projection of each dense vector — and fuses it with the item
 * embedding table:
 *
 *   sum:     f = e + s
 *   concat:  f = W [e; s] + b          W starts at [I | 0], so training starts from the item embedding
 *   gate:    f = g ⊙ e + (1 − g) ⊙ s,  g = σ(W [e; s] + b)
 *
 * The fused table replaces the item embedding on the input side and, with `output: true` (the
 * default), on the scoring side too (logit = h · f[item]), so an item's score moves with its
 * attributes: a tail item that shares a brand with popular ones starts near them. Items without
 * side information get s = 0 (sum leaves them untouched).
 *
 * `attributeLoss: λ > 0` adds an auxiliary task (the attribute predictors of DIF-SR / S3-Rec's
 * attribute prediction, here as a training loss): from the same hidden state that predicts the next
 * item, a linear head predicts the next item's attributes, trained by cross-entropy against the
 * uniform distribution over them. Attributes are few (637 on Beauty against 12,101 items), so the
 * head learns from every target, and a rare target still teaches the state its brand and category.
 */
import { z } from 'zod';
import { ConfigError, type Rng } from '../core/index.ts';
import { type ItemAttributes, loadItemAttributes } from '../augment/attributes.ts';
import {
  Tensor, type Parameter, add, concatColumns, constantParameter, crossEntropy, gatherRows, linear, maskRows, mul, normalParameter, scale, sigmoid,
} from '../nn/index.ts';

export type FusionMode = 'sum' | 'concat' | 'gate';
export const FUSION_MODES: readonly FusionMode[] = ['sum', 'concat', 'gate'];

/** Categorical attributes per item: values[offsets[i] .. offsets[i+1]) are item i's attribute ids (0..numValues-1). */
export interface CategoricalItemFeatures {
  readonly kind: 'categorical';
  readonly name: string;
  readonly numItems: number;
  readonly numValues: number;
  readonly offsets: Int32Array;
  readonly values: Int32Array;
}

/** A dense vector per item, row-major [(numItems + 1), dim]; `present[i]` = 0 marks an item without one (its row is ignored). */
export interface DenseItemFeatures {
  readonly kind: 'dense';
  readonly name: string;
  readonly numItems: number;
  readonly dim: number;
  readonly vectors: Float32Array;
  readonly present: Uint8Array;
}

/** Side information about items, indexed by the sequence dataset's dense item ids. */
export type ItemFeatureSource = CategoricalItemFeatures | DenseItemFeatures;

/** `model.config.sideInfo`: where the attributes are and how they are fused. */
export const sideInfoConfigSchema = z
  .object({
    /**
     * Item → attribute ids JSON (`{ "item_id": [attr, …] }`), path relative to the working
     * directory. Keys are the dataset's dense item ids 1..numItems, which equal the file's ids
     * when those are numbered in order of first appearance (Beauty: checked in the tests).
     */
    attributes: z.string().min(1, { error: 'must be a path to an item → attributes JSON file' }),
    fusion: z.enum(['sum', 'concat', 'gate'], { error: "must be 'sum', 'concat' or 'gate'" }).default('sum'),
    /** Also score with the fused table (true) or only read it on the input side (false). */
    output: z.boolean({ error: 'must be true or false' }).default(true),
    /** Weight λ of the auxiliary next-item-attribute loss (AttributePredictionHead); 0 = off. */
    attributeLoss: z.number({ error: 'must be a number >= 0' }).min(0, { error: 'must be a number >= 0' }).default(0),
  })
  .strict();

export interface SideInfoConfig {
  readonly attributes: string;
  readonly fusion: FusionMode;
  readonly output: boolean;
  /** Absent = 0 (off). */
  readonly attributeLoss?: number;
}

/** The parsed sideInfo block in a fixed key order (it is saved in model.json and checkpoint fingerprints). */
export function normalizeSideInfo(c: z.infer<typeof sideInfoConfigSchema>): SideInfoConfig {
  const base = { attributes: c.attributes, fusion: c.fusion, output: c.output };
  // Off, the block (and so every fingerprint of a model saved before the option) is as before.
  return c.attributeLoss > 0 ? { ...base, attributeLoss: c.attributeLoss } : base;
}

/** ItemAttributes (augment/attributes.ts) as a feature source. */
export function attributeFeatures(attrs: ItemAttributes, name = 'attributes'): CategoricalItemFeatures {
  return { kind: 'categorical', name, numItems: attrs.numItems, numValues: attrs.numAttributes, offsets: attrs.offsets, values: attrs.values };
}

/**
 * Reads an item → attributes file onto dense ids 1..numItems. With `itemIds` (the dataset's
 * dense → external map, SequenceDataset.itemIds) keys are external ids; without, a key must be
 * the dense id itself. Attribute values are renumbered 0..numValues-1 in order of appearance.
 */
export function loadAttributeFeatures(path: string, numItems: number, itemIds?: readonly string[]): CategoricalItemFeatures {
  const ids = itemIds ?? Array.from({ length: numItems + 1 }, (_, i) => (i === 0 ? '<pad>' : String(i)));
  if (ids.length !== numItems + 1) throw new ConfigError(`itemIds has ${ids.length - 1} items, the network ${numItems}`, { file: path, field: 'sideInfo.attributes' });
  return attributeFeatures(loadItemAttributes(path, ids));
}

function checkSource(s: ItemFeatureSource, numItems: number): void {
  if (s.numItems !== numItems) throw new ConfigError(`side information '${s.name}' covers ${s.numItems} items, the network has ${numItems}`, { field: 'sideInfo' });
  if (s.kind === 'categorical') {
    if (s.offsets.length !== numItems + 2) throw new ConfigError(`side information '${s.name}': offsets must have numItems + 2 entries`, { field: 'sideInfo' });
    for (const v of s.values) if (!(v >= 0 && v < s.numValues)) throw new ConfigError(`side information '${s.name}': attribute id ${v} outside 0..${s.numValues - 1}`, { field: 'sideInfo' });
  } else if (s.vectors.length !== (numItems + 1) * s.dim || s.present.length !== numItems + 1) {
    throw new ConfigError(`side information '${s.name}': dense vectors must be [(numItems + 1) × ${s.dim}] with one present flag per row`, { field: 'sideInfo' });
  }
}

/** One attribute slot: row i of `ids` is item i's k-th attribute (0 where it has none; masked out by `has`). */
interface Slot {
  readonly ids: Int32Array;
  readonly has: Uint8Array;
}

/**
 * The fusion layer: owns the attribute embeddings, the dense projections and the fusion weights
 * (all appended to the network's parameter list after its own, so a network without side
 * information keeps its parameters and random draws unchanged).
 */
export class SideInfoFusion {
  readonly mode: FusionMode;
  readonly parameters: readonly Parameter[];
  private readonly rows: number;
  private readonly dim: number;
  private readonly categorical: { table: Parameter; slots: Slot[]; inverseCount: Tensor }[] = [];
  private readonly dense: { x: Tensor; keep: Uint8Array; proj: [Parameter, Parameter] }[] = [];
  private readonly mix: [Parameter, Parameter] | null;

  /**
   * `rows` is the item table's row count (numItems + 1, + 1 with a mask token); rows past
   * numItems (the mask token) have no side information. `prefix` names the parameters.
   */
  constructor(sources: readonly ItemFeatureSource[], numItems: number, rows: number, dim: number, mode: FusionMode, std: number, rng: Rng, prefix = 'side') {
    if (sources.length === 0) throw new ConfigError('side-information fusion needs at least one feature source', { field: 'sideInfo' });
    if (!FUSION_MODES.includes(mode)) throw new ConfigError(`fusion must be 'sum', 'concat' or 'gate', got ${JSON.stringify(mode)}`, { field: 'sideInfo.fusion' });
    this.mode = mode;
    this.rows = rows;
    this.dim = dim;
    const r = rng.split('side-info-init');
    const params: Parameter[] = [];
    for (const [si, s] of sources.entries()) {
      checkSource(s, numItems);
      if (s.kind === 'categorical') {
        const table = normalParameter(`${prefix}.${si}.attr_emb`, [Math.max(1, s.numValues), dim], std, r);
        params.push(table);
        let maxCount = 0;
        for (let i = 1; i <= numItems; i++) maxCount = Math.max(maxCount, s.offsets[i + 1]! - s.offsets[i]!);
        const slots: Slot[] = [];
        for (let k = 0; k < maxCount; k++) {
          const ids = new Int32Array(rows);
          const has = new Uint8Array(rows);
          for (let i = 1; i <= numItems; i++) {
            if (s.offsets[i]! + k < s.offsets[i + 1]!) {
              ids[i] = s.values[s.offsets[i]! + k]!;
              has[i] = 1;
            }
          }
          slots.push({ ids, has });
        }
        const inv = new Float32Array(rows * dim);
        for (let i = 1; i <= numItems; i++) {
          const c = s.offsets[i + 1]! - s.offsets[i]!;
          if (c > 0) inv.fill(1 / c, i * dim, (i + 1) * dim);
        }
        this.categorical.push({ table, slots, inverseCount: new Tensor(inv, [rows, dim]) });
      } else {
        const x = new Float32Array(rows * s.dim);
        x.set(s.vectors.subarray(0, (numItems + 1) * s.dim));
        const keep = new Uint8Array(rows);
        for (let i = 1; i <= numItems; i++) keep[i] = s.present[i]! ? 1 : 0;
        const proj: [Parameter, Parameter] = [normalParameter(`${prefix}.${si}.dense.w`, [dim, s.dim], std, r), constantParameter(`${prefix}.${si}.dense.b`, [dim], 0)];
        params.push(...proj);
        this.dense.push({ x: new Tensor(x, [rows, s.dim]), keep, proj });
      }
    }
    if (mode === 'sum') {
      this.mix = null;
    } else {
      const w = normalParameter(`${prefix}.${mode}.w`, [dim, 2 * dim], std, r);
      // concat starts as the identity on the item half, so the fused table begins as the item embedding.
      if (mode === 'concat') for (let j = 0; j < dim; j++) w.data[j * 2 * dim + j]! += 1;
      this.mix = [w, constantParameter(`${prefix}.${mode}.b`, [dim], 0)];
      params.push(...this.mix);
    }
    this.parameters = Object.freeze(params);
  }

  /** The side embedding of every row, [rows, dim]: mean attribute embedding + projected dense vectors. */
  sideTable(): Tensor {
    let s: Tensor | null = null;
    const plus = (t: Tensor): void => {
      s = s === null ? t : add(s, t);
    };
    for (const c of this.categorical) {
      let acc: Tensor | null = null;
      for (const slot of c.slots) {
        const t = maskRows(gatherRows(c.table, slot.ids), slot.has);
        acc = acc === null ? t : add(acc, t);
      }
      if (acc !== null) plus(mul(acc, c.inverseCount));
    }
    for (const d of this.dense) plus(maskRows(linear(d.x, d.proj[0], d.proj[1]), d.keep));
    return s ?? Tensor.zeros([this.rows, this.dim]);
  }

  /** The fused item table [rows, dim] from the item embedding table `itemEmb` [rows, dim]. */
  fuse(itemEmb: Tensor): Tensor {
    if (itemEmb.shape[0] !== this.rows || itemEmb.shape[1] !== this.dim) throw new RangeError(`fuse: item table is [${itemEmb.shape.join(', ')}], expected [${this.rows}, ${this.dim}]`);
    const s = this.sideTable();
    if (this.mix === null) return add(itemEmb, s);
    const both = concatColumns([itemEmb, s]);
    if (this.mode === 'concat') return linear(both, this.mix[0], this.mix[1]);
    const g = sigmoid(linear(both, this.mix[0], this.mix[1]));
    // g ⊙ e + (1 − g) ⊙ s = s + g ⊙ (e − s)
    return add(s, mul(g, add(itemEmb, scale(s, -1))));
  }
}

/**
 * The auxiliary task of `attributeLoss`: a linear head [numValues, dim] + bias reads a hidden state
 * and predicts the attributes of the item that follows it. Its loss for a target with attributes
 * A is −(1/|A|) Σ_{a∈A} log softmax(z)_a, averaged over the targets (a target without attributes
 * adds 0), times λ: on the same scale as the next-item cross-entropy, so λ = 1 weighs the two tasks
 * alike. It trains the hidden state only; scoring does not read it.
 */
export class AttributePredictionHead {
  readonly parameters: readonly Parameter[];
  private readonly w: Parameter;
  private readonly b: Parameter;

  constructor(private readonly source: CategoricalItemFeatures, dim: number, private readonly weight: number, std: number, rng: Rng, prefix = 'side.attr_pred') {
    if (!(weight > 0)) throw new ConfigError(`attributeLoss must be > 0 to build its head, got ${weight}`, { field: 'sideInfo.attributeLoss' });
    const r = rng.split('attribute-head-init');
    this.w = normalParameter(`${prefix}.w`, [Math.max(1, source.numValues), dim], std, r);
    this.b = constantParameter(`${prefix}.b`, [Math.max(1, source.numValues)], 0);
    this.parameters = Object.freeze([this.w, this.b]);
  }

  /**
   * λ × the attribute loss of hidden states `h` [N, dim] whose next items are `targets` (dense ids),
   * each row weighted by `rowWeights` when given; null when no target has an attribute.
   */
  loss(h: Tensor, targets: Int32Array, rowWeights?: Float32Array): Tensor | null {
    const { offsets, values } = this.source;
    if (h.shape[0] !== targets.length) throw new RangeError(`attribute loss: ${h.shape[0]} hidden rows for ${targets.length} targets`);
    let m = 0;
    for (const t of targets) m += offsets[t + 1]! - offsets[t]!;
    if (m === 0) return null;
    // One row per (target, attribute) pair, weighted 1/|A|: the soft-label cross-entropy through
    // the hard-label op.
    const rep = new Int32Array(m);
    const cls = new Int32Array(m);
    const w = new Float32Array(m);
    let k = 0;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      const from = offsets[t]!;
      const to = offsets[t + 1]!;
      for (let j = from; j < to; j++) {
        rep[k] = i;
        cls[k] = values[j]!;
        w[k++] = (rowWeights?.[i] ?? 1) / (to - from);
      }
    }
    const logits = gatherRows(linear(h, this.w, this.b), rep);
    // crossEntropy averages over its m rows; × m / N makes it the mean over the N targets.
    return scale(crossEntropy(logits, cls, w), (this.weight * m) / targets.length);
  }
}

/** The side-information layers a network config asks for: the fusion, and the attribute head when attributeLoss > 0. */
export interface SideInfoLayers {
  readonly fusion: SideInfoFusion;
  readonly attributeHead: AttributePredictionHead | null;
  readonly parameters: readonly Parameter[];
}

/**
 * Builds them (null when sideInfo is absent). The head draws from its own stream after the
 * fusion's, so turning it on leaves the fusion's initial weights as they were.
 */
export function sideInfoFromConfig(side: SideInfoConfig | undefined, numItems: number, rows: number, dim: number, std: number, rng: Rng): SideInfoLayers | null {
  if (side === undefined) return null;
  const attrs = loadAttributeFeatures(side.attributes, numItems);
  const fusion = new SideInfoFusion([attrs], numItems, rows, dim, side.fusion, std, rng);
  const lambda = side.attributeLoss ?? 0;
  const attributeHead = lambda > 0 ? new AttributePredictionHead(attrs, dim, lambda, std, rng.split('attribute-head')) : null;
  return { fusion, attributeHead, parameters: [...fusion.parameters, ...(attributeHead?.parameters ?? [])] };
}

/** λ × the attribute loss added to a network's next-item loss (the loss itself without a head or attributes). */
export function withAttributeLoss(main: Tensor, head: AttributePredictionHead | null | undefined, h: Tensor, targets: Int32Array, rowWeights?: Float32Array): Tensor {
  const aux = head?.loss(h, targets, rowWeights) ?? null;
  return aux === null ? main : add(main, aux);
}
