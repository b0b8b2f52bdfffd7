/**
 * A small convolutional image classifier (the downstream model of the few-label protocol, issue 16
 * §5): two blocks of conv 3×3 → batch norm → ReLU → max pool 2, then a linear layer. It trains on
 * the one training loop (src/nn/training.ts) with early stopping on validation accuracy, and can
 * augment online — an image pipeline applied to every training image of every batch, and/or
 * mixup / cutmix on the batch — with every random draw taken from the epoch's rng stream.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.ts';
import { parseWithSchema } from '../../core/config.ts';
import type { CancelToken, ProgressReporter } from '../../core/index.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageTensor } from '../../data/images/types.ts';
import type { FamilyPipeline } from '../../augment/pipeline.ts';
import type { ImageAugmentContext } from '../../augment/image/types.ts';
import { applyMix, sampleMix, type MixConfig } from '../../augment/image/mix.ts';
import * as nn from '../../nn/index.ts';

const posInt = (def: number) => z.number().int().gte(1).default(def);
export const imageCnnConfigSchema = z
  .object({
    /** Output channels of the two convolution blocks. */
    channels: z.tuple([z.number().int().gte(1), z.number().int().gte(1)]).default([16, 32]),
    maxEpochs: posInt(40),
    batchSize: posInt(64),
    lr: z.number().gt(0).default(1e-3),
    weightDecay: z.number().gte(0).default(0),
    /** Early stopping on validation accuracy (needs a validation set; 0 = train all epochs). */
    patience: z.number().int().gte(0).default(8),
  })
  .strict();
export type ImageCnnConfig = z.infer<typeof imageCnnConfigSchema>;

/** Same-size images with labels 0..numClasses-1. */
export interface LabelledImages {
  readonly images: readonly ImageTensor[];
  readonly labels: ArrayLike<number>;
  readonly numClasses: number;
}

export interface ImageCnnFitOptions {
  readonly seed: number;
  readonly valid?: LabelledImages;
  /** Online augmentation: applied to every training image of every batch (output size must equal input size). */
  readonly augment?: FamilyPipeline<ImageTensor, ImageAugmentContext>;
  /** Batch-level mixing, applied to a batch with probability p (default 1). */
  readonly mix?: MixConfig & { readonly p?: number };
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

export interface ImageCnnEpochLog {
  readonly epoch: number;
  readonly loss: number;
  readonly validAccuracy?: number;
}

/** Pixel bytes → [-1, 1] floats, NCHW. */
function toTensor(images: readonly ImageTensor[], C: number, H: number, W: number): nn.Tensor {
  const out = new Float32Array(images.length * C * H * W);
  images.forEach((im, b) => {
    if (im.width !== W || im.height !== H || im.channels !== C) throw new ConfigError(`image ${b} is ${im.width}×${im.height}×${im.channels}; the classifier takes ${W}×${H}×${C}`, { field: 'images' });
    const base = b * C * H * W;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) out[base + (c * H + y) * W + x] = im.data[(y * W + x) * C + c]! / 127.5 - 1;
  });
  return new nn.Tensor(out, [images.length, C, H, W]);
}

export class ImageCnnClassifier {
  readonly config: ImageCnnConfig;
  #net: { shape: [number, number, number]; numClasses: number; params: nn.Parameter[]; bn: nn.Parameter[] } | undefined;

  constructor(config: Partial<ImageCnnConfig> = {}) {
    this.config = parseWithSchema(imageCnnConfigSchema, config) as ImageCnnConfig;
  }

  #build(C: number, H: number, W: number, numClasses: number, rng: Rng): void {
    if (H < 4 || W < 4) throw new ConfigError(`images must be at least 4×4, got ${W}×${H}`, { field: 'images' });
    const [c1, c2] = this.config.channels;
    const he = (fanIn: number): number => Math.sqrt(2 / fanIn);
    const flat = c2 * Math.floor(Math.floor(H / 2) / 2) * Math.floor(Math.floor(W / 2) / 2);
    const params = [
      nn.normalParameter('conv1.weight', [c1, C, 3, 3], he(C * 9), rng),
      nn.constantParameter('bn1.weight', [c1], 1),
      nn.constantParameter('bn1.bias', [c1], 0),
      nn.normalParameter('conv2.weight', [c2, c1, 3, 3], he(c1 * 9), rng),
      nn.constantParameter('bn2.weight', [c2], 1),
      nn.constantParameter('bn2.bias', [c2], 0),
      nn.uniformParameter('fc.weight', [numClasses, flat], 1 / Math.sqrt(flat), rng),
      nn.constantParameter('fc.bias', [numClasses], 0),
    ];
    // Running statistics live in Parameters (never given to the optimiser) so the training loop's
    // best-weights restore and checkpoints carry them with the weights.
    const bn = [
      nn.constantParameter('bn1.running_mean', [c1], 0),
      nn.constantParameter('bn1.running_var', [c1], 1),
      nn.constantParameter('bn2.running_mean', [c2], 0),
      nn.constantParameter('bn2.running_var', [c2], 1),
    ];
    this.#net = { shape: [C, H, W], numClasses, params, bn };
  }

  /** The two convolution blocks, flattened: the penultimate layer (input of the linear layer), [n, flat]. */
  #trunk(x: nn.Tensor, training: boolean): nn.Tensor {
    const net = this.#net!;
    const [w1, g1, b1, w2, g2, b2] = net.params as [nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter];
    const [m1, v1, m2, v2] = net.bn as [nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter];
    let h = nn.conv2d(x, w1, undefined, { padding: 1 });
    h = nn.maxPool2d(nn.relu(nn.batchNorm2d(h, g1, b1, { training, runningMean: m1.data, runningVar: v1.data })), { kernel: 2 });
    h = nn.conv2d(h, w2, undefined, { padding: 1 });
    h = nn.maxPool2d(nn.relu(nn.batchNorm2d(h, g2, b2, { training, runningMean: m2.data, runningVar: v2.data })), { kernel: 2 });
    return nn.reshape(h, [x.shape[0]!, -1]);
  }

  #forward(x: nn.Tensor, training: boolean): nn.Tensor {
    const net = this.#net!;
    return nn.linear(this.#trunk(x, training), net.params[6]!, net.params[7]!);
  }

  /** Width of the penultimate layer: channels[1] × ⌊H/4⌋ × ⌊W/4⌋ (0 before fitting). */
  get featureDim(): number {
    const net = this.#net;
    if (!net) return 0;
    const [, H, W] = net.shape;
    return this.config.channels[1] * Math.floor(Math.floor(H / 2) / 2) * Math.floor(Math.floor(W / 2) / 2);
  }

  /**
   * Penultimate-layer activations [n, featureDim] (row-major; eval mode: running batch-norm
   * statistics, no gradients) — the learned feature space the image quality measures compare
   * real and generated images in.
   */
  features(images: readonly ImageTensor[], batchSize = 256): Float32Array {
    const net = this.#net;
    if (!net) throw new ConfigError('the classifier is not fitted', { field: 'model' });
    const [C, H, W] = net.shape;
    const D = this.featureDim;
    const out = new Float32Array(images.length * D);
    nn.noGrad(() => {
      for (let s = 0; s < images.length; s += batchSize) out.set(this.#trunk(toTensor(images.slice(s, s + batchSize), C, H, W), false).data, s * D);
    });
    return out;
  }

  async fit(train: LabelledImages, opts: ImageCnnFitOptions): Promise<nn.TrainingResult<ImageCnnEpochLog>> {
    const n = train.images.length;
    if (n < 2) throw new ConfigError(`training needs at least 2 images, got ${n}`, { field: 'images' });
    if (train.labels.length !== n) throw new ConfigError(`${train.labels.length} labels for ${n} images`, { field: 'labels' });
    const first = train.images[0]!;
    const [C, H, W] = [first.channels, first.height, first.width];
    const rng = new Rng(opts.seed);
    this.#build(C, H, W, train.numClasses, rng.split('init'));
    const net = this.#net!;
    const cfg = this.config;
    const opt = new nn.Adam(net.params, { lr: cfg.lr, weightDecay: cfg.weightDecay });
    const bs = cfg.batchSize;
    const order = Array.from({ length: n }, (_, i) => i);
    const es = opts.valid && cfg.patience > 0 ? { metric: 'valid accuracy', direction: 'higher' as const, patience: cfg.patience } : undefined;
    return nn.runTrainingLoop<ImageCnnEpochLog>({
      label: 'image-cnn',
      maxEpochs: cfg.maxEpochs,
      rng: rng.split('train'),
      parameters: [...net.params, ...net.bn],
      optimizers: [opt],
      earlyStopping: es,
      progress: opts.progress,
      cancel: opts.cancel,
      epoch: (_e, erng) => {
        erng.shuffle(order);
        let lossSum = 0;
        let batches = 0;
        return {
          batches: Math.ceil(n / bs),
          step: (b) => {
            const idx = order.slice(b * bs, Math.min(n, (b + 1) * bs));
            let images = idx.map((k) => train.images[k]!);
            if (opts.augment) {
              const p = opts.augment;
              images = images.map((im, i) => {
                const out = p.augment(im, {}, erng.split(`augment batch ${b} item ${i}`))[0]!.output;
                if (out.width !== W || out.height !== H) throw new ConfigError(`the online augmentation pipeline turned a ${W}×${H} image into ${out.width}×${out.height}; the classifier needs a fixed size`, { field: 'augment' });
                return out;
              });
            }
            const ya = Int32Array.from(idx, (k) => train.labels[k]!);
            const mrng = erng.split(`mix batch ${b}`);
            nn.resetTape();
            for (const p of net.params) p.grad = null;
            let loss: nn.Tensor;
            if (opts.mix && idx.length > 1 && mrng.next() < (opts.mix.p ?? 1)) {
              const params = sampleMix(idx.length, W, H, opts.mix, mrng);
              const mixed = applyMix(images, ya, train.numClasses, params);
              const logits = this.#forward(toTensor(mixed.images, C, H, W), true);
              const yb = Int32Array.from(params.partner, (j) => ya[j]!);
              loss = nn.add(nn.crossEntropy(logits, ya, Float32Array.from(params.lambda)), nn.crossEntropy(logits, yb, Float32Array.from(params.lambda, (l) => 1 - l)));
            } else {
              loss = nn.crossEntropy(this.#forward(toTensor(images, C, H, W), true), ya);
            }
            lossSum += loss.item();
            batches++;
            nn.backward(loss);
            opt.step();
          },
          finish: (validate) => {
            const log: ImageCnnEpochLog = { epoch: _e, loss: lossSum / Math.max(1, batches) };
            if (!opts.valid || (!validate && es)) return { log };
            const acc = accuracyOf(this.predict(opts.valid.images), opts.valid.labels);
            return { log: { ...log, validAccuracy: acc }, score: acc };
          },
        };
      },
      line: (log, improved) => `image-cnn epoch ${log.epoch}: loss ${log.loss.toFixed(4)}${log.validAccuracy !== undefined ? `, valid accuracy ${log.validAccuracy.toFixed(4)}${improved ? ' *' : ''}` : ''}`,
    });
  }

  /** Class probabilities [n, numClasses] (eval mode: running batch-norm statistics). */
  predictProba(images: readonly ImageTensor[], batchSize = 256): Float32Array {
    const net = this.#net;
    if (!net) throw new ConfigError('the classifier is not fitted', { field: 'model' });
    const [C, H, W] = net.shape;
    const K = net.numClasses;
    const out = new Float32Array(images.length * K);
    nn.noGrad(() => {
      for (let s = 0; s < images.length; s += batchSize) {
        const logits = this.#forward(toTensor(images.slice(s, s + batchSize), C, H, W), false).data;
        for (let r = 0; r < logits.length / K; r++) {
          let mx = -Infinity;
          for (let j = 0; j < K; j++) mx = Math.max(mx, logits[r * K + j]!);
          let z = 0;
          for (let j = 0; j < K; j++) z += Math.exp(logits[r * K + j]! - mx);
          for (let j = 0; j < K; j++) out[(s + r) * K + j] = Math.exp(logits[r * K + j]! - mx) / z;
        }
      }
    });
    return out;
  }

  /** Predicted class per image (the first maximum of the probabilities). */
  predict(images: readonly ImageTensor[]): Int32Array {
    const K = this.#net?.numClasses ?? 0;
    const p = this.predictProba(images);
    const out = new Int32Array(images.length);
    for (let i = 0; i < images.length; i++) {
      let best = 0;
      for (let j = 1; j < K; j++) if (p[i * K + j]! > p[i * K + best]!) best = j;
      out[i] = best;
    }
    return out;
  }
}

export function accuracyOf(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return pred.length ? c / pred.length : 0;
}
