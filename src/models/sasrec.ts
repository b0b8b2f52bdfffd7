/**
 * SASRec (Kang & McAuley, ICDM 2018) in the layout of the CoSeRec / ICLRec / S3-Rec code family,
 * which is the implementation behind the Beauty numbers those papers report:
 *
 *   e = Dropout(LN(E[ids] + P[0..L-1]))                      item + learned absolute position
 *   per block (post-LN, GELU FFN):
 *     a = LN1(e + Dropout(Wo · MHA(Wq e, Wk e, Wv e)))        causal + key-padding mask (additive -1e4),
 *                                                             dropout on the attention probabilities
 *     e = LN2(a + Dropout(W2 · GELU(W1 a)))                   GELU is the exact erf form, W1: d → 4d
 *   logit(item) = h · E[item]                                 E is shared between input and output
 *
 * Init as CoSeRec `init_weights`: every embedding and linear weight N(0, 0.02), biases 0, LayerNorm
 * γ = 1, β = 0 (eps 1e-12). Sequences are left-padded with item 0, so the most recent item always
 * sits at position L-1. bench/reference/reference.py is the same network in PyTorch; the tests
 * load its float64 weights and compare loss and every gradient.
 *
 * Losses: 'bce' — at every non-padding position, -log σ(h·E[target]) - log(1 - σ(h·E[negative]))
 * averaged over positions (CoSeRec `cross_entropy`, one sampled negative per position); 'ce' — full
 * softmax over the numItems real items (the padding column is dropped) at every non-padding position;
 * with `ceNegatives: K` the softmax runs over the target and K items drawn per batch (sampled
 * softmax, uniform or by popularity: sampled-softmax.ts). Output projections are computed only on non-padding rows.
 */
import { z } from 'zod';
import { ConfigError, parseWithSchema, type Rng } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';
import {
  Tensor, type Parameter, add, attention, attentionPacked, bceWithLogits, constantParameter, crossEntropy, dropout, embedding, gatherRows,
  gelu, layerNorm, linear, matmul, noGrad, normalParameter, reshape, rowDot,
} from '../nn/index.ts';
import type { SequenceNetwork, TrainingBatch } from './network.ts';
import { type CeSample, type CeSampler, CeNegativeSampler, ceNegativesNeedCe, ceNegativesSchema, ceSamplerNeedsNegatives, ceSamplerSchema, sampledSoftmax, sampledSoftmaxConfig } from './sampled-softmax.ts';
import { type SideInfoConfig, SideInfoFusion, type AttributePredictionHead, normalizeSideInfo, sideInfoFromConfig, withAttributeLoss, sideInfoConfigSchema } from './side-info.ts';

export type SequenceLoss = 'bce' | 'ce';

export interface SasrecConfig {
  readonly hidden: number;
  readonly blocks: number;
  readonly heads: number;
  /** Dropout on the embeddings, the attention output and the FFN output. */
  readonly dropout: number;
  /** Dropout on the attention probabilities. */
  readonly attnDropout: number;
  readonly maxLen: number;
  readonly loss: SequenceLoss;
  /** Std of the N(0, std²) init of embeddings and linear weights. */
  readonly initStd: number;
  /** Reserve an input embedding row for the mask token numItems+1 (contrastive views with mask). */
  readonly maskToken: boolean;
  /** Item attributes fused with the item embedding (side-info.ts); absent = off. */
  readonly sideInfo?: SideInfoConfig;
  /** With loss 'ce': items sampled per batch for a sampled softmax; absent = full softmax. */
  readonly ceNegatives?: number;
  /** How they are drawn (sampled-softmax.ts); absent = 'uniform'. */
  readonly ceSampler?: CeSampler;
}

/** CoSeRec-family defaults (hidden 64, 2 blocks, 2 heads, dropout 0.5, max length 50). */
export const SASREC_DEFAULTS: SasrecConfig = {
  hidden: 64, blocks: 2, heads: 2, dropout: 0.5, attnDropout: 0.5, maxLen: 50, loss: 'bce', initStd: 0.02, maskToken: false,
};

/** Histories scored per forward pass in scoreNext (bounds memory). */
const SCORE_CHUNK = 256;
const LN_EPS = 1e-12;

const integer = (min: number, def: number) => z.number().int({ error: `must be an integer >= ${min}` }).min(min, { error: `must be an integer >= ${min}` }).default(def);
const probability = (def: number) => z.number().min(0, { error: 'must be a number in [0, 1)' }).lt(1, { error: 'must be a number in [0, 1)' }).default(def);
/** The next-item loss: 'bce' (one sampled negative, the SASRec paper) or 'ce' (full softmax, RecBole). */
export const sequenceLossSchema = z.enum(['bce', 'ce'], { error: "must be 'bce' or 'ce'" });

export function parseLoss(cfg: Record<string, unknown>, def: SequenceLoss): SequenceLoss {
  const v = cfg.loss ?? def;
  if (v !== 'bce' && v !== 'ce') throw new ConfigError(`must be 'bce' or 'ce', got ${JSON.stringify(v)}`, { field: 'loss' });
  return v;
}

/** SASRec's network hyper-parameters: strict (a typo like `hiden` is a ConfigError at config parse time). */
export const sasrecConfigSchema = z
  .object({
    hidden: integer(1, SASREC_DEFAULTS.hidden),
    blocks: integer(1, SASREC_DEFAULTS.blocks),
    heads: integer(1, SASREC_DEFAULTS.heads),
    dropout: probability(SASREC_DEFAULTS.dropout),
    attnDropout: probability(SASREC_DEFAULTS.attnDropout),
    maxLen: integer(1, SASREC_DEFAULTS.maxLen),
    loss: sequenceLossSchema.default(SASREC_DEFAULTS.loss),
    initStd: z.number().positive({ error: 'must be a positive number' }).default(SASREC_DEFAULTS.initStd),
    maskToken: z.boolean({ error: 'must be true or false' }).default(SASREC_DEFAULTS.maskToken),
    sideInfo: sideInfoConfigSchema.optional(),
    ceNegatives: ceNegativesSchema,
    ceSampler: ceSamplerSchema,
  })
  .strict()
  .refine((c) => c.hidden % c.heads === 0, { message: 'hidden must be divisible by heads', path: ['heads'] })
  .refine(...ceNegativesNeedCe)
  .refine(...ceSamplerNeedsNegatives);

export function parseSasrecConfig(cfg: Record<string, unknown>): SasrecConfig {
  const c = parseWithSchema(sasrecConfigSchema, cfg);
  if (c.hidden % c.heads !== 0) throw new ConfigError(`hidden (${c.hidden}) must be divisible by heads (${c.heads})`, { field: 'heads' });
  // Key order as saved in model.json.
  const base = { hidden: c.hidden, heads: c.heads, maskToken: c.maskToken, blocks: c.blocks, dropout: c.dropout, attnDropout: c.attnDropout, maxLen: c.maxLen, loss: c.loss, initStd: c.initStd };
  // Without side information or a sampled softmax the config (and so model.json and checkpoint
  // fingerprints) is as before.
  const withSide = c.sideInfo === undefined ? base : { ...base, sideInfo: normalizeSideInfo(c.sideInfo) };
  return { ...withSide, ...sampledSoftmaxConfig(c) };
}

interface Block {
  q: [Parameter, Parameter];
  k: [Parameter, Parameter];
  v: [Parameter, Parameter];
  o: [Parameter, Parameter];
  ln1: [Parameter, Parameter];
  ffn1: [Parameter, Parameter];
  ffn2: [Parameter, Parameter];
  ln2: [Parameter, Parameter];
}

/** Row indices (into [size*maxLen]) whose target is not padding, and those targets. */
export function targetRows(targets: Int32Array): { rows: Int32Array; ids: Int32Array } {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i]! > 0) n++;
  const rows = new Int32Array(n);
  const ids = new Int32Array(n);
  n = 0;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i]! > 0) {
      rows[n] = i;
      ids[n++] = targets[i]!;
    }
  }
  return { rows, ids };
}

/**
 * The loss shared by SASRec and GRU4Rec: `h` [N, d] are the hidden states at the non-padding rows,
 * `E` the (shared) item embedding [numItems + 1, d].
 */
export function sequenceLoss(kind: SequenceLoss, h: Tensor, E: Tensor, ids: Int32Array, negIds: Int32Array | null, realItems: Int32Array, weights?: Float32Array, ceSample?: CeSample): Tensor {
  if (kind === 'bce') {
    if (negIds === null) throw new ConfigError('the bce loss needs batch.negatives', { field: 'loss' });
    const n = ids.length;
    const pos = rowDot(h, embedding(E, ids, [n]));
    const neg = rowDot(h, embedding(E, negIds, [n]));
    return add(bceWithLogits(pos, new Float32Array(n).fill(1), weights), bceWithLogits(neg, new Float32Array(n), weights));
  }
  if (ceSample !== undefined) return sampledSoftmax(h, E, ids, ceSample, weights);
  // Full softmax over the real items: class c is item c + 1 (padding column dropped).
  const logits = matmul(h, gatherRows(E, realItems), { transB: true });
  const cls = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) cls[i] = ids[i]! - 1;
  return crossEntropy(logits, cls, weights);
}

/** Loss weight of each target row (rows index the [size, maxLen] batch layout); undefined when the batch is unweighted. */
export function rowWeights(batch: TrainingBatch, rows: Int32Array): Float32Array | undefined {
  const w = batch.weights;
  if (w === undefined) return undefined;
  if (w.length !== batch.size) throw new RangeError(`batch.weights has ${w.length} values for ${batch.size} rows`);
  return Float32Array.from(rows, (r) => w[Math.floor(r / batch.maxLen)]!);
}

/** Negative ids at the given rows; 0 would mean the trainer sent no negative there. */
export function pickNegatives(batch: TrainingBatch, rows: Int32Array): Int32Array {
  const negs = batch.negatives;
  if (negs === undefined) throw new ConfigError('the bce loss needs batch.negatives (needsNegatives is true)', { field: 'loss' });
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = negs[rows[i]!]!;
    if (v <= 0) throw new RangeError(`batch.negatives has no negative at position ${rows[i]} (target ${batch.targets[rows[i]!]})`);
    out[i] = v;
  }
  return out;
}

/** Left-pads (and truncates to the last maxLen items) a chunk of histories into [n, maxLen]. */
export function padHistories(histories: readonly Int32Array[], from: number, to: number, maxLen: number): Int32Array {
  const ids = new Int32Array((to - from) * maxLen);
  for (let i = from; i < to; i++) {
    const h = histories[i]!;
    const take = h.length > maxLen ? h.subarray(h.length - maxLen) : h;
    ids.set(take, (i - from) * maxLen + (maxLen - take.length));
  }
  return ids;
}

/**
 * Leftmost column (0..maxLen-1) holding a non-zero id in any row of ids (or of `also`, same layout);
 * maxLen - 1 when everything is padding, so at least one column remains.
 */
export function firstUsedColumn(ids: Int32Array, B: number, maxLen: number, also?: Int32Array): number {
  let first = maxLen - 1;
  for (let b = 0; b < B && first > 0; b++) {
    const o = b * maxLen;
    for (let t = 0; t < first; t++) {
      if (ids[o + t]! !== 0 || (also !== undefined && also[o + t]! !== 0)) {
        first = t;
        break;
      }
    }
  }
  return first;
}

/** ids [B, maxLen] -> its last maxLen - offset columns [B, maxLen - offset]. */
export function trimColumns(ids: Int32Array, B: number, maxLen: number, offset: number): Int32Array {
  const L = maxLen - offset;
  const out = new Int32Array(B * L);
  for (let b = 0; b < B; b++) out.set(ids.subarray(b * maxLen + offset, (b + 1) * maxLen), b * L);
  return out;
}

/** Non-padding tokens of a left-padded [B, maxLen] id block, sequence after sequence. */
export interface PackedTokens {
  readonly ids: Int32Array;
  /** Column of each token in the maxLen frame (= its position-embedding row). */
  readonly positions: Int32Array;
  /** B + 1 offsets: sequence b is tokens offsets[b]..offsets[b+1]-1. */
  readonly offsets: Int32Array;
  /** First non-padding column of each row (maxLen when the row is empty). */
  readonly first: Int32Array;
}

export function packTokens(ids: Int32Array, B: number, maxLen: number): PackedTokens {
  const first = new Int32Array(B);
  const offsets = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) {
    const o = b * maxLen;
    let f = 0;
    while (f < maxLen && ids[o + f] === 0) f++;
    for (let t = f; t < maxLen; t++) if (ids[o + t] === 0) throw new RangeError(`row ${b} has padding (0) after an item at column ${t}; sequences must be left-padded`);
    first[b] = f;
    offsets[b + 1] = offsets[b]! + maxLen - f;
  }
  const N = offsets[B]!;
  const tok = new Int32Array(N);
  const positions = new Int32Array(N);
  for (let b = 0; b < B; b++) {
    const f = first[b]!;
    tok.set(ids.subarray(b * maxLen + f, (b + 1) * maxLen), offsets[b]!);
    for (let t = f; t < maxLen; t++) positions[offsets[b]! + t - f] = t;
  }
  return { ids: tok, positions, offsets, first };
}

/** Flat [B, maxLen] cell indices -> packed token indices (the cell must hold a token). */
export function packedRows(rows: Int32Array, tokens: PackedTokens, maxLen: number): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const b = Math.floor(r / maxLen);
    const t = r - b * maxLen;
    if (t < tokens.first[b]!) throw new RangeError(`target at row ${b}, column ${t} has no input item (inputs and targets must share their padding)`);
    out[i] = tokens.offsets[b]! + t - tokens.first[b]!;
  }
  return out;
}

export function arange(from: number, to: number): Int32Array {
  const r = new Int32Array(Math.max(0, to - from));
  for (let i = 0; i < r.length; i++) r[i] = from + i;
  return r;
}

export class Sasrec implements SequenceNetwork {
  readonly kind = 'sasrec';
  readonly config: Readonly<Record<string, unknown>>;
  readonly parameters: readonly Parameter[];
  readonly maxLen: number;
  readonly needsNegatives: boolean;
  readonly acceptsMaskToken: boolean;
  readonly numItems: number;
  private readonly cfg: SasrecConfig;
  private readonly itemEmb: Parameter;
  private readonly posEmb: Parameter;
  private readonly embLn: [Parameter, Parameter];
  private readonly blocks: Block[];
  private readonly realItems: Int32Array;
  private readonly ceSampler: CeNegativeSampler;
  private readonly fusion: SideInfoFusion | null;
  private readonly attributeHead: AttributePredictionHead | null;

  constructor(numItems: number, config: Record<string, unknown>, rng: Rng) {
    if (!Number.isInteger(numItems) || numItems < 1) throw new ConfigError(`numItems must be a positive integer, got ${numItems}`);
    const cfg = parseSasrecConfig(config);
    this.cfg = cfg;
    this.numItems = numItems;
    this.config = Object.freeze({ ...cfg });
    this.maxLen = cfg.maxLen;
    this.needsNegatives = cfg.loss === 'bce';
    this.acceptsMaskToken = cfg.maskToken;
    this.realItems = arange(1, numItems + 1);
    this.ceSampler = new CeNegativeSampler(cfg.ceNegatives ?? 0, numItems, cfg.ceSampler ?? 'uniform');
    const d = cfg.hidden;
    const std = cfg.initStd;
    const r = rng.split('sasrec-init');
    const params: Parameter[] = [];
    const normal = (name: string, shape: number[]): Parameter => {
      const p = normalParameter(name, shape, std, r);
      params.push(p);
      return p;
    };
    const constant = (name: string, shape: number[], v: number): Parameter => {
      const p = constantParameter(name, shape, v);
      params.push(p);
      return p;
    };
    const lin = (name: string, out: number, inp: number): [Parameter, Parameter] => [normal(`${name}.w`, [out, inp]), constant(`${name}.b`, [out], 0)];
    const ln = (name: string): [Parameter, Parameter] => [constant(`${name}.g`, [d], 1), constant(`${name}.b`, [d], 0)];
    this.itemEmb = normal('item_emb', [numItems + (cfg.maskToken ? 2 : 1), d]);
    this.posEmb = normal('pos_emb', [cfg.maxLen, d]);
    this.embLn = ln('emb_ln');
    this.blocks = [];
    for (let i = 0; i < cfg.blocks; i++) {
      const p = `block${i}`;
      this.blocks.push({
        q: lin(`${p}.q`, d, d), k: lin(`${p}.k`, d, d), v: lin(`${p}.v`, d, d), o: lin(`${p}.o`, d, d),
        ln1: ln(`${p}.ln1`),
        ffn1: lin(`${p}.ffn1`, 4 * d, d), ffn2: lin(`${p}.ffn2`, d, 4 * d),
        ln2: ln(`${p}.ln2`),
      });
    }
    // Its own RNG stream and parameters after the base ones: the base network is drawn exactly as without fusion.
    const side = sideInfoFromConfig(cfg.sideInfo, numItems, this.itemEmb.shape[0]!, d, std, rng.split('sasrec-side-info'));
    this.fusion = side?.fusion ?? null;
    this.attributeHead = side?.attributeHead ?? null;
    if (side) params.push(...side.parameters);
    this.parameters = Object.freeze(params);
  }

  /**
   * The padded formulation (the PyTorch reference's): hidden states of left-padded ids [B*maxLen]
   * with a key-padding mask. batchLoss/scoreNext use the equivalent packed path (hiddenPacked);
   * this one serves empty histories, tests and diagnostics. Columns that are padding in every row are cut off
   * first (exact: padding keys are masked, and positions are counted from the right end), so the
   * result is [B, len, d] for the last `len` columns; `offset` = maxLen - len. `rng` is only drawn
   * from when training.
   */
  hidden(ids: Int32Array, B: number, training: boolean, rng: Rng | null, alsoReal?: Int32Array, noTrim = false): { h: Tensor; len: number; offset: number } {
    const { hidden: d, heads, maxLen } = this.cfg;
    const offset = noTrim ? 0 : firstUsedColumn(ids, B, maxLen, alsoReal);
    const L = maxLen - offset;
    const cut = offset === 0 ? ids : trimColumns(ids, B, maxLen, offset);
    const r = rng ?? DUMMY_RNG;
    const keyMask = new Uint8Array(B * L);
    for (let i = 0; i < keyMask.length; i++) keyMask[i] = cut[i]! > 0 ? 1 : 0;
    const pos = offset === 0 ? this.posEmb : gatherRows(this.posEmb, arange(offset, maxLen));
    const x = this.encode(add(embedding(this.inputTable(), cut, [B, L]), pos), training, r,
      (q, k, v, p) => attention(q, k, v, { heads, causal: true, keyMask, dropout: p, rng: r, training: training && p > 0 }));
    return { h: reshape(x, [B, L, d]), len: L, offset };
  }

  /** The item table the input side reads: the item embedding, fused with the side information when configured. */
  inputTable(): Tensor {
    return this.fusion ? this.fusion.fuse(this.itemEmb) : this.itemEmb;
  }

  /** The item table logits are computed against: the fused one with sideInfo.output, else the item embedding. */
  private outputTable(input: Tensor): Tensor {
    return this.fusion && this.cfg.sideInfo?.output === true ? input : this.itemEmb;
  }

  /** Embedding LN/dropout and the attention blocks over token rows x (any leading shape). */
  private encode(x0: Tensor, training: boolean, r: Rng, attn: (q: Tensor, k: Tensor, v: Tensor, p: number) => Tensor): Tensor {
    const pDrop = training ? this.cfg.dropout : 0;
    const pAttn = training ? this.cfg.attnDropout : 0;
    let x = layerNorm(x0, this.embLn[0], this.embLn[1], LN_EPS);
    x = dropout(x, pDrop, r, training);
    for (const blk of this.blocks) {
      const q = linear(x, blk.q[0], blk.q[1]);
      const k = linear(x, blk.k[0], blk.k[1]);
      const v = linear(x, blk.v[0], blk.v[1]);
      const o = dropout(linear(attn(q, k, v, pAttn), blk.o[0], blk.o[1]), pDrop, r, training);
      x = layerNorm(add(o, x), blk.ln1[0], blk.ln1[1], LN_EPS);
      const f = dropout(linear(gelu(linear(x, blk.ffn1[0], blk.ffn1[1])), blk.ffn2[0], blk.ffn2[1]), pDrop, r, training);
      x = layerNorm(add(f, x), blk.ln2[0], blk.ln2[1], LN_EPS);
    }
    return x;
  }

  /**
   * Hidden states [N, d] of the packed non-padding tokens (see `packTokens`): every per-token op
   * runs on real tokens only and attention stays within each sequence, which equals the padded
   * computation on the non-padding rows without the padding work (Beauty: ~89 % of a batch).
   */
  hiddenPacked(tokens: PackedTokens, training: boolean, rng: Rng | null, table: Tensor = this.inputTable()): Tensor {
    const r = rng ?? DUMMY_RNG;
    const x0 = add(embedding(table, tokens.ids, [tokens.ids.length]), embedding(this.posEmb, tokens.positions, [tokens.positions.length]));
    const { heads } = this.cfg;
    return this.encode(x0, training, r,
      (q, k, v, p) => attentionPacked(q, k, v, { heads, offsets: tokens.offsets, causal: true, dropout: p, rng: r, training: training && p > 0 }));
  }

  observeTraining(train: TrainView): void {
    this.ceSampler.observeTraining(train);
  }

  batchLoss(batch: TrainingBatch, rng: Rng): Tensor {
    if (batch.maxLen !== this.maxLen) throw new RangeError(`batch maxLen ${batch.maxLen} differs from the network's ${this.maxLen}`);
    const { rows, ids } = targetRows(batch.targets);
    if (rows.length === 0) throw new RangeError('batchLoss: the batch has no non-padding target');
    const negs = this.cfg.loss === 'bce' ? pickNegatives(batch, rows) : null;
    const ceSample = this.ceSampler.draw(rng);
    const tokens = packTokens(batch.inputs, batch.size, this.maxLen);
    const table = this.inputTable();
    const hr = gatherRows(this.hiddenPacked(tokens, true, rng, table), packedRows(rows, tokens, this.maxLen));
    const weights = rowWeights(batch, rows);
    const main = sequenceLoss(this.cfg.loss, hr, this.outputTable(table), ids, negs, this.realItems, weights, ceSample);
    return withAttributeLoss(main, this.attributeHead, hr, ids, weights);
  }

  representations(histories: readonly Int32Array[], rng: Rng): Tensor {
    const n = histories.length;
    const tokens = packTokens(padHistories(histories, 0, n, this.maxLen), n, this.maxLen);
    const last = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      if (tokens.offsets[b + 1] === tokens.offsets[b]) throw new RangeError(`representations: history ${b} is empty`);
      last[b] = tokens.offsets[b + 1]! - 1;
    }
    return gatherRows(this.hiddenPacked(tokens, true, rng), last);
  }

  scoreNext(histories: readonly Int32Array[]): Float32Array {
    const n = histories.length;
    const V = this.numItems + 1;
    const L = this.maxLen;
    // One chunk of non-empty histories (an evaluation batch) returns the score matrix itself: no
    // second n × V buffer and copy (53 MB a batch on Taobao).
    let out: Float32Array | null = null;
    const output = (): Float32Array => (out ??= new Float32Array(n * V));
    noGrad(() => {
      // Scores cover padding + real items; the mask token's row (if any) is input-only.
      const table = this.inputTable();
      const full = this.outputTable(table);
      const outEmb = this.cfg.maskToken ? gatherRows(full, arange(0, V)) : full;
      let emptyScores: Float32Array | null = null;
      for (let from = 0; from < n; from += SCORE_CHUNK) {
        const to = Math.min(n, from + SCORE_CHUNK);
        const tokens = packTokens(padHistories(histories, from, to, L), to - from, L);
        const h = this.hiddenPacked(tokens, false, null, table);
        const last: number[] = [];
        const rowsOut: number[] = [];
        for (let b = 0; b < to - from; b++) {
          if (tokens.offsets[b + 1]! > tokens.offsets[b]!) {
            last.push(tokens.offsets[b + 1]! - 1);
            rowsOut.push(from + b);
          } else {
            // An empty history is the all-padding sequence at full length, as in the PyTorch reference.
            emptyScores ??= matmul(gatherRows(this.hidden(new Int32Array(L), 1, false, null, undefined, true).h, Int32Array.of(L - 1)), outEmb, { transB: true }).data;
            output().set(emptyScores, (from + b) * V);
          }
        }
        if (last.length === 0) continue;
        const scores = matmul(gatherRows(h, Int32Array.from(last)), outEmb, { transB: true }).data;
        if (from === 0 && to === n && rowsOut.length === n) {
          out = scores;
          break;
        }
        const dst = output();
        for (let i = 0; i < rowsOut.length; i++) dst.set(scores.subarray(i * V, (i + 1) * V), rowsOut[i]! * V);
      }
    });
    return out ?? output();
  }
}

/** Stand-in stream for eval mode, where dropout never draws. */
const DUMMY_RNG = { nextUint32: (): number => { throw new Error('eval-mode forward drew randomness'); } } as unknown as Rng;

export function createSasrec(numItems: number, config: Record<string, unknown>, rng: Rng): Sasrec {
  return new Sasrec(numItems, config, rng);
}
