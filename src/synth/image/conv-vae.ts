/**
 * Convolutional VAE (Kingma & Welling 2014) for small images, conditional on the class when every
 * training image has a label (a CVAE, Sohn et al. 2015):
 *
 * - encoder: x ∈ [0, 1] → conv 4×4 stride 2 → ReLU → conv 4×4 stride 2 → ReLU → flatten
 *   (+ one-hot label) → dense → μ, and dense → log σ²;
 * - decoder: z (+ one-hot label) → dense → ReLU → reshape [c1, H/4, W/4] → transposed conv 4×4
 *   stride 2 → ReLU → transposed conv 4×4 stride 2 → per-pixel Bernoulli logits;
 * - loss per image: Σ_pixels BCE(logit, x) + β·KL(q(z|x) ‖ N(0, I)) (the negative ELBO when β = 1;
 *   default β = 4, so that a conditional model uses its label);
 * - sampling: z ~ N(0, I), the decoder's mean image sigmoid(logits) written as bytes.
 */
import { z } from 'zod';
import { ModelStateError, Rng, silentProgress } from '../../core/index.ts';
import type { ImageSample } from '../../data/images/types.ts';
import * as nn from '../../nn/index.ts';
import { checkFinite, parseSynthConfig, readModelFile, writeModelFile } from '../neural-tabular.ts';
import type { LossPoint } from '../types.ts';
import { type ImageShape, SAMPLE_BATCH, allLabelled, batchRows, channelPair, epochsOf, fmt, gatherImages, normals, oneHot, packImages, positiveInt, sampleLabels, toImages, uniformWeight, fitCheckpoint, shuffleEpoch } from './common.ts';
import type { ImageSampleOptions, ImageSynthFitOptions, ImageSynthFitReport, ImageSynthesizer } from './types.ts';

export const convVaeConfigSchema = z
  .object({
    epochs: positiveInt.default(20),
    batchSize: positiveInt.default(64),
    latentDim: positiveInt.default(8),
    /** Encoder channels at H/2 and H/4 (the decoder mirrors them). */
    channels: channelPair.default([32, 64]),
    lr: z.number().positive().default(1e-3),
    /**
     * Weight of the KL term (1 = the ELBO). Default 4: at β = 1 the latent code carries the class
     * and a conditional model ignores its label (docs/decisions/image-synthesizers.md).
     */
    beta: z.number().positive().default(4),
    /** Condition on the label when every training image has one (false: always unconditional). */
    conditional: z.boolean().default(true),
  })
  .strict();
export type ConvVaeConfig = z.infer<typeof convVaeConfigSchema>;

interface Meta {
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly classCounts: number[];
  readonly conditional: boolean;
}

interface Dense {
  readonly w: nn.Parameter;
  readonly b: nn.Parameter;
}

interface Network {
  readonly conv1: Dense;
  readonly conv2: Dense;
  readonly mu: Dense;
  readonly logVar: Dense;
  readonly dense: Dense;
  readonly up1: Dense;
  readonly up2: Dense;
}

const STRIDE2 = { stride: 2, padding: 1 } as const;

function layer(name: string, wShape: number[], nOut: number, fanIn: number, rng: Rng): Dense {
  return { w: uniformWeight(`${name}.weight`, wShape, fanIn, rng.split(`${name} w`)), b: uniformWeight(`${name}.bias`, [nOut], fanIn, rng.split(`${name} b`)) };
}

function buildNetwork(cfg: ConvVaeConfig, m: Meta, rng: Rng): Network {
  const [c0, c1] = cfg.channels;
  const { channels: C, height: H, width: W } = m.shape;
  const K = m.conditional ? m.numClasses : 0;
  const features = c1 * (H / 4) * (W / 4);
  const E = cfg.latentDim;
  return {
    conv1: layer('enc.conv1', [c0, C, 4, 4], c0, C * 16, rng),
    conv2: layer('enc.conv2', [c1, c0, 4, 4], c1, c0 * 16, rng),
    mu: layer('enc.mu', [E, features + K], E, features + K, rng),
    logVar: layer('enc.logvar', [E, features + K], E, features + K, rng),
    dense: layer('dec.dense', [features, E + K], features, E + K, rng),
    // Transposed convolutions: weight [in, out, 4, 4]; PyTorch's fan-in for them is out·16.
    up1: layer('dec.up1', [c1, c0, 4, 4], c0, c0 * 16, rng),
    up2: layer('dec.up2', [c0, C, 4, 4], C, C * 16, rng),
  };
}

const encoderParams = (n: Network): nn.Parameter[] => [n.conv1, n.conv2, n.mu, n.logVar].flatMap((l) => [l.w, l.b]);
const decoderParams = (n: Network): nn.Parameter[] => [n.dense, n.up1, n.up2].flatMap((l) => [l.w, l.b]);

function withLabels(x: nn.Tensor, m: Meta, labels: Int32Array): nn.Tensor {
  return m.conditional ? nn.concatColumns([x, oneHot(labels, m.numClasses)]) : x;
}

/** Decoder logits [n, C, H, W]. */
function decode(cfg: ConvVaeConfig, net: Network, m: Meta, z: nn.Tensor, labels: Int32Array): nn.Tensor {
  const n = z.shape[0]!;
  const { height: H, width: W } = m.shape;
  let h = nn.relu(nn.linear(withLabels(z, m, labels), net.dense.w, net.dense.b));
  h = nn.reshape(h, [n, cfg.channels[1], H / 4, W / 4]);
  h = nn.relu(nn.convTranspose2d(h, net.up1.w, net.up1.b, STRIDE2));
  return nn.convTranspose2d(h, net.up2.w, net.up2.b, STRIDE2);
}

interface Fitted {
  readonly meta: Meta;
  readonly net: Network;
}

export class ConvVaeSynthesizer implements ImageSynthesizer {
  readonly name = 'conv-vae';
  readonly config: ConvVaeConfig;
  #fitted: Fitted | null = null;
  #losses: LossPoint[] = [];

  constructor(config: Partial<ConvVaeConfig> | Readonly<Record<string, unknown>> = {}) {
    this.config = parseSynthConfig(convVaeConfigSchema, config, 'conv-vae config');
  }

  /** Conditional after a fit on fully labelled images (with `conditional: true`); false before any fit. */
  get conditional(): boolean {
    return this.#fitted?.meta.conditional ?? false;
  }

  get losses(): readonly LossPoint[] {
    return this.#losses;
  }

  async fit(samples: readonly ImageSample[], options: ImageSynthFitOptions): Promise<ImageSynthFitReport> {
    const cfg = this.config;
    const kind = this.name;
    const progress = options.progress ?? silentProgress;
    const epochs = epochsOf(kind, options.epochs, cfg.epochs);
    const t0 = performance.now();
    const data = packImages(samples, 0, 1, kind);
    const conditional = cfg.conditional && allLabelled(data);
    const meta: Meta = { shape: data.shape, numClasses: conditional ? data.numClasses : 0, classCounts: conditional ? data.classCounts : [], conditional };
    const rng = new Rng(options.seed);
    const net = buildNetwork(cfg, meta, rng.split('init'));
    const params = [...encoderParams(net), ...decoderParams(net)];
    const opt = new nn.Adam(params, { lr: cfg.lr });
    const n = samples.length;
    const B = Math.min(cfg.batchSize, n);
    const E = cfg.latentDim;
    const pixels = data.shape.channels * data.shape.height * data.shape.width;
    const order = new Int32Array(n);
    progress.line(`${kind}: ${n} images ${data.shape.width}×${data.shape.height}×${data.shape.channels}, ${conditional ? `conditional on ${meta.numClasses} classes` : 'unconditional'}; ${epochs} epochs of ${Math.ceil(n / B)} batches`);
    let te = 0;
    const result = await nn.runTrainingLoop<LossPoint>({
      label: kind,
      maxEpochs: epochs,
      rng: rng.split('train'),
      parameters: params,
      optimizers: [opt],
      checkpoint: fitCheckpoint(kind, cfg, options.seed, data, options.checkpointDir),
      progress,
      cancel: options.cancel,
      epoch: (epoch, erng) => {
        te = performance.now();
        shuffleEpoch(order, erng);
        let sumRec = 0;
        let sumKl = 0;
        let seen = 0;
        return {
          batches: Math.ceil(n / B),
          step: (b) => {
            const rows = batchRows(order, b, B);
            const m = rows.length;
            const labels = Int32Array.from(rows, (r) => data.labels[r]!);
            const x = gatherImages(data, rows);
            opt.zeroGrad();
            let h = nn.relu(nn.conv2d(x, net.conv1.w, net.conv1.b, STRIDE2));
            h = nn.relu(nn.conv2d(h, net.conv2.w, net.conv2.b, STRIDE2));
            const flat = withLabels(nn.reshape(h, [m, -1]), meta, labels);
            const mu = nn.linear(flat, net.mu.w, net.mu.b);
            const logVar = nn.linear(flat, net.logVar.w, net.logVar.b);
            const zt = nn.add(mu, nn.mul(nn.exp(nn.scale(logVar, 0.5)), new nn.Tensor(normals(m * E, erng.split(`eps ${b}`)), [m, E])));
            const logits = decode(cfg, net, meta, zt, labels);
            // Mean BCE over every pixel × pixels per image = the per-image reconstruction sum, batch-averaged.
            const rec = nn.scale(nn.bceWithLogits(logits, x.data), pixels);
            // KL(N(μ, σ²) ‖ N(0, I)) per image = ½ Σ (μ² + σ² − 1 − log σ²), batch-averaged.
            const kl = nn.add(nn.scale(nn.sum(nn.add(nn.mul(mu, mu), nn.add(nn.exp(logVar), nn.scale(logVar, -1)))), 0.5 / m), nn.Tensor.fromArray([-0.5 * E], []));
            nn.backward(nn.add(rec, nn.scale(kl, cfg.beta)));
            opt.step();
            sumRec += rec.item() * m;
            sumKl += kl.item() * m;
            seen += m;
          },
          finish: () => {
            const point: LossPoint = { epoch, loss: (sumRec + cfg.beta * sumKl) / seen, reconstruction: sumRec / seen, kl: sumKl / seen, seconds: (performance.now() - te) / 1000 };
            checkFinite(`${kind} loss`, point.loss!, epoch);
            return { log: point };
          },
        };
      },
      line: (p) => `${kind} epoch ${p.epoch}/${epochs}  loss ${fmt(p.loss!)}  reconstruction ${fmt(p.reconstruction!)}  kl ${fmt(p.kl!)}  ${p.seconds!.toFixed(1)} s`,
    });
    nn.releaseBuffers();
    this.#fitted = { meta, net };
    this.#losses = result.logs;
    return { seconds: (performance.now() - t0) / 1000, losses: result.logs, resumed: result.resumed };
  }

  #require(): Fitted {
    if (this.#fitted === null) throw new ModelStateError(`${this.name}: sample/save called before fit or load`);
    return this.#fitted;
  }

  sample(n: number, options: ImageSampleOptions = {}): ImageSample[] {
    const f = this.#require();
    const rng = new Rng(options.seed ?? 0);
    const labels = sampleLabels(this.name, n, options, f.meta.conditional, f.meta.classCounts, rng.split('labels'));
    const E = this.config.latentDim;
    const out: ImageSample[] = [];
    for (let start = 0, b = 0; start < n; start += SAMPLE_BATCH, b++) {
      const m = Math.min(SAMPLE_BATCH, n - start);
      const lb = labels.subarray(start, start + m);
      const z = new nn.Tensor(normals(m * E, rng.split(`z ${b}`)), [m, E]);
      const x = nn.noGrad(() => nn.sigmoid(decode(this.config, f.net, f.meta, z, lb)));
      toImages(x.data, m, f.meta.shape, 0, 1).forEach((image, i) => out.push({ image, label: lb[i]!, source: `${this.name}#${start + i}` }));
    }
    return out;
  }

  save(path: string): void {
    const f = this.#require();
    writeModelFile(path, this.name, { config: this.config, meta: f.meta, losses: this.#losses }, decoderParams(f.net));
  }

  load(path: string): void {
    const { header, loadInto } = readModelFile(path, this.name);
    const config = parseSynthConfig(convVaeConfigSchema, header.config, `${path}: conv-vae config`);
    const meta = header.meta as Meta;
    const net = buildNetwork(config, meta, new Rng(0));
    loadInto(decoderParams(net));
    (this as { config: ConvVaeConfig }).config = config;
    this.#losses = (header.losses as LossPoint[] | undefined) ?? [];
    this.#fitted = { meta, net };
  }
}
