/**
 * The feature spaces the generated-image measures compare in. FID proper uses a downloaded
 * Inception network; samplify downloads no weights, so the features come from a classifier
 * trained here on the real training images (its penultimate layer), reduced by PCA fitted on the
 * real training features. A fixed random projection of the pixels is the cheap, model-free space
 * for tests and sanity checks.
 */
import { ConfigError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageTensor } from '../../data/images/types.ts';
import { symmetricEigenDecomposition } from '../../stats/eigen.ts';

/** n row vectors of `dim` float64 values, row-major. */
export interface FeatureMatrix {
  readonly n: number;
  readonly dim: number;
  readonly data: Float64Array;
}

/** Maps images to fixed-width feature vectors; deterministic (same images ⇒ same bytes). */
export interface ImageFeatureMap {
  /** What the space is, for the report (`cnn-penultimate-pca64`, `pixel-random-projection-32`). */
  readonly name: string;
  readonly dim: number;
  extract(images: readonly ImageTensor[]): FeatureMatrix;
}

export function featureRows(m: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const data = new Float64Array(rows.length * m.dim);
  for (let r = 0; r < rows.length; r++) data.set(m.data.subarray(rows[r]! * m.dim, (rows[r]! + 1) * m.dim), r * m.dim);
  return { n: rows.length, dim: m.dim, data };
}

function checkSameShape(images: readonly ImageTensor[], w: number, h: number, c: number, what: string): void {
  images.forEach((im, i) => {
    if (im.width !== w || im.height !== h || im.channels !== c) throw new ConfigError(`${what} image ${i} is ${im.width}×${im.height}×${im.channels}; the feature space takes ${w}×${h}×${c}`, { field: 'images' });
  });
}

/**
 * A fixed Gaussian random projection of the pixels (scaled to [0, 1]) to `dim` values, entries
 * N(0, 1/dim) drawn from `seed`: distances are kept up to a small factor (Johnson–Lindenstrauss),
 * no training. For tests and as a model-free cross-check; it knows nothing about what the images show.
 */
export function pixelRandomProjection(opts: { readonly width: number; readonly height: number; readonly channels: number; readonly dim: number; readonly seed: number }): ImageFeatureMap {
  const { width, height, channels, dim } = opts;
  if (!Number.isInteger(dim) || dim < 1) throw new ConfigError(`dim must be a positive integer, got ${dim}`, { field: 'dim' });
  const p = width * height * channels;
  const rng = new Rng(opts.seed).split('pixel random projection');
  const sd = 1 / Math.sqrt(dim);
  // Row j of proj: the weights of output j over the p pixels.
  const proj = Float64Array.from({ length: dim * p }, () => rng.normal() * sd);
  return {
    name: `pixel-random-projection-${dim}`,
    dim,
    extract(images) {
      checkSameShape(images, width, height, channels, 'an');
      const data = new Float64Array(images.length * dim);
      images.forEach((im, i) => {
        for (let j = 0; j < dim; j++) {
          let acc = 0;
          const row = j * p;
          for (let k = 0; k < p; k++) acc += proj[row + k]! * im.data[k]!;
          data[i * dim + j] = acc / 255;
        }
      });
      return { n: images.length, dim, data };
    },
  };
}

/**
 * A PCA basis: the mean, the top principal directions (rows) from the float64 covariance, and
 * optionally one more output coordinate, the norm of what the directions leave out. Without it,
 * images whose features lie off the real data's principal subspace (noise, artefacts) would project
 * onto the middle of the real cloud and look realistic; with it, distances in the reduced space are
 * a tighter lower bound of the full-space distances (‖x − y‖² ≥ ‖P(x − y)‖² + (‖Rx‖ − ‖Ry‖)²).
 */
export interface PcaBasis {
  readonly inputDim: number;
  /** Number of principal directions kept. */
  readonly rank: number;
  /** Whether the residual norm is appended as a last coordinate. */
  readonly residual: boolean;
  /** Output width: rank (+ 1 with the residual coordinate). */
  readonly dim: number;
  readonly mean: Float64Array;
  /** rank × inputDim, row j = the j-th principal direction (largest variance first). */
  readonly components: Float64Array;
  /** Share of the total variance the kept directions hold. */
  readonly explainedVariance: number;
}

export function fitPca(x: FeatureMatrix, rank: number, opts: { readonly residual?: boolean } = {}): PcaBasis {
  const { n, dim: d } = x;
  if (n < 2) throw new ConfigError(`PCA needs at least 2 rows, got ${n}`, { field: 'features' });
  if (!Number.isInteger(rank) || rank < 1) throw new ConfigError(`the PCA rank must be a positive integer, got ${rank}`, { field: 'featureDim' });
  const k = Math.min(rank, d);
  const residual = (opts.residual ?? true) && k < d;
  const { mean, cov } = meanAndCovariance(x);
  const e = symmetricEigenDecomposition(cov, d);
  const components = new Float64Array(k * d);
  let total = 0;
  let kept = 0;
  for (let j = 0; j < d; j++) total += Math.max(0, e.values[j]!);
  for (let j = 0; j < k; j++) {
    const src = d - 1 - j; // values ascend
    components.set(e.vectors.subarray(src * d, (src + 1) * d), j * d);
    kept += Math.max(0, e.values[src]!);
  }
  return { inputDim: d, rank: k, residual, dim: k + (residual ? 1 : 0), mean, components, explainedVariance: total > 0 ? kept / total : 1 };
}

export function projectPca(basis: PcaBasis, x: FeatureMatrix): FeatureMatrix {
  const { inputDim: d, rank: k, dim: w, mean, components, residual } = basis;
  if (x.dim !== d) throw new ConfigError(`features have ${x.dim} values; the PCA basis takes ${d}`, { field: 'features' });
  const out = new Float64Array(x.n * w);
  const centred = new Float64Array(d);
  for (let i = 0; i < x.n; i++) {
    let total = 0;
    for (let t = 0; t < d; t++) {
      const c = x.data[i * d + t]! - mean[t]!;
      centred[t] = c;
      total += c * c;
    }
    let keptNorm = 0;
    for (let j = 0; j < k; j++) {
      let acc = 0;
      const row = j * d;
      for (let t = 0; t < d; t++) acc += components[row + t]! * centred[t]!;
      out[i * w + j] = acc;
      keptNorm += acc * acc;
    }
    // Orthonormal directions: ‖residual‖² = ‖centred‖² − Σ scores² (clamped: rounding can dip below 0).
    if (residual) out[i * w + k] = Math.sqrt(Math.max(0, total - keptNorm));
  }
  return { n: x.n, dim: w, data: out };
}

/** Sample mean and covariance (n − 1 denominator), float64, the covariance row-major dim × dim. */
export function meanAndCovariance(x: FeatureMatrix): { mean: Float64Array; cov: Float64Array } {
  const { n, dim: d, data } = x;
  if (n < 2) throw new ConfigError(`a covariance needs at least 2 rows, got ${n}`, { field: 'features' });
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] = mean[t]! + data[i * d + t]!;
  for (let t = 0; t < d; t++) mean[t] = mean[t]! / n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) c[t] = data[i * d + t]! - mean[t]!;
    for (let a = 0; a < d; a++) {
      const ca = c[a]!;
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] = cov[row + b]! + ca * c[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b]! / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov };
}
