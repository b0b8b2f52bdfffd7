/**
 * The symmetric eigensolver: known spectra, and for random symmetric matrices the properties that
 * define a decomposition — A = V Λ Vᵀ, VᵀV = I, ascending values, trace preserved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { symmetricEigenDecomposition, symmetricMatrixFunction } from '../../src/stats/index.ts';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function checkDecomposition(a: Float64Array, n: number, tol: number): void {
  const e = symmetricEigenDecomposition(a, n);
  let scale = 1e-300;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  // Reconstruction A = V Λ Vᵀ.
  const back = symmetricMatrixFunction(e, (x) => x);
  assert.ok(maxAbsDiff(back, a) <= tol * scale, `reconstruction error ${maxAbsDiff(back, a)} (scale ${scale})`);
  // Orthonormality VᵀV = I (vectors are rows).
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += e.vectors[p * n + i]! * e.vectors[q * n + i]!;
      assert.ok(Math.abs(dot - (p === q ? 1 : 0)) <= 1e-10, `v${p}·v${q} = ${dot}`);
    }
  }
  // Each vector satisfies A v = λ v.
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j]! * e.vectors[k * n + j]!;
      assert.ok(Math.abs(av - e.values[k]! * e.vectors[k * n + i]!) <= tol * scale * n);
    }
  }
  for (let k = 1; k < n; k++) assert.ok(e.values[k - 1]! <= e.values[k]!);
  let tr = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) tr += a[i * n + i]!;
  for (const v of e.values) sum += v;
  assert.ok(Math.abs(tr - sum) <= tol * scale * n);
}

test('eigen: known spectra (diagonal, 2×2, the 1-2-1 tridiagonal, a rank-one matrix)', () => {
  const d = symmetricEigenDecomposition(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3);
  assert.deepEqual([...d.values], [-1, 2, 3]);
  assert.deepEqual([...d.vectors], [0, 1, 0, 0, 0, 1, 1, 0, 0]);

  const two = symmetricEigenDecomposition(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(maxAbsDiff(two.values, [1, 3]) < 1e-14);
  // Sign rule: the largest-magnitude component (the first on a tie) is positive.
  assert.ok(maxAbsDiff(two.vectors, [Math.SQRT1_2, -Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2]) < 1e-14);

  // Tridiagonal (-1, 2, -1) of order n: λ_k = 2 − 2cos(kπ/(n+1)).
  const n = 12;
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    t[i * n + i] = 2;
    if (i + 1 < n) t[i * n + i + 1] = t[(i + 1) * n + i] = -1;
  }
  const tv = symmetricEigenDecomposition(t, n).values;
  for (let k = 1; k <= n; k++) assert.ok(Math.abs(tv[k - 1]! - (2 - 2 * Math.cos((k * Math.PI) / (n + 1)))) < 1e-13);

  // u uᵀ: one eigenvalue ‖u‖², the rest 0; its vector is ±u/‖u‖.
  const u = [1, 2, 3, 4];
  const r1 = Float64Array.from({ length: 16 }, (_, i) => u[Math.floor(i / 4)]! * u[i % 4]!);
  const e1 = symmetricEigenDecomposition(r1, 4);
  assert.ok(Math.abs(e1.values[3]! - 30) < 1e-12);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(e1.values[k]!) < 1e-12);
  assert.ok(maxAbsDiff(e1.vectors.subarray(12), u.map((x) => x / Math.sqrt(30))) < 1e-12);
  checkDecomposition(r1, 4, 1e-12);
});

test('eigen: empty and 1×1 matrices; bad input is a RangeError naming the entry', () => {
  assert.equal(symmetricEigenDecomposition(new Float64Array(0), 0).values.length, 0);
  assert.deepEqual([...symmetricEigenDecomposition(Float64Array.from([-5]), 1).values], [-5]);
  assert.throws(() => symmetricEigenDecomposition(Float64Array.from([1, 2, 3, 4]), 2), /not symmetric: \(0, 1\)/);
  assert.throws(() => symmetricEigenDecomposition(Float64Array.from([1, Number.NaN, Number.NaN, 1]), 2), /entry \(0, 1\) is NaN/);
  assert.throws(() => symmetricEigenDecomposition(Float64Array.from([1, 2, 3]), 2), /needs 4 entries/);
});

test('eigen: random symmetric matrices reconstruct, with orthonormal vectors (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 14 }),
      fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 196, maxLength: 196 }),
      fc.boolean(),
      (n, raw, repeated) => {
        const a = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = raw[i * 14 + j]!;
        // Repeated eigenvalues (a scaled identity plus a low-rank part) are the hard case for vectors.
        if (repeated) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (i === j ? 7 : 0) + (i < 2 && j < 2 ? raw[i + j]! : 0);
        checkDecomposition(a, n, 1e-11);
      },
    ),
    { numRuns: 200 },
  );
});

test('eigen: a 200 × 200 covariance matrix (positive semi-definite, rank-deficient)', () => {
  const n = 200;
  const rows = 120; // fewer samples than dimensions: 80 zero eigenvalues
  let s = 12345;
  const next = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const x = Float64Array.from({ length: rows * n }, next);
  const c = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + x[r * n + i]! * x[r * n + j]!;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) c[i * n + j] = c[j * n + i] = 0.5 * (c[i * n + j]! + c[j * n + i]!);
  const e = symmetricEigenDecomposition(c, n);
  for (let k = 0; k < n - rows; k++) assert.ok(Math.abs(e.values[k]!) < 1e-10, `λ${k} = ${e.values[k]}`);
  assert.ok(e.values[n - rows]! > 1e-3);
  checkDecomposition(c, n, 1e-11);
});
