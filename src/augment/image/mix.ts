/**
 * Batch-level mixing for labelled images: mixup (convex blend of two images and their one-hot
 * labels) and cutmix (a rectangle pasted from the partner; labels weighted by the pasted area).
 * These act on a batch, not on one image, so they are not pipeline operators; they keep the
 * contract's two phases: `sampleMix` draws every choice (partner permutation, λ, boxes) as plain
 * JSON, `applyMix` is pure.
 */
import type { Rng } from '../../core/rng.ts';
import type { ImageTensor } from '../../data/images/types.ts';
import { clampByte } from './warp.ts';
import type { Box } from './photometric.ts';

export interface MixConfig {
  readonly kind: 'mixup' | 'cutmix';
  /** λ ~ Beta(alpha, alpha) (default 1: uniform for cutmix, 0.2 is usual for mixup). */
  readonly alpha?: number;
}

export interface MixParams {
  kind: 'mixup' | 'cutmix';
  /** partner[i]: the batch index mixed into image i (a permutation). */
  partner: number[];
  /** Weight of image i's own label in its target (for cutmix: 1 − pasted area fraction). */
  lambda: number[];
  /** cutmix: the rectangle pasted into image i from its partner. */
  boxes?: Box[];
}

export interface MixedBatch {
  images: ImageTensor[];
  /** [n, numClasses] soft targets, row-major. */
  targets: Float32Array;
}

/** Gamma(k, 1) draw (Marsaglia–Tsang; boosted for k < 1). */
function gammaDraw(k: number, rng: Rng): number {
  if (k < 1) {
    let u = rng.next();
    while (u <= 0) u = rng.next();
    return gammaDraw(k + 1, rng) * u ** (1 / k);
  }
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) draw. */
export function betaDraw(a: number, b: number, rng: Rng): number {
  const x = gammaDraw(a, rng);
  const y = gammaDraw(b, rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/** Draws the mixing of a batch of n images of width × height. */
export function sampleMix(n: number, width: number, height: number, config: MixConfig, rng: Rng): MixParams {
  const alpha = config.alpha ?? 1;
  if (!(alpha > 0 && Number.isFinite(alpha))) throw new RangeError(`mix: alpha must be a finite number > 0, got ${alpha}`);
  if (config.kind !== 'mixup' && config.kind !== 'cutmix') throw new RangeError(`mix: kind must be 'mixup' or 'cutmix', got ${JSON.stringify(config.kind)}`);
  const partner = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(partner);
  const lambda: number[] = [];
  const boxes: Box[] = [];
  for (let i = 0; i < n; i++) {
    const lam = betaDraw(alpha, alpha, rng);
    if (config.kind === 'mixup') {
      lambda.push(lam);
      continue;
    }
    // A box of area (1 − λ)·W·H at a uniform centre, clipped to the image; λ is then the exact kept fraction.
    const cut = Math.sqrt(1 - lam);
    const bw = Math.round(width * cut);
    const bh = Math.round(height * cut);
    const cx = rng.int(width);
    const cy = rng.int(height);
    const x0 = Math.max(0, cx - (bw >> 1));
    const y0 = Math.max(0, cy - (bh >> 1));
    const x1 = Math.min(width, cx - (bw >> 1) + bw);
    const y1 = Math.min(height, cy - (bh >> 1) + bh);
    const box = { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
    boxes.push(box);
    lambda.push(1 - (box.w * box.h) / (width * height));
  }
  return config.kind === 'mixup' ? { kind: 'mixup', partner, lambda } : { kind: 'cutmix', partner, lambda, boxes };
}

/** Applies recorded mixing params to a batch (images not modified). */
export function applyMix(images: readonly ImageTensor[], labels: ArrayLike<number>, numClasses: number, params: MixParams): MixedBatch {
  const n = images.length;
  if (params.partner.length !== n || params.lambda.length !== n || labels.length !== n) throw new RangeError(`mix: params are for ${params.partner.length} images, the batch has ${n} images and ${labels.length} labels`);
  const targets = new Float32Array(n * numClasses);
  const out: ImageTensor[] = [];
  for (let i = 0; i < n; i++) {
    const a = images[i]!;
    const j = params.partner[i]!;
    const b = images[j];
    if (b === undefined) throw new RangeError(`mix: partner ${j} of image ${i} is not in the batch`);
    if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) throw new RangeError(`mix: images ${i} and ${j} differ in size or channels`);
    const lam = params.lambda[i]!;
    const la = labels[i]!;
    const lb = labels[j]!;
    if (!(la >= 0 && la < numClasses && lb >= 0 && lb < numClasses)) throw new RangeError(`mix: labels must be in 0..${numClasses - 1}`);
    targets[i * numClasses + la] = targets[i * numClasses + la]! + lam;
    targets[i * numClasses + lb] = targets[i * numClasses + lb]! + 1 - lam;
    const data = new Uint8Array(a.data.length);
    if (params.kind === 'mixup') {
      for (let k = 0; k < data.length; k++) data[k] = clampByte(lam * a.data[k]! + (1 - lam) * b.data[k]!);
    } else {
      data.set(a.data);
      const box = params.boxes?.[i];
      if (!box) throw new RangeError(`mix: cutmix params have no box for image ${i}`);
      const C = a.channels;
      for (let y = box.y; y < box.y + box.h; y++) {
        const s = (y * a.width + box.x) * C;
        data.set(b.data.subarray(s, s + box.w * C), s);
      }
    }
    out.push({ width: a.width, height: a.height, channels: a.channels, data });
  }
  return { images: out, targets };
}
