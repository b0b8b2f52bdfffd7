/**
 * GRU4Rec (Hidasi et al., ICLR 2016) in RecBole's layout, the one used for the full-ranking Beauty
 * baselines of S3-Rec / CoSeRec:
 *
 *   x = Dropout(E[ids])            padding rows zeroed
 *   h = GRU(x)                     one layer, PyTorch gate order (r, z, n), no biases, h0 = 0
 *   h = W h + b                    only when the embedding size differs from the hidden size
 *   logit(item) = h · E[item]      E shared between input and output
 *
 * Init as RecBole: xavier-normal embedding, xavier-uniform GRU weights. With no GRU biases and
 * zeroed padding rows the state stays exactly 0 through left padding, so scores do not depend on
 * how much padding precedes a history. Loss 'ce' (default, full softmax over the real items) or
 * 'bce' (one sampled negative per position), shared with SASRec. bench/reference/reference.py
 * holds the same network in PyTorch for the cross-check tests.
 */
import { z } from 'zod';
import { ConfigError, parseWithSchema, type Rng } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';
import {
  Tensor, type Parameter, constantParameter, dropout, embedding, gatherRows, gru, linear, maskRows, matmul, noGrad,
  normalParameter, uniformParameter,
} from '../nn/index.ts';
import type { SequenceNetwork, TrainingBatch } from './network.ts';
import { type CeSampler, CeNegativeSampler, ceNegativesNeedCe, ceNegativesSchema, ceSamplerNeedsNegatives, ceSamplerSchema, sampledSoftmaxConfig } from './sampled-softmax.ts';
import { type SideInfoConfig, type SideInfoFusion, type AttributePredictionHead, normalizeSideInfo, sideInfoFromConfig, withAttributeLoss, sideInfoConfigSchema } from './side-info.ts';
import {
  type SequenceLoss, arange, padHistories, pickNegatives, rowWeights, sequenceLoss,
  sequenceLossSchema, targetRows,
} from './sasrec.ts';

export interface Gru4recConfig {
  readonly embedding: number;
  readonly hidden: number;
  readonly dropout: number;
  readonly maxLen: number;
  readonly loss: SequenceLoss;
  /** Item attributes fused with the item embedding (side-info.ts); absent = off. */
  readonly sideInfo?: SideInfoConfig;
  /** With loss 'ce': items sampled per batch for a sampled softmax; absent = full softmax. */
  readonly ceNegatives?: number;
  /** How they are drawn (sampled-softmax.ts); absent = 'uniform'. */
  readonly ceSampler?: CeSampler;
}

/** RecBole-style defaults at the CoSeRec-family size (64) and max length (50). */
export const GRU4REC_DEFAULTS: Gru4recConfig = { embedding: 64, hidden: 64, dropout: 0.3, maxLen: 50, loss: 'ce' };

const SCORE_CHUNK = 256;
const positive = (def: number) => z.number().int({ error: 'must be an integer >= 1' }).min(1, { error: 'must be an integer >= 1' }).default(def);

/** GRU4Rec's network hyper-parameters: strict (an unknown key is a ConfigError at config parse time). */
export const gru4recConfigSchema = z
  .object({
    embedding: positive(GRU4REC_DEFAULTS.embedding),
    hidden: positive(GRU4REC_DEFAULTS.hidden),
    dropout: z.number().min(0, { error: 'must be a number in [0, 1)' }).lt(1, { error: 'must be a number in [0, 1)' }).default(GRU4REC_DEFAULTS.dropout),
    maxLen: positive(GRU4REC_DEFAULTS.maxLen),
    loss: sequenceLossSchema.default(GRU4REC_DEFAULTS.loss),
    sideInfo: sideInfoConfigSchema.optional(),
    ceNegatives: ceNegativesSchema,
    ceSampler: ceSamplerSchema,
  })
  .strict()
  .refine(...ceNegativesNeedCe)
  .refine(...ceSamplerNeedsNegatives);

export function parseGru4recConfig(cfg: Record<string, unknown>): Gru4recConfig {
  const c = parseWithSchema(gru4recConfigSchema, cfg);
  const base = { embedding: c.embedding, hidden: c.hidden, dropout: c.dropout, maxLen: c.maxLen, loss: c.loss };
  const withSide = c.sideInfo === undefined ? base : { ...base, sideInfo: normalizeSideInfo(c.sideInfo) };
  return { ...withSide, ...sampledSoftmaxConfig(c) };
}

export class Gru4rec implements SequenceNetwork {
  readonly kind = 'gru4rec';
  readonly config: Readonly<Record<string, unknown>>;
  readonly parameters: readonly Parameter[];
  readonly maxLen: number;
  readonly needsNegatives: boolean;
  readonly numItems: number;
  private readonly cfg: Gru4recConfig;
  private readonly itemEmb: Parameter;
  private readonly wIh: Parameter;
  private readonly wHh: Parameter;
  private readonly dense: [Parameter, Parameter] | null;
  /** The GRU has no biases (RecBole); the op takes bias tensors, so these are fixed zeros. */
  private readonly zeroBias: Tensor;
  private readonly realItems: Int32Array;
  private readonly ceSampler: CeNegativeSampler;
  private readonly fusion: SideInfoFusion | null;
  private readonly attributeHead: AttributePredictionHead | null;

  constructor(numItems: number, config: Record<string, unknown>, rng: Rng) {
    if (!Number.isInteger(numItems) || numItems < 1) throw new ConfigError(`numItems must be a positive integer, got ${numItems}`);
    const cfg = parseGru4recConfig(config);
    this.cfg = cfg;
    this.numItems = numItems;
    this.config = Object.freeze({ ...cfg });
    this.maxLen = cfg.maxLen;
    this.needsNegatives = cfg.loss === 'bce';
    this.realItems = arange(1, numItems + 1);
    this.ceSampler = new CeNegativeSampler(cfg.ceNegatives ?? 0, numItems, cfg.ceSampler ?? 'uniform');
    const { embedding: e, hidden: h } = cfg;
    const r = rng.split('gru4rec-init');
    const xavierNormal = (name: string, out: number, inp: number) => normalParameter(name, [out, inp], Math.sqrt(2 / (out + inp)), r);
    const xavierUniform = (name: string, out: number, inp: number) => uniformParameter(name, [out, inp], Math.sqrt(6 / (out + inp)), r);
    this.itemEmb = xavierNormal('item_emb', numItems + 1, e);
    this.wIh = xavierUniform('gru.w_ih', 3 * h, e);
    this.wHh = xavierUniform('gru.w_hh', 3 * h, h);
    const params = [this.itemEmb, this.wIh, this.wHh];
    this.dense = h !== e ? [xavierNormal('dense.w', e, h), constantParameter('dense.b', [e], 0)] : null;
    if (this.dense) params.push(...this.dense);
    // Own RNG stream, parameters appended: without sideInfo the network is drawn exactly as before.
    const side = sideInfoFromConfig(cfg.sideInfo, numItems, numItems + 1, e, Math.sqrt(2 / (numItems + 1 + e)), rng.split('gru4rec-side-info'));
    this.fusion = side?.fusion ?? null;
    this.attributeHead = side?.attributeHead ?? null;
    if (side) params.push(...side.parameters);
    this.parameters = Object.freeze(params);
    this.zeroBias = Tensor.zeros([3 * h]);
  }

  /** Output states [B, L, embedding] of left-padded ids [B*L]. */
  hidden(ids: Int32Array, B: number, training: boolean, rng: Rng | null, table: Tensor = this.inputTable()): Tensor {
    const L = this.maxLen;
    const keep = new Uint8Array(B * L);
    for (let i = 0; i < keep.length; i++) keep[i] = ids[i]! > 0 ? 1 : 0;
    let x = maskRows(embedding(table, ids, [B, L]), keep);
    if (training && this.cfg.dropout > 0) {
      if (rng === null) throw new Error('training forward needs an rng');
      x = dropout(x, this.cfg.dropout, rng, true);
    }
    let h = gru(x, this.wIh, this.wHh, this.zeroBias, this.zeroBias);
    if (this.dense) h = linear(h, this.dense[0], this.dense[1]);
    return h;
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
    const table = this.inputTable();
    const h = gatherRows(this.hidden(batch.inputs, batch.size, true, rng, table), rows);
    const weights = rowWeights(batch, rows);
    const main = sequenceLoss(this.cfg.loss, h, this.outputTable(table), ids, negs, this.realItems, weights, ceSample);
    return withAttributeLoss(main, this.attributeHead, h, ids, weights);
  }

  /** The item table the input side reads: the item embedding, fused with the side information when configured. */
  inputTable(): Tensor {
    return this.fusion ? this.fusion.fuse(this.itemEmb) : this.itemEmb;
  }

  /** The item table logits are computed against: the fused one with sideInfo.output, else the item embedding. */
  private outputTable(input: Tensor): Tensor {
    return this.fusion && this.cfg.sideInfo?.output === true ? input : this.itemEmb;
  }

  scoreNext(histories: readonly Int32Array[]): Float32Array {
    const n = histories.length;
    const V = this.numItems + 1;
    const L = this.maxLen;
    // A single chunk (an evaluation batch) returns the score matrix itself, without a second
    // n × V buffer and copy, as SASRec's scoreNext does.
    let out: Float32Array | null = null;
    noGrad(() => {
      const table = this.inputTable();
      const outEmb = this.outputTable(table);
      for (let from = 0; from < n; from += SCORE_CHUNK) {
        const to = Math.min(n, from + SCORE_CHUNK);
        const B = to - from;
        const h = this.hidden(padHistories(histories, from, to, L), B, false, null, table);
        const last = new Int32Array(B);
        for (let b = 0; b < B; b++) last[b] = b * L + L - 1;
        const scores = matmul(gatherRows(h, last), outEmb, { transB: true }).data;
        if (from === 0 && to === n) {
          out = scores;
          break;
        }
        (out ??= new Float32Array(n * V)).set(scores, from * V);
      }
    });
    return out ?? new Float32Array(0);
  }
}

export function createGru4rec(numItems: number, config: Record<string, unknown>, rng: Rng): Gru4rec {
  return new Gru4rec(numItems, config, rng);
}
