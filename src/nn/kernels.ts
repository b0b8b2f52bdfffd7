/**
 * The kernel interface shared by the native (N-API + OpenBLAS) backend and the pure TypeScript
 * fallback. Every kernel writes into caller-provided buffers; kernels whose name ends in "Bwd"
 * ACCUMULATE (+=) into their gradient outputs unless documented otherwise.
 */

export interface Kernels {
  readonly name: 'native-openblas' | 'typescript';
  /** C[cOff..] = alpha * op(A) op(B) + beta * C, row-major, with leading dimensions (cblas_sgemm semantics). */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, aOff: number, lda: number,
    b: Float32Array, bOff: number, ldb: number,
    beta: number, c: Float32Array, cOff: number, ldc: number,
  ): void;
  /** y = (x - mean) * rstd * gamma + beta per row of length d; stores mean/rstd per row. */
  layerNormFwd(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, d: number, eps: number,
    y: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** dx, dgamma, dbeta accumulate; any of them may be null (not needed). */
  layerNormBwd(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array,
    rows: number, d: number, dx: Float32Array | null, dgamma: Float32Array | null, dbeta: Float32Array | null): void;
  /**
   * Multi-head scaled dot-product attention over q,k,v [B, L, H*dh]. probs [B*H*L*L] receives the
   * softmax probabilities, dropped the probabilities after inverted dropout (may be the same array
   * when p == 0), out [B, L, H*dh] the result (overwritten).
   */
  attnFwd(q: Float32Array, k: Float32Array, v: Float32Array, B: number, L: number, H: number, dh: number,
    causal: boolean, keyMask: Uint8Array | null, scale: number, p: number, seed: number,
    probs: Float32Array, dropped: Float32Array, out: Float32Array): void;
  /** dq, dk, dv accumulate (null = not needed). */
  attnBwd(dout: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, dropped: Float32Array,
    B: number, L: number, H: number, dh: number, scale: number, p: number,
    dq: Float32Array | null, dk: Float32Array | null, dv: Float32Array | null): void;
  /**
   * Packed (variable-length) multi-head attention. q, k, v [N, H*dh] hold B sequences back to back:
   * sequence b is rows offsets[b]..offsets[b+1]-1 (n_b rows). Block (b, h) of probs/dropped is the
   * n_b x n_b matrix at H * sum_{c<b} n_c^2 + h * n_b^2. With causal, key j > query i is excluded
   * (prob 0, no dropout draw); the dropout stream of block (b, h) is blockSeed(seed, b*H + h), one
   * draw per included key in row order. out [N, H*dh] is overwritten.
   */
  attnPackedFwd(q: Float32Array, k: Float32Array, v: Float32Array, offsets: Int32Array, B: number, H: number, dh: number,
    causal: boolean, scale: number, p: number, seed: number, probs: Float32Array, dropped: Float32Array, out: Float32Array): void;
  /** dq, dk, dv accumulate (null = not needed). */
  attnPackedBwd(dout: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, offsets: Int32Array, B: number, H: number, dh: number,
    causal: boolean, scale: number, p: number, probs: Float32Array, dropped: Float32Array,
    dq: Float32Array | null, dk: Float32Array | null, dv: Float32Array | null): void;
  /** out[i] = a[i] + b[i % bs] (overwrites); bs divides a.length. */
  addBcast(a: Float32Array, b: Float32Array, bs: number, out: Float32Array): void;
  /** out[i] = a[i] * b[i % bs] (overwrites). */
  mulBcast(a: Float32Array, b: Float32Array, bs: number, out: Float32Array): void;
  /** dst[i] += alpha * src[i] over src.length. */
  axpy(alpha: number, src: Float32Array, dst: Float32Array): void;
  /** dst[i] += g[i] * b[i % bs]. */
  mulAcc(g: Float32Array, b: Float32Array, bs: number, dst: Float32Array): void;
  /** dst[j] += sum_r src[r*cols + j] * (other ? other[r*cols + j] : 1), float64 accumulation per column. */
  colSum(src: Float32Array, other: Float32Array | null, rows: number, cols: number, dst: Float32Array): void;
  reluFwd(x: Float32Array, y: Float32Array): void;
  /** dx += dy where x > 0. */
  reluBwd(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** y = x where x > 0, slope·x otherwise (the product in float64, then rounded). */
  leakyReluFwd(x: Float32Array, slope: number, y: Float32Array): void;
  /** dx += dy·(x > 0 ? 1 : slope) (float64, then rounded). */
  leakyReluBwd(x: Float32Array, dy: Float32Array, slope: number, dx: Float32Array): void;
  /** dx[i] += dy[i] * scale where mask[i] != 0 (inverted-dropout backward). */
  dropoutBwd(dy: Float32Array, mask: Uint8Array, scale: number, dx: Float32Array): void;
  /** out = x with rows (length d) whose keep flag is 0 zeroed (overwrites). */
  maskRowsFwd(x: Float32Array, keep: Uint8Array, d: number, out: Float32Array): void;
  /** dx += dy on kept rows. */
  maskRowsBwd(dy: Float32Array, keep: Uint8Array, d: number, dx: Float32Array): void;
  /** out[r] = sum_j a[r*d+j] * b[r*d+j] (float64 accumulation), r < out.length. */
  rowDotFwd(a: Float32Array, b: Float32Array, d: number, out: Float32Array): void;
  /** da[r,:] += g[r] * b[r,:]; db[r,:] += g[r] * a[r,:]. */
  rowDotBwd(g: Float32Array, a: Float32Array, b: Float32Array, d: number, da: Float32Array | null, db: Float32Array | null): void;
  /** Sum over i of max(x,0) - x*label + log1p(exp(-|x|)). */
  bceFwd(x: Float32Array, labels: Float32Array): number;
  /** dx += scale * (sigmoid(x) - label). */
  bceBwd(x: Float32Array, labels: Float32Array, scale: number, dx: Float32Array): void;
  /**
   * One GRU step t over all B rows of [B, L, h] (gate order r, z, n): reads gi [B*L, 3h] and
   * gh [B, 3h] (= W_hh h_{t-1} + b_hh), writes gates [B*L, 3h] (r, z, n), hn [B*L, h] and out [B*L, h]
   * at rows b*L + t; h_{t-1} is out at row b*L + t - 1 (zero when t = 0).
   */
  gruStepFwd(gi: Float32Array, gh: Float32Array, B: number, L: number, h: number, t: number,
    gates: Float32Array, hn: Float32Array, out: Float32Array): void;
  /**
   * Backward of step t: dht = g + dh (dh [B, h] is the gradient into h_t from later steps); writes
   * dGi, dGh [B*L, 3h] at rows b*L + t and overwrites dh with dht * z (the direct path to h_{t-1}).
   */
  gruStepBwd(g: Float32Array, gates: Float32Array, hn: Float32Array, out: Float32Array, B: number, L: number, h: number, t: number,
    dh: Float32Array, dGi: Float32Array, dGh: Float32Array): void;
  /** Inverted dropout: mask[i] = 1 when kept; y[i] = x[i] * mask[i] / (1 - p). Overwrites y and mask. */
  dropoutFwd(x: Float32Array, p: number, seed: number, y: Float32Array, mask: Uint8Array): void;
  geluFwd(x: Float32Array, y: Float32Array): void;
  geluBwd(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** dst[i, :] = src[ids[i], :] (overwrites); ids must be in range (checked by the caller). */
  gatherRows(src: Float32Array, ids: Int32Array, d: number, dst: Float32Array): void;
  /** dst[ids[i], :] += src[i, :], in order of i. */
  scatterAddRows(src: Float32Array, ids: Int32Array, d: number, dst: Float32Array): void;
  /** Sum over rows of (logsumexp - logit[target]); lse[i] receives each row's logsumexp. */
  crossEntropyFwd(logits: Float32Array, targets: Int32Array, n: number, c: number, lse: Float32Array): number;
  /**
   * ranks[b] = 0-based rank of column targets[b] of row b of scores [targets.length, width] among
   * columns from..width-1: the columns scoring higher plus the equal ones with a lower index (a
   * stable descending sort's order); a NaN target score ranks last (width - from - 1).
   */
  rankAmong(scores: Float32Array, width: number, targets: Int32Array, from: number, ranks: Int32Array): void;
  /** dlogits += scale * (softmax - onehot). */
  crossEntropyBwd(logits: Float32Array, targets: Int32Array, lse: Float32Array, n: number, c: number, scale: number, dlogits: Float32Array): void;
  /**
   * im2col of nb consecutive images of x (image n at xOff + n·C·H·W): cols [C·kh·kw, nb·Ho·Wo]
   * (overwritten), cols[(c·kh + i)·kw + j, n·Ho·Wo + oy·Wo + ox] = x[n, c, oy·s − p + i, ox·s − p + j],
   * 0 outside the image.
   */
  im2col(x: Float32Array, xOff: number, nb: number, C: number, H: number, W: number, kh: number, kw: number,
    Ho: number, Wo: number, s: number, p: number, cols: Float32Array): void;
  /** The adjoint of im2col: dx[n, c, iy, ix] (image n at dxOff + n·C·H·W) += every cols entry that read it. */
  col2imAdd(cols: Float32Array, nb: number, C: number, H: number, W: number, kh: number, kw: number,
    Ho: number, Wo: number, s: number, p: number, dx: Float32Array, dxOff: number): void;
  /** [nb, C, L] from src offset off → dst [C, nb·L] (overwrites). */
  toChannelMajor(src: Float32Array, off: number, nb: number, C: number, L: number, dst: Float32Array): void;
  /** src [C, nb·L] → dst [nb, C, L] from offset off; accumulate: += instead of =. */
  fromChannelMajor(src: Float32Array, nb: number, C: number, L: number, dst: Float32Array, off: number, accumulate: boolean): void;
  /** out[n, o, l] += bias[o] for out [N, O, L]. */
  planeBiasAdd(out: Float32Array, bias: Float32Array, N: number, O: number, L: number): void;
  /** db[o] += sum over n, l of g[n, o, l] (float64 accumulation, n then l). */
  planeBiasGrad(g: Float32Array, N: number, O: number, L: number, db: Float32Array): void;
  /**
   * Max pooling of NC planes H×W over k×k windows (stride s, padding p, −∞ outside) → out
   * [NC, Ho, Wo]; arg receives the flat x index of each window's first maximum (a NaN wins).
   */
  maxPool2dFwd(x: Float32Array, NC: number, H: number, W: number, k: number, s: number, p: number, Ho: number, Wo: number,
    out: Float32Array, arg: Int32Array): void;
  /** dx[arg[o]] += g[o], in order of o. */
  maxPool2dBwd(g: Float32Array, arg: Int32Array, dx: Float32Array): void;
  /** Average pooling (zeros of the padding counted; windows clipped to the padded input as in PyTorch). */
  avgPool2dFwd(x: Float32Array, NC: number, H: number, W: number, k: number, s: number, p: number, Ho: number, Wo: number,
    out: Float32Array): void;
  /** dx += the adjoint of avgPool2dFwd applied to g. */
  avgPool2dBwd(g: Float32Array, NC: number, H: number, W: number, k: number, s: number, p: number, Ho: number, Wo: number,
    dx: Float32Array): void;
  /** Per channel of x [N, C, L]: mean[c] and sqDev[c] = Σ (x − mean)² (two passes, float64, n then l). */
  batchNorm2dStats(x: Float32Array, N: number, C: number, L: number, mean: Float64Array, sqDev: Float64Array): void;
  /** out = xhat·gamma[c] + beta[c] with xhat = (x − mean[c])·rstd[c], all in float64, then rounded. */
  batchNorm2dFwd(x: Float32Array, N: number, C: number, L: number, mean: Float64Array, rstd: Float64Array,
    gamma: Float32Array, beta: Float32Array, out: Float32Array): void;
  /**
   * With xhat = float32((x − mean[c])·rstd[c]) recomputed from x (not stored by the forward):
   * sumG[c] = Σ g, sumGH[c] = Σ g·xhat (overwritten; per (n, c) plane in float64, then added in n
   * order); dx (when not null) += gamma·rstd·(g − sumG/m − xhat·sumGH/m) in training, gamma·rstd·g
   * otherwise (m = N·L).
   */
  batchNorm2dBwd(g: Float32Array, x: Float32Array, N: number, C: number, L: number, mean: Float64Array, rstd: Float64Array,
    gamma: Float32Array, training: boolean, sumG: Float64Array, sumGH: Float64Array, dx: Float32Array | null): void;
  /** PyTorch Adam update of one parameter (m, v updated in place). bc1 = 1 - beta1^t, bc2 = 1 - beta2^t. */
  adamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;
}
