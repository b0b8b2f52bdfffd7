/**
 * Memorisation check: how close each generated image is to its nearest training image, read
 * against how close unseen real images (the holdout) are to their nearest training image. A
 * generator that copies puts images below almost every holdout distance; one that does not puts
 * about p of them below the holdout's p-quantile. Measured twice: in pixel space (RMS difference of
 * the 8-bit values, in [0, 1]; exact and jittered copies) and in feature space (copies that moved a
 * little: shifted, re-coloured).
 */
import { ConfigError } from '../../core/errors.ts';
import type { ImageTensor } from '../../data/images/types.ts';
import { quantileSorted } from '../../stats/descriptive.ts';
import type { FeatureMatrix } from './features.ts';

export interface NearestTrain {
  /** Index of the nearest training image per query (first on ties). */
  readonly index: Int32Array;
  /** Distance to it. */
  readonly distance: Float64Array;
}

/**
 * Exact nearest training image by RMS pixel difference / 255 (sums in integers; a row's scan stops
 * as soon as its partial sum passes the best so far).
 */
export function nearestTrainPixels(queries: readonly ImageTensor[], train: readonly ImageTensor[]): NearestTrain {
  if (train.length === 0) throw new ConfigError('the near-copy check needs training images', { field: 'train' });
  const p = train[0]!.data.length;
  for (const [what, set] of [['train', train], ['query', queries]] as const) {
    set.forEach((im, i) => {
      if (im.data.length !== p) throw new ConfigError(`${what} image ${i} has ${im.data.length} values, the first training image ${p}`, { field: what });
    });
  }
  const index = new Int32Array(queries.length);
  const distance = new Float64Array(queries.length);
  const chunk = 64;
  queries.forEach((q, qi) => {
    const a = q.data;
    let best = Number.POSITIVE_INFINITY;
    let bestAt = 0;
    for (let t = 0; t < train.length; t++) {
      const b = train[t]!.data;
      let s = 0;
      for (let start = 0; start < p && s < best; start += chunk) {
        const end = Math.min(p, start + chunk);
        for (let k = start; k < end; k++) {
          const x = a[k]! - b[k]!;
          s += x * x;
        }
      }
      if (s < best) {
        best = s;
        bestAt = t;
      }
    }
    index[qi] = bestAt;
    distance[qi] = Math.sqrt(best / p) / 255;
  });
  return { index, distance };
}

/** Exact nearest training row by Euclidean distance in a feature space. */
export function nearestTrainFeatures(queries: FeatureMatrix, train: FeatureMatrix): NearestTrain {
  if (queries.dim !== train.dim) throw new ConfigError(`feature widths differ: ${queries.dim} vs ${train.dim}`, { field: 'features' });
  if (train.n === 0) throw new ConfigError('the near-copy check needs training images', { field: 'train' });
  const d = train.dim;
  const index = new Int32Array(queries.n);
  const distance = new Float64Array(queries.n);
  for (let q = 0; q < queries.n; q++) {
    let best = Number.POSITIVE_INFINITY;
    let bestAt = 0;
    const oq = q * d;
    for (let t = 0; t < train.n; t++) {
      const ot = t * d;
      let s = 0;
      for (let k = 0; k < d && s < best; k++) {
        const x = queries.data[oq + k]! - train.data[ot + k]!;
        s += x * x;
      }
      if (s < best) {
        best = s;
        bestAt = t;
      }
    }
    index[q] = bestAt;
    distance[q] = Math.sqrt(best);
  }
  return { index, distance };
}

export interface NearCopyPair {
  /** Index into the generated images. */
  readonly generated: number;
  /** Index into the training images. */
  readonly train: number;
  readonly distance: number;
}

export interface NearCopySpace {
  /** The holdout's `percentile` quantile of nearest-training distances: closer than this is flagged. */
  readonly threshold: number;
  /** Share of generated images strictly below the threshold (about `percentile` without copying). */
  readonly share: number;
  /** Generated images at distance 0 (identical to a training image in this space). */
  readonly exactCopies: number;
  readonly medianGenerated: number;
  readonly medianHoldout: number;
  /** medianGenerated / medianHoldout (≥ 1: no closer than unseen real images; null when the holdout median is 0). */
  readonly medianRatio: number | null;
  /** The closest (generated, training) pairs, closest first, for showing side by side. */
  readonly closest: NearCopyPair[];
  /** Indices of the flagged generated images, ascending. */
  readonly flagged: number[];
}

/** Compares generated→train nearest distances with holdout→train ones. */
export function nearCopySpace(generated: NearestTrain, holdout: NearestTrain, percentile: number, closest: number): NearCopySpace {
  if (!(percentile > 0 && percentile < 1)) throw new ConfigError(`the near-copy percentile must be in (0, 1), got ${percentile}`, { field: 'nearCopyPercentile' });
  if (holdout.distance.length === 0) throw new ConfigError('the near-copy check needs holdout images', { field: 'holdout' });
  const hs = Float64Array.from(holdout.distance).sort();
  const gs = Float64Array.from(generated.distance).sort();
  const threshold = quantileSorted(hs, percentile);
  const flagged: number[] = [];
  let exactCopies = 0;
  generated.distance.forEach((v, i) => {
    if (v < threshold) flagged.push(i);
    if (v === 0) exactCopies++;
  });
  const medianGenerated = quantileSorted(gs, 0.5);
  const medianHoldout = quantileSorted(hs, 0.5);
  const order = Array.from(generated.distance, (_, i) => i).sort((a, b) => generated.distance[a]! - generated.distance[b]! || a - b);
  return {
    threshold,
    share: generated.distance.length ? flagged.length / generated.distance.length : 0,
    exactCopies,
    medianGenerated,
    medianHoldout,
    medianRatio: medianHoldout > 0 ? medianGenerated / medianHoldout : null,
    closest: order.slice(0, closest).map((g) => ({ generated: g, train: generated.index[g]!, distance: generated.distance[g]! })),
    flagged,
  };
}
