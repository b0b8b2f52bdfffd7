/**
 * Precision and recall of a generated distribution by k-nearest-neighbour manifold estimates
 * (Kynkäänniemi et al. 2019), and density and coverage (Naeem et al. 2020), in a feature space.
 * Each sample's ball has the radius of its distance to its k-th nearest neighbour within its own
 * set (itself excluded); a point is "on the manifold" of a set when it lies in at least one ball.
 *   precision = share of generated samples on the real manifold (are they realistic?)
 *   recall    = share of real samples on the generated manifold (is the real variety produced?)
 *   density   = Σ_generated (number of real balls holding it) / (k · #generated)
 *   coverage  = share of real samples whose own ball holds at least one generated sample
 * Distances are exact Euclidean (no ‖a‖² + ‖b‖² − 2ab shortcut, which loses exact ties).
 */
import { ConfigError } from '../../core/errors.ts';
import type { FeatureMatrix } from './features.ts';

export interface ManifoldScores {
  readonly k: number;
  readonly precision: number;
  readonly recall: number;
  readonly density: number;
  readonly coverage: number;
}

function squaredDistance(a: Float64Array, ai: number, b: Float64Array, bi: number, d: number): number {
  let s = 0;
  const oa = ai * d;
  const ob = bi * d;
  for (let t = 0; t < d; t++) {
    const x = a[oa + t]! - b[ob + t]!;
    s += x * x;
  }
  return s;
}

/** Squared distance from each row to its k-th nearest other row of the same set. */
export function kthNeighbourRadii(x: FeatureMatrix, k: number): Float64Array {
  const { n, dim, data } = x;
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`k must be a positive integer, got ${k}`, { field: 'k' });
  if (n <= k) throw new ConfigError(`k = ${k} needs more than ${k} samples per set, got ${n}`, { field: 'k' });
  const dist = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = squaredDistance(data, i, data, j, dim);
      dist[i * n + j] = s;
      dist[j * n + i] = s;
    }
  }
  const radii = new Float64Array(n);
  const row = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let j = 0; j < n; j++) if (j !== i) row[c++] = dist[i * n + j]!;
    row.sort();
    radii[i] = row[k - 1]!;
  }
  return radii;
}

export function manifoldScores(real: FeatureMatrix, generated: FeatureMatrix, k = 3): ManifoldScores {
  if (real.dim !== generated.dim) throw new ConfigError(`feature widths differ: ${real.dim} vs ${generated.dim}`, { field: 'features' });
  const realRadii = kthNeighbourRadii(real, k);
  const genRadii = kthNeighbourRadii(generated, k);
  const d = real.dim;
  const realCovered = new Uint8Array(real.n); // real i holds some generated sample in its ball (coverage)
  const realOnGen = new Uint8Array(real.n); // real i lies in some generated ball (recall)
  let precise = 0;
  let inBalls = 0;
  for (let g = 0; g < generated.n; g++) {
    let onReal = false;
    for (let r = 0; r < real.n; r++) {
      const s = squaredDistance(generated.data, g, real.data, r, d);
      if (s <= realRadii[r]!) {
        onReal = true;
        inBalls++;
        realCovered[r] = 1;
      }
      if (s <= genRadii[g]!) realOnGen[r] = 1;
    }
    if (onReal) precise++;
  }
  let recall = 0;
  let coverage = 0;
  for (let r = 0; r < real.n; r++) {
    recall += realOnGen[r]!;
    coverage += realCovered[r]!;
  }
  return { k, precision: precise / generated.n, recall: recall / real.n, density: inBalls / (k * generated.n), coverage: coverage / real.n };
}
