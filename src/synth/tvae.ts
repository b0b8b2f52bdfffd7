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
import { z } from 'zod';
import { ConfigError, InterruptedError, ModelStateError, Rng, silentProgress } from '../core/index.ts';
import type { Table, TableMetadata } from '../data/index.ts';
import * as nn from '../nn/index.ts';
import { SampleGuard, finalizeSample } from './conditions.ts';
import { type Dense, checkFinite, dense, fmt, normals, parseSynthConfig, readModelFile, sampleSpans, writeModelFile } from './neural-tabular.ts';
import { DataTransformer, type TransformerState } from './transformer.ts';
import type { LossPoint, SampleOptions, SampleResult, SynthFitOptions, SynthFitReport, Synthesizer } from './types.ts';

const posInt = z.number().int().min(1);
const dims = z.array(posInt).min(1).max(8);

export const tvaeConfigSchema = z
  .object({
    epochs: posInt.default(300),
    batchSize: posInt.default(500),
    embeddingDim: posInt.default(128),
    encoderDims: dims.default([128, 128]),
    decoderDims: dims.default([128, 128]),
    lr: z.number().positive().default(1e-3),
    weightDecay: z.number().min(0).default(1e-5),
    /** Weight of the reconstruction term against the KL term (1 = the plain ELBO). */
    reconstructionWeight: z.number().positive().default(2),
    maxModes: posInt.max(50).default(10),
    idBuckets: posInt.max(10000).default(50),
    removeExactCopies: z.boolean().default(true),
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

function mlp(x: nn.Tensor, layers: readonly Dense[]): nn.Tensor {
  let h = x;
  for (const l of layers) h = nn.relu(nn.linear(h, l.w, l.b));
  return h;
}

export function decode(net: TvaeNetwork, z: nn.Tensor): nn.Tensor {
  const h = mlp(z, net.decoder);
  return nn.linear(h, net.out.w, net.out.b);
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
    const guard = SampleGuard.fit(table, metadata, { constraints: options.constraints ?? [], removeExactCopies: cfg.removeExactCopies });
    const transformer = DataTransformer.fit(table, metadata, rng.split('transformer'), { maxModes: cfg.maxModes, idBuckets: cfg.idBuckets });
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
    const losses: LossPoint[] = [];
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;

    for (let epoch = 1; epoch <= epochs; epoch++) {
      const te = performance.now();
      const erng = rng.split(`epoch-${epoch}`);
      erng.split('shuffle').shuffle(order);
      let sumLoss = 0;
      let sumRec = 0;
      let sumKl = 0;
      let batches = 0;
      for (let start = 0, step = 0; start < n; start += B, step++) {
        if (options.cancel?.cancelled) throw new InterruptedError(`tvae: interrupted during epoch ${epoch}`);
        const m = Math.min(B, n - start);
        const xb = new Float32Array(m * W);
        for (let i = 0; i < m; i++) {
          const r = order[start + i]!;
          xb.set(data.subarray(r * W, r * W + W), i * W);
        }
        const x = new nn.Tensor(xb, [m, W]);
        const h = mlp(x, net.encoder);
        const mu = nn.linear(h, net.mu.w, net.mu.b);
        const logVar = nn.linear(h, net.logVar.w, net.logVar.b);
        const std = nn.exp(nn.scale(logVar, 0.5));
        const zt = nn.add(mu, nn.mul(std, new nn.Tensor(normals(m * E, erng.split(`eps-${step}`)), [m, E])));
        const raw = decode(net, zt);
        // Scalars: Gaussian negative log-likelihood with a learned σ per column.
        const mean = nn.spanActivation(raw, scalarSpans);
        const diff = nn.mul(nn.add(mean, nn.scale(x, -1)), new nn.Tensor(scalarMask, [W]));
        const logSigmaCols = nn.reshape(nn.matmul(nn.reshape(net.logSigma, [1, Math.max(T, 1)]), selectT), [W]);
        const invVar = nn.exp(nn.scale(logSigmaCols, -2));
        const sq = nn.scale(nn.sum(nn.mul(nn.mul(diff, diff), invVar)), 0.5);
        const logSigmaTerm = T > 0 ? nn.scale(nn.sum(net.logSigma), m) : null;
        // One-hot spans: cross-entropy (the scalar columns of x are masked out of the targets).
        const targets = new Float32Array(xb);
        for (let i = 0; i < m; i++) for (const s of scalarSpans) targets[i * W + s.start] = 0;
        const ce = nn.scale(nn.sum(nn.mul(nn.spanLogSoftmax(raw, spans), new nn.Tensor(targets, [m, W]))), -1);
        let rec = nn.add(sq, ce);
        if (logSigmaTerm !== null) rec = nn.add(rec, logSigmaTerm);
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²)
        const kl = nn.scale(nn.add(nn.sum(nn.add(nn.mul(mu, mu), nn.add(nn.exp(logVar), nn.scale(logVar, -1)))), nn.Tensor.fromArray([-m * E], [])), 0.5);
        const loss = nn.scale(nn.add(nn.scale(rec, cfg.reconstructionWeight), kl), 1 / m);
        opt.zeroGrad();
        nn.backward(loss);
        opt.step();
        const ls = net.logSigma.data;
        for (let j = 0; j < ls.length; j++) ls[j] = Math.min(SIGMA_MAX, Math.max(SIGMA_MIN, ls[j]!));
        sumLoss += loss.item();
        sumRec += rec.item() / m;
        sumKl += kl.item() / m;
        batches++;
      }
      const point: LossPoint = { epoch, loss: sumLoss / batches, reconstruction: sumRec / batches, kl: sumKl / batches };
      checkFinite('tvae loss', point.loss!, epoch);
      losses.push(point);
      progress.line(`tvae epoch ${epoch}/${epochs}  loss ${fmt(point.loss!)}  reconstruction ${fmt(point.reconstruction!)}  kl ${fmt(point.kl!)}  ${((performance.now() - te) / 1000).toFixed(2)} s`);
    }
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
    const header = { config: this.config, fitSeed: this.fitSeed, transformer: f.transformer.state(), guard: f.guard.toJSON(), losses: this.lossCurve };
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
    this.fitted = { transformer, net, guard: SampleGuard.fromJSON(header.guard) };
  }
}
