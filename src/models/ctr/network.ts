/**
 * The two CTR networks over encoded fields (see features.ts), both from src/nn ops only:
 *
 *   logistic: logit = b + Σ_f w[x_f]                              (one weight per field value)
 *   deepfm:   logit = b + Σ_f w[x_f]                               first order
 *                   + ½ Σ_k ((Σ_f e_fk)² − Σ_f e_fk²)             FM pairwise interactions
 *                   + MLP(concat_f e_f)                           deep part
 *   with one embedding table e shared by the FM and the MLP (Guo et al., IJCAI 2017).
 *
 * Sums over fields are matmuls with constant 0/1 matrices, so no new autograd op is needed.
 */
import type { Rng } from '../../core/index.ts';
import {
  Tensor, type Parameter, add, constantParameter, dropout, embedding, linear, matmul, normalParameter, relu, reshape, rowDot, scale,
  uniformParameter,
} from '../../nn/index.ts';

export interface CtrNetwork {
  readonly parameters: readonly Parameter[];
  /** Logits [B] for rows ids [B × numFields]. */
  logits(ids: Int32Array, batch: number, training: boolean, rng: Rng): Tensor;
}

/** A constant [1, n] row of ones as a linear weight: linear(x, ones, b) = Σ_j x_j + b. */
function onesRow(n: number): Tensor {
  return new Tensor(new Float32Array(n).fill(1), [1, n]);
}

export interface LogisticNetConfig {
  readonly numFields: number;
  readonly vocabSize: number;
}

export function logisticNetwork(cfg: LogisticNetConfig): CtrNetwork {
  const w = constantParameter('lr.weight', [cfg.vocabSize, 1], 0);
  const b = constantParameter('lr.bias', [1], 0);
  const ones = onesRow(cfg.numFields);
  return {
    parameters: [w, b],
    logits(ids, batch) {
      const x = reshape(embedding(w, ids, [batch, cfg.numFields]), [batch, cfg.numFields]);
      return reshape(linear(x, ones, b), [batch]);
    },
  };
}

export interface DeepFmNetConfig {
  readonly numFields: number;
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly hidden: readonly number[];
  readonly dropout: number;
}

export function deepFmNetwork(cfg: DeepFmNetConfig, rng: Rng): CtrNetwork {
  const F = cfg.numFields;
  const k = cfg.embeddingDim;
  const w = constantParameter('deepfm.first', [cfg.vocabSize, 1], 0);
  const b = constantParameter('deepfm.bias', [1], 0);
  const e = normalParameter('deepfm.embedding', [cfg.vocabSize, k], 0.01, rng.split('embedding'));
  const layers: { w: Parameter; b: Parameter }[] = [];
  let width = F * k;
  cfg.hidden.forEach((h, i) => {
    const bound = 1 / Math.sqrt(width);
    layers.push({ w: uniformParameter(`deepfm.mlp.${i}.weight`, [h, width], bound, rng.split(`mlp-${i}`)), b: constantParameter(`deepfm.mlp.${i}.bias`, [h], 0) });
    width = h;
  });
  const out = uniformParameter('deepfm.out.weight', [1, width], 1 / Math.sqrt(width), rng.split('out'));
  const ones = onesRow(F);
  // sumFields[(f, j), j] = 1: [B, F·k] · sumFields = Σ_f e_f, [B, k].
  const sumFields = new Tensor(new Float32Array(F * k * k), [F * k, k]);
  for (let f = 0; f < F; f++) for (let j = 0; j < k; j++) sumFields.data[(f * k + j) * k + j] = 1;
  return {
    parameters: [w, b, e, ...layers.flatMap((l) => [l.w, l.b]), out],
    logits(ids, batch, training, stepRng) {
      const first = linear(reshape(embedding(w, ids, [batch, F]), [batch, F]), ones, b);
      const emb = reshape(embedding(e, ids, [batch, F]), [batch, F * k]);
      const s = matmul(emb, sumFields);
      const fm = scale(add(rowDot(s, s), scale(rowDot(emb, emb), -1)), 0.5);
      let h = emb;
      layers.forEach((l, i) => {
        h = dropout(relu(linear(h, l.w, l.b)), cfg.dropout, stepRng.split(`dropout-${i}`), training);
      });
      const deep = linear(h, out);
      return add(add(reshape(first, [batch]), fm), reshape(deep, [batch]));
    },
  };
}
