/**
 * K-NRM, the kernel-pooling interaction ranker (after Xiong et al., 2017), learning from the words
 * of the query and the title themselves rather than from hand-made features only:
 *
 * 1. every (stemmed) token gets a vector u(t) = W[t] + mean over its character n-grams g of G[g]
 *    (fastText-style subwords: "<drill>" → "<dr", "dri", …, "ill>", hashed into `subwordBuckets`
 *    rows), so a misspelling shares most of its n-grams, hence most of its vector, with the word;
 *    W starts from the PPMI + SVD word embeddings of the training view (embeddings.ts; no outside
 *    data), G from small seeded noise, and both are fine-tuned by the ranking loss;
 * 2. the translation matrix M_ij = cos(u(q_i), u(t_j)) between query and title tokens; two equal
 *    tokens match with M = 1 exactly (no gradient), so the exact-match kernel works for words no
 *    training text contained;
 * 3. RBF kernels K_k(i) = Σ_j exp(−(M_ij − μ_k)² / 2σ_k²): one exact-match kernel (μ 1, σ
 *    `exactWidth`) and `kernels − 1` soft ones with μ evenly spaced in (−1, 1) and σ `kernelWidth`;
 * 4. pooling φ_k = mean over query tokens of log(1 + K_k(i)) — log(1 + ·) rather than the paper's
 *    clamped log, so a query word without any match contributes 0 instead of log(ε), and the mean
 *    rather than the sum so φ does not grow with the query's length when it is mixed with features;
 * 5. a head, trained with the same gain-weighted pairwise RankNet loss as `neural`: an MLP over φ
 *    alone, or "K-NRM + features" (`withFeatures`) in one of two forms — `combine: concat`, one MLP
 *    over [φ ‖ the 27 standardised search features], or `combine: sum`, the `neural` ranker's MLP
 *    over the features plus a linear term wᵀφ that starts at 0 (the model starts as the feature
 *    ranker and uses the words only as far as the ranking loss finds them useful).
 *
 * Steps 1–4 are one fused layer with its backward written here: φ enters the nn tape as a leaf
 * tensor, and after backward() its gradient is carried by hand through the kernels and the cosine
 * into W and G (a translation matrix per pair as separate tape ops would be thousands of tiny ops
 * per batch). The head, the loss, Adam and the epoch loop are the nn library's (src/nn), the loop
 * is the one training loop (early stopping on validation NDCG@10 with the best weights restored,
 * per-epoch checkpoints + resume, Ctrl-C). Every sum runs in a fixed order: same seed + data ⇒
 * identical scores.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ModelStateError, parseWithSchema, Rng } from '../../core/index.ts';
import type { Product } from '../../data/search/types.ts';
import { evaluateSearch, searchNdcgAtK } from '../../eval/search.ts';
import { Adam, type Parameter, Tensor, add, backward, concatColumns, constantParameter, decodeParameters, encodeParameters, hashArray, linear, noGrad, normalParameter, runTrainingLoop, } from '../../nn/index.ts';
import { SEARCH_FEATURE_DEFAULTS, SearchFeatureExtractor, type SearchFeatureState, searchFeatureConfigSchema } from './features.ts';
import { concatLabels, groupSlices } from './gbdt-rankers.ts';
import { buildMlp, type FeatureStandardisation, featureStandardisation, type Mlp, standardiseFeatures } from './neural.ts';
import { queryGroupBatches, RankNetPairs } from './ranknet.ts';
import { notFitted, saveRankerJson } from './saved.ts';
import { stemmedTokens } from './text.ts';
import type { RankerFitInput, RankerQuery, SearchRanker } from './types.ts';

export const knrmRankerConfigSchema = z
  .object({
    /** Kernels in all: one exact-match kernel and `kernels − 1` soft ones. */
    kernels: z.number().int().min(2).max(41).default(11),
    /** σ of the soft kernels. */
    kernelWidth: z.number().positive().max(1).default(0.1),
    /** σ of the exact-match kernel (μ = 1). */
    exactWidth: z.number().positive().max(0.1).default(0.001),
    /** Feed the 27 standardised search features to the head next to the kernels ("K-NRM + features"). */
    withFeatures: z.boolean().default(true),
    /** How the kernels meet the features: one MLP over both (`concat`), or the features' MLP + a linear kernel term (`sum`). */
    combine: z.enum(['concat', 'sum']).default('concat'),
    hidden: z.array(z.number().int().positive()).default([32, 16]),
    /** Adam's learning rate of the head. */
    lr: z.number().positive().default(0.001),
    /** Adam's learning rate of the token embeddings (0 freezes them). */
    embeddingLr: z.number().min(0).default(0.003),
    /** Adam's L2 penalty on the head. */
    l2: z.number().min(0).default(0),
    /** Query groups per optimisation step. */
    batchGroups: z.number().int().positive().default(16),
    epochs: z.number().int().positive().default(40),
    /** Epochs without a better validation NDCG@10 before training stops. */
    patience: z.number().int().positive().default(5),
    /** Hash buckets of the character n-gram vectors (0: word vectors only, no subwords). */
    subwordBuckets: z.number().int().min(0).max(1 << 20).default(16384),
    minGram: z.number().int().min(1).max(8).default(3),
    maxGram: z.number().int().min(1).max(8).default(5),
    /** Expected length of a 12-n-gram word's initial subword mean (its share next to the unit PPMI vector). */
    subwordInit: z.number().min(0).default(0.5),
    /** The feature extractor, whose word embeddings also initialise W (`embeddingDim` is the token dimension). */
    features: searchFeatureConfigSchema.default(SEARCH_FEATURE_DEFAULTS),
  })
  .strict();
export type KnrmRankerConfig = z.infer<typeof knrmRankerConfigSchema>;
export const KNRM_RANKER_DEFAULTS: KnrmRankerConfig = knrmRankerConfigSchema.parse({});

/** Kernel centres and widths: exact match first, then the soft kernels from μ near 1 down to near −1. */
export function kernelCentres(kernels: number, width: number, exactWidth: number): { mu: Float64Array; sigma: Float64Array } {
  const mu = new Float64Array(kernels);
  const sigma = new Float64Array(kernels);
  mu[0] = 1;
  sigma[0] = exactWidth;
  const soft = kernels - 1;
  const step = 2 / soft;
  for (let k = 1; k < kernels; k++) {
    mu[k] = 1 - step / 2 - (k - 1) * step;
    sigma[k] = width;
  }
  return { mu, sigma };
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hashed character n-gram rows of a token, "<token>" with boundary marks; the same token ⇒ the same rows in the same order. */
export function subwordRows(token: string, minGram: number, maxGram: number, buckets: number): Int32Array {
  if (buckets <= 0) return new Int32Array(0);
  const s = `<${token}>`;
  const out: number[] = [];
  for (let n = minGram; n <= maxGram; n++) for (let i = 0; i + n <= s.length; i++) out.push(fnv1a(s.slice(i, i + n)) % buckets);
  return Int32Array.from(out);
}

/** The scoring head over φ (rows × kernels) and the standardised features (rows × 27, or null). */
export interface KnrmHead {
  readonly parameters: Parameter[];
  forward(phi: Tensor, features: Tensor | null): Tensor;
}

export interface KnrmNet {
  readonly words: Parameter;
  readonly grams: Parameter | null;
  readonly head: KnrmHead;
}

/** The head of a config: an MLP over φ (no features), over [φ ‖ features] (concat), or MLP(features) + wᵀφ (sum). */
export function buildKnrmHead(kernels: number, featureCount: number, withFeatures: boolean, combine: 'concat' | 'sum', hidden: readonly number[], rng: Rng): KnrmHead {
  if (!withFeatures || featureCount === 0) {
    const mlp = buildMlp(kernels, hidden, rng);
    return { parameters: mlp.parameters, forward: (phi) => mlp.forward(phi) };
  }
  if (combine === 'concat') {
    const mlp = buildMlp(kernels + featureCount, hidden, rng);
    return { parameters: mlp.parameters, forward: (phi, f) => mlp.forward(f ? concatColumns([phi, f]) : phi) };
  }
  const mlp: Mlp = buildMlp(featureCount, hidden, rng);
  const w = constantParameter('knrm.kernel.weight', [1, kernels], 0);
  const b = constantParameter('knrm.kernel.bias', [1], 0);
  return {
    parameters: [...mlp.parameters, w, b],
    forward: (phi, f) => (f ? add(mlp.forward(f), linear(phi, w, b)) : linear(phi, w, b)),
  };
}

/**
 * The token vectors of one batch (or of a scoring pass): distinct tokens, their unit vectors and
 * norms, and — while training — their gradient, carried into W and G by `scatter`.
 */
export class TokenTable {
  readonly ids = new Map<string, number>();
  readonly tokens: string[] = [];
  private unit = new Float64Array(0);
  private norm = new Float64Array(0);
  private grad = new Float64Array(0);

  constructor(
    private readonly dim: number,
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly net: KnrmNet,
    private readonly rowsOf: (token: string) => Int32Array,
  ) {}

  /** Local ids of a text's tokens (adding new tokens). */
  idsOf(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (t) => {
      let i = this.ids.get(t);
      if (i === undefined) {
        i = this.tokens.length;
        this.ids.set(t, i);
        this.tokens.push(t);
      }
      return i;
    });
  }

  /** Computes every token's vector from the current weights. */
  compute(): void {
    const d = this.dim;
    const n = this.tokens.length;
    this.unit = new Float64Array(n * d);
    this.norm = new Float64Array(n);
    this.grad = new Float64Array(n * d);
    const W = this.net.words.data;
    const G = this.net.grams?.data;
    const u = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const t = this.tokens[i]!;
      u.fill(0);
      const w = this.vocab.get(t);
      if (w !== undefined) for (let c = 0; c < d; c++) u[c] = W[w * d + c]!;
      if (G) {
        const rows = this.rowsOf(t);
        const inv = rows.length > 0 ? 1 / rows.length : 0;
        for (const r of rows) for (let c = 0; c < d; c++) u[c]! += inv * G[r * d + c]!;
      }
      let s = 0;
      for (let c = 0; c < d; c++) s += u[c]! * u[c]!;
      const norm = Math.sqrt(s);
      this.norm[i] = norm;
      if (norm > 1e-12) for (let c = 0; c < d; c++) this.unit[i * d + c] = u[c]! / norm;
    }
  }

  cosine(a: number, b: number): number {
    const d = this.dim;
    let s = 0;
    for (let c = 0; c < d; c++) s += this.unit[a * d + c]! * this.unit[b * d + c]!;
    return s;
  }

  /** dL/dM_ab into both tokens' unit-vector gradients. */
  addCosineGrad(a: number, b: number, g: number): void {
    const d = this.dim;
    for (let c = 0; c < d; c++) {
      this.grad[a * d + c]! += g * this.unit[b * d + c]!;
      this.grad[b * d + c]! += g * this.unit[a * d + c]!;
    }
  }

  /** The unit-vector gradients through the normalisation into W.grad and G.grad. */
  scatter(): void {
    const d = this.dim;
    const Wg = this.net.words.grad;
    const Gg = this.net.grams?.grad ?? null;
    const gu = new Float64Array(d);
    for (let i = 0; i < this.tokens.length; i++) {
      const norm = this.norm[i]!;
      if (!(norm > 1e-12)) continue;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += this.grad[i * d + c]! * this.unit[i * d + c]!;
      let any = false;
      for (let c = 0; c < d; c++) {
        gu[c] = (this.grad[i * d + c]! - dot * this.unit[i * d + c]!) / norm;
        if (gu[c] !== 0) any = true;
      }
      if (!any) continue;
      const t = this.tokens[i]!;
      const w = this.vocab.get(t);
      if (w !== undefined && Wg) for (let c = 0; c < d; c++) Wg[w * d + c]! += gu[c]!;
      if (Gg) {
        const rows = this.rowsOf(t);
        const inv = rows.length > 0 ? 1 / rows.length : 0;
        for (const r of rows) for (let c = 0; c < d; c++) Gg[r * d + c]! += inv * gu[c]!;
      }
    }
  }
}

/** One scored row: the query's and the title's token ids in a TokenTable. */
export interface PairRow {
  readonly q: Int32Array;
  readonly t: Int32Array;
}

/** φ (rows × kernels) of every pair, row-major. */
export function poolKernels(rows: readonly PairRow[], table: TokenTable, mu: Float64Array, sigma: Float64Array): Float32Array {
  const nk = mu.length;
  const out = new Float32Array(rows.length * nk);
  const K = new Float64Array(nk);
  rows.forEach((row, r) => {
    if (row.q.length === 0) return;
    const acc = new Float64Array(nk);
    for (const qi of row.q) {
      K.fill(0);
      for (const tj of row.t) {
        const m = qi === tj ? 1 : table.cosine(qi, tj);
        for (let k = 0; k < nk; k++) K[k]! += Math.exp(-((m - mu[k]!) ** 2) / (2 * sigma[k]! ** 2));
      }
      for (let k = 0; k < nk; k++) acc[k]! += Math.log1p(K[k]!);
    }
    for (let k = 0; k < nk; k++) out[r * nk + k] = acc[k]! / row.q.length;
  });
  return out;
}

/** dL/dφ (rows × kernels) back through the kernels into the table's token gradients. */
export function poolKernelsBackward(rows: readonly PairRow[], table: TokenTable, mu: Float64Array, sigma: Float64Array, gPhi: Float32Array): void {
  const nk = mu.length;
  const K = new Float64Array(nk);
  rows.forEach((row, r) => {
    const lq = row.q.length;
    if (lq === 0 || row.t.length === 0) return;
    const m = new Float64Array(row.t.length);
    for (const qi of row.q) {
      K.fill(0);
      row.t.forEach((tj, j) => {
        m[j] = qi === tj ? 1 : table.cosine(qi, tj);
        for (let k = 0; k < nk; k++) K[k]! += Math.exp(-((m[j]! - mu[k]!) ** 2) / (2 * sigma[k]! ** 2));
      });
      row.t.forEach((tj, j) => {
        if (qi === tj) return;
        let g = 0;
        for (let k = 0; k < nk; k++) {
          const gk = gPhi[r * nk + k]!;
          if (gk === 0) continue;
          const diff = m[j]! - mu[k]!;
          const s2 = sigma[k]! ** 2;
          g += (gk / (lq * (1 + K[k]!))) * Math.exp(-(diff * diff) / (2 * s2)) * (-diff / s2);
        }
        if (g !== 0) table.addCosineGrad(qi, tj, g);
      });
    }
  });
}

interface KnrmState {
  readonly features: SearchFeatureState;
  readonly mean: number[];
  readonly sd: number[];
  /** src/nn parameter file bytes (W, G, head), base64. */
  readonly weights: string;
}

interface KnrmEpochLog {
  readonly epoch: number;
  readonly loss: number;
  readonly seconds: number;
  readonly validNdcg10?: number;
}

/** Cached unit vectors past which the scoring cache starts over. */
const SCORE_CACHE_LIMIT = 200_000;

export class KnrmRanker implements SearchRanker {
  readonly name = 'knrm';
  readonly predictsLabels = false;
  readonly config: KnrmRankerConfig;
  private features: SearchFeatureExtractor | null = null;
  private standard: FeatureStandardisation | null = null;
  private net: KnrmNet | null = null;
  private vocab: ReadonlyMap<string, number> = new Map();
  private readonly kernels: { mu: Float64Array; sigma: Float64Array };
  private readonly gramCache = new Map<string, Int32Array>();
  /** Set by fit(). */
  report: { epochs: number; bestEpoch: number; validNdcg10: number | null; seconds: number; vocabulary: number } | null = null;

  constructor(config: Partial<KnrmRankerConfig> | Readonly<Record<string, unknown>> = {}) {
    this.config = parseWithSchema(knrmRankerConfigSchema, config, { label: 'knrm config' });
    if (this.config.minGram > this.config.maxGram) throw new ConfigError(`knrm config: minGram ${this.config.minGram} is above maxGram ${this.config.maxGram}`, { field: 'minGram' });
    this.kernels = kernelCentres(this.config.kernels, this.config.kernelWidth, this.config.exactWidth);
  }

  private rowsOf = (token: string): Int32Array => {
    let rows = this.gramCache.get(token);
    if (rows === undefined) {
      if (this.gramCache.size >= SCORE_CACHE_LIMIT) this.gramCache.clear();
      rows = subwordRows(token, this.config.minGram, this.config.maxGram, this.config.subwordBuckets);
      this.gramCache.set(token, rows);
    }
    return rows;
  };

  private buildNet(vocabSize: number, dim: number, featureCount: number, rng: Rng): KnrmNet {
    const c = this.config;
    const words = normalParameter('knrm.words', [Math.max(1, vocabSize), dim], 0, rng.split('words'));
    const gramStd = dim > 0 ? c.subwordInit * Math.sqrt(12 / dim) : 0;
    const grams = c.subwordBuckets > 0 ? normalParameter('knrm.subwords', [c.subwordBuckets, dim], gramStd, rng.split('subwords')) : null;
    return { words, grams, head: buildKnrmHead(c.kernels, featureCount, c.withFeatures, c.combine, c.hidden, rng.split('head')) };
  }

  private textTokens = (text: string): string[] => stemmedTokens(text);

  /** Rows (query tokens, title tokens) of every product of `groups`, in group order. */
  private pairRows(groups: readonly { readonly query: string; readonly productIds: readonly string[] }[], products: ReadonlyMap<string, Product>, table: TokenTable): PairRow[] {
    const rows: PairRow[] = [];
    const titleIds = new Map<string, Int32Array>();
    for (const g of groups) {
      const q = table.idsOf(this.textTokens(g.query));
      for (const id of g.productIds) {
        let t = titleIds.get(id);
        if (t === undefined) {
          const p = products.get(id);
          if (!p) throw new ModelStateError(`search ranker: product '${id}' of query '${g.query}' is not in the catalogue`);
          t = table.idsOf(this.textTokens(p.title));
          titleIds.set(id, t);
        }
        rows.push({ q, t });
      }
    }
    return rows;
  }

  /** Head scores (no tape) of rows given their φ and standardised features. */
  private headScores(net: KnrmNet, phi: Float32Array, feats: Float32Array | null, n: number): Float64Array {
    return noGrad(() => {
      const f = feats ? new Tensor(feats, [n, feats.length / Math.max(1, n)]) : null;
      return Float64Array.from(net.head.forward(new Tensor(phi, [n, this.config.kernels]), f).data);
    });
  }

  async fit(input: RankerFitInput): Promise<void> {
    const t0 = performance.now();
    const c = this.config;
    const root = new Rng(input.seed);
    const features = SearchFeatureExtractor.fit(input.train, input.products, input.labelScale, c.features, input.seed);
    const ppmi = features.embeddings;
    const dim = Math.max(1, ppmi.dim || c.features.embeddingDim);
    const vocab = new Map(ppmi.vocab.map((w, i) => [w, i]));
    const net = this.buildNet(vocab.size, dim, features.names.length, root.split('init'));
    // W starts from the PPMI + SVD vectors (unit length), fitted on the training view only.
    if (ppmi.dim === dim) net.words.data.set(ppmi.vectors.subarray(0, Math.min(ppmi.vectors.length, net.words.data.length)));

    const train = features.matrix(input.train, input.products);
    const standard = featureStandardisation(train.X, train.n, train.d);
    const X = c.withFeatures ? standardiseFeatures(train.X, train.n, train.d, standard) : null;
    const labels = concatLabels(input.train);
    const valid = input.valid && input.valid.length > 0 ? input.valid : null;
    const validX = valid ? features.matrix(valid, input.products) : null;
    const validStd = validX && c.withFeatures ? standardiseFeatures(validX.X, validX.n, validX.d, standard) : null;
    const nk = c.kernels;
    const { mu, sigma } = this.kernels;
    const headAdam = new Adam(net.head.parameters, { lr: c.lr, weightDecay: c.l2 });
    const embeddingParams = [net.words, ...(net.grams ? [net.grams] : [])];
    const embeddingAdam = new Adam(embeddingParams, { lr: c.embeddingLr });
    // Texts as token strings once; each batch maps them into its own table.
    const trainQueryTokens = input.train.map((g) => this.textTokens(g.query));
    const titleTokens = new Map<string, string[]>();
    const titleOf = (id: string): string[] => {
      let t = titleTokens.get(id);
      if (t === undefined) {
        const p = input.products.get(id);
        if (!p) throw new ModelStateError(`search ranker: product '${id}' is not in the catalogue`);
        t = this.textTokens(p.title);
        titleTokens.set(id, t);
      }
      return t;
    };
    const ndcg10 = searchNdcgAtK(10);
    const groups = input.train.length;
    const d = train.d;
    input.progress?.line(`knrm: ${train.n} training pairs in ${groups} queries, ${vocab.size} words × ${dim} + ${c.subwordBuckets} subword buckets, ${nk} kernels${c.withFeatures ? ` + ${d} features` : ''}, head ${c.withFeatures && c.combine === 'sum' ? `${[d, ...c.hidden, 1].join('→')} + linear(${nk})` : [nk + (c.withFeatures ? d : 0), ...c.hidden, 1].join('→')}`);
    const textHash = createHash('sha256');
    input.train.forEach((g) => textHash.update(`${g.query}\u0000${g.productIds.map((id) => titleOf(id).join(' ')).join('\u0001')}\u0002`));
    const fingerprint = {
      kind: 'search-knrm', config: { ...c, epochs: undefined }, seed: input.seed, X: hashArray(train.X), labels: hashArray(labels), text: textHash.digest('hex').slice(0, 16),
      ...(validX ? { valid: hashArray(validX.X) } : {}),
    };
    const parameters = [...embeddingParams, ...net.head.parameters];
    const result = await runTrainingLoop<KnrmEpochLog>({
      label: 'knrm',
      maxEpochs: c.epochs,
      rng: root,
      parameters,
      optimizers: [headAdam, embeddingAdam],
      earlyStopping: valid ? { metric: 'valid NDCG@10', direction: 'higher', patience: c.patience } : undefined,
      checkpoint: input.checkpointDir ? { path: join(input.checkpointDir, 'checkpoint.bin'), fingerprint } : undefined,
      progress: input.progress,
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
            const table = new TokenTable(dim, vocab, net, this.rowsOf);
            const rows: PairRow[] = [];
            const featureRows: number[] = [];
            const pairs = new RankNetPairs(input.labelScale);
            for (const g of chosen) {
              const from = train.bounds[g]!;
              const to = train.bounds[g + 1]!;
              pairs.addGroup(labels, from, to, rows.length);
              const q = table.idsOf(trainQueryTokens[g]!);
              input.train[g]!.productIds.forEach((id, k) => {
                rows.push({ q, t: table.idsOf(titleOf(id)) });
                featureRows.push(from + k);
              });
            }
            if (pairs.size === 0) return;
            table.compute();
            const n = rows.length;
            const phi = new Tensor(poolKernels(rows, table, mu, sigma), [n, nk], c.embeddingLr > 0);
            let f: Tensor | null = null;
            if (X) {
              const xb = new Float32Array(n * d);
              featureRows.forEach((r, k) => xb.set(X.subarray(r * d, (r + 1) * d), k * d));
              f = new Tensor(xb, [n, d]);
            }
            headAdam.zeroGrad();
            embeddingAdam.zeroGrad();
            const s = net.head.forward(phi, f);
            const loss = pairs.loss(s);
            const l = loss.item();
            if (!Number.isFinite(l)) throw new ModelStateError(`knrm: training loss became ${l} at epoch ${epoch}, batch ${b + 1}`);
            backward(loss);
            headAdam.step();
            if (c.embeddingLr > 0 && phi.grad) {
              for (const p of embeddingParams) if (p.grad === null) p.grad = new Float32Array(p.size);
              poolKernelsBackward(rows, table, mu, sigma, phi.grad);
              table.scatter();
              embeddingAdam.step();
            }
            lossSum += l;
            steps++;
          },
          finish: (validate) => {
            let validNdcg10: number | undefined;
            if (validate && valid && validX) {
              const table = new TokenTable(dim, vocab, net, this.rowsOf);
              const rows = this.pairRows(valid, input.products, table);
              table.compute();
              const scores = this.headScores(net, poolKernels(rows, table, mu, sigma), validStd, rows.length);
              validNdcg10 = evaluateSearch(valid, groupSlices(scores, validX.bounds), input.labelScale, [ndcg10]).means['NDCG@10']!;
            }
            const log: KnrmEpochLog = { epoch, loss: lossSum / Math.max(1, steps), seconds: (performance.now() - te) / 1000, ...(validNdcg10 !== undefined ? { validNdcg10 } : {}) };
            return { log, ...(validNdcg10 !== undefined ? { score: validNdcg10 } : {}) };
          },
        };
      },
      line: (log, improved) => `knrm epoch ${String(log.epoch).padStart(3)}/${c.epochs} loss ${log.loss.toFixed(4)}${log.validNdcg10 !== undefined ? ` valid NDCG@10 ${log.validNdcg10.toFixed(4)}${improved ? ' *' : ''}` : ''} ${log.seconds.toFixed(1)}s`,
    });
    // Only a finished fit replaces the model (a cancelled one leaves the ranker as it was).
    for (const p of parameters) p.grad = null;
    this.features = features;
    this.standard = standard;
    this.vocab = vocab;
    this.net = net;
    this.report = { epochs: result.logs.length, bestEpoch: result.bestEpoch, validNdcg10: result.bestScore, seconds: (performance.now() - t0) / 1000, vocabulary: vocab.size };
  }

  score(query: RankerQuery, products: ReadonlyMap<string, Product>): Float64Array {
    if (!this.features || !this.net || !this.standard) throw notFitted(this.name);
    const n = query.productIds.length;
    if (n === 0) return new Float64Array(0);
    // A fresh table per call: the vectors are a pure function of the fitted weights, so caching
    // them across calls would change nothing but memory.
    const table = new TokenTable(this.net.words.shape[1]!, this.vocab, this.net, this.rowsOf);
    const rows = this.pairRows([query], products, table);
    table.compute();
    const phi = poolKernels(rows, table, this.kernels.mu, this.kernels.sigma);
    const feats = this.config.withFeatures ? standardiseFeatures(this.features.features(query.query, query.productIds, products), n, this.features.names.length, this.standard) : null;
    return this.headScores(this.net, phi, feats, n);
  }

  save(): string {
    if (!this.features || !this.net || !this.standard) throw notFitted(this.name);
    const params = [this.net.words, ...(this.net.grams ? [this.net.grams] : []), ...this.net.head.parameters];
    const state: KnrmState = {
      features: this.features.state, mean: Array.from(this.standard.mean), sd: Array.from(this.standard.sd),
      weights: Buffer.from(encodeParameters(params)).toString('base64'),
    };
    return saveRankerJson(this.name, this.config, state);
  }

  static restore(config: Readonly<Record<string, unknown>>, state: unknown): KnrmRanker {
    const r = new KnrmRanker(config);
    const s = state as Partial<KnrmState>;
    if (!s || !s.features || !Array.isArray(s.mean) || !Array.isArray(s.sd) || typeof s.weights !== 'string') throw new ModelStateError('knrm: malformed saved state');
    r.features = SearchFeatureExtractor.fromState(s.features);
    const d = r.features.names.length;
    if (s.mean.length !== d || s.sd.length !== d) throw new ModelStateError(`knrm: saved standardisation has ${s.mean.length} features, the extractor ${d}`);
    r.standard = { mean: Float64Array.from(s.mean), sd: Float64Array.from(s.sd) };
    const ppmi = r.features.embeddings;
    const dim = Math.max(1, ppmi.dim || r.config.features.embeddingDim);
    const net = r.buildNet(ppmi.vocab.length, dim, d, new Rng(0));
    try {
      decodeParameters([net.words, ...(net.grams ? [net.grams] : []), ...net.head.parameters], Buffer.from(s.weights, 'base64'), 'knrm ranker weights');
    } catch (e) {
      throw new ModelStateError((e as Error).message);
    }
    r.vocab = new Map(ppmi.vocab.map((w, i) => [w, i]));
    r.net = net;
    return r;
  }
}
