/**
 * PNG grids of images for a person to look at: one row per class when the images are labelled
 * (classes in label order, `columns` images each), otherwise rows of `columns` in the given order.
 */
import { ConfigError, writeFileAtomic } from '../../core/index.ts';
import { encodePng, imageGrid } from '../../data/images/decode.ts';
import type { ImageSample, ImageTensor } from '../../data/images/types.ts';

export interface ImageGridOptions {
  /** Images per row. */
  readonly columns: number;
  /** Rows per class when every image has a label ≥ 0 (default true). */
  readonly byClass?: boolean;
  /** Integer upscaling of every image (nearest neighbour; default 1), so 28×28 images are visible. */
  readonly scale?: number;
  /** Gap colour between images (0–255, default 255). */
  readonly gap?: number;
}

function upscale(im: ImageTensor, s: number): ImageTensor {
  if (s === 1) return im;
  const { width: W, height: H, channels: C } = im;
  const out = new Uint8Array(W * s * H * s * C);
  for (let y = 0; y < H * s; y++) {
    for (let x = 0; x < W * s; x++) {
      const src = (Math.floor(y / s) * W + Math.floor(x / s)) * C;
      for (let c = 0; c < C; c++) out[(y * W * s + x) * C + c] = im.data[src + c]!;
    }
  }
  return { width: W * s, height: H * s, channels: C, data: out };
}

/** The grid image itself (what writeImageGrid encodes). */
export function imageGridOf(samples: readonly ImageSample[], options: ImageGridOptions): ImageTensor {
  const { columns } = options;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(columns) || columns < 1) throw new ConfigError(`columns must be an integer ≥ 1, got ${columns}`, { field: 'columns' });
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new ConfigError(`scale must be an integer in 1..16, got ${scale}`, { field: 'scale' });
  if (samples.length === 0) throw new ConfigError('no images to put in a grid', { field: 'samples' });
  const labelled = (options.byClass ?? true) && samples.every((s) => s.label >= 0);
  let cells: (ImageTensor | null)[];
  if (labelled) {
    const classes = [...new Set(samples.map((s) => s.label))].sort((a, b) => a - b);
    cells = classes.flatMap((c) => {
      const row: (ImageTensor | null)[] = samples.filter((s) => s.label === c).slice(0, columns).map((s) => s.image);
      while (row.length < columns) row.push(null);
      return row;
    });
  } else {
    cells = samples.map((s) => s.image);
  }
  const first = samples[0]!.image;
  const blank: ImageTensor = { width: first.width, height: first.height, channels: first.channels, data: new Uint8Array(first.data.length).fill(options.gap ?? 255) };
  return imageGrid(cells.map((c) => upscale(c ?? blank, scale)), columns, options.gap ?? 255);
}

/** Writes the grid as a PNG (atomically); returns its size in pixels. */
export async function writeImageGrid(samples: readonly ImageSample[], path: string, options: ImageGridOptions): Promise<{ width: number; height: number }> {
  const grid = imageGridOf(samples, options);
  writeFileAtomic(path, await encodePng(grid));
  return { width: grid.width, height: grid.height };
}
