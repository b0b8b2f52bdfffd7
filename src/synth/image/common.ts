/**
 * Pieces shared by the image synthesizers: checking and packing the training images into an NCHW
 * float tensor, turning network outputs back into uint8 images, label bookkeeping, the layer
 * initialisers, the sample-label draw and the epoch bookkeeping.
 */
import { z } from 'zod';
import { ConfigError, DataValidationError, type Rng } from '../../core/index.ts';
import type { ChannelCount, ImageSample, ImageTensor } from '../../data/images/types.ts';
import { join } from 'node:path';
import * as nn from '../../nn/index.ts';
import type { ImageSampleOptions } from './types.ts';

export const positiveInt = z.number().int().min(1);
/** Output channels of the two stride-2 stages (coarse → fine for a generator / decoder). */
export const channelPair = z.tuple([positiveInt, positiveInt]);

export interface ImageShape {
  readonly channels: ChannelCount;
  readonly height: number;
  readonly width: number;
}

export interface PackedImages {
  readonly shape: ImageShape;
  /** n × C × H × W floats in the model's range. */
  readonly data: Float32Array;
  /** Per image: its class, or −1. */
  readonly labels: Int32Array;
  /** max label + 1 (0 when no image has a label). */
  readonly numClasses: number;
  /** Images per class (length numClasses). */
  readonly classCounts: number[];
}

/**
 * The training images as NCHW floats: byte v becomes lo + (hi − lo)·v/255. Every image must have the
 * first one's size and channel count, and that size must halve twice (two stride-2 stages).
 */
export function packImages(samples: readonly ImageSample[], lo: number, hi: number, what: string): PackedImages {
  if (samples.length < 2) throw new DataValidationError(`${what}: training needs at least 2 images, got ${samples.length}`, { field: 'samples' });
  const first = samples[0]!.image;
  const { width: W, height: H, channels: C } = first;
  if (H % 4 !== 0 || W % 4 !== 0) throw new DataValidationError(`${what}: image size ${W}×${H} must be a multiple of 4 (two stride-2 stages)`, { field: 'samples' });
  const L = H * W;
  const data = new Float32Array(samples.length * C * L);
  const labels = new Int32Array(samples.length);
  const k = (hi - lo) / 255;
  samples.forEach((s, i) => {
    const im = s.image;
    if (im.width !== W || im.height !== H || im.channels !== C) throw new DataValidationError(`${what}: image ${i} (${s.source}) is ${im.width}×${im.height}×${im.channels}, the first is ${W}×${H}×${C}`, { field: `samples[${i}].image` });
    if (im.data.length !== L * C) throw new DataValidationError(`${what}: image ${i} (${s.source}) has ${im.data.length} bytes for ${W}×${H}×${C}`, { field: `samples[${i}].image` });
    if (!Number.isInteger(s.label) || s.label < -1) throw new DataValidationError(`${what}: image ${i} (${s.source}) has label ${s.label}; labels are integers ≥ 0, or −1 for none`, { field: `samples[${i}].label` });
    labels[i] = s.label;
    const base = i * C * L;
    for (let p = 0; p < L; p++) for (let c = 0; c < C; c++) data[base + c * L + p] = lo + k * im.data[p * C + c]!;
  });
  let numClasses = 0;
  for (const l of labels) numClasses = Math.max(numClasses, l + 1);
  const classCounts = new Array<number>(numClasses).fill(0);
  for (const l of labels) if (l >= 0) classCounts[l]!++;
  return { shape: { channels: C, height: H, width: W }, data, labels, numClasses, classCounts };
}

/** True when every image has a label (what a conditional model needs). */
export function allLabelled(p: PackedImages): boolean {
  return p.labels.every((l) => l >= 0);
}

/** NCHW floats in [lo, hi] of images `from`.. of a batch → uint8 HWC images (rounded, clamped). */
export function toImages(data: Float32Array, n: number, shape: ImageShape, lo: number, hi: number): ImageTensor[] {
  const { channels: C, height: H, width: W } = shape;
  const L = H * W;
  const k = 255 / (hi - lo);
  const out: ImageTensor[] = [];
  for (let i = 0; i < n; i++) {
    const px = new Uint8Array(L * C);
    const base = i * C * L;
    for (let p = 0; p < L; p++) {
      for (let c = 0; c < C; c++) {
        const v = Math.round((data[base + c * L + p]! - lo) * k);
        px[p * C + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    out.push({ width: W, height: H, channels: C, data: px });
  }
  return out;
}

/** One-hot rows [n, K] of labels. */
export function oneHot(labels: Int32Array, K: number): nn.Tensor {
  const out = new Float32Array(labels.length * K);
  labels.forEach((l, i) => {
    out[i * K + l] = 1;
  });
  return new nn.Tensor(out, [labels.length, K]);
}

export function normals(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** The batch `idx` of packed NCHW images, as a tensor. */
export function gatherImages(p: PackedImages, idx: ArrayLike<number>): nn.Tensor {
  const { channels: C, height: H, width: W } = p.shape;
  const per = C * H * W;
  const out = new Float32Array(idx.length * per);
  for (let i = 0; i < idx.length; i++) out.set(p.data.subarray(idx[i]! * per, (idx[i]! + 1) * per), i * per);
  return new nn.Tensor(out, [idx.length, C, H, W]);
}

/**
 * The labels of n samples: the condition's for every one, or (conditional models) classes drawn in
 * the training proportions, or −1 (unconditional). A condition on an unconditional model, or a
 * class the model never saw, is a ConfigError naming `conditions.label`.
 */
export function sampleLabels(kind: string, n: number, options: ImageSampleOptions, conditional: boolean, classCounts: readonly number[], rng: Rng): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${kind}: n must be an integer ≥ 0, got ${n}`, { field: 'n' });
  const c = options.conditions;
  if (c !== undefined) {
    const keys = Object.keys(c).filter((k) => k !== 'label');
    if (keys.length > 0) throw new ConfigError(`${kind}: images can be conditioned on 'label' only, not '${keys[0]}'`, { field: `conditions.${keys[0]}` });
    if (!conditional) throw new ConfigError(`${kind} is unconditional: it cannot sample a given label (use a conditional synthesizer, e.g. conditional-dcgan, or a conv-vae fitted on labelled images)`, { field: 'conditions.label' });
    if (!Number.isInteger(c.label) || c.label < 0 || c.label >= classCounts.length || classCounts[c.label] === 0) {
      throw new ConfigError(`${kind}: label ${c.label} was not in the training images (classes with images: ${classCounts.flatMap((k, i) => (k > 0 ? [i] : [])).join(', ')})`, { field: 'conditions.label' });
    }
    return new Int32Array(n).fill(c.label);
  }
  if (!conditional) return new Int32Array(n).fill(-1);
  const total = classCounts.reduce((a, b) => a + b, 0);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rng.next() * total;
    let l = 0;
    while (l < classCounts.length - 1 && u >= classCounts[l]!) u -= classCounts[l++]!;
    out[i] = l;
  }
  return out;
}

/** N(0, std²) weights (DCGAN's initialisation, std 0.02). */
export function normalWeight(name: string, shape: readonly number[], std: number, rng: Rng): nn.Parameter {
  return nn.normalParameter(name, shape, std, rng);
}

/** PyTorch's default layer initialisation: U(±1/√fanIn). */
export function uniformWeight(name: string, shape: readonly number[], fanIn: number, rng: Rng): nn.Parameter {
  return nn.uniformParameter(name, shape, 1 / Math.sqrt(Math.max(fanIn, 1)), rng);
}

/** Batch-norm scale/shift (trained) and running statistics (carried in Parameters so checkpoints and save keep them; never given to an optimiser). */
export interface BatchNormState {
  readonly gamma: nn.Parameter;
  readonly beta: nn.Parameter;
  readonly mean: nn.Parameter;
  readonly variance: nn.Parameter;
}

export function batchNormState(name: string, channels: number): BatchNormState {
  return {
    gamma: nn.constantParameter(`${name}.weight`, [channels], 1),
    beta: nn.constantParameter(`${name}.bias`, [channels], 0),
    mean: nn.constantParameter(`${name}.running_mean`, [channels], 0),
    variance: nn.constantParameter(`${name}.running_var`, [channels], 1),
  };
}

export function applyBatchNorm(x: nn.Tensor, bn: BatchNormState, training: boolean): nn.Tensor {
  return nn.batchNorm2d(x, bn.gamma, bn.beta, { training, runningMean: bn.mean.data, runningVar: bn.variance.data });
}

/** Epochs from the fit options or the config, checked. */
export function epochsOf(kind: string, fromOptions: number | undefined, fromConfig: number): number {
  const e = fromOptions ?? fromConfig;
  if (!Number.isInteger(e) || e < 1) throw new ConfigError(`${kind}: epochs must be an integer ≥ 1, got ${e}`, { field: 'epochs' });
  return e;
}

/** Shuffled batches of an epoch: ⌈n / B⌉ batches, the last one smaller. */
export function batchRows(order: Int32Array, batch: number, size: number): Int32Array {
  return order.subarray(batch * size, Math.min(order.length, (batch + 1) * size));
}

/** The sample batch size: samples are generated this many at a time (eval-mode batch norm makes the result independent of it). */
export const SAMPLE_BATCH = 256;

export function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

/**
 * The training loop's checkpoint for an image synthesizer's fit (none without a folder): keyed by
 * the kind, the settings except the epoch cap (raising it resumes), the seed and the training images.
 */
export function fitCheckpoint(kind: string, cfg: object, seed: number, data: PackedImages, dir: string | undefined): { path: string; fingerprint: unknown } | undefined {
  if (!dir) return undefined;
  return { path: join(dir, 'checkpoint.bin'), fingerprint: { kind, config: { ...cfg, epochs: undefined }, seed, shape: data.shape, data: nn.hashArray(data.data), labels: nn.hashArray(data.labels) } };
}

/** An epoch's batch order: the identity shuffled afresh from the epoch's RNG, so a resumed run needs no carried order. */
export function shuffleEpoch(order: Int32Array, erng: Rng): void {
  for (let i = 0; i < order.length; i++) order[i] = i;
  erng.split('shuffle').shuffle(order);
}
