/**
 * Symmetric eigendecomposition in float64: Householder reduction to tridiagonal form, then the
 * implicit QL iteration with Wilkinson-style shifts on the tridiagonal matrix, rotations
 * accumulated into the Householder basis. About 9n³ flops with vectors, against ~20–30n³ for the
 * cyclic Jacobi rotations in latent-correlation.ts (`symmetricEigen`, which stays as it is: the
 * copula's outputs are pinned to it and its matrices are small correlation matrices). This one is
 * for covariance matrices of a few hundred to a few thousand features (the image quality measures).
 *
 * Matrices are row-major Float64Arrays of n × n. The input is read, never modified.
 */

export interface SymmetricEigenDecomposition {
  readonly n: number;
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /**
   * Eigenvectors, one per row: component i of the eigenvector of `values[j]` is `vectors[j * n + i]`.
   * Orthonormal; each vector's sign is fixed so that its largest-magnitude component is positive
   * (the decomposition is then a function of the matrix, not of the iteration path).
   */
  readonly vectors: Float64Array;
}

const MAX_QL_ITERATIONS = 60;

function checkSymmetric(a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`matrix order must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) throw new RangeError(`a ${n}×${n} matrix needs ${n * n} entries, got ${a.length}`);
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    const v = a[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`matrix entry (${Math.floor(i / n)}, ${i % n}) is ${v}`);
    scale = Math.max(scale, Math.abs(v));
  }
  const tol = 1e-9 * scale;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(a[i * n + j]! - a[j * n + i]!) > tol) throw new RangeError(`matrix is not symmetric: (${i}, ${j}) = ${a[i * n + j]} but (${j}, ${i}) = ${a[j * n + i]}`);
    }
  }
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors of a real symmetric matrix. Entries that
 * differ from their mirror by more than 1e-9 × the largest entry are a RangeError (a covariance
 * built by two float sums may differ in the last bits; that much is averaged away).
 */
export function symmetricEigenDecomposition(a: ArrayLike<number>, n: number): SymmetricEigenDecomposition {
  checkSymmetric(a, n);
  // m: the working matrix (symmetrised). q: the accumulated orthogonal basis, stored transposed
  // (row r of q = column r of Q) so that every update below walks memory contiguously.
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const diag = new Float64Array(n);
  const off = new Float64Array(n); // off[i] couples i and i + 1
  householderTridiagonal(m, q, n, diag, off);
  tridiagonalQl(diag, off, q, n);
  // Sort ascending, fix signs.
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => diag[x]! - diag[y]! || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = diag[src]!;
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(q[src * n + i]!) > Math.abs(q[src * n + big]!)) big = i;
    const sign = q[src * n + big]! < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vectors[dst * n + i] = sign * q[src * n + i]!;
  });
  return { n, values, vectors };
}

/**
 * Reduces m (symmetric, in place) to tridiagonal form T = Qᵀ m Q by n − 2 Householder reflections
 * H = I − 2vvᵀ (v a unit vector), each zeroing one column below the subdiagonal. With p = A v and
 * w = p − (vᵀp) v, the two-sided update is H A H = A − 2vwᵀ − 2wvᵀ. qt (Qᵀ) gets each H applied.
 */
function householderTridiagonal(m: Float64Array, qt: Float64Array, n: number, diag: Float64Array, off: Float64Array): void {
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    const s = k + 1; // the reflection acts on indices s..n-1
    let norm2 = 0;
    for (let i = s; i < n; i++) norm2 += m[i * n + k]! * m[i * n + k]!;
    let tail2 = norm2 - m[s * n + k]! * m[s * n + k]!;
    if (tail2 <= 1e-300 * Math.max(1, norm2)) continue; // already zero below the subdiagonal
    const x0 = m[s * n + k]!;
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2); // sign opposite to x0: no cancellation in v0
    v.fill(0);
    v[s] = x0 - alpha;
    for (let i = s + 1; i < n; i++) v[i] = m[i * n + k]!;
    tail2 += v[s]! * v[s]!;
    const vn = Math.sqrt(tail2);
    for (let i = s; i < n; i++) v[i] = v[i]! / vn;
    // p = A v on the trailing block, then w = p − (vᵀp) v.
    let vp = 0;
    for (let i = s; i < n; i++) {
      let acc = 0;
      const row = i * n;
      for (let j = s; j < n; j++) acc += m[row + j]! * v[j]!;
      w[i] = acc;
      vp += v[i]! * acc;
    }
    for (let i = s; i < n; i++) w[i] = w[i]! - vp * v[i]!;
    for (let i = s; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      const wi = w[i]!;
      for (let j = s; j < n; j++) m[row + j] = m[row + j]! - 2 * (vi * w[j]! + wi * v[j]!);
    }
    // Column k below the diagonal becomes (alpha, 0, …, 0); row k mirrors it.
    m[s * n + k] = alpha;
    m[k * n + s] = alpha;
    for (let i = s + 1; i < n; i++) {
      m[i * n + k] = 0;
      m[k * n + i] = 0;
    }
    // Q ← Q H, i.e. rows s..n-1 of Qᵀ: Qᵀ[i, :] −= 2 v_i (vᵀ Qᵀ[s.., :]).
    w.fill(0);
    for (let i = s; i < n; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) w[j] = w[j]! + vi * qt[row + j]!;
    }
    for (let i = s; i < n; i++) {
      const vi2 = 2 * v[i]!;
      if (vi2 === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) qt[row + j] = qt[row + j]! - vi2 * w[j]!;
    }
  }
  for (let i = 0; i < n; i++) {
    diag[i] = m[i * n + i]!;
    off[i] = i + 1 < n ? m[(i + 1) * n + i]! : 0;
  }
}

/**
 * Diagonalises the tridiagonal matrix (diag, off) in place by implicit QL steps: each step chases
 * a bulge up from the bottom of the unreduced block l..end with Givens rotations, shifted by the
 * eigenvalue of the leading 2 × 2 block nearer to diag[l]. Rotations are applied to the rows of qt.
 */
function tridiagonalQl(diag: Float64Array, off: Float64Array, qt: Float64Array, n: number): void {
  // Deflation floor relative to the whole matrix as well as to the neighbouring diagonal: a block
  // of (near-)zero eigenvalues, as in a rank-deficient covariance, has no local scale to compare to.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(diag[i]!) + Math.abs(off[i]!) + (i > 0 ? Math.abs(off[i - 1]!) : 0));
  const floor = Number.EPSILON * norm;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      // Find the end of the unreduced block that starts at l.
      let end = l;
      while (end + 1 < n) {
        const scale = Math.abs(diag[end]!) + Math.abs(diag[end + 1]!);
        if (Math.abs(off[end]!) <= Number.EPSILON * scale || Math.abs(off[end]!) <= floor) break;
        end++;
      }
      if (end === l) break;
      if (iter >= MAX_QL_ITERATIONS) throw new RangeError(`symmetric eigendecomposition did not converge at index ${l} after ${MAX_QL_ITERATIONS} QL steps`);
      // Shift: the eigenvalue of [[d_l, e_l], [e_l, d_{l+1}]] closer to d_l.
      let g = (diag[l + 1]! - diag[l]!) / (2 * off[l]!);
      let r = Math.hypot(g, 1);
      g = diag[end]! - diag[l]! + off[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let underflow = false;
      for (let i = end - 1; i >= l; i--) {
        const f = s * off[i]!;
        const b = c * off[i]!;
        r = Math.hypot(f, g);
        off[i + 1] = r;
        if (r === 0) {
          // The bulge vanished: the block splits here; undo the partial shift and restart.
          diag[i + 1] = diag[i + 1]! - p;
          off[end] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = diag[i + 1]! - p;
        r = (diag[i]! - g) * s + 2 * c * b;
        p = s * r;
        diag[i + 1] = g + p;
        g = c * r - b;
        // Rotate rows i and i + 1 of Qᵀ (columns i, i + 1 of Q).
        const ri = i * n;
        const rj = (i + 1) * n;
        for (let k = 0; k < n; k++) {
          const qi = qt[ri + k]!;
          const qj = qt[rj + k]!;
          qt[rj + k] = s * qi + c * qj;
          qt[ri + k] = c * qi - s * qj;
        }
      }
      if (underflow) continue;
      diag[l] = diag[l]! - p;
      off[l] = g;
      off[end] = 0;
    }
  }
}

/** V f(Λ) Vᵀ: a function of a symmetric matrix through its eigendecomposition (row-major n × n). */
export function symmetricMatrixFunction(e: SymmetricEigenDecomposition, f: (value: number) => number): Float64Array {
  const { n, values, vectors } = e;
  const fv = Float64Array.from(values, f);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const fk = fv[k]!;
    if (fk === 0) continue;
    const vk = k * n;
    for (let i = 0; i < n; i++) {
      const a = fk * vectors[vk + i]!;
      if (a === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + a * vectors[vk + j]!;
    }
  }
  return out;
}
