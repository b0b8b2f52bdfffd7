/**
 * Decoding and encoding through sharp (libvips). Decoding applies the EXIF orientation, converts
 * any colour space (grey, CMYK with or without a profile, 16-bit) to sRGB or grey, and casts to
 * 8 bits, so callers get one layout. Failures are classified into skip reasons rather than thrown
 * as decoder stack traces.
 */
import { statSync } from 'node:fs';
import sharp from 'sharp';
import type { ChannelCount, ImageSkipReason, ImageTensor } from './types.ts';
import { checkImage } from './types.ts';

/** Default pixel limit (width × height) of one input image: 50 megapixels (~200 MB as RGBA). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface DecodeOptions {
  /** Channels of the result (default 3). */
  readonly channels?: ChannelCount;
  /** Larger inputs are refused before decoding (sharp's limitInputPixels). */
  readonly maxPixels?: number;
  /** Resize to exactly this size (sharp, fit 'fill') after orientation. */
  readonly resize?: { readonly width: number; readonly height: number };
}

/** A decode failure with its skip reason. */
export class ImageDecodeError extends Error {
  constructor(
    readonly reason: ImageSkipReason,
    message: string,
  ) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

function classify(e: unknown): ImageDecodeError {
  const msg = ((e as Error)?.message ?? String(e)).split('\n')[0]!;
  if (/pixel limit/i.test(msg)) return new ImageDecodeError('too-many-pixels', msg);
  if (/unsupported image format/i.test(msg)) return new ImageDecodeError('unsupported-format', msg);
  if (/empty/i.test(msg)) return new ImageDecodeError('zero-byte', msg);
  return new ImageDecodeError('corrupt', msg);
}

/** Decodes a file path or an encoded buffer into an 8-bit HWC image. Throws ImageDecodeError. */
function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null; // missing or unreadable: libvips' own error names it
  }
}

export async function decodeImage(input: string | Uint8Array, opts: DecodeOptions = {}): Promise<ImageTensor> {
  const channels = opts.channels ?? 3;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  // An empty file is its own skip reason, whether given as bytes or as a path (libvips would call it an unsupported format).
  if (typeof input === 'string' ? fileSize(input) === 0 : input.length === 0) throw new ImageDecodeError('zero-byte', 'the file is empty');
  try {
    let s = sharp(input, { failOn: 'truncated', limitInputPixels: maxPixels, autoOrient: true });
    if (opts.resize) s = s.resize(opts.resize.width, opts.resize.height, { fit: 'fill' });
    s = s.toColourspace(channels === 1 ? 'b-w' : 'srgb');
    s = channels === 4 ? s.ensureAlpha() : s.removeAlpha();
    const { data, info } = await s.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const img: ImageTensor = { width: info.width, height: info.height, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    if (info.channels !== channels) throw new Error(`decoder gave ${info.channels} channels, ${channels} were asked for`);
    checkImage(img);
    return img;
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw classify(e);
  }
}

/** PNG bytes of an image (deterministic: same pixels, same bytes). */
export async function encodePng(img: ImageTensor): Promise<Buffer> {
  checkImage(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

/** JPEG bytes of an image (quality 90). */
export async function encodeJpeg(img: ImageTensor, quality = 90): Promise<Buffer> {
  checkImage(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } }).jpeg({ quality }).toBuffer();
}

/** Tiles images (all the same size and channels) into a cols-wide grid with a 1-pixel gap of `gap` grey. */
export function imageGrid(images: readonly ImageTensor[], cols: number, gap = 255): ImageTensor {
  if (images.length === 0) throw new RangeError('imageGrid: no images');
  const { width: w, height: h, channels: c } = images[0]!;
  for (const im of images) if (im.width !== w || im.height !== h || im.channels !== c) throw new RangeError('imageGrid: images differ in size or channels');
  const rows = Math.ceil(images.length / cols);
  const W = cols * (w + 1) + 1;
  const H = rows * (h + 1) + 1;
  const data = new Uint8Array(W * H * c).fill(gap);
  images.forEach((im, k) => {
    const ox = (k % cols) * (w + 1) + 1;
    const oy = Math.floor(k / cols) * (h + 1) + 1;
    for (let y = 0; y < h; y++) data.set(im.data.subarray(y * w * c, (y + 1) * w * c), ((oy + y) * W + ox) * c);
  });
  return { width: W, height: H, channels: c, data };
}
