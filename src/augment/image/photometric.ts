/**
 * Photometric image operators: brightness, contrast, saturation, hue, Gaussian blur, Gaussian
 * noise, cutout / random erasing. Alpha is never changed. On one-channel images saturation and
 * hue are the identity (their params are still drawn, so a chain's shape does not depend on the
 * image). Noise is drawn from a seed recorded in the params: `apply` stays a pure function of its
 * params (the per-pixel draws would make the params as large as the image).
 */
import { z } from 'zod';
import { Rng } from '../../core/rng.ts';
import type { ImageTensor } from '../../data/images/types.ts';
import type { OperatorDef } from '../types.ts';
import { byte, range, uniform, within } from './config.ts';
import { clampByte, cloneImage, colourChannels } from './warp.ts';
import type { ImageAugmentContext } from './types.ts';

type ImageOp<C, P> = OperatorDef<ImageTensor, C, P, ImageAugmentContext>;

export interface FactorParams {
  factor: number;
}

function mapColour(img: ImageTensor, f: (v: number, pixel: number) => number): ImageTensor {
  const out = cloneImage(img);
  const C = img.channels;
  const cc = colourChannels(img);
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) for (let c = 0; c < cc; c++) out.data[p * C + c] = clampByte(f(img.data[p * C + c]!, p));
  return out;
}

/** Applies a per-value function through a 256-entry table (same bytes as calling it per value). */
function mapLut(img: ImageTensor, f: (v: number) => number): ImageTensor {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = clampByte(f(v));
  const out = cloneImage(img);
  const C = img.channels;
  const cc = colourChannels(img);
  const d = img.data;
  const o = out.data;
  if (cc === C) for (let i = 0; i < d.length; i++) o[i] = lut[d[i]!]!;
  else for (let i = 0; i < d.length; i += C) for (let c = 0; c < cc; c++) o[i + c] = lut[d[i + c]!]!;
  return out;
}

/** ITU-R 601 luma of pixel p (the grey of torchvision's adjust_* functions). */
function luma(img: ImageTensor, p: number): number {
  const C = img.channels;
  if (C === 1) return img.data[p]!;
  return 0.299 * img.data[p * C]! + 0.587 * img.data[p * C + 1]! + 0.114 * img.data[p * C + 2]!;
}

function checkFactor(op: string, f: number): void {
  if (!(Number.isFinite(f) && f >= 0)) throw new RangeError(`${op}: factor must be a finite number ≥ 0, got ${f}`);
}

const FactorConfig = z.object({ max: within(0, 1, 0.2) }).strict();

export const brightness: ImageOp<z.infer<typeof FactorConfig>, FactorParams> = {
  name: 'brightness',
  family: 'image',
  summary: 'multiply the colour values by a uniform factor in [1 − max, 1 + max]',
  config: FactorConfig,
  sample: (_x, c, _ctx, rng) => ({ factor: uniform(rng, 1 - c.max, 1 + c.max) }),
  apply(x, p) {
    checkFactor('brightness', p.factor);
    return mapLut(x, (v) => v * p.factor);
  },
};

export const contrast: ImageOp<z.infer<typeof FactorConfig>, FactorParams> = {
  name: 'contrast',
  family: 'image',
  summary: 'scale the distance to the mean grey by a uniform factor in [1 − max, 1 + max]',
  config: FactorConfig,
  sample: (_x, c, _ctx, rng) => ({ factor: uniform(rng, 1 - c.max, 1 + c.max) }),
  apply(x, p) {
    checkFactor('contrast', p.factor);
    const n = x.width * x.height;
    let s = 0;
    for (let i = 0; i < n; i++) s += luma(x, i);
    const m = s / n;
    return mapLut(x, (v) => m + (v - m) * p.factor);
  },
};

export const saturation: ImageOp<z.infer<typeof FactorConfig>, FactorParams> = {
  name: 'saturation',
  family: 'image',
  summary: 'scale each pixel’s distance to its grey by a uniform factor in [1 − max, 1 + max] (identity on grey images)',
  config: FactorConfig,
  sample: (_x, c, _ctx, rng) => ({ factor: uniform(rng, 1 - c.max, 1 + c.max) }),
  apply(x, p) {
    checkFactor('saturation', p.factor);
    if (x.channels === 1) return cloneImage(x);
    return mapColour(x, (v, i) => {
      const g = luma(x, i);
      return g + (v - g) * p.factor;
    });
  },
};

const HueConfig = z.object({ max: within(0, 0.5, 0.05) }).strict();
export interface HueParams {
  /** Hue rotation in turns (1 = 360°). */
  shift: number;
}
export const hue: ImageOp<z.infer<typeof HueConfig>, HueParams> = {
  name: 'hue',
  family: 'image',
  summary: 'rotate the hue (HSV) by a uniform shift in [−max, max] turns (identity on grey images)',
  config: HueConfig,
  sample: (_x, c, _ctx, rng) => ({ shift: uniform(rng, -c.max, c.max) }),
  apply(x, p) {
    if (!Number.isFinite(p.shift)) throw new RangeError(`hue: shift must be finite, got ${p.shift}`);
    const out = cloneImage(x);
    if (x.channels === 1) return out;
    const C = x.channels;
    const n = x.width * x.height;
    const d = x.data;
    for (let i = 0; i < n; i++) {
      const o = i * C;
      const r = d[o]! / 255;
      const g = d[o + 1]! / 255;
      const b = d[o + 2]! / 255;
      const mx = Math.max(r, g, b);
      const mn = Math.min(r, g, b);
      const delta = mx - mn;
      if (delta === 0) continue;
      let h = mx === r ? (g - b) / delta : mx === g ? 2 + (b - r) / delta : 4 + (r - g) / delta;
      h = h / 6 + p.shift;
      h -= Math.floor(h);
      const s = delta / mx;
      const v = mx;
      const h6 = h * 6;
      const k = Math.floor(h6);
      const f = h6 - k;
      const pp = v * (1 - s);
      const q = v * (1 - s * f);
      const t = v * (1 - s * (1 - f));
      const [rr, gg, bb] = k % 6 === 0 ? [v, t, pp] : k === 1 ? [q, v, pp] : k === 2 ? [pp, v, t] : k === 3 ? [pp, q, v] : k === 4 ? [t, pp, v] : [v, pp, q];
      out.data[o] = clampByte(rr * 255);
      out.data[o + 1] = clampByte(gg * 255);
      out.data[o + 2] = clampByte(bb * 255);
    }
    return out;
  },
};

// ---------------------------------------------------------------- blur
const BlurConfig = z.object({ sigma: range(0, 50, [0.1, 2]) }).strict();
export interface BlurParams {
  sigma: number;
}
/** Separable Gaussian blur (radius ⌈3σ⌉, edge pixels repeated), alpha included so edges stay consistent. */
export function gaussianBlur(img: ImageTensor, sigma: number): ImageTensor {
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw new RangeError(`blur: sigma must be a finite number ≥ 0, got ${sigma}`);
  if (sigma < 1e-3) return cloneImage(img);
  const rad = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * rad + 1);
  let s = 0;
  for (let i = -rad; i <= rad; i++) s += k[i + rad] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / s;
  const { width: W, height: H, channels: C, data } = img;
  const tmp = new Float64Array(data.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let i = -rad; i <= rad; i++) {
          const xx = x + i < 0 ? 0 : x + i >= W ? W - 1 : x + i;
          acc += k[i + rad]! * data[(y * W + xx) * C + c]!;
        }
        tmp[(y * W + x) * C + c] = acc;
      }
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let i = -rad; i <= rad; i++) {
          const yy = y + i < 0 ? 0 : y + i >= H ? H - 1 : y + i;
          acc += k[i + rad]! * tmp[(yy * W + x) * C + c]!;
        }
        out[(y * W + x) * C + c] = clampByte(acc);
      }
  return { width: W, height: H, channels: C, data: out };
}
export const blur: ImageOp<z.infer<typeof BlurConfig>, BlurParams> = {
  name: 'blur',
  family: 'image',
  summary: 'Gaussian blur with a uniform sigma (pixels) in sigma',
  config: BlurConfig,
  sample: (_x, c, _ctx, rng) => ({ sigma: uniform(rng, c.sigma[0], c.sigma[1]) }),
  apply: (x, p) => gaussianBlur(x, p.sigma),
};

// ---------------------------------------------------------------- Gaussian noise
const NoiseConfig = z.object({ std: range(0, 255, [0, 12]) }).strict();
export interface NoiseParams {
  /** Standard deviation in 0..255 units. */
  std: number;
  /** Seed of the per-pixel normal draws. */
  seed: number;
}
export const gaussianNoise: ImageOp<z.infer<typeof NoiseConfig>, NoiseParams> = {
  name: 'gaussian_noise',
  family: 'image',
  summary: 'add independent normal noise (std uniform in std, 0..255 units) to every colour value',
  config: NoiseConfig,
  sample: (_x, c, _ctx, rng) => ({ std: uniform(rng, c.std[0], c.std[1]), seed: rng.nextUint32() }),
  apply(x, p) {
    if (!(Number.isFinite(p.std) && p.std >= 0) || !Number.isInteger(p.seed)) throw new RangeError(`gaussian_noise: bad params ${JSON.stringify(p)}`);
    const r = new Rng(p.seed);
    return mapColour(x, (v) => v + p.std * r.normal());
  },
};

// ---------------------------------------------------------------- cutout / random erasing
const CutoutConfig = z
  .object({
    count: z.number({ error: 'must be an integer in 1..64' }).int({ error: 'must be an integer in 1..64' }).gte(1, { error: 'must be an integer in 1..64' }).lte(64, { error: 'must be an integer in 1..64' }).default(1),
    scale: range(0.0001, 1, [0.02, 0.33]),
    ratio: range(0.01, 100, [0.3, 3.3]),
    fill: z.enum(['constant', 'noise'], { error: "must be 'constant' or 'noise'" }).default('constant'),
    fillValue: byte(0),
  })
  .strict();
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface CutoutParams {
  boxes: Box[];
  fill: 'constant' | 'noise';
  fillValue: number;
  /** Seed of the uniform noise fill (used when fill is 'noise'). */
  seed: number;
}
export const cutout: ImageOp<z.infer<typeof CutoutConfig>, CutoutParams> = {
  name: 'cutout',
  family: 'image',
  summary: 'erase `count` rectangles (area fraction in scale, aspect in ratio, log-uniform) with a constant or uniform noise (random erasing)',
  config: CutoutConfig,
  sample(img, c, _ctx, rng) {
    const W = img.width;
    const H = img.height;
    const boxes: Box[] = [];
    for (let k = 0; k < c.count; k++) {
      const a = W * H * uniform(rng, c.scale[0], c.scale[1]);
      const r = Math.exp(uniform(rng, Math.log(c.ratio[0]), Math.log(c.ratio[1])));
      const w = Math.max(1, Math.min(W, Math.round(Math.sqrt(a * r))));
      const h = Math.max(1, Math.min(H, Math.round(Math.sqrt(a / r))));
      boxes.push({ x: rng.int(W - w + 1), y: rng.int(H - h + 1), w, h });
    }
    return { boxes, fill: c.fill, fillValue: c.fillValue, seed: rng.nextUint32() };
  },
  apply(img, p) {
    const out = cloneImage(img);
    const C = img.channels;
    const cc = colourChannels(img);
    const r = new Rng(p.seed);
    for (const b of p.boxes) {
      if (![b.x, b.y, b.w, b.h].every(Number.isInteger) || b.x < 0 || b.y < 0 || b.w < 1 || b.h < 1 || b.x + b.w > img.width || b.y + b.h > img.height)
        throw new RangeError(`cutout: box ${JSON.stringify(b)} does not fit a ${img.width}×${img.height} image`);
      for (let y = b.y; y < b.y + b.h; y++)
        for (let x = b.x; x < b.x + b.w; x++) for (let c = 0; c < cc; c++) out.data[(y * img.width + x) * C + c] = p.fill === 'noise' ? r.int(256) : p.fillValue;
    }
    return out;
  },
};
