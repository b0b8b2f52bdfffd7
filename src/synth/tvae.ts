/**
 * TVAE-style variational autoencoder for tables (Xu et al. 2019, §4.1 / appendix), on the same
 * DataTransformer as CTGAN:
 *
 * - encoder: x → [Linear, ReLU]* → (μ, log σ²) of q(z | x), z ∈ R^embeddingDim;
 * - decoder: z → [Linear, ReLU]* → Linear → per span: a scalar ~ N(tanh(out), σ_j²) with a learned
 *   σ_j per scalar column (clamped to [0.01, 1]), a category ~ softmax(out) per one-hot span;
 * - loss per row: reconstructionWeight · (Σ_j (x_j − tanh(out_j))² / (2σ_j²) + log σ_j
 *   + Σ_spans cross-entropy) + KL(q(z | x) ‖ N(0, I)), averaged over the batch (the negative ELBO
 *   up to constants when reconstructionWeight = 1);
 * - sampling: z ~ N(0, I), decode, draw every scalar and category from the decoder's distribution.
 *
 * Conditions are met by rejection (finalizeSample in conditions.ts): a VAE has no conditional input.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ModelStateError, Rng, silentProgress } from '../core/index.ts';
import type { Table, TableMetadata } from '../data/index.ts';
import * as nn from '../nn/index.ts';
import { SampleGuard, finalizeSample } from './conditions.ts';
import { type DpAccount, dpSgdEpsilon } from './dp.ts';
import { type Dense, checkFinite, dense, fmt, normals, parseSynthConfig, readModelFile, sampleSpans, writeModelFile, positiveInt, layerDims, transformerConfigFields } from './neural-tabular.ts';
import { DataTransformer, type TransformerState } from './transformer.ts';
import type { LossPoint, SampleOptions, SampleResult, SynthFitOptions, SynthFitReport, Synthesizer } from './types.ts';


export const tvaeConfigSchema = z
  .object({
    epochs: positiveInt.default(300),
    batchSize: positiveInt.default(500),
    embeddingDim: positiveInt.default(128),
    encoderDims: layerDims.default([128, 128]),
    decoderDims: layerDims.default([128, 128]),
    lr: z.number().positive().default(1e-3),
    weightDecay: z.number().min(0).default(1e-5),
    /** Weight of the reconstruction term against the KL term (1 = the plain ELBO). */
    reconstructionWeight: z.number().positive().default(2),
    ...transformerConfigFields({ fitValues: 5000, maxIterations: 1000 }),
    /**
     * DP-SGD: Poisson-sampled batches (rate batchSize / rows), each example's gradient clipped to
     * maxGradNorm, Gaussian noise of std noiseMultiplier · maxGradNorm added to the sum; ε reported
     * for delta (default min(1e-5, 1/rows)) by the RDP accountant in dp.ts.
     */
    dp: z
      .object({
        noiseMultiplier: z.number().positive(),
        maxGradNorm: z.number().positive().default(1),
        delta: z.number().gt(0).lt(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type TvaeConfig = z.infer<typeof tvaeConfigSchema>;

const SIGMA_MIN = Math.log(0.01);
const SIGMA_MAX = 0;

export interface TvaeNetwork {
  readonly encoder: Dense[];
  readonly mu: Dense;
  readonly logVar: Dense;
  readonly decoder: Dense[];
  readonly out: Dense;
  /** log σ of each scalar (tanh) column, in span order. */
  readonly logSigma: nn.Parameter;
}

function buildNetwork(cfg: TvaeConfig, width: number, scalars: number, rng: Rng): TvaeNetwork {
  let nIn = width;
  const encoder = cfg.encoderDims.map((d, i) => {
    const l = dense(`enc.${i}`, nIn, d, rng.split(`enc${i}`));
    nIn = d;
    return l;
  });
  const mu = dense('enc.mu', nIn, cfg.embeddingDim, rng.split('mu'));
  const logVar = dense('enc.logvar', nIn, cfg.embeddingDim, rng.split('logvar'));
  nIn = cfg.embeddingDim;
  const decoder = cfg.decoderDims.map((d, i) => {
    const l = dense(`dec.${i}`, nIn, d, rng.split(`dec${i}`));
    nIn = d;
    return l;
  });
  const out = dense('dec.out', nIn, width, rng.split('out'));
  const logSigma = nn.constantParameter('dec.logsigma', [Math.max(scalars, 1)], Math.log(0.1));
  return { encoder, mu, logVar, decoder, out, logSigma };
}

function encoderParams(n: TvaeNetwork): nn.Parameter[] {
  return [...n.encoder.flatMap((l) => [l.w, l.b]), n.mu.w, n.mu.b, n.logVar.w, n.logVar.b];
}

function decoderParams(n: TvaeNetwork): nn.Parameter[] {
  return [...n.decoder.flatMap((l) => [l.w, l.b]), n.out.w, n.out.b, n.logSigma];
}

/** linear(x), with its per-example squared gradient norms added to sq when given (DP-SGD). */
function layer(x: nn.Tensor, l: Dense, sq: Float64Array | null): nn.Tensor {
  const y = nn.linear(x, l.w, l.b);
  return sq === null ? y : nn.perExampleNormTap(y, x, sq, true);
}

function mlp(x: nn.Tensor, layers: readonly Dense[], sq: Float64Array | null = null): nn.Tensor {
  let h = x;
  for (const l of layers) h = nn.relu(layer(h, l, sq));
  return h;
}

export function decode(net: TvaeNetwork, z: nn.Tensor, sq: Float64Array | null = null): nn.Tensor {
  return layer(mlp(z, net.decoder, sq), net.out, sq);
}


interface Fitted {
  readonly transformer: DataTransformer;
  readonly net: TvaeNetwork;
  readonly guard: SampleGuard;
}

export class TvaeSynthesizer implements Synthesizer {
  readonly name = 'tvae';
  readonly config: TvaeConfig;
  private fitted: Fitted | null = null;
  private lossCurve: LossPoint[] = [];
  private fitSeed = 0;
  /** The DP-SGD guarantee of the last fit (null without `dp`). */
  privacy: DpAccount | null = null;

  constructor(config: Partial<TvaeConfig> | Readonly<Record<string, unknown>> = {}) {
    this.config = parseSynthConfig(tvaeConfigSchema, config, 'tvae config');
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
    progress.line(`tvae: preparing ${table.rowCount} rows × ${table.columns.length} columns`);
    const guard = SampleGuard.fit(table, metadata, { constraints: options.constraints ?? [], removeExactCopies: cfg.removeExactCopies, recordCounts: cfg.dp === undefined });
    const transformer = DataTransformer.fit(table, metadata, rng.split('transformer'), { maxModes: cfg.maxModes, idBuckets: cfg.idBuckets, discreteIntegerMaxValues: cfg.discreteIntegerMaxValues, mixtureFitValues: cfg.mixtureFitValues, mixtureMaxIterations: cfg.mixtureMaxIterations });
    const { data } = transformer.transform(table, rng.split('encode'));
    const W = transformer.width;
    const spans = transformer.spans;
    const scalarSpans = spans.filter((s) => s.kind === 'tanh');
    const T = scalarSpans.length;
    progress.line(`tvae: ${transformer.columns.length} columns → ${W} features (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const net = buildNetwork(cfg, W, T, rng.split('init'));
    const params = [...encoderParams(net), ...decoderParams(net)];
    const opt = new nn.Adam(params, { lr: cfg.lr, weightDecay: cfg.weightDecay });

    // Constants of the loss: which columns are scalars, and the [T, W] map from σ_j to its column.
    const scalarMask = new Float32Array(W);
    const select = new Float32Array(Math.max(T, 1) * W);
    scalarSpans.forEach((s, j) => {
      scalarMask[s.start] = 1;
      select[j * W + s.start] = 1;
    });
    const selectT = new nn.Tensor(select, [Math.max(T, 1), W]);
    const n = table.rowCount;
    const B = Math.min(cfg.batchSize, n);
    const E = cfg.embeddingDim;
    const rw = cfg.reconstructionWeight;
    const onesW = new nn.Tensor(new Float32Array(W).fill(1), [W, 1]);
    const onesE = new nn.Tensor(new Float32Array(E).fill(1), [E, 1]);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;

    /**
     * Per-row loss [m, 1] without the Σ log σ term (identical for every row), and the scalar
     * residuals (for the per-example gradient of log σ). sqNorms: per-example gradient norms (DP).
     */
    const rowLosses = (xb: Float32Array, m: number, eps: Float32Array, sqNorms: Float64Array | null) => {
      const x = new nn.Tensor(xb, [m, W]);
      const h = mlp(x, net.encoder, sqNorms);
      const mu = layer(h, net.mu, sqNorms);
      const logVar = layer(h, net.logVar, sqNorms);
      const std = nn.exp(nn.scale(logVar, 0.5));
      const zt = nn.add(mu, nn.mul(std, new nn.Tensor(eps, [m, E])));
      const raw = decode(net, zt, sqNorms);
      // Scalars: Gaussian negative log-likelihood with a learned σ per column.
      const mean = nn.spanActivation(raw, scalarSpans);
      const diff = nn.mul(nn.add(mean, nn.scale(x, -1)), new nn.Tensor(scalarMask, [W]));
      const logSigmaCols = nn.reshape(nn.matmul(nn.reshape(net.logSigma, [1, Math.max(T, 1)]), selectT), [W]);
      const invVar = nn.exp(nn.scale(logSigmaCols, -2));
      const sq = nn.scale(nn.matmul(nn.mul(nn.mul(diff, diff), invVar), onesW), 0.5);
      // One-hot spans: cross-entropy (the scalar columns of x are masked out of the targets).
      const targets = new Float32Array(xb);
      for (let i = 0; i < m; i++) for (const sp of scalarSpans) targets[i * W + sp.start] = 0;
      const ce = nn.scale(nn.matmul(nn.mul(nn.spanLogSoftmax(raw, spans), new nn.Tensor(targets, [m, W])), onesW), -1);
      const rec = nn.add(sq, ce);
      // KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²)
      const kl = nn.scale(nn.add(nn.matmul(nn.add(nn.mul(mu, mu), nn.add(nn.exp(logVar), nn.scale(logVar, -1))), onesE), nn.Tensor.fromArray([-E], [])), 0.5);
      return { row: nn.add(nn.scale(rec, rw), kl), rec, kl, diff: diff.data };
    };
    const sumOf = (t: nn.Tensor): number => {
      let s = 0;
      for (const v of t.data) s += v;
      return s;
    };
    const logSigmaSum = (): number => sumOf(net.logSigma) * (T > 0 ? 1 : 0);

    const dp = cfg.dp;
    const q = Math.min(1, B / n);
    const stepsPerEpoch = dp === undefined ? Math.ceil(n / B) : Math.max(1, Math.round(n / B));
    const delta = dp?.delta ?? Math.min(1e-5, 1 / n);
    let dpSteps = 0;
    this.privacy = null;

    let te = 0; // start of the current epoch, for its progress line
    const result = await nn.runTrainingLoop<LossPoint>({
      label: 'tvae',
      maxEpochs: epochs,
      rng,
      parameters: params,
      optimizers: [opt],
      checkpoint: options.checkpointDir ? { path: join(options.checkpointDir, 'checkpoint.bin'), fingerprint: { kind: this.name, config: { ...cfg, epochs: undefined }, seed: options.seed, width: W, data: nn.hashArray(data) } } : undefined,
      // The shuffle order carries over from epoch to epoch, and ε counts every step so far.
      state: {
        save: () => ({ order: Array.from(order), dpSteps }),
        load: (saved) => {
          const st = saved as { order: number[]; dpSteps: number };
          order.set(st.order);
          dpSteps = st.dpSteps;
          if (dp !== undefined) this.privacy = dpSgdEpsilon(q, dp.noiseMultiplier, dpSteps, delta);
        },
      },
      progress,
      cancel: options.cancel,
      epoch: (epoch, erng) => {
        te = performance.now();
        if (dp === undefined) erng.split('shuffle').shuffle(order);
        let sumLoss = 0;
        let sumRec = 0;
        let sumKl = 0;
        let rowsSeen = 0;
        return {
          batches: stepsPerEpoch,
          step: (step) => {
            const srng = erng.split(step);
            let rows: number[];
            if (dp === undefined) rows = Array.from(order.subarray(step * B, Math.min(n, (step + 1) * B)));
            else {
              // Poisson sampling: each row independently with probability q (what the accountant assumes).
              const prng = srng.split('poisson');
              rows = [];
              for (let r = 0; r < n; r++) if (prng.next() < q) rows.push(r);
            }
            const m = rows.length;
            const xb = new Float32Array(m * W);
            rows.forEach((r, i) => xb.set(data.subarray(r * W, r * W + W), i * W));
            const eps = normals(m * E, srng.split('eps'));
            if (dp === undefined) {
              const { row, rec, kl } = rowLosses(xb, m, eps, null);
              const total = nn.sum(row);
              const loss = nn.scale(T > 0 ? nn.add(total, nn.scale(nn.sum(net.logSigma), rw * m)) : total, 1 / m);
              opt.zeroGrad();
              nn.backward(loss);
              opt.step();
              sumLoss += loss.item() * m;
              sumRec += sumOf(rec) + m * logSigmaSum();
              sumKl += sumOf(kl);
            } else {
              const C = dp.maxGradNorm;
              const expected = q * n;
              const clip = new Float32Array(Math.max(m, 1));
              if (m > 0) {
                // Pass 1: per-example gradient norms (ghost norms of every layer + the analytic log σ part).
                const sqNorms = new Float64Array(m);
                const first = rowLosses(xb, m, eps, sqNorms);
                nn.backward(nn.sum(first.row));
                const ls = net.logSigma.data;
                for (let i = 0; i < m; i++) {
                  let extra = 0;
                  scalarSpans.forEach((sp, j) => {
                    const d = first.diff[i * W + sp.start]!;
                    const g = rw * (1 - (d * d) / Math.exp(2 * ls[j]!));
                    extra += g * g;
                  });
                  clip[i] = Math.min(1, C / Math.sqrt(sqNorms[i]! + extra + 1e-12));
                }
                sumRec += sumOf(first.rec) + m * logSigmaSum();
                sumKl += sumOf(first.kl);
                sumLoss += sumOf(first.row) + rw * m * logSigmaSum();
              }
              // Pass 2: Σ_i clip_i ∇L_i / (q n), plus Gaussian noise of std σ C / (q n) on every coordinate.
              opt.zeroGrad();
              if (m > 0) {
                const { row } = rowLosses(xb, m, eps, null);
                let clipSum = 0;
                for (let i = 0; i < m; i++) clipSum += clip[i]!;
                let total = nn.sum(nn.mul(row, new nn.Tensor(clip.subarray(0, m), [m, 1])));
                if (T > 0) total = nn.add(total, nn.scale(nn.sum(net.logSigma), rw * clipSum));
                nn.backward(nn.scale(total, 1 / expected));
              }
              const nrng = srng.split('dp-noise');
              const noiseStd = (dp.noiseMultiplier * C) / expected;
              for (const p of params) {
                if (p.grad === null) p.grad = new Float32Array(p.size);
                const g = p.grad;
                for (let i = 0; i < g.length; i++) g[i] = g[i]! + noiseStd * nrng.normal();
              }
              opt.step();
              dpSteps++;
            }
            const ls = net.logSigma.data;
            for (let j = 0; j < ls.length; j++) ls[j] = Math.min(SIGMA_MAX, Math.max(SIGMA_MIN, ls[j]!));
            rowsSeen += m;
          },
          finish: () => {
            const per = Math.max(rowsSeen, 1);
            if (dp !== undefined) this.privacy = dpSgdEpsilon(q, dp.noiseMultiplier, dpSteps, delta);
            const point: LossPoint = {
              epoch, loss: sumLoss / per, reconstruction: sumRec / per, kl: sumKl / per,
              ...(this.privacy !== null ? { epsilon: this.privacy.epsilon } : {}),
            };
            checkFinite('tvae loss', point.loss!, epoch);
            return { log: point };
          },
        };
      },
      line: (point) => {
        const privacyText = point.epsilon !== undefined ? `  ε ${point.epsilon.toFixed(3)} (δ ${delta.toExponential(1)})` : '';
        return `tvae epoch ${point.epoch}/${epochs}  loss ${fmt(point.loss!)}  reconstruction ${fmt(point.reconstruction!)}  kl ${fmt(point.kl!)}${privacyText}  ${((performance.now() - te) / 1000).toFixed(2)} s`;
      },
    });
    const losses = result.logs;
    nn.releaseBuffers();
    this.fitted = { transformer, net, guard };
    this.lossCurve = losses;
    this.fitSeed = options.seed;
    return { seconds: (performance.now() - t0) / 1000, losses };
  }

  private requireFitted(): Fitted {
    if (this.fitted === null) throw new ModelStateError('tvae: sample/save called before fit or load');
    return this.fitted;
  }

  sample(n: number, options: SampleOptions = {}): SampleResult {
    const f = this.requireFitted();
    return finalizeSample({ generate: (count, rng) => this.generate(f, count, rng) }, n, options, f.guard);
  }

  private generate(f: Fitted, count: number, rng: Rng): Table {
    const t = f.transformer;
    const W = t.width;
    const E = this.config.embeddingDim;
    const B = this.config.batchSize;
    const scalarSpans = t.spans.filter((s) => s.kind === 'tanh');
    const all = new Float32Array(count * W);
    for (let start = 0, b = 0; start < count; start += B, b++) {
      const m = Math.min(B, count - start);
      const brng = rng.split(`generate-${b}`);
      const raw = nn.noGrad(() => decode(f.net, new nn.Tensor(normals(m * E, brng.split('z')), [m, E])));
      const rows = sampleSpans(raw.data, m, W, t.spans, brng.split('spans'));
      const nrng = brng.split('noise');
      for (let i = 0; i < m; i++) {
        scalarSpans.forEach((s, j) => {
          const v = rows[i * W + s.start]! + Math.exp(f.net.logSigma.data[j]!) * nrng.normal();
          rows[i * W + s.start] = Math.max(-1, Math.min(1, v));
        });
      }
      all.set(rows, start * W);
    }
    return t.inverse(all, count, rng.split('decode'));
  }

  save(path: string): void {
    const f = this.requireFitted();
    const header = { config: this.config, fitSeed: this.fitSeed, transformer: f.transformer.state(), guard: f.guard.toJSON(), losses: this.lossCurve, privacy: this.privacy };
    writeModelFile(path, this.name, header, decoderParams(f.net));
  }

  load(path: string): void {
    const { header, loadInto } = readModelFile(path, this.name);
    const config = parseSynthConfig(tvaeConfigSchema, header.config, `${path}: tvae config`);
    const transformer = DataTransformer.fromState(header.transformer as TransformerState);
    const net = buildNetwork(config, transformer.width, transformer.spans.filter((s) => s.kind === 'tanh').length, new Rng(0));
    loadInto(decoderParams(net));
    (this as { config: TvaeConfig }).config = config;
    this.fitSeed = Number(header.fitSeed ?? 0);
    this.lossCurve = (header.losses as LossPoint[] | undefined) ?? [];
    this.privacy = (header.privacy as DpAccount | null | undefined) ?? null;
    this.fitted = { transformer, net, guard: SampleGuard.fromJSON(header.guard) };
  }
}
