/**
 * CTGAN-style conditional GAN for tables (Xu et al. 2019, "Modeling Tabular data using Conditional
 * GAN"), written from the paper on samplify's own autograd:
 *
 * - data: the shared DataTransformer (mode-specific normalisation, one-hot, bucketed ids);
 * - conditional vector + training-by-sampling: per row, a discrete column is picked uniformly, a
 *   category of it with probability ∝ log(1 + frequency), and a real row having that category;
 *   the generator gets the one-hot of (column, category) and a cross-entropy term that makes its
 *   output for that column match;
 * - generator: z ⊕ cond → residual blocks h ← [ReLU(BN(W h + b)), h] → linear → tanh on scalars,
 *   Gumbel-softmax (τ = 0.2) on one-hot spans. Batch norm with batch statistics at sampling too
 *   (generatorNorm 'batch-train', SDV's behaviour and the default since it measured better on
 *   ml-100k: docs/results/table-synthesis.md); 'layer' makes a row's output independent of the
 *   other rows of its batch (docs/decisions/gan-vae.md);
 * - discriminator: PacGAN (pac rows concatenated into one input), LeakyReLU(0.2), dropout 0.5;
 * - WGAN-GP loss with λ = 10. Our autograd has no double backward, so ∇ₓD(x̂) is written out as
 *   differentiable ops: for an MLP it is Wₗᵀ-chain with the activation-derivative and dropout masks,
 *   which are constants (piecewise-constant LeakyReLU slope, fixed dropout draw); the penalty
 *   (‖∇ₓD(x̂)‖ − 1)² is then differentiated w.r.t. the weights by the ordinary tape
 *   (`discriminatorInputGradient`, tested against finite differences);
 * - Adam lr 2e-4, betas (0.5, 0.9), weight decay 1e-6 for both networks;
 * - optional DP-SGD (`dp`), on the critic — the only network that reads real rows; the generator
 *   learns through the critic alone, so its weights are post-processing. pac is 1 under DP (an
 *   example is one row). Each critic step Poisson-samples real rows (rate batchSize / rows); a
 *   row's example loss D(fake) − D(real) pairs it with a generated row under the row's own
 *   condition; per-example gradients are clipped (ghost norms) and the sum noised. The gradient
 *   penalty is taken at generated rows only, so it reads no real data. Training-by-sampling's
 *   category frequencies are released once as Gaussian-noised counts (their own noise multiplier,
 *   in the same RDP account). The data transformer (modes, category lists, id buckets) and the
 *   exact-copy filter read the data outside the guarantee, as in TVAE's DP mode.
 *
 * All randomness (transformer, initialisation, batches, noise, dropout, sampling) comes from the
 * fit seed or the sample seed.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ModelStateError, Rng, silentProgress } from '../core/index.ts';
import type { Table, TableMetadata } from '../data/index.ts';
import * as nn from '../nn/index.ts';
import { type CandidateSource, SampleGuard, finalizeSample } from './conditions.ts';
import { type Dense, type Norm, checkFinite, dense, fmt, gumbelNoise, norm, normals, parseSynthConfig, readModelFile, sampleSpans, writeModelFile, positiveInt, layerDims, transformerConfigFields } from './neural-tabular.ts';
import { type DpAccount, dpSgdEpsilon, gaussianMechanismRdp } from './dp.ts';
import { DataTransformer, type TransformerState } from './transformer.ts';
import type { Conditions, LossPoint, SampleOptions, SampleResult, SynthFitOptions, SynthFitReport, Synthesizer } from './types.ts';


export const ctganConfigSchema = z
  .object({
    /** Epochs when fit() is not given options.epochs (the paper's default is 300). */
    epochs: positiveInt.default(300),
    batchSize: positiveInt.default(500),
    /** Rows per discriminator input (PacGAN); batchSize must be a multiple of it. */
    pac: positiveInt.default(10),
    embeddingDim: positiveInt.default(128),
    generatorDims: layerDims.default([256, 256]),
    discriminatorDims: layerDims.default([256, 256]),
    generatorLr: z.number().positive().default(2e-4),
    discriminatorLr: z.number().positive().default(2e-4),
    beta1: z.number().min(0).lt(1).default(0.5),
    beta2: z.number().min(0).lt(1).default(0.9),
    weightDecay: z.number().min(0).default(1e-6),
    gradientPenalty: z.number().min(0).default(10),
    discriminatorSteps: positiveInt.default(1),
    dropout: z.number().min(0).lt(1).default(0.5),
    leakySlope: z.number().min(0).max(1).default(0.2),
    gumbelTau: z.number().positive().default(0.2),
    /**
     * Normalisation in the generator's residual blocks: 'layer' (each row independent of its
     * batch), 'batch' (the paper's; batch statistics in training, running ones at sampling) or
     * 'batch-train' (default; batch statistics at sampling too, as SDV's CTGAN samples — its
     * generator is never switched to eval mode: rows are generated in full batches of batchSize,
     * so a row depends on the other rows of its batch, still the same for a seed). Models saved
     * before this option existed are 'layer'.
     */
    generatorNorm: z.enum(['layer', 'batch', 'batch-train']).default('batch-train'),
    /**
     * The critic step's real rows are drawn for the batch's conditions in a shuffled order (SDV's
     * CTGAN: real rows for c1[perm], concatenated with c1[perm]), so a pac group of real rows
     * carries other conditions than the fake group it is compared with, and the gradient penalty
     * interpolates between rows of different conditions. false: the same order (each real row
     * beside the fake row of its own condition). Not used under dp, whose example is a real row
     * and a fake row under the same condition.
     */
    permuteRealConditions: z.boolean().default(false),
    /**
     * How unconditional sampling draws each batch's conditional vector (a discrete column uniformly,
     * then one of its categories): 'frequency' by the training counts, or 'log-frequency' by
     * log(1 + count), the distribution training-by-sampling trained the generator under — SDV's
     * CTGAN samples so (its sample_original_condvec reads the log-frequency table when
     * log_frequency is on). With batch statistics at sampling ('batch-train'), a batch then has the
     * composition the generator's batch norm saw in training, but rare categories are over-produced.
     * 'training-batches': batches drawn by log-frequency as in training, and each row kept with
     * probability ∝ p_frequency / p_log-frequency of its condition (rejection sampling, about
     * 1 / max ratio of the rows kept): the batch statistics of training with the conditions of
     * 'frequency'.
     */
    sampleConditions: z.enum(['frequency', 'log-frequency', 'training-batches']).default('frequency'),
    /**
     * Decay of an exponential moving average of the generator's weights over its steps (Polyak
     * averaging, nn.WeightAverage; 0 = off, as SDV's CTGAN and models saved before this option):
     * the fitted generator is the average, not the last step's weights. The generator and the
     * critic chase each other, so the marginals of the rows a single step's generator writes swing
     * by several points from epoch to epoch (bench/ctgan-epoch-study.ts); the average over the
     * last ~1 / (1 − decay) steps does not.
     */
    generatorAverage: z.number().min(0).lt(1).default(0.999),
    /**
     * A discrete column the rows will be used to predict (the label of a train-on-synthetic task).
     * An auxiliary classifier learns it from the other columns of real rows, and the generator pays
     * classifierWeight × the classifier's cross-entropy between its rows' other columns and the
     * label it wrote for them (CTAB-GAN's classifier loss, Zhao et al. 2021): the critic judges rows
     * as a whole, and a weak column-to-label link is among the last things its signal teaches.
     * The classifier only shapes training; it is not saved. Not with `dp` (it reads real rows
     * outside the guarantee). Unset by default, as SDV's CTGAN.
     */
    targetColumn: z.string().min(1).optional().describe('a column name of the fitted table (checked at fit)'),
    classifierDims: layerDims.default([256, 256]),
    classifierWeight: z.number().min(0).default(1),
    ...transformerConfigFields({ fitValues: 0, maxIterations: 100 }),
    /**
     * DP-SGD on the critic (see the header; pac must be 1): noise std noiseMultiplier · maxGradNorm
     * on the sum of per-row gradients clipped to maxGradNorm; category counts noised with std
     * countNoiseMultiplier · √(discrete columns); ε for delta (default min(1e-5, 1/rows)) by the
     * RDP accountant in dp.ts.
     */
    dp: z
      .object({
        noiseMultiplier: z.number().positive(),
        maxGradNorm: z.number().positive().default(1),
        countNoiseMultiplier: z.number().positive().default(5),
        delta: z.number().gt(0).lt(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type CtganConfig = z.infer<typeof ctganConfigSchema>;

export interface Generator {
  readonly norm: 'layer' | 'batch' | 'batch-train';
  /** ln: the block's normalisation (layer or batch norm affine parameters); running: batch norm's running mean/var. */
  readonly blocks: { readonly fc: Dense; readonly ln: Norm; readonly running: { mean: nn.Parameter; variance: nn.Parameter } | null }[];
  readonly out: Dense;
}

export interface Discriminator {
  readonly hidden: Dense[];
  readonly out: Dense;
}

/** Trainable generator parameters. */
function generatorParams(g: Generator): nn.Parameter[] {
  return [...g.blocks.flatMap((b) => [b.fc.w, b.fc.b, b.ln.gamma, b.ln.beta]), g.out.w, g.out.b];
}

/** Everything the generator needs to sample: trainable parameters and batch-norm running statistics. */
function generatorState(g: Generator): nn.Parameter[] {
  return [...generatorParams(g), ...g.blocks.flatMap((b) => (b.running === null ? [] : [b.running.mean, b.running.variance]))];
}

function discriminatorParams(d: Discriminator): nn.Parameter[] {
  return [...d.hidden.flatMap((l) => [l.w, l.b]), d.out.w, d.out.b];
}

function buildGenerator(cfg: CtganConfig, condWidth: number, width: number, rng: Rng): Generator {
  let nIn = cfg.embeddingDim + condWidth;
  const blocks = cfg.generatorDims.map((d, i) => {
    const running = cfg.generatorNorm !== 'layer'
      ? { mean: nn.constantParameter(`g.block${i}.bn.running_mean`, [d], 0), variance: nn.constantParameter(`g.block${i}.bn.running_var`, [d], 1) }
      : null;
    const b = { fc: dense(`g.block${i}.fc`, nIn, d, rng.split(`block${i}`)), ln: norm(`g.block${i}.${cfg.generatorNorm === 'layer' ? 'ln' : 'bn'}`, d), running };
    nIn += d;
    return b;
  });
  return { norm: cfg.generatorNorm, blocks, out: dense('g.out', nIn, width, rng.split('out')) };
}

function buildDiscriminator(cfg: CtganConfig, inWidth: number, rng: Rng): Discriminator {
  let nIn = inWidth * cfg.pac;
  const hidden = cfg.discriminatorDims.map((d, i) => {
    const l = dense(`d.hidden${i}`, nIn, d, rng.split(`hidden${i}`));
    nIn = d;
    return l;
  });
  return { hidden, out: dense('d.out', nIn, 1, rng.split('out')) };
}

/** The auxiliary classifier of targetColumn: an MLP from the other features to the target's categories. */
interface TargetClassifier {
  readonly hidden: Dense[];
  readonly out: Dense;
  /** [batchSize, width]: 1, with 0 on the target's one-hot span (the classifier must not read it). */
  readonly mask: nn.Tensor;
  readonly spanStart: number;
  readonly categories: number;
  /** The target's discrete-column index (into the transformer's per-row categories). */
  readonly discreteIndex: number;
}

function buildClassifier(cfg: CtganConfig, t: DataTransformer, rows: number, rng: Rng): TargetClassifier | null {
  if (cfg.targetColumn === undefined) return null;
  const discreteIndex = t.discrete.findIndex((d) => d.column === cfg.targetColumn);
  if (discreteIndex < 0) {
    const known = t.columns.includes(cfg.targetColumn);
    throw new ConfigError(`ctgan config: targetColumn '${cfg.targetColumn}' ${known ? 'is not a discrete (categorical or boolean) column' : 'is not a column of the table'}; discrete columns: ${t.discrete.map((d) => d.column).join(', ') || 'none'}`, { field: 'targetColumn' });
  }
  const info = t.discrete[discreteIndex]!;
  const W = t.width;
  let nIn = W;
  const hidden = cfg.classifierDims.map((d, i) => {
    const l = dense(`c.hidden${i}`, nIn, d, rng.split(`hidden${i}`));
    nIn = d;
    return l;
  });
  const mask = new Float32Array(rows * W).fill(1);
  for (let i = 0; i < rows; i++) mask.fill(0, i * W + info.spanStart, i * W + info.spanStart + info.categories);
  return { hidden, out: dense('c.out', nIn, info.categories, rng.split('out')), mask: new nn.Tensor(mask, [rows, W]), spanStart: info.spanStart, categories: info.categories, discreteIndex };
}

function classifierParams(c: TargetClassifier | null): nn.Parameter[] {
  return c === null ? [] : [...c.hidden.flatMap((l) => [l.w, l.b]), c.out.w, c.out.b];
}

/** The classifier's logits for rows x [batchSize, width]; the target's span is masked out first. */
function classifierForward(c: TargetClassifier, x: nn.Tensor, slope: number): nn.Tensor {
  let h = nn.mul(x, c.mask);
  for (const l of c.hidden) h = nn.leakyRelu(nn.linear(h, l.w, l.b), slope);
  return nn.linear(h, c.out.w, c.out.b);
}

/**
 * Raw generator output [n, width] (pre-activation) for noise z [n, embeddingDim] and cond [n, C].
 * Training updates batch norm's running statistics; sampling never changes the model ('batch-train'
 * normalises by the batch's statistics then, and updates scratch copies of the running ones).
 */
function generatorForward(g: Generator, z: nn.Tensor, cond: nn.Tensor | null, training: boolean): nn.Tensor {
  let h = cond === null ? z : nn.concatColumns([z, cond]);
  const batchStatsAtSampling = !training && g.norm === 'batch-train';
  for (const b of g.blocks) {
    const a = nn.linear(h, b.fc.w, b.fc.b);
    const normed = b.running === null
      ? nn.layerNorm(a, b.ln.gamma, b.ln.beta)
      : batchStatsAtSampling
        ? nn.batchNorm(a, b.ln.gamma, b.ln.beta, { training: true, runningMean: b.running.mean.data.slice(), runningVar: b.running.variance.data.slice() })
        : nn.batchNorm(a, b.ln.gamma, b.ln.beta, { training, runningMean: b.running.mean.data, runningVar: b.running.variance.data });
    h = nn.concatColumns([nn.relu(normed), h]);
  }
  return nn.linear(h, g.out.w, g.out.b);
}

/** Inverted-dropout mask values (0 or 1/(1-p)) drawn from rng; all ones when p = 0. */
function dropoutMask(size: number, p: number, rng: Rng): Float32Array {
  const m = new Float32Array(size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < size; i++) m[i] = p > 0 && rng.next() < p ? 0 : keep;
  return m;
}

/**
 * Discriminator scores [n/pac, 1] of packed rows x [n/pac, pac·(width+C)]. Dropout masks are drawn
 * from rng (one per hidden layer) and applied by multiplication, so the same masks can be replayed.
 * With pairNorms (DP-SGD), rows r and r + n/2 are one example, and backward adds each example's
 * squared gradient norm into pairNorms[r].
 */
export function discriminatorForward(d: Discriminator, x: nn.Tensor, slope: number, p: number, rng: Rng, pairNorms: Float64Array | null = null): nn.Tensor {
  const lin = (h: nn.Tensor, l: Dense): nn.Tensor => {
    const y = nn.linear(h, l.w, l.b);
    return pairNorms === null ? y : nn.perExampleNormTap(y, h, pairNorms, true, 'pairs');
  };
  let h = x;
  d.hidden.forEach((l, i) => {
    const a = nn.leakyRelu(lin(h, l), slope);
    h = p > 0 ? nn.mul(a, new nn.Tensor(dropoutMask(a.size, p, rng.split(`drop${i}`)), a.shape)) : a;
  });
  return lin(h, d.out);
}

/**
 * ∇ₓ of sum(D(x)) for packed inputs x (a constant), as a tensor differentiable w.r.t. the
 * discriminator's weights. Row r of the result is ∂D(x_r)/∂x_r. With the same rng, the dropout
 * masks are those `discriminatorForward` would draw.
 */
export function discriminatorInputGradient(d: Discriminator, x: Float32Array, rows: number, slope: number, p: number, rng: Rng): nn.Tensor {
  // Forward pass without the tape, keeping each hidden layer's derivative mask leaky'(a) · dropout.
  const masks: Float32Array[] = [];
  nn.noGrad(() => {
    let h = new nn.Tensor(x, [rows, x.length / rows]);
    d.hidden.forEach((l, i) => {
      const a = nn.linear(h, l.w, l.b);
      const drop = p > 0 ? dropoutMask(a.size, p, rng.split(`drop${i}`)) : null;
      const m = new Float32Array(a.size);
      const act = new Float32Array(a.size);
      for (let j = 0; j < a.size; j++) {
        const v = a.data[j]!;
        const dm = drop === null ? 1 : drop[j]!;
        m[j] = (v > 0 ? 1 : slope) * dm;
        act[j] = (v > 0 ? v : slope * v) * dm;
      }
      masks.push(m);
      h = new nn.Tensor(act, a.shape);
    });
  });
  const L = d.hidden.length;
  const hL = d.hidden[L - 1]!.w.shape[0]!;
  // v_L = mask_L ⊙ w_out; v_{l-1} = (v_l W_l) ⊙ mask_{l-1}; ∇ₓ = v_1 W_1.
  let v = nn.mul(new nn.Tensor(masks[L - 1]!, [rows, hL]), nn.reshape(d.out.w, [hL]));
  for (let l = L - 1; l >= 1; l--) {
    const u = nn.matmul(v, d.hidden[l]!.w);
    v = nn.mul(u, new nn.Tensor(masks[l - 1]!, u.shape));
  }
  return nn.matmul(v, d.hidden[0]!.w);
}

export interface CriticLossOptions {
  /** LeakyReLU slope and dropout of the critic. */
  readonly slope: number;
  readonly dropout: number;
  /** λ of the gradient penalty (0: none). */
  readonly gradientPenalty: number;
}

/** λ · mean over the critic inputs x [groups, width] of (‖∇ₓD(x)‖ − 1)²; dropout masks from rng. */
export function gradientPenaltyAt(d: Discriminator, x: Float32Array, groups: number, o: CriticLossOptions, rng: Rng): nn.Tensor {
  const gx = discriminatorInputGradient(d, x, groups, o.slope, o.dropout, rng);
  const dev = nn.add(nn.sqrt(nn.add(nn.rowDot(gx, gx), nn.Tensor.fromArray([1e-12], []))), nn.Tensor.fromArray([-1], []));
  return nn.scale(nn.mean(nn.mul(dev, dev)), o.gradientPenalty);
}

/**
 * The WGAN-GP critic loss on packed real and fake inputs [groups, width]: mean D(fake) − mean
 * D(real) + the gradient penalty at one random interpolation per group (`gp`: its value).
 */
export function wganGpCriticLoss(d: Discriminator, real: Float32Array, fake: Float32Array, groups: number, o: CriticLossOptions, rng: Rng): { loss: nn.Tensor; gp: number } {
  const width = real.length / groups;
  const yReal = discriminatorForward(d, new nn.Tensor(real, [groups, width]), o.slope, o.dropout, rng.split('drop-real'));
  const yFake = discriminatorForward(d, new nn.Tensor(fake, [groups, width]), o.slope, o.dropout, rng.split('drop-fake'));
  const loss = nn.add(nn.mean(yFake), nn.scale(nn.mean(yReal), -1));
  if (o.gradientPenalty <= 0) return { loss, gp: 0 };
  const interp = new Float32Array(real.length);
  const arng = rng.split('alpha');
  for (let g = 0; g < groups; g++) {
    const alpha = arng.next();
    for (let j = g * width; j < (g + 1) * width; j++) interp[j] = alpha * real[j]! + (1 - alpha) * fake[j]!;
  }
  const penalty = gradientPenaltyAt(d, interp, groups, o, rng.split('drop-gp'));
  return { loss: nn.add(loss, penalty), gp: penalty.item() };
}

/** Per discrete column: rows by category, and the log-frequency and frequency category distributions. */
interface CondSampler {
  readonly rowsByCategory: Int32Array[][];
  readonly logFreqCum: Float64Array[];
  readonly freqCum: Float64Array[];
}

/** Category counts per discrete column. */
function categoryCounts(t: DataTransformer, categories: Int32Array[]): Float64Array[] {
  return t.discrete.map((info, j) => {
    const counts = new Float64Array(info.categories);
    for (const c of categories[j]!) counts[c]!++;
    return counts;
  });
}

/**
 * Cumulative log(1 + count) and count distributions. Counts may be noisy (DP): negative ones count
 * as 0, and a column whose counts are all ≤ 0 falls back to uniform so it can still be drawn.
 */
function condDistributions(counts: Float64Array[]): { logFreqCum: Float64Array[]; freqCum: Float64Array[] } {
  const logFreqCum: Float64Array[] = [];
  const freqCum: Float64Array[] = [];
  for (const raw of counts) {
    const total = raw.reduce((a, c) => a + Math.max(0, c), 0);
    const cnt = Array.from(raw, (c) => (total > 0 ? Math.max(0, c) : 1));
    const lc = new Float64Array(cnt.length + 1);
    const fc = new Float64Array(cnt.length + 1);
    for (let c = 0; c < cnt.length; c++) {
      lc[c + 1] = lc[c]! + Math.log(1 + cnt[c]!);
      fc[c + 1] = fc[c]! + cnt[c]!;
    }
    logFreqCum.push(lc);
    freqCum.push(fc);
  }
  return { logFreqCum, freqCum };
}

/**
 * Per discrete column and category, the probability of keeping a row generated under that
 * condition when conditions are proposed by log-frequency (logCum) and wanted by frequency
 * (freqCum): p_freq / p_log, divided by its largest value over all columns, so a column's share of
 * the kept rows stays uniform as in the proposal.
 */
export function acceptanceRatios(freqCum: readonly Float64Array[], logCum: readonly Float64Array[]): Float64Array[] {
  const ratios = freqCum.map((fc, j) => {
    const lc = logCum[j]!;
    const ft = fc[fc.length - 1]!;
    const lt = lc[lc.length - 1]!;
    return Float64Array.from({ length: fc.length - 1 }, (_, c) => {
      const pLog = (lc[c + 1]! - lc[c]!) / lt;
      return pLog > 0 ? (fc[c + 1]! - fc[c]!) / ft / pLog : 0;
    });
  });
  const most = Math.max(...ratios.map((r) => Math.max(...r)));
  return ratios.map((r) => r.map((x) => x / most));
}

/** The cumulative log(1 + count) distribution of a cumulative count distribution (what condDistributions gives from the counts). */
export function logFrequencyCum(freqCum: Float64Array): Float64Array {
  const counts = Array.from({ length: freqCum.length - 1 }, (_, c) => freqCum[c + 1]! - freqCum[c]!);
  return condDistributions([Float64Array.from(counts)]).logFreqCum[0]!;
}

function buildCondSampler(t: DataTransformer, categories: Int32Array[], counts: Float64Array[]): CondSampler {
  const rowsByCategory = t.discrete.map((info, j) => {
    const codes = categories[j]!;
    const sizes = new Int32Array(info.categories);
    for (const c of codes) sizes[c]!++;
    const lists = Array.from(sizes, (k) => new Int32Array(k));
    const fill = new Int32Array(info.categories);
    for (let r = 0; r < codes.length; r++) lists[codes[r]!]![fill[codes[r]!]!++] = r;
    return lists;
  });
  return { rowsByCategory, ...condDistributions(counts) };
}

function drawCum(cum: Float64Array, rng: Rng): number {
  const u = rng.next() * cum[cum.length - 1]!;
  let a = 0;
  let b = cum.length - 2;
  while (a < b) {
    const m = (a + b) >> 1;
    if (cum[m + 1]! > u) b = m;
    else a = m + 1;
  }
  return a;
}

export interface CondBatch {
  /** [n, condWidth] one-hot of (column, category). */
  readonly cond: Float32Array;
  readonly column: Int32Array;
  readonly category: Int32Array;
}

function sampleCond(t: DataTransformer, s: CondSampler, n: number, rng: Rng, logFrequency: boolean): CondBatch {
  const C = t.condWidth;
  const cond = new Float32Array(n * C);
  const column = new Int32Array(n);
  const category = new Int32Array(n);
  const nd = t.discrete.length;
  for (let i = 0; i < n; i++) {
    const j = rng.int(nd);
    const c = drawCum(logFrequency ? s.logFreqCum[j]! : s.freqCum[j]!, rng);
    column[i] = j;
    category[i] = c;
    cond[i * C + t.discrete[j]!.condOffset + c] = 1;
  }
  return { cond, column, category };
}

/**
 * The same conditions in an order shuffled by rng: row i of the result is row perm[i] of cb
 * (cond, column and category together), so real rows drawn for it still match their conditions.
 */
export function permuteConditions(cb: CondBatch, rng: Rng): CondBatch {
  const n = cb.column.length;
  const C = n === 0 ? 0 : cb.cond.length / n;
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(perm);
  const cond = new Float32Array(cb.cond.length);
  const column = new Int32Array(n);
  const category = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = perm[i]!;
    cond.set(cb.cond.subarray(p * C, (p + 1) * C), i * C);
    column[i] = cb.column[p]!;
    category[i] = cb.category[p]!;
  }
  return { cond, column, category };
}

interface Fitted {
  readonly transformer: DataTransformer;
  readonly generator: Generator;
  readonly guard: SampleGuard;
  readonly condFreqCum: Float64Array[];
}

export class CtganSynthesizer implements Synthesizer {
  readonly name = 'ctgan';
  readonly config: CtganConfig;
  private fitted: Fitted | null = null;
  private lossCurve: LossPoint[] = [];
  /** The DP guarantee of the last fit (null without `dp`). */
  privacy: DpAccount | null = null;

  constructor(config: Partial<CtganConfig> | Readonly<Record<string, unknown>> = {}) {
    // Under DP an example is one row: PacGAN's groups would make a row's influence depend on which
    // other rows were sampled with it, so pac defaults to 1 there and must be 1.
    const raw = config as Readonly<Record<string, unknown>>;
    const withDp = raw.dp !== undefined && raw.pac === undefined ? { ...raw, pac: 1 } : raw;
    this.config = parseSynthConfig(ctganConfigSchema, withDp, 'ctgan config');
    if (this.config.dp !== undefined && this.config.pac !== 1) {
      throw new ConfigError(`ctgan config: 'pac' must be 1 with 'dp' (a packed group's gradient depends on which other rows were sampled with a row), got ${this.config.pac}`, { field: 'pac' });
    }
    if (this.config.dp !== undefined && this.config.targetColumn !== undefined) {
      throw new ConfigError("ctgan config: 'targetColumn' cannot be used with 'dp' (its classifier reads real rows outside the guarantee)", { field: 'targetColumn' });
    }
    if (this.config.batchSize % this.config.pac !== 0) {
      throw new ConfigError(`ctgan config: 'batchSize' must be a multiple of pac (${this.config.pac}), got ${this.config.batchSize}`, { field: 'batchSize' });
    }
  }

  get losses(): readonly LossPoint[] {
    return this.lossCurve;
  }

  async fit(table: Table, metadata: TableMetadata, options: SynthFitOptions): Promise<SynthFitReport> {
    const cfg = this.config;
    const progress = options.progress ?? silentProgress;
    const epochs = options.epochs ?? cfg.epochs;
    if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`epochs must be an integer ≥ 1, got ${epochs}`, { field: 'epochs' });
    const t0 = performance.now();
    const rng = new Rng(options.seed);
    progress.line(`ctgan: preparing ${table.rowCount} rows × ${table.columns.length} columns`);
    const guard = SampleGuard.fit(table, metadata, { constraints: options.constraints ?? [], removeExactCopies: cfg.removeExactCopies, recordCounts: cfg.dp === undefined });
    const transformer = DataTransformer.fit(table, metadata, rng.split('transformer'), { maxModes: cfg.maxModes, idBuckets: cfg.idBuckets, discreteIntegerMaxValues: cfg.discreteIntegerMaxValues, mixtureFitValues: cfg.mixtureFitValues, mixtureMaxIterations: cfg.mixtureMaxIterations });
    const { data, categories } = transformer.transform(table, rng.split('encode'));
    const W = transformer.width;
    const C = transformer.condWidth;
    progress.line(`ctgan: ${transformer.columns.length} columns → ${W} features, conditional vector ${C} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const dp = cfg.dp;
    const n = table.rowCount;
    const trueCounts = categoryCounts(transformer, categories);
    // DP: the frequencies that training-by-sampling and sampling use are released noisily, once.
    const countNoise = dp === undefined ? 0 : dp.countNoiseMultiplier * Math.sqrt(Math.max(transformer.discrete.length, 1));
    const crng = rng.split('dp-counts');
    const counts = dp === undefined ? trueCounts : trueCounts.map((col) => col.map((c) => c + countNoise * crng.normal()));
    const sampler = buildCondSampler(transformer, categories, counts);
    const G = buildGenerator(cfg, C, W, rng.split('init-generator'));
    const D = buildDiscriminator(cfg, W + C, rng.split('init-discriminator'));
    const gParams = generatorParams(G);
    const dParams = discriminatorParams(D);
    const adam = (params: nn.Parameter[], lr: number): nn.Adam => new nn.Adam(params, { lr, beta1: cfg.beta1, beta2: cfg.beta2, weightDecay: cfg.weightDecay });
    const optG = adam(gParams, cfg.generatorLr);
    const optD = adam(dParams, cfg.discriminatorLr);
    const average = cfg.generatorAverage > 0 ? new nn.WeightAverage(gParams, cfg.generatorAverage) : null;
    const classifier = buildClassifier(cfg, transformer, cfg.batchSize, rng.split('init-classifier'));
    const cParams = classifierParams(classifier);
    const optC = classifier === null ? null : adam(cParams, cfg.discriminatorLr);
    const B = cfg.batchSize;
    const P = cfg.pac;
    const stepsPerEpoch = Math.max(1, Math.floor(n / B));
    const spans = transformer.spans;
    const E = cfg.embeddingDim;
    const q = Math.min(1, B / n);
    const delta = dp?.delta ?? Math.min(1e-5, 1 / n);
    let dpSteps = 0;
    this.privacy = null;

    const realBatch = (cb: CondBatch | null, brng: Rng): Float32Array => {
      const out = new Float32Array(B * W);
      for (let i = 0; i < B; i++) {
        let r: number;
        if (cb === null) r = brng.int(n);
        else {
          const list = sampler.rowsByCategory[cb.column[i]!]![cb.category[i]!]!;
          r = list[brng.int(list.length)]!;
        }
        out.set(data.subarray(r * W, r * W + W), i * W);
      }
      return out;
    };
    /** Generator rows after the training activation (Gumbel-softmax), no tape: the critic's fakes. */
    const fakeRows = (m: number, cond: Float32Array | null, frng: Rng): Float32Array =>
      nn.noGrad(() => {
        const raw = generatorForward(G, new nn.Tensor(normals(m * E, frng.split('z')), [m, E]), cond === null ? null : new nn.Tensor(cond, [m, C]), true);
        return nn.spanActivation(nn.add(raw, new nn.Tensor(gumbelNoise(spans, m, W, frng.split('gumbel')), [m, W])), spans, cfg.gumbelTau).data;
      });
    /** [m, W] ⊕ [m, C] row-wise, then pac consecutive rows form one critic input [m/pac, pac·(W+C)]. */
    const packed = (rowsData: Float32Array, cond: Float32Array | null, m: number): Float32Array => {
      if (cond === null || C === 0) return rowsData;
      const out = new Float32Array(m * (W + C));
      for (let i = 0; i < m; i++) {
        out.set(rowsData.subarray(i * W, i * W + W), i * (W + C));
        out.set(cond.subarray(i * C, i * C + C), i * (W + C) + W);
      }
      return out;
    };
    const critic: CriticLossOptions = { slope: cfg.leakySlope, dropout: cfg.dropout, gradientPenalty: cfg.gradientPenalty };
    /** The WGAN-GP loss on m real and m fake rows (m a multiple of pac), each beside its condition. */
    const criticLoss = (real: Float32Array, realCond: Float32Array | null, fake: Float32Array, fakeCond: Float32Array | null, m: number, lrng: Rng): { loss: nn.Tensor; gp: number } =>
      wganGpCriticLoss(D, packed(real, realCond, m), packed(fake, fakeCond, m), m / P, critic, lrng);
    /**
     * One DP-SGD critic step (pac is 1 under DP, so an example is one real row). Real rows are
     * Poisson-sampled; row i is conditioned on its own category of a uniformly drawn discrete
     * column, and its example loss D(fake_i) − D(real_i) pairs it with a generated row under the
     * same condition. Each example's gradient (both rows: ghost norms of pairs) is clipped to
     * maxGradNorm, the clipped sum gets Gaussian noise, and both are divided by the expected batch.
     * The gradient penalty is taken at generated rows under conditions drawn from the noisy counts:
     * it reads no real row, so it needs no clipping or noise.
     */
    const dpCriticStep = (drng: Rng, cfgDp: NonNullable<CtganConfig['dp']>): { loss: number; gp: number } => {
      const prng = drng.split('poisson');
      const rows: number[] = [];
      for (let r = 0; r < n; r++) if (prng.next() < q) rows.push(r);
      const m = rows.length;
      const expected = q * n;
      const WC = W + C;
      let wasserstein = 0;
      optD.zeroGrad();
      if (m > 0) {
        const cond = C > 0 ? new Float32Array(m * C) : null;
        const crow = drng.split('cond');
        if (cond !== null) {
          for (let i = 0; i < m; i++) {
            const j = crow.int(transformer.discrete.length);
            cond[i * C + transformer.discrete[j]!.condOffset + categories[j]![rows[i]!]!] = 1;
          }
        }
        const fake = fakeRows(m, cond, drng.split('fake'));
        // [fake rows; real rows], each with its condition: rows i and m + i are example i.
        const x = new Float32Array(2 * m * WC);
        for (let i = 0; i < m; i++) {
          const r = rows[i]!;
          x.set(fake.subarray(i * W, (i + 1) * W), i * WC);
          x.set(data.subarray(r * W, (r + 1) * W), (m + i) * WC);
          if (cond !== null) {
            x.set(cond.subarray(i * C, (i + 1) * C), i * WC + W);
            x.set(cond.subarray(i * C, (i + 1) * C), (m + i) * WC + W);
          }
        }
        const xs = new nn.Tensor(x, [2 * m, WC]);
        const signed = (v: Float32Array): nn.Tensor => {
          const s = new Float32Array(2 * m);
          for (let i = 0; i < m; i++) (s[i] = v[i]!), (s[m + i] = -v[i]!);
          return new nn.Tensor(s, [2 * m, 1]);
        };
        // Pass 1: every example's gradient norm. Pass 2 (same dropout masks): the clipped sum.
        const sq = new Float64Array(m);
        const y1 = discriminatorForward(D, xs, cfg.leakySlope, cfg.dropout, drng.split('drop'), sq);
        nn.backward(nn.sum(nn.mul(y1, signed(new Float32Array(m).fill(1)))));
        for (let i = 0; i < m; i++) wasserstein += y1.data[m + i]! - y1.data[i]!;
        const clip = new Float32Array(m);
        for (let i = 0; i < m; i++) clip[i] = Math.min(1, cfgDp.maxGradNorm / Math.sqrt(sq[i]! + 1e-12));
        optD.zeroGrad();
        const y2 = discriminatorForward(D, xs, cfg.leakySlope, cfg.dropout, drng.split('drop'));
        nn.backward(nn.scale(nn.sum(nn.mul(y2, signed(clip))), 1 / expected));
      }
      const noiseStd = (cfgDp.noiseMultiplier * cfgDp.maxGradNorm) / expected;
      const nrng = drng.split('dp-noise');
      for (const p of dParams) {
        if (p.grad === null) p.grad = new Float32Array(p.size);
        const g = p.grad;
        for (let i = 0; i < g.length; i++) g[i] = g[i]! + noiseStd * nrng.normal();
      }
      let gp = 0;
      if (cfg.gradientPenalty > 0) {
        const cb = C > 0 ? sampleCond(transformer, sampler, B, drng.split('gp-cond'), true) : null;
        const at = packed(fakeRows(B, cb?.cond ?? null, drng.split('gp-fake')), cb?.cond ?? null, B);
        const penalty = gradientPenaltyAt(D, at, B, critic, drng.split('drop-gp'));
        gp = penalty.item();
        nn.backward(penalty);
      }
      optD.step();
      dpSteps++;
      return { loss: (m > 0 ? -wasserstein / m : 0) + gp, gp };
    };

    let te = 0; // start of the current epoch, for its progress line
    const result = await nn.runTrainingLoop<LossPoint>({
      label: 'ctgan',
      maxEpochs: epochs,
      rng,
      // generatorState: batch norm's running statistics are carried too ('batch' samples with them).
      parameters: [...generatorState(G), ...dParams, ...(average?.shadows ?? []), ...cParams],
      optimizers: optC === null ? [optG, optD] : [optG, optD, optC],
      checkpoint: options.checkpointDir ? { path: join(options.checkpointDir, 'checkpoint.bin'), fingerprint: { kind: this.name, config: { ...cfg, epochs: undefined }, seed: options.seed, width: W, condWidth: C, data: nn.hashArray(data) } } : undefined,
      // ε counts every critic step so far.
      state: {
        save: () => ({ dpSteps, averageSteps: average?.steps ?? 0 }),
        load: (saved) => {
          dpSteps = (saved as { dpSteps: number }).dpSteps;
          if (average !== null) average.steps = (saved as { averageSteps?: number }).averageSteps ?? 0;
          if (dp !== undefined) this.privacy = dpSgdEpsilon(q, dp.noiseMultiplier, dpSteps, delta, (a) => gaussianMechanismRdp(dp.countNoiseMultiplier, a));
        },
      },
      progress,
      cancel: options.cancel,
      epoch: (epoch, erng) => {
        te = performance.now();
        let sumG = 0;
        let sumD = 0;
        let sumGp = 0;
        let sumC = 0;
        return {
          batches: stepsPerEpoch,
          step: (step) => {
            const srng = erng.split(step);
            for (let ds = 0; ds < cfg.discriminatorSteps; ds++) {
              const drng = srng.split(`d${ds}`);
              if (dp !== undefined) {
                const r = dpCriticStep(drng, dp);
                sumD += r.loss;
                sumGp += r.gp;
                continue;
              }
              const cb = C > 0 ? sampleCond(transformer, sampler, B, drng.split('cond'), true) : null;
              const cond = cb?.cond ?? null;
              const fake = fakeRows(B, cond, drng);
              const realCb = cb !== null && cfg.permuteRealConditions ? permuteConditions(cb, drng.split('perm')) : cb;
              const real = realBatch(realCb, drng.split('real'));
              const { loss: lossD, gp: gpValue } = criticLoss(real, realCb?.cond ?? null, fake, cond, B, drng);
              optD.zeroGrad();
              nn.backward(lossD);
              optD.step();
              sumD += lossD.item();
              sumGp += gpValue;
            }
            if (classifier !== null) {
              // The classifier learns the target from the other columns of uniformly drawn real rows.
              const rrng = srng.split('classifier');
              const x = new Float32Array(B * W);
              const y = new Int32Array(B);
              for (let i = 0; i < B; i++) {
                const r = rrng.int(n);
                x.set(data.subarray(r * W, r * W + W), i * W);
                y[i] = categories[classifier.discreteIndex]![r]!;
              }
              const lossC = nn.crossEntropy(classifierForward(classifier, new nn.Tensor(x, [B, W]), cfg.leakySlope), y);
              optC!.zeroGrad();
              nn.backward(lossC);
              optC!.step();
              sumC += lossC.item();
            }
            const grng = srng.split('g');
            const cb = C > 0 ? sampleCond(transformer, sampler, B, grng.split('cond'), true) : null;
            const cond = cb?.cond ?? null;
            const raw = generatorForward(G, new nn.Tensor(normals(B * E, grng.split('z')), [B, E]), cond === null ? null : new nn.Tensor(cond, [B, C]), true);
            const fake = nn.spanActivation(nn.add(raw, new nn.Tensor(gumbelNoise(spans, B, W, grng.split('gumbel')), [B, W])), spans, cfg.gumbelTau);
            const withCond = cond === null || C === 0 ? fake : nn.concatColumns([fake, new nn.Tensor(cond, [B, C])]);
            const yFake = discriminatorForward(D, nn.reshape(withCond, [B / P, P * (W + C)]), cfg.leakySlope, cfg.dropout, grng.split('drop'));
            let lossG = nn.scale(nn.mean(yFake), -1);
            if (cb !== null) {
              // Cross-entropy of the generator's (pre-activation) output for the conditioned column.
              const target = new Float32Array(B * W);
              for (let i = 0; i < B; i++) target[i * W + transformer.discrete[cb.column[i]!]!.spanStart + cb.category[i]!] = 1;
              const ce = nn.scale(nn.sum(nn.mul(nn.spanLogSoftmax(raw, spans), new nn.Tensor(target, [B, W]))), -1 / B);
              lossG = nn.add(lossG, ce);
            }
            if (classifier !== null && cfg.classifierWeight > 0) {
              // The label each generated row carries (its target span's argmax, a constant) should be
              // what the classifier reads from the row's other columns.
              const label = new Int32Array(B);
              for (let i = 0; i < B; i++) {
                let best = 0;
                for (let c = 1; c < classifier.categories; c++) if (fake.data[i * W + classifier.spanStart + c]! > fake.data[i * W + classifier.spanStart + best]!) best = c;
                label[i] = best;
              }
              lossG = nn.add(lossG, nn.scale(nn.crossEntropy(classifierForward(classifier, fake, cfg.leakySlope), label), cfg.classifierWeight));
            }
            optG.zeroGrad();
            nn.backward(lossG);
            optG.step();
            average?.update();
            sumG += lossG.item();
          },
          finish: () => {
            if (dp !== undefined) this.privacy = dpSgdEpsilon(q, dp.noiseMultiplier, dpSteps, delta, (a) => gaussianMechanismRdp(dp.countNoiseMultiplier, a));
            const point: LossPoint = {
              epoch,
              generator: sumG / stepsPerEpoch,
              discriminator: sumD / (stepsPerEpoch * cfg.discriminatorSteps),
              gradientPenalty: sumGp / (stepsPerEpoch * cfg.discriminatorSteps),
              ...(classifier !== null ? { classifier: sumC / stepsPerEpoch } : {}),
              ...(this.privacy !== null ? { epsilon: this.privacy.epsilon } : {}),
            };
            checkFinite('generator loss', point.generator!, epoch);
            checkFinite('discriminator loss', point.discriminator!, epoch);
            return { log: point };
          },
        };
      },
      line: (point) => {
        const privacyText = point.epsilon !== undefined ? `  ε ${point.epsilon.toFixed(3)} (δ ${delta.toExponential(1)})` : '';
        return `ctgan epoch ${point.epoch}/${epochs}  loss_g ${fmt(point.generator!)}  loss_d ${fmt(point.discriminator!)}  gp ${fmt(point.gradientPenalty!)}${point.classifier !== undefined ? `  loss_c ${fmt(point.classifier)}` : ''}${privacyText}  ${((performance.now() - te) / 1000).toFixed(2)} s`;
      },
    });
    const losses = result.logs;
    average?.copyTo(gParams);
    nn.releaseBuffers();
    this.fitted = { transformer, generator: G, guard, condFreqCum: sampler.freqCum };
    this.lossCurve = losses;
    this.fitSeed = options.seed;
    return { seconds: (performance.now() - t0) / 1000, losses };
  }

  private fitSeed = 0;

  private requireFitted(): Fitted {
    if (this.fitted === null) throw new ModelStateError('ctgan: sample/save called before fit or load');
    return this.fitted;
  }

  sample(n: number, options: SampleOptions = {}): SampleResult {
    const f = this.requireFitted();
    return finalizeSample(this.candidateSource(f), n, options, f.guard);
  }

  private candidateSource(f: Fitted): CandidateSource {
    const t = f.transformer;
    const nativeColumn = (conditions: Conditions): { index: number; category: number } | null => {
      for (const [col, value] of Object.entries(conditions)) {
        const j = t.discrete.findIndex((d) => d.column === col);
        if (j < 0) continue;
        const category = t.categoryOf(t.discrete[j]!.codecIndex, value);
        if (category >= 0) return { index: j, category };
      }
      return null;
    };
    return {
      nativeConditions: (conditions) => Object.keys(conditions).length === 1 && nativeColumn(conditions) !== null,
      generate: (count, rng, conditions) => this.generate(f, count, rng, nativeColumn(conditions)),
    };
  }

  /** count decoded rows; with `fixed`, every row is generated for (and carries) that discrete value. */
  private generate(f: Fitted, count: number, rng: Rng, fixed: { index: number; category: number } | null): Table {
    const t = f.transformer;
    const W = t.width;
    const C = t.condWidth;
    const E = this.config.embeddingDim;
    const B = this.config.batchSize;
    const all = new Float32Array(count * W);
    // Batch statistics at sampling ('batch-train'): every batch is a full training-size batch (at
    // least 2 rows), whatever count asks for; the rows past count are dropped.
    const fullBatches = f.generator.norm === 'batch-train';
    const mode = this.config.sampleConditions;
    const logCum = mode === 'frequency' ? null : f.condFreqCum.map(logFrequencyCum);
    // 'training-batches': batches are drawn as in training (log-frequency conditions) and a row is
    // kept with probability ∝ p_freq / p_log of its condition, so the kept rows' conditions follow
    // the training counts while every batch's statistics are those the generator trained under.
    const keep = fixed === null && C > 0 && mode === 'training-batches' ? acceptanceRatios(f.condFreqCum, logCum!) : null;
    const sampleCum = logCum ?? f.condFreqCum;
    for (let filled = 0, b = 0; filled < count; b++) {
      const m = Math.min(B, count - filled);
      const rowsNow = fullBatches || keep !== null ? Math.max(B, 2) : m;
      const brng = rng.split(`generate-${b}`);
      let cond: nn.Tensor | null = null;
      const column = new Int32Array(rowsNow);
      const category = new Int32Array(rowsNow);
      if (C > 0) {
        const cd = new Float32Array(rowsNow * C);
        const crng = brng.split('cond');
        for (let i = 0; i < rowsNow; i++) {
          if (fixed !== null) cd[i * C + t.discrete[fixed.index]!.condOffset + fixed.category] = 1;
          else {
            // 'frequency' (default): the training frequencies, not the log-frequencies of training-by-sampling.
            const j = crng.int(t.discrete.length);
            const c = drawCum(sampleCum[j]!, crng);
            column[i] = j;
            category[i] = c;
            cd[i * C + t.discrete[j]!.condOffset + c] = 1;
          }
        }
        cond = new nn.Tensor(cd, [rowsNow, C]);
      }
      const raw = nn.noGrad(() => generatorForward(f.generator, new nn.Tensor(normals(rowsNow * E, brng.split('z')), [rowsNow, E]), cond, false));
      const rows = sampleSpans(raw.data, rowsNow, W, t.spans, brng.split('spans'));
      if (fixed !== null) {
        const info = t.discrete[fixed.index]!;
        for (let i = 0; i < m; i++) {
          rows.fill(0, i * W + info.spanStart, i * W + info.spanStart + info.categories);
          rows[i * W + info.spanStart + fixed.category] = 1;
        }
      }
      if (keep === null) {
        all.set(rows.subarray(0, m * W), filled * W);
        filled += m;
        continue;
      }
      const arng = brng.split('keep');
      for (let i = 0; i < rowsNow && filled < count; i++) {
        if (arng.next() >= keep[column[i]!]![category[i]!]!) continue;
        all.set(rows.subarray(i * W, (i + 1) * W), filled * W);
        filled++;
      }
    }
    return t.inverse(all, count, rng.split('decode'));
  }

  save(path: string): void {
    const f = this.requireFitted();
    const header = {
      config: this.config,
      fitSeed: this.fitSeed,
      transformer: f.transformer.state(),
      guard: f.guard.toJSON(),
      condFreqCum: f.condFreqCum.map((a) => [...a]),
      losses: this.lossCurve,
      privacy: this.privacy,
    };
    writeModelFile(path, this.name, header, generatorState(f.generator));
  }

  load(path: string): void {
    const { header, loadInto } = readModelFile(path, this.name);
    // A model saved before generatorNorm existed has a layer-norm generator (the default then); one
    // saved before generatorAverage existed was not averaged.
    const stored = header.config !== null && typeof header.config === 'object' ? (header.config as Record<string, unknown>) : null;
    const savedConfig = stored === null ? header.config : { ...stored, generatorNorm: stored.generatorNorm ?? 'layer', generatorAverage: stored.generatorAverage ?? 0 };
    const config = parseSynthConfig(ctganConfigSchema, savedConfig, `${path}: ctgan config`);
    const transformer = DataTransformer.fromState(header.transformer as TransformerState);
    const G = buildGenerator(config, transformer.condWidth, transformer.width, new Rng(0));
    loadInto(generatorState(G));
    (this as { config: CtganConfig }).config = config;
    this.fitSeed = Number(header.fitSeed ?? 0);
    this.lossCurve = (header.losses as LossPoint[] | undefined) ?? [];
    this.privacy = (header.privacy as DpAccount | null | undefined) ?? null;
    this.fitted = {
      transformer,
      generator: G,
      guard: SampleGuard.fromJSON(header.guard),
      condFreqCum: ((header.condFreqCum as number[][] | undefined) ?? []).map((a) => Float64Array.from(a)),
    };
  }
}
