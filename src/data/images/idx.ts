/**
 * IDX tensors (the MNIST / Fashion-MNIST format): a big-endian header (magic 0x0000 08 NN: unsigned
 * bytes, NN dimensions; then NN uint32 sizes) followed by the data. Files may be gzipped (detected
 * by the gzip magic, not by the name).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DataValidationError } from '../../core/errors.ts';
import { skipCountsOf, type ImageDataset, type ImageSample } from './types.ts';

interface IdxTensor {
  dims: number[];
  data: Uint8Array;
}

function readIdxTensor(path: string): IdxTensor {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new DataValidationError(`cannot read the IDX file (${(e as NodeJS.ErrnoException).code})`, { file: path });
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataValidationError(`the gzip stream is damaged (${(e as Error).message})`, { file: path });
    }
  }
  if (buf.length < 4) throw new DataValidationError(`only ${buf.length} bytes; an IDX header needs at least 4`, { file: path });
  if (buf[0] !== 0 || buf[1] !== 0) throw new DataValidationError('not an IDX file (the magic number does not start with two zero bytes)', { file: path });
  if (buf[2] !== 0x08) throw new DataValidationError(`element type 0x${buf[2]!.toString(16)} is not supported; only unsigned bytes (0x08)`, { file: path });
  const nd = buf[3]!;
  if (buf.length < 4 + 4 * nd) throw new DataValidationError(`the header declares ${nd} dimensions but the file ends before them`, { file: path });
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * nd;
  if (buf.length - start !== size) throw new DataValidationError(`the header declares ${dims.join('×')} = ${size} values, the file holds ${buf.length - start} (truncated or padded)`, { file: path });
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, size) };
}

export interface IdxReadOptions {
  /** Class names for labels 0..k-1 (default: the label numbers as strings). */
  readonly classNames?: readonly string[];
  /** Read only the first `limit` images. */
  readonly limit?: number;
}

/** Fashion-MNIST's class names, in label order. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

/**
 * An IDX3 image file (n × rows × cols) with an optional IDX1 label file (n labels) as a
 * one-channel image dataset. The images share one buffer (each sample's data is a view of it).
 */
export function readIdx(imagesPath: string, labelsPath?: string, opts: IdxReadOptions = {}): ImageDataset {
  const im = readIdxTensor(imagesPath);
  if (im.dims.length !== 3) throw new DataValidationError(`an image IDX file has 3 dimensions (n, rows, cols), this one ${im.dims.length}`, { file: imagesPath });
  const [n0, rows, cols] = im.dims as [number, number, number];
  if (rows < 1 || cols < 1) throw new DataValidationError(`image size ${rows}×${cols} is empty`, { file: imagesPath });
  let labels: Uint8Array | undefined;
  if (labelsPath !== undefined) {
    const lb = readIdxTensor(labelsPath);
    if (lb.dims.length !== 1) throw new DataValidationError(`a label IDX file has 1 dimension, this one ${lb.dims.length}`, { file: labelsPath });
    if (lb.dims[0] !== n0) throw new DataValidationError(`${lb.dims[0]} labels for ${n0} images in ${imagesPath}`, { file: labelsPath });
    labels = lb.data;
  }
  const n = opts.limit !== undefined ? Math.min(opts.limit, n0) : n0;
  const maxLabel = labels ? labels.reduce((m, v) => Math.max(m, v), 0) : -1;
  const classNames = opts.classNames ? [...opts.classNames] : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  if (labels && maxLabel >= classNames.length) throw new DataValidationError(`label ${maxLabel} has no class name (${classNames.length} given)`, { file: labelsPath! });
  const px = rows * cols;
  const samples: ImageSample[] = new Array(n);
  for (let i = 0; i < n; i++) samples[i] = { image: { width: cols, height: rows, channels: 1, data: im.data.subarray(i * px, (i + 1) * px) }, label: labels ? labels[i]! : -1, source: `${imagesPath}#${i}` };
  return { samples, classNames, channels: 1, skipped: [], skipCounts: skipCountsOf([]) };
}

/** IDX3 bytes of same-size one-channel images (gzipped when `gzip`; mtime 0, so byte-stable). */
export function encodeIdxImages(images: readonly { width: number; height: number; data: Uint8Array }[], gzip = false): Buffer {
  const first = images[0];
  const rows = first?.height ?? 0;
  const cols = first?.width ?? 0;
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x0803, 0);
  head.writeUInt32BE(images.length, 4);
  head.writeUInt32BE(rows, 8);
  head.writeUInt32BE(cols, 12);
  const raw = Buffer.concat([head, ...images.map((im) => {
    if (im.width !== cols || im.height !== rows || im.data.length !== rows * cols) throw new RangeError('encodeIdxImages: images must share one size and have one channel');
    return im.data;
  })]);
  return gzip ? gzipSync(raw) : raw;
}

/** IDX1 bytes of byte labels. */
export function encodeIdxLabels(labels: ArrayLike<number>, gzip = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0x0801, 0);
  head.writeUInt32BE(labels.length, 4);
  const raw = Buffer.concat([head, Uint8Array.from(labels)]);
  return gzip ? gzipSync(raw) : raw;
}
