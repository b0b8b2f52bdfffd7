/**
 * DCGAN (Radford et al. 2016) for small images, and its class-conditional form.
 *
 * - generator: z (+ one-hot label) → dense → reshape [g0, H/4, W/4] → batch norm + ReLU →
 *   transposed conv 4×4 stride 2 → [g1, H/2, W/2] → batch norm + ReLU → transposed conv 4×4
 *   stride 2 → [C, H, W] → tanh (pixels in [−1, 1]);
 * - discriminator: conv 4×4 stride 2 → LeakyReLU 0.2 → conv 4×4 stride 2 → LeakyReLU 0.2 →
 *   flatten → dense → one logit; conditional: plus a projection term ⟨embed(label), features⟩
 *   (Miyato & Koyama 2018; why: docs/decisions/image-synthesizers.md);
 * - loss: BCE with logits (non-saturating generator loss), Adam lr 2e-4, β1 0.5.
 *
 * One step per batch: a generator update through the current discriminator, then a discriminator
 * update on the real batch and that same (detached) fake batch — the generator runs forward once
 * per batch. Sampling uses the batch norms' running statistics (eval mode), so an image does not
 * depend on which others share its batch.
 */
import { z } from 'zod';
import { DataValidationError, ModelStateError, Rng, silentProgress } from '../../core/index.ts';
import type { ImageSample } from '../../data/images/types.ts';
import * as nn from '../../nn/index.ts';
import { checkFinite, parseSynthConfig, readModelFile, writeModelFile } from '../neural-tabular.ts';
import type { LossPoint } from '../types.ts';
import {
  type BatchNormState, type ImageShape, SAMPLE_BATCH, allLabelled, applyBatchNorm, batchNormState, batchRows, channelPair, epochsOf, fmt, gatherImages, normalWeight, normals,
  oneHot, packImages, positiveInt, sampleLabels, toImages, uniformWeight, fitCheckpoint, shuffleEpoch } from './common.ts';
import type { ImageSampleOptions, ImageSynthFitOptions, ImageSynthFitReport, ImageSynthesizer } from './types.ts';

export const dcganConfigSchema = z
  .object({
    epochs: positiveInt.default(20),
    batchSize: positiveInt.default(64),
    /** Noise dimension. */
    zDim: positiveInt.default(64),
    /** Generator channels at H/4 and H/2 (the issue's 128·7·7 → 64@14 for 28×28). */
    generatorChannels: channelPair.default([128, 64]),
    /** Discriminator channels at H/2 and H/4. */
    discriminatorChannels: channelPair.default([32, 64]),
    lr: z.number().positive().default(2e-4),
    beta1: z.number().min(0).lt(1).default(0.5),
    leakySlope: z.number().min(0).lt(1).default(0.2),
    /** Std of the N(0, σ²) initial weights (DCGAN: 0.02). */
    initStd: z.number().positive().default(0.02),
  })
  .strict();
export type DcganConfig = z.infer<typeof dcganConfigSchema>;

interface Generator {
  readonly dense: { w: nn.Parameter; b: nn.Parameter };
  readonly bn0: BatchNormState;
  readonly up1: nn.Parameter;
  readonly bn1: BatchNormState;
  readonly up2: nn.Parameter;
  readonly up2Bias: nn.Parameter;
}

interface Discriminator {
  readonly conv1: nn.Parameter;
  readonly conv1Bias: nn.Parameter;
  readonly conv2: nn.Parameter;
  readonly conv2Bias: nn.Parameter;
  readonly out: { w: nn.Parameter; b: nn.Parameter };
  /** Projection embedding [K, features] (conditional only). */
  readonly embed: nn.Parameter | null;
}

/** What sampling needs, saved to the model file. */
interface GeneratorMeta {
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly classCounts: number[];
  readonly conditional: boolean;
}

const trainable = (g: Generator): nn.Parameter[] => [g.dense.w, g.dense.b, g.bn0.gamma, g.bn0.beta, g.up1, g.bn1.gamma, g.bn1.beta, g.up2, g.up2Bias];
const runningStats = (g: Generator): nn.Parameter[] => [g.bn0.mean, g.bn0.variance, g.bn1.mean, g.bn1.variance];
const discParams = (d: Discriminator): nn.Parameter[] => [d.conv1, d.conv1Bias, d.conv2, d.conv2Bias, d.out.w, d.out.b, ...(d.embed ? [d.embed] : [])];

function buildGenerator(cfg: DcganConfig, m: GeneratorMeta, rng: Rng): Generator {
  const [g0, g1] = cfg.generatorChannels;
  const { channels: C, height: H, width: W } = m.shape;
  const zIn = cfg.zDim + (m.conditional ? m.numClasses : 0);
  const s = cfg.initStd;
  return {
    dense: { w: normalWeight('g.dense.weight', [g0 * (H / 4) * (W / 4), zIn], s, rng.split('dense')), b: nn.constantParameter('g.dense.bias', [g0 * (H / 4) * (W / 4)], 0) },
    bn0: batchNormState('g.bn0', g0),
    up1: normalWeight('g.up1.weight', [g0, g1, 4, 4], s, rng.split('up1')),
    bn1: batchNormState('g.bn1', g1),
    up2: normalWeight('g.up2.weight', [g1, C, 4, 4], s, rng.split('up2')),
    up2Bias: nn.constantParameter('g.up2.bias', [C], 0),
  };
}

function buildDiscriminator(cfg: DcganConfig, m: GeneratorMeta, rng: Rng): Discriminator {
  const [d0, d1] = cfg.discriminatorChannels;
  const { channels: C, height: H, width: W } = m.shape;
  const features = d1 * (H / 4) * (W / 4);
  const s = cfg.initStd;
  return {
    conv1: normalWeight('d.conv1.weight', [d0, C, 4, 4], s, rng.split('conv1')),
    conv1Bias: nn.constantParameter('d.conv1.bias', [d0], 0),
    conv2: normalWeight('d.conv2.weight', [d1, d0, 4, 4], s, rng.split('conv2')),
    conv2Bias: nn.constantParameter('d.conv2.bias', [d1], 0),
    out: { w: uniformWeight('d.out.weight', [1, features], features, rng.split('out')), b: nn.constantParameter('d.out.bias', [1], 0) },
    embed: m.conditional ? normalWeight('d.embed', [m.numClasses, features], s, rng.split('embed')) : null,
  };
}

const STRIDE2 = { stride: 2, padding: 1 } as const;

function generate(cfg: DcganConfig, g: Generator, m: GeneratorMeta, z: nn.Tensor, labels: Int32Array, training: boolean): nn.Tensor {
  const [g0] = cfg.generatorChannels;
  const { height: H, width: W } = m.shape;
  const n = z.shape[0]!;
  const input = m.conditional ? nn.concatColumns([z, oneHot(labels, m.numClasses)]) : z;
  let h = nn.reshape(nn.linear(input, g.dense.w, g.dense.b), [n, g0, H / 4, W / 4]);
  h = nn.relu(applyBatchNorm(h, g.bn0, training));
  h = nn.relu(applyBatchNorm(nn.convTranspose2d(h, g.up1, undefined, STRIDE2), g.bn1, training));
  return nn.tanh(nn.convTranspose2d(h, g.up2, g.up2Bias, STRIDE2));
}

function discriminate(cfg: DcganConfig, d: Discriminator, x: nn.Tensor, labels: Int32Array): nn.Tensor {
  const n = x.shape[0]!;
  let h = nn.leakyRelu(nn.conv2d(x, d.conv1, d.conv1Bias, STRIDE2), cfg.leakySlope);
  h = nn.leakyRelu(nn.conv2d(h, d.conv2, d.conv2Bias, STRIDE2), cfg.leakySlope);
  const flat = nn.reshape(h, [n, -1]);
  const logit = nn.reshape(nn.linear(flat, d.out.w, d.out.b), [n]);
  if (d.embed === null) return logit;
  return nn.add(logit, nn.rowDot(nn.embedding(d.embed, labels, [n]), flat));
}

interface Fitted {
  readonly meta: GeneratorMeta;
  readonly g: Generator;
}

export class DcganSynthesizer implements ImageSynthesizer {
  readonly name: string;
  readonly config: DcganConfig;
  readonly #conditional: boolean;
  #fitted: Fitted | null = null;
  #losses: LossPoint[] = [];

  /** `conditional`: the class-conditional form (registry entry 'conditional-dcgan'). */
  constructor(config: Partial<DcganConfig> | Readonly<Record<string, unknown>> = {}, conditional = false) {
    this.name = conditional ? 'conditional-dcgan' : 'dcgan';
    this.#conditional = conditional;
    this.config = parseSynthConfig(dcganConfigSchema, config, `${this.name} config`);
  }

  get conditional(): boolean {
    return this.#conditional;
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
    const data = packImages(samples, -1, 1, kind);
    if (this.#conditional && !allLabelled(data)) {
      const i = data.labels.findIndex((l) => l < 0);
      throw new DataValidationError(`${kind}: every training image needs a label; image ${i} (${samples[i]!.source}) has none`, { field: `samples[${i}].label` });
    }
    const meta: GeneratorMeta = { shape: data.shape, numClasses: this.#conditional ? data.numClasses : 0, classCounts: this.#conditional ? data.classCounts : [], conditional: this.#conditional };
    const rng = new Rng(options.seed);
    const g = buildGenerator(cfg, meta, rng.split('init generator'));
    const d = buildDiscriminator(cfg, meta, rng.split('init discriminator'));
    const gParams = trainable(g);
    const dParams = discParams(d);
    const optG = new nn.Adam(gParams, { lr: cfg.lr, beta1: cfg.beta1, beta2: 0.999 });
    const optD = new nn.Adam(dParams, { lr: cfg.lr, beta1: cfg.beta1, beta2: 0.999 });
    const n = samples.length;
    const B = Math.min(cfg.batchSize, n);
    const order = new Int32Array(n);
    progress.line(`${kind}: ${n} images ${data.shape.width}×${data.shape.height}×${data.shape.channels}${this.#conditional ? `, ${meta.numClasses} classes` : ''}; ${epochs} epochs of ${Math.ceil(n / B)} batches`);
    let te = 0;
    const result = await nn.runTrainingLoop<LossPoint>({
      label: kind,
      maxEpochs: epochs,
      rng: rng.split('train'),
      parameters: [...gParams, ...runningStats(g), ...dParams],
      optimizers: [optG, optD],
      checkpoint: fitCheckpoint(kind, cfg, options.seed, data, options.checkpointDir),
      progress,
      cancel: options.cancel,
      epoch: (epoch, erng) => {
        te = performance.now();
        shuffleEpoch(order, erng);
        let sumG = 0;
        let sumD = 0;
        let sumReal = 0;
        let sumFake = 0;
        let seen = 0;
        return {
          batches: Math.ceil(n / B),
          step: (b) => {
            const rows = batchRows(order, b, B);
            const m = rows.length;
            const labels = Int32Array.from(rows, (r) => data.labels[r]!);
            const z = new nn.Tensor(normals(m * cfg.zDim, erng.split(`z ${b}`)), [m, cfg.zDim]);
            // Generator: make D call the fakes real (non-saturating loss).
            optG.zeroGrad();
            optD.zeroGrad();
            const fake = generate(cfg, g, meta, z, labels, true);
            const lossG = nn.bceWithLogits(discriminate(cfg, d, fake, labels), new Float32Array(m).fill(1));
            nn.backward(lossG);
            optG.step();
            // Discriminator: real → 1, the same fakes (no gradient to G) → 0.
            optD.zeroGrad();
            const real = gatherImages(data, rows);
            const lossReal = nn.bceWithLogits(discriminate(cfg, d, real, labels), new Float32Array(m).fill(1));
            const lossFake = nn.bceWithLogits(discriminate(cfg, d, fake.detach(), labels), new Float32Array(m));
            nn.backward(nn.add(lossReal, lossFake));
            optD.step();
            sumG += lossG.item() * m;
            sumReal += lossReal.item() * m;
            sumFake += lossFake.item() * m;
            sumD += (lossReal.item() + lossFake.item()) * m;
            seen += m;
          },
          finish: () => {
            const point: LossPoint = { epoch, generator: sumG / seen, discriminator: sumD / seen, discriminatorReal: sumReal / seen, discriminatorFake: sumFake / seen, seconds: (performance.now() - te) / 1000 };
            checkFinite(`${kind} generator loss`, point.generator!, epoch);
            checkFinite(`${kind} discriminator loss`, point.discriminator!, epoch);
            return { log: point };
          },
        };
      },
      line: (p) => `${kind} epoch ${p.epoch}/${epochs}  G ${fmt(p.generator!)}  D ${fmt(p.discriminator!)} (real ${fmt(p.discriminatorReal!)}, fake ${fmt(p.discriminatorFake!)})  ${p.seconds!.toFixed(1)} s`,
    });
    nn.releaseBuffers();
    this.#fitted = { meta, g };
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
    const labels = sampleLabels(this.name, n, options, this.#conditional, f.meta.classCounts, rng.split('labels'));
    const out: ImageSample[] = [];
    for (let start = 0, b = 0; start < n; start += SAMPLE_BATCH, b++) {
      const m = Math.min(SAMPLE_BATCH, n - start);
      const lb = labels.subarray(start, start + m);
      const z = new nn.Tensor(normals(m * this.config.zDim, rng.split(`z ${b}`)), [m, this.config.zDim]);
      const x = nn.noGrad(() => generate(this.config, f.g, f.meta, z, lb, false));
      toImages(x.data, m, f.meta.shape, -1, 1).forEach((image, i) => out.push({ image, label: lb[i]!, source: `${this.name}#${start + i}` }));
    }
    return out;
  }

  save(path: string): void {
    const f = this.#require();
    writeModelFile(path, this.name, { config: this.config, meta: f.meta, losses: this.#losses }, [...trainable(f.g), ...runningStats(f.g)]);
  }

  load(path: string): void {
    const { header, loadInto } = readModelFile(path, this.name);
    const config = parseSynthConfig(dcganConfigSchema, header.config, `${path}: ${this.name} config`);
    const meta = header.meta as GeneratorMeta;
    const g = buildGenerator(config, meta, new Rng(0));
    loadInto([...trainable(g), ...runningStats(g)]);
    (this as { config: DcganConfig }).config = config;
    this.#losses = (header.losses as LossPoint[] | undefined) ?? [];
    this.#fitted = { meta, g };
  }
}
