/**
 * The neural cross-feature ranker: an MLP over the standardised search features (features.ts),
 * trained with the pairwise RankNet loss — for every pair (i, j) of one query with
 * label_i > label_j, log(1 + e^{−(s_i − s_j)}) weighted by the gain difference
 * 2^(label_i − min) − 2^(label_j − min), so a swap of a highly relevant and an irrelevant product
 * costs more than a swap of two near-equal ones. Adam over batches of query groups, on the one
 * training loop (src/nn/training.ts): per-epoch RNG streams, early stopping on validation NDCG@10
 * with the best weights restored, per-epoch checkpoints + resume, Ctrl-C.
 *
 * Standardising: each feature's training mean and standard deviation; a missing (NaN) feature
 * becomes 0 after standardising (the training mean), values are clipped to ±8.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ModelStateError, parseWithSchema, Rng } from '../../core/index.ts';
import type { Product } from '../../data/search/types.ts';
import { evaluateSearch, searchNdcgAtK } from '../../eval/search.ts';
import {
  Adam, type Parameter, Tensor, backward, constantParameter, decodeParameters, encodeParameters, hashArray, linear,
  noGrad, relu, runTrainingLoop, uniformParameter,
} from '../../nn/index.ts';
import { concatLabels, groupSlices } from './gbdt-rankers.ts';
import { SEARCH_FEATURE_DEFAULTS, SearchFeatureExtractor, type SearchFeatureState, searchFeatureConfigSchema } from './features.ts';
import { queryGroupBatches, RankNetPairs } from './ranknet.ts';
import { notFitted, saveRankerJson } from './saved.ts';
import type { RankerFitInput, RankerQuery, SearchRanker } from './types.ts';

export const neuralRankerConfigSchema = z
  .object({
    hidden: z.array(z.number().int().positive()).default([32, 16]),
    lr: z.number().positive().default(0.001),
    /** Adam's L2 penalty. */
    l2: z.number().min(0).default(0),
    /** Query groups per optimisation step. */
    batchGroups: z.number().int().positive().default(32),
    epochs: z.number().int().positive().default(40),
    /** Epochs without a better validation NDCG@10 before training stops. */
    patience: z.number().int().positive().default(5),
    features: searchFeatureConfigSchema.default(SEARCH_FEATURE_DEFAULTS),
  })
  .strict();
export type NeuralRankerConfig = z.infer<typeof neuralRankerConfigSchema>;
export const NEURAL_RANKER_DEFAULTS: NeuralRankerConfig = neuralRankerConfigSchema.parse({});

const CLIP = 8;

/** Each feature's training mean and standard deviation (NaN values left out; a constant feature gets sd 1). */
export function featureStandardisation(X: Float64Array, n: number, d: number): FeatureStandardisation {
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let f = 0; f < d; f++) {
    let s = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = X[i * d + f]!;
      if (!Number.isNaN(v)) {
        s += v;
        m++;
      }
    }
    mean[f] = m ? s / m : 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const v = X[i * d + f]!;
      if (!Number.isNaN(v)) ss += (v - mean[f]!) ** 2;
    }
    sd[f] = m > 1 && ss > 0 ? Math.sqrt(ss / (m - 1)) : 1;
  }
  return { mean, sd };
}

/** Standardised features as float32: (x − mean) / sd clipped to ±8; a missing (NaN) feature becomes 0. */
export function standardiseFeatures(X: Float64Array, n: number, d: number, standard: FeatureStandardisation): Float32Array {
  const { mean, sd } = standard;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < d; f++) {
      const v = X[i * d + f]!;
      out[i * d + f] = Number.isNaN(v) ? 0 : Math.max(-CLIP, Math.min(CLIP, (v - mean[f]!) / sd[f]!));
    }
  }
  return out;
}

export interface FeatureStandardisation {
  readonly mean: Float64Array;
  readonly sd: Float64Array;
}

interface NeuralState {
  readonly features: SearchFeatureState;
  readonly mean: number[];
  readonly sd: number[];
  /** src/nn parameter file bytes, base64. */
  readonly weights: string;
}

export interface Mlp {
  readonly parameters: Parameter[];
  forward(x: Tensor): Tensor;
}

export function buildMlp(inputs: number, hidden: readonly number[], rng: Rng): Mlp {
  const layers: { w: Parameter; b: Parameter }[] = [];
  let width = inputs;
  hidden.forEach((h, i) => {
    layers.push({ w: uniformParameter(`ranker.mlp.${i}.weight`, [h, width], Math.sqrt(6 / (width + h)), rng.split(`mlp-${i}`)), b: constantParameter(`ranker.mlp.${i}.bias`, [h], 0) });
    width = h;
  });
  const out = uniformParameter('ranker.out.weight', [1, width], 1 / Math.sqrt(width), rng.split('out'));
  const outBias = constantParameter('ranker.out.bias', [1], 0);
  return {
    parameters: [...layers.flatMap((l) => [l.w, l.b]), out, outBias],
    forward(x) {
      let h = x;
      for (const l of layers) h = relu(linear(h, l.w, l.b));
      return linear(h, out, outBias);
    },
  };
}

interface NeuralEpochLog {
  readonly epoch: number;
  readonly loss: number;
  readonly seconds: number;
  readonly validNdcg10?: number;
}

export class NeuralRanker implements SearchRanker {
  readonly name = 'neural';
  readonly predictsLabels = false;
  readonly config: NeuralRankerConfig;
  private features: SearchFeatureExtractor | null = null;
  private standard: { mean: Float64Array; sd: Float64Array } | null = null;
  private net: Mlp | null = null;
  /** Set by fit(). */
  report: { epochs: number; bestEpoch: number; validNdcg10: number | null; seconds: number } | null = null;

  constructor(config: Partial<NeuralRankerConfig> | Readonly<Record<string, unknown>> = {}) {
    this.config = parseWithSchema(neuralRankerConfigSchema, config, { label: 'neural config' });
  }

  async fit(input: RankerFitInput): Promise<void> {
    const t0 = performance.now();
    const c = this.config;
    const root = new Rng(input.seed);
    const features = SearchFeatureExtractor.fit(input.train, input.products, input.labelScale, c.features, input.seed);
    const train = features.matrix(input.train, input.products);
    const d = train.d;
    const standard = featureStandardisation(train.X, train.n, d);
    const X = standardiseFeatures(train.X, train.n, d, standard);
    const labels = concatLabels(input.train);
    const net = buildMlp(d, c.hidden, root.split('init'));
    const adam = new Adam(net.parameters, { lr: c.lr, weightDecay: c.l2 });
    const valid = input.valid && input.valid.length > 0 ? input.valid : null;
    const validX = valid ? features.matrix(valid, input.products) : null;
    const validStd = validX ? standardiseFeatures(validX.X, validX.n, d, standard) : null;
    const ndcg10 = searchNdcgAtK(10);
    const groups = input.train.length;
    const progress = input.progress;
    progress?.line(`neural: ${train.n} training pairs in ${groups} queries, ${d} features, MLP ${[d, ...c.hidden, 1].join('→')}`);
    const fingerprint = { kind: 'search-neural', config: { ...c, epochs: undefined }, seed: input.seed, X: hashArray(X), labels: hashArray(labels), ...(validStd ? { valid: hashArray(validStd) } : {}) };
    const result = await runTrainingLoop<NeuralEpochLog>({
      label: 'neural',
      maxEpochs: c.epochs,
      rng: root,
      parameters: net.parameters,
      optimizers: [adam],
      earlyStopping: valid ? { metric: 'valid NDCG@10', direction: 'higher', patience: c.patience } : undefined,
      checkpoint: input.checkpointDir ? { path: join(input.checkpointDir, 'checkpoint.bin'), fingerprint } : undefined,
      progress,
      cancel: input.cancel,
      epoch: (epoch, erng) => {
        const te = performance.now();
        const batches = queryGroupBatches(groups, c.batchGroups, erng);
        let lossSum = 0;
        let steps = 0;
        return {
          batches: batches.batches,
          step: (b) => {
            const chosen = batches.groupsOf(b);
            const rows: number[] = [];
            const pairs = new RankNetPairs(input.labelScale);
            for (const g of chosen) {
              const from = train.bounds[g]!;
              const to = train.bounds[g + 1]!;
              pairs.addGroup(labels, from, to, rows.length);
              for (let r = from; r < to; r++) rows.push(r);
            }
            if (pairs.size === 0) return;
            const xb = new Float32Array(rows.length * d);
            rows.forEach((r, k) => xb.set(X.subarray(r * d, (r + 1) * d), k * d));
            adam.zeroGrad();
            const s = net.forward(new Tensor(xb, [rows.length, d]));
            const loss = pairs.loss(s);
            const l = loss.item();
            if (!Number.isFinite(l)) throw new ModelStateError(`neural: training loss became ${l} at epoch ${epoch}, batch ${b + 1}`);
            backward(loss);
            adam.step();
            lossSum += l;
            steps++;
          },
          finish: (validate) => {
            let validNdcg10: number | undefined;
            if (validate && valid && validX && validStd) {
              const scores = NeuralRanker.forwardRows(net, validStd, validX.n);
              validNdcg10 = evaluateSearch(valid, groupSlices(scores, validX.bounds), input.labelScale, [ndcg10]).means['NDCG@10']!;
            }
            const log: NeuralEpochLog = { epoch, loss: lossSum / Math.max(1, steps), seconds: (performance.now() - te) / 1000, ...(validNdcg10 !== undefined ? { validNdcg10 } : {}) };
            return { log, ...(validNdcg10 !== undefined ? { score: validNdcg10 } : {}) };
          },
        };
      },
      line: (log, improved) => `neural epoch ${String(log.epoch).padStart(3)}/${c.epochs} loss ${log.loss.toFixed(4)}${log.validNdcg10 !== undefined ? ` valid NDCG@10 ${log.validNdcg10.toFixed(4)}${improved ? ' *' : ''}` : ''} ${log.seconds.toFixed(1)}s`,
    });
    // Only a finished fit replaces the model (a cancelled one leaves the ranker as it was).
    this.features = features;
    this.standard = standard;
    this.net = net;
    this.report = { epochs: result.logs.length, bestEpoch: result.bestEpoch, validNdcg10: result.bestScore, seconds: (performance.now() - t0) / 1000 };
  }

  private static forwardRows(net: Mlp, x: Float32Array, n: number): Float64Array {
    const d = x.length / Math.max(1, n);
    return noGrad(() => Float64Array.from(net.forward(new Tensor(x, [n, d])).data));
  }

  score(query: RankerQuery, products: ReadonlyMap<string, Product>): Float64Array {
    if (!this.features || !this.net || !this.standard) throw notFitted(this.name);
    const n = query.productIds.length;
    if (n === 0) return new Float64Array(0);
    const X = this.features.features(query.query, query.productIds, products);
    return NeuralRanker.forwardRows(this.net, standardiseFeatures(X, n, this.features.names.length, this.standard), n);
  }

  save(): string {
    if (!this.features || !this.net || !this.standard) throw notFitted(this.name);
    const state: NeuralState = {
      features: this.features.state, mean: Array.from(this.standard.mean), sd: Array.from(this.standard.sd),
      weights: Buffer.from(encodeParameters(this.net.parameters)).toString('base64'),
    };
    return saveRankerJson(this.name, this.config, state);
  }

  static restore(config: Readonly<Record<string, unknown>>, state: unknown): NeuralRanker {
    const r = new NeuralRanker(config);
    const s = state as Partial<NeuralState>;
    if (!s || !s.features || !Array.isArray(s.mean) || !Array.isArray(s.sd) || typeof s.weights !== 'string') throw new ModelStateError('neural: malformed saved state');
    r.features = SearchFeatureExtractor.fromState(s.features);
    const d = r.features.names.length;
    if (s.mean.length !== d || s.sd.length !== d) throw new ModelStateError(`neural: saved standardisation has ${s.mean.length} features, the extractor ${d}`);
    r.standard = { mean: Float64Array.from(s.mean), sd: Float64Array.from(s.sd) };
    const net = buildMlp(d, r.config.hidden, new Rng(0));
    try {
      decodeParameters(net.parameters, Buffer.from(s.weights, 'base64'), 'neural ranker weights');
    } catch (e) {
      throw new ModelStateError((e as Error).message);
    }
    r.net = net;
    return r;
  }
}
