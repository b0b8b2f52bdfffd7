/**
 * Pixel resampling in TypeScript on decoded 8-bit HWC images: affine warps with bilinear sampling
 * and fill modes, bilinear resizing, and a few helpers. Done here rather than in libvips so every
 * value is computed by one IEEE-754 code path: same image and params ⇒ the same bytes on every
 * machine and every sharp version.
 *
 * Coordinates are pixel centres: pixel (i, j) covers [i, i+1) × [j, j+1), its centre is (i+0.5, j+0.5).
 */
import type { ImageTensor } from '../../data/images/types.ts';

/** What a sample outside the image reads: a constant, the nearest edge pixel, the mirror image (edge pixel repeated), or the opposite side. */
export type FillMode = 'constant' | 'nearest' | 'reflect' | 'wrap';
export const FILL_MODES = ['constant', 'nearest', 'reflect', 'wrap'] as const;

/** Maps an out-of-range index into 0..n-1 by the fill mode; -1 means "use the constant". */
export function fillIndex(i: number, n: number, mode: FillMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'nearest':
      return i < 0 ? 0 : n - 1;
    case 'wrap':
      return ((i % n) + n) % n;
    case 'reflect': {
      // Half-sample symmetric: … c b a | a b c … c | c b a …
      const period = 2 * n;
      let k = ((i % period) + period) % period;
      if (k >= n) k = period - 1 - k;
      return k;
    }
  }
}

export function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/**
 * Inverse affine warp: output pixel centre (x, y) reads the input at
 * (m[0]·x + m[1]·y + m[2], m[3]·x + m[4]·y + m[5]) (pixel-centre coordinates), bilinearly.
 */
export function warpAffine(img: ImageTensor, inv: readonly number[], outW: number, outH: number, fill: FillMode, fillValue: number): ImageTensor {
  const { width: W, height: H, channels: C, data: src } = img;
  const out = new Uint8Array(outW * outH * C);
  const [a, b, c, d, e, f] = inv as [number, number, number, number, number, number];
  for (let y = 0; y < outH; y++) {
    const yc = y + 0.5;
    for (let x = 0; x < outW; x++) {
      const xc = x + 0.5;
      const u = a * xc + b * yc + c - 0.5;
      const v = d * xc + e * yc + f - 0.5;
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const fx = u - x0;
      const fy = v - y0;
      const o = (y * outW + x) * C;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        // Interior: all four neighbours exist (the common case; no fill-mode lookups).
        const q = (y0 * W + x0) * C;
        const qr = q + W * C;
        for (let ch = 0; ch < C; ch++) out[o + ch] = clampByte(w00 * src[q + ch]! + w10 * src[q + C + ch]! + w01 * src[qr + ch]! + w11 * src[qr + C + ch]!);
        continue;
      }
      const ix0 = fillIndex(x0, W, fill);
      const ix1 = fillIndex(x0 + 1, W, fill);
      const iy0 = fillIndex(y0, H, fill);
      const iy1 = fillIndex(y0 + 1, H, fill);
      const p00 = ix0 < 0 || iy0 < 0 ? -1 : (iy0 * W + ix0) * C;
      const p10 = ix1 < 0 || iy0 < 0 ? -1 : (iy0 * W + ix1) * C;
      const p01 = ix0 < 0 || iy1 < 0 ? -1 : (iy1 * W + ix0) * C;
      const p11 = ix1 < 0 || iy1 < 0 ? -1 : (iy1 * W + ix1) * C;
      for (let ch = 0; ch < C; ch++) {
        const v00 = p00 < 0 ? fillValue : src[p00 + ch]!;
        const v10 = p10 < 0 ? fillValue : src[p10 + ch]!;
        const v01 = p01 < 0 ? fillValue : src[p01 + ch]!;
        const v11 = p11 < 0 ? fillValue : src[p11 + ch]!;
        out[o + ch] = clampByte(w00 * v00 + w10 * v10 + w01 * v01 + w11 * v11);
      }
    }
  }
  return { width: outW, height: outH, channels: C, data: out };
}

/**
 * Forward transform about the image centre, as a 2×2 linear part A and a translation t (pixels):
 * p' = A (p − centre) + centre + t. Returns the inverse map for warpAffine.
 */
export function inverseAboutCentre(A: readonly [number, number, number, number], t: readonly [number, number], W: number, H: number): number[] {
  const [a, b, c, d] = A;
  const det = a * d - b * c;
  if (!(Math.abs(det) > 1e-12)) throw new RangeError('affine transform is singular');
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const cx = W / 2;
  const cy = H / 2;
  // p = A⁻¹ (p' − centre − t) + centre
  const tx = cx + t[0];
  const ty = cy + t[1];
  return [ia, ib, cx - ia * tx - ib * ty, ic, id, cy - ic * tx - id * ty];
}

/** Bilinear resize of the region (x, y, w, h) of img (real-valued) to outW × outH; edge pixels repeat. */
export function resizeRegion(img: ImageTensor, x: number, y: number, w: number, h: number, outW: number, outH: number): ImageTensor {
  const sx = w / outW;
  const sy = h / outH;
  return warpAffine(img, [sx, 0, x, 0, sy, y], outW, outH, 'nearest', 0);
}

/** A copy of the image with the same layout. */
export function cloneImage(img: ImageTensor): ImageTensor {
  return { width: img.width, height: img.height, channels: img.channels, data: img.data.slice() };
}

/** Number of colour channels (alpha excluded). */
export function colourChannels(img: ImageTensor): number {
  return img.channels === 4 ? 3 : img.channels;
}
