/**
 * Geometric image operators (Keras ImageDataGenerator / torchvision style): rotate, shift, shear,
 * zoom, random crop, random-resized crop, flips. Each draws its random choices in `sample` as
 * plain numbers and warps in `apply` with bilinear sampling (warp.ts), so a recorded chain replays
 * byte for byte.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../data/images/types.ts';
import type { OperatorDef } from '../types.ts';
import { byte, fillMode, range, side, uniform, within } from './config.ts';
import { fillIndex, inverseAboutCentre, resizeRegion, warpAffine, type FillMode } from './warp.ts';
import type { ImageAugmentContext } from './types.ts';

type ImageOp<C, P> = OperatorDef<ImageTensor, C, P, ImageAugmentContext>;

const DEG = Math.PI / 180;

function affine(img: ImageTensor, A: [number, number, number, number], t: [number, number], fill: FillMode, fillValue: number): ImageTensor {
  return warpAffine(img, inverseAboutCentre(A, t, img.width, img.height), img.width, img.height, fill, fillValue);
}

function finite(op: string, ...vs: number[]): void {
  for (const v of vs) if (!Number.isFinite(v)) throw new RangeError(`${op}: params must be finite numbers, got ${v}`);
}

// ---------------------------------------------------------------- rotate
const RotateConfig = z.object({ degrees: within(0, 180, 15), fill: fillMode(), fillValue: byte(0) }).strict();
export interface RotateParams {
  /** Counter-clockwise angle in degrees. */
  angle: number;
}
export const rotate: ImageOp<z.infer<typeof RotateConfig>, RotateParams & { fill: FillMode; fillValue: number }> = {
  name: 'rotate',
  family: 'image',
  summary: 'rotate about the centre by a uniform angle in [−degrees, degrees], bilinear, fill mode for uncovered pixels',
  config: RotateConfig,
  sample: (_x, c, _ctx, rng) => ({ angle: uniform(rng, -c.degrees, c.degrees), fill: c.fill, fillValue: c.fillValue }),
  apply(x, p) {
    finite('rotate', p.angle);
    const r = p.angle * DEG;
    const cos = Math.cos(r);
    const sin = Math.sin(r);
    // y points down, so a counter-clockwise turn on screen is [[cos, sin], [−sin, cos]].
    return affine(x, [cos, sin, -sin, cos], [0, 0], p.fill, p.fillValue);
  },
};

// ---------------------------------------------------------------- shift
const ShiftConfig = z.object({ x: within(0, 1, 0.1), y: within(0, 1, 0.1), fill: fillMode(), fillValue: byte(0) }).strict();
export interface ShiftParams {
  /** Whole-pixel offsets (right, down). */
  dx: number;
  dy: number;
  fill: FillMode;
  fillValue: number;
}
export const shift: ImageOp<z.infer<typeof ShiftConfig>, ShiftParams> = {
  name: 'shift',
  family: 'image',
  summary: 'translate by whole pixels, up to x·width horizontally and y·height vertically',
  config: ShiftConfig,
  sample: (img, c, _ctx, rng) => ({
    // `+ 0` turns −0 into 0, so the params survive JSON unchanged.
    dx: Math.round(uniform(rng, -c.x, c.x) * img.width) + 0,
    dy: Math.round(uniform(rng, -c.y, c.y) * img.height) + 0,
    fill: c.fill,
    fillValue: c.fillValue,
  }),
  apply(x, p) {
    finite('shift', p.dx, p.dy);
    return affine(x, [1, 0, 0, 1], [p.dx, p.dy], p.fill, p.fillValue);
  },
};

// ---------------------------------------------------------------- shear
const ShearConfig = z.object({ degrees: within(0, 75, 10), fill: fillMode(), fillValue: byte(0) }).strict();
export const shear: ImageOp<z.infer<typeof ShearConfig>, RotateParams & { fill: FillMode; fillValue: number }> = {
  name: 'shear',
  family: 'image',
  summary: 'horizontal shear by a uniform angle in [−degrees, degrees] about the centre',
  config: ShearConfig,
  sample: (_x, c, _ctx, rng) => ({ angle: uniform(rng, -c.degrees, c.degrees), fill: c.fill, fillValue: c.fillValue }),
  apply(x, p) {
    finite('shear', p.angle);
    return affine(x, [1, Math.tan(p.angle * DEG), 0, 1], [0, 0], p.fill, p.fillValue);
  },
};

// ---------------------------------------------------------------- zoom
const ZoomConfig = z.object({ scale: range(0.05, 20, [0.9, 1.1]), keepAspect: z.boolean({ error: 'must be true or false' }).default(true), fill: fillMode(), fillValue: byte(0) }).strict();
export interface ZoomParams {
  /** Magnification per axis (> 1 enlarges the content). */
  zx: number;
  zy: number;
  fill: FillMode;
  fillValue: number;
}
export const zoom: ImageOp<z.infer<typeof ZoomConfig>, ZoomParams> = {
  name: 'zoom',
  family: 'image',
  summary: 'scale the content about the centre by a uniform factor in scale (per axis unless keepAspect); the canvas keeps its size',
  config: ZoomConfig,
  sample(_x, c, _ctx, rng) {
    const zx = uniform(rng, c.scale[0], c.scale[1]);
    const zy = c.keepAspect ? zx : uniform(rng, c.scale[0], c.scale[1]);
    return { zx, zy, fill: c.fill, fillValue: c.fillValue };
  },
  apply(x, p) {
    finite('zoom', p.zx, p.zy);
    if (!(p.zx > 0 && p.zy > 0)) throw new RangeError(`zoom: factors must be > 0, got ${p.zx}, ${p.zy}`);
    return affine(x, [p.zx, 0, 0, p.zy], [0, 0], p.fill, p.fillValue);
  },
};

// ---------------------------------------------------------------- random crop
const CropConfig = z.object({ width: side(), height: side(), padding: z.number({ error: 'must be an integer in 0..4096' }).int({ error: 'must be an integer in 0..4096' }).gte(0, { error: 'must be an integer in 0..4096' }).lte(4096, { error: 'must be an integer in 0..4096' }).default(4), fill: fillMode(), fillValue: byte(0) }).strict();
export interface CropParams {
  /** Top-left corner in input coordinates (negative: inside the padding). */
  x: number;
  y: number;
  width: number;
  height: number;
  fill: FillMode;
  fillValue: number;
}
export const randomCrop: ImageOp<z.infer<typeof CropConfig>, CropParams> = {
  name: 'random_crop',
  family: 'image',
  summary: 'pad by `padding` pixels (fill mode), then cut a width×height window (0: the input size) at a uniform position',
  config: CropConfig,
  sample(img, c, _ctx, rng) {
    const w = c.width || img.width;
    const h = c.height || img.height;
    const spanX = img.width + 2 * c.padding - w;
    const spanY = img.height + 2 * c.padding - h;
    // A window larger than the padded image is centred (the uncovered border is filled).
    const x = spanX >= 0 ? rng.int(spanX + 1) - c.padding : Math.floor(spanX / 2) - c.padding;
    const y = spanY >= 0 ? rng.int(spanY + 1) - c.padding : Math.floor(spanY / 2) - c.padding;
    return { x, y, width: w, height: h, fill: c.fill, fillValue: c.fillValue };
  },
  apply(img, p) {
    if (![p.x, p.y, p.width, p.height].every(Number.isInteger) || p.width < 1 || p.height < 1) throw new RangeError(`random_crop: bad window ${JSON.stringify(p)}`);
    const C = img.channels;
    const out = new Uint8Array(p.width * p.height * C).fill(p.fillValue);
    for (let j = 0; j < p.height; j++) {
      const sy = fillIndex(p.y + j, img.height, p.fill);
      if (sy < 0) continue;
      for (let i = 0; i < p.width; i++) {
        const sx = fillIndex(p.x + i, img.width, p.fill);
        if (sx < 0) continue;
        const s = (sy * img.width + sx) * C;
        const d = (j * p.width + i) * C;
        for (let c = 0; c < C; c++) out[d + c] = img.data[s + c]!;
      }
    }
    return { width: p.width, height: p.height, channels: C, data: out };
  },
};

// ---------------------------------------------------------------- random-resized crop
const ResizedCropConfig = z.object({ width: side(), height: side(), scale: range(0.001, 1, [0.08, 1]), ratio: range(0.01, 100, [3 / 4, 4 / 3]) }).strict();
export interface RegionParams {
  x: number;
  y: number;
  w: number;
  h: number;
  width: number;
  height: number;
}
export const randomResizedCrop: ImageOp<z.infer<typeof ResizedCropConfig>, RegionParams> = {
  name: 'random_resized_crop',
  family: 'image',
  summary: 'cut a region of area fraction in scale and aspect ratio in ratio (log-uniform), resize it to width×height (0: the input size)',
  config: ResizedCropConfig,
  sample(img, c, _ctx, rng) {
    const W = img.width;
    const H = img.height;
    const out = { width: c.width || W, height: c.height || H };
    const area = W * H;
    const lr0 = Math.log(c.ratio[0]);
    const lr1 = Math.log(c.ratio[1]);
    // Up to 10 tries (the torchvision procedure); then the largest centred crop within the ratio range.
    for (let t = 0; t < 10; t++) {
      const a = area * uniform(rng, c.scale[0], c.scale[1]);
      const r = Math.exp(uniform(rng, lr0, lr1));
      const w = Math.round(Math.sqrt(a * r));
      const h = Math.round(Math.sqrt(a / r));
      if (w >= 1 && h >= 1 && w <= W && h <= H) return { x: rng.int(W - w + 1), y: rng.int(H - h + 1), w, h, ...out };
    }
    const r0 = W / H;
    let w = W;
    let h = H;
    if (r0 < c.ratio[0]) h = Math.max(1, Math.round(W / c.ratio[0]));
    else if (r0 > c.ratio[1]) w = Math.max(1, Math.round(H * c.ratio[1]));
    return { x: Math.floor((W - w) / 2), y: Math.floor((H - h) / 2), w, h, ...out };
  },
  apply(img, p) {
    if (![p.x, p.y, p.w, p.h, p.width, p.height].every(Number.isInteger) || p.w < 1 || p.h < 1 || p.x < 0 || p.y < 0 || p.x + p.w > img.width || p.y + p.h > img.height || p.width < 1 || p.height < 1)
      throw new RangeError(`random_resized_crop: region ${JSON.stringify(p)} does not fit a ${img.width}×${img.height} image`);
    return resizeRegion(img, p.x, p.y, p.w, p.h, p.width, p.height);
  },
};

// ---------------------------------------------------------------- flips
const NoConfig = z.object({}).strict();
type NoParams = Record<string, never>;
function flip(img: ImageTensor, horizontal: boolean): ImageTensor {
  const { width: W, height: H, channels: C, data } = img;
  const out = new Uint8Array(data.length);
  const row = W * C;
  for (let y = 0; y < H; y++) {
    if (!horizontal) {
      out.set(data.subarray((H - 1 - y) * row, (H - y) * row), y * row);
      continue;
    }
    const o = y * row;
    for (let x = 0; x < W; x++) {
      const s = o + (W - 1 - x) * C;
      const d = o + x * C;
      for (let c = 0; c < C; c++) out[d + c] = data[s + c]!;
    }
  }
  return { width: W, height: H, channels: C, data: out };
}
export const hflip: ImageOp<z.infer<typeof NoConfig>, NoParams> = {
  name: 'hflip',
  family: 'image',
  summary: 'mirror left–right (give the step a p for a random flip)',
  config: NoConfig,
  sample: () => ({}),
  apply: (x) => flip(x, true),
};
export const vflip: ImageOp<z.infer<typeof NoConfig>, NoParams> = {
  name: 'vflip',
  family: 'image',
  summary: 'mirror top–bottom (give the step a p for a random flip)',
  config: NoConfig,
  sample: () => ({}),
  apply: (x) => flip(x, false),
};
