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
  /** dlogits += scale * (softmax - onehot). */
  crossEntropyBwd(logits: Float32Array, targets: Int32Array, lse: Float32Array, n: number, c: number, scale: number, dlogits: Float32Array): void;
  /** PyTorch Adam update of one parameter (m, v updated in place). bc1 = 1 - beta1^t, bc2 = 1 - beta2^t. */
  adamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;
}
