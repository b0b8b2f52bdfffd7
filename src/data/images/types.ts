/**
 * Decoded images. Pixels are 8-bit, interleaved (HWC, row-major): the value of channel c at (x, y)
 * is `data[(y * width + x) * channels + c]`. Every reader normalises to one declared channel
 * count (1 grey, 3 RGB, 4 RGBA), so a dataset never mixes layouts.
 */
export type ChannelCount = 1 | 3 | 4;

export interface ImageTensor {
  readonly width: number;
  readonly height: number;
  readonly channels: ChannelCount;
  /** width × height × channels bytes, HWC. */
  readonly data: Uint8Array;
}

/** One readable image with its class (index into the dataset's classNames; -1 when unlabelled). */
export interface ImageSample {
  readonly image: ImageTensor;
  readonly label: number;
  /** Where it came from: a path relative to the folder, or `<idx file>#<index>`. */
  readonly source: string;
}

/** Why a file was not read. Each skip is counted and named; the rest of the read completes. */
export type ImageSkipReason = 'zero-byte' | 'unsupported-format' | 'corrupt' | 'too-many-pixels' | 'unlabelled';

export interface ImageSkip {
  readonly source: string;
  readonly reason: ImageSkipReason;
  /** The decoder's message (first line), for a person to act on. */
  readonly detail: string;
}

export interface ImageDataset {
  readonly samples: ImageSample[];
  /** Class names; a sample's label indexes this list. */
  readonly classNames: string[];
  readonly channels: ChannelCount;
  readonly skipped: ImageSkip[];
  /** Skips per reason (every reason present, 0 when none). */
  readonly skipCounts: Readonly<Record<ImageSkipReason, number>>;
}

export function checkImage(img: ImageTensor, what = 'image'): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) throw new RangeError(`${what}: size ${width}×${height} is not a positive integer size`);
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError(`${what}: channels must be 1, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) throw new RangeError(`${what}: ${data.length} bytes for ${width}×${height}×${channels}`);
}

export function skipCountsOf(skipped: readonly ImageSkip[]): Record<ImageSkipReason, number> {
  const c: Record<ImageSkipReason, number> = { 'zero-byte': 0, 'unsupported-format': 0, corrupt: 0, 'too-many-pixels': 0, unlabelled: 0 };
  for (const s of skipped) c[s.reason]++;
  return c;
}
