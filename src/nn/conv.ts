/**
 * Convolutional ops on NCHW tensors: conv2d, transposed conv2d, max / average pooling and 2-D
 * batch normalisation, with backward passes (PyTorch semantics and weight layouts, so weights
 * carry over). Convolutions are im2col + the backend's GEMM (OpenBLAS when the native kernels are
 * built, the TypeScript GEMM otherwise), several images per GEMM (a column buffer of up to ~4 M
 * floats); the columns are rebuilt in backward instead of kept.
 */
import { kernels } from './backend.ts';
import { Tensor, gradOf, needsGrad, record, shapeStr } from './tensor.ts';

function fail(op: string, msg: string): never {
  throw new RangeError(`${op}: ${msg}`);
}

export interface Conv2dOptions {
  /** Stride (default 1). */
  readonly stride?: number;
  /** Zero padding on every side (default 0). */
  readonly padding?: number;
}
export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns on the bottom/right of the output (PyTorch output_padding; < stride). */
  readonly outputPadding?: number;
}

// The column and channel-major buffers of the convolutions, shared by every call (JavaScript runs
// one op at a time, and every element a call reads it has written first in the same call): fresh
// multi-megabyte buffers per call cost page faults and zeroing that were a large part of a step.
const scratchBuffers: Float32Array[] = [new Float32Array(0), new Float32Array(0)];

/** A buffer of n floats from scratch slot 0 (columns) or 1 (channel-major copies); contents undefined. */
function scratch(slot: 0 | 1, n: number): Float32Array {
  let b = scratchBuffers[slot]!;
  if (b.length < n) {
    b = new Float32Array(n);
    scratchBuffers[slot] = b;
  }
  return b.length === n ? b : b.subarray(0, n);
}

/** Images per GEMM: as many as keep the column buffer under ~4 M floats (16 MB). */
function chunkOf(N: number, K: number, L: number): number {
  return Math.max(1, Math.min(N, Math.floor((4 << 20) / Math.max(1, K * L))));
}

function positiveInt(op: string, name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) fail(op, `${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

function checkBias(op: string, bias: Tensor | undefined, n: number): void {
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== n)) fail(op, `bias must be [${n}], got ${shapeStr(bias.shape)}`);
}

/**
 * 2-D convolution (cross-correlation, like torch.nn.functional.conv2d): x [N, C, H, W],
 * weight [O, C, kh, kw], bias [O] → [N, O, Ho, Wo] with Ho = ⌊(H + 2p − kh) / s⌋ + 1.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  if (x.shape.length !== 4) fail(op, `x must be [N, C, H, W], got ${shapeStr(x.shape)}`);
  if (weight.shape.length !== 4) fail(op, `weight must be [O, C, kh, kw], got ${shapeStr(weight.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cw, kh, kw] = weight.shape as [number, number, number, number];
  if (Cw !== C) fail(op, `weight ${shapeStr(weight.shape)} expects ${Cw} input channels, x ${shapeStr(x.shape)} has ${C}`);
  checkBias(op, bias, O);
  const s = positiveInt(op, 'stride', opts.stride ?? 1, 1);
  const p = positiveInt(op, 'padding', opts.padding ?? 0, 0);
  const Ho = Math.floor((H + 2 * p - kh) / s) + 1;
  const Wo = Math.floor((W + 2 * p - kw) / s) + 1;
  if (Ho < 1 || Wo < 1) fail(op, `a ${kh}×${kw} kernel does not fit ${H}×${W} with padding ${p}`);
  const K = C * kh * kw;
  const L = Ho * Wo;
  const nbMax = chunkOf(N, K, L);
  // Several images side by side: cols [K, nb·L], one GEMM [O, K] · cols → [O, nb·L], then back to [nb, O, L].
  const cols = scratch(0, K * nbMax * L);
  const tmp = scratch(1, O * nbMax * L);
  const out = new Float32Array(N * O * L);
  const ker = kernels();
  for (let n0 = 0; n0 < N; n0 += nbMax) {
    const nb = Math.min(nbMax, N - n0);
    const ld = nb * L;
    ker.im2col(x.data, n0 * C * H * W, nb, C, H, W, kh, kw, Ho, Wo, s, p, cols);
    ker.gemm(false, false, O, ld, K, 1, weight.data, 0, K, cols, 0, ld, 0, tmp, 0, ld);
    ker.fromChannelMajor(tmp, nb, O, L, out, n0 * O * L, false);
  }
  if (bias) ker.planeBiasAdd(out, bias.data, N, O, L);
  const rg = needsGrad(x, weight, bias);
  const res = new Tensor(out, [N, O, Ho, Wo], rg);
  if (rg) {
    record(res, (gr) => {
      const k2 = kernels();
      const dx = x.requiresGrad ? gradOf(x) : null;
      const dw = weight.requiresGrad ? gradOf(weight) : null;
      if (dx || dw) {
        const cols = scratch(0, K * nbMax * L);
        const tmp = scratch(1, O * nbMax * L);
        for (let n0 = 0; n0 < N; n0 += nbMax) {
          const nb = Math.min(nbMax, N - n0);
          const ld = nb * L;
          k2.toChannelMajor(gr, n0 * O * L, nb, O, L, tmp);
          if (dw) {
            k2.im2col(x.data, n0 * C * H * W, nb, C, H, W, kh, kw, Ho, Wo, s, p, cols);
            k2.gemm(false, true, O, K, ld, 1, tmp, 0, ld, cols, 0, ld, 1, dw, 0, K);
          }
          if (dx) {
            k2.gemm(true, false, K, ld, O, 1, weight.data, 0, K, tmp, 0, ld, 0, cols, 0, ld);
            k2.col2imAdd(cols, nb, C, H, W, kh, kw, Ho, Wo, s, p, dx, n0 * C * H * W);
          }
        }
      }
      if (bias?.requiresGrad) k2.planeBiasGrad(gr, N, O, L, gradOf(bias));
    });
  }
  return res;
}

/**
 * Transposed 2-D convolution (torch.nn.functional.conv_transpose2d, groups 1): x [N, C, H, W],
 * weight [C, O, kh, kw], bias [O] → [N, O, Ho, Wo] with Ho = (H − 1)·s − 2p + kh + outputPadding.
 * It is the adjoint (gradient) of conv2d with the same weight and geometry.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  if (x.shape.length !== 4) fail(op, `x must be [N, C, H, W], got ${shapeStr(x.shape)}`);
  if (weight.shape.length !== 4) fail(op, `weight must be [C, O, kh, kw], got ${shapeStr(weight.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [Cw, O, kh, kw] = weight.shape as [number, number, number, number];
  if (Cw !== C) fail(op, `weight ${shapeStr(weight.shape)} expects ${Cw} input channels, x ${shapeStr(x.shape)} has ${C}`);
  checkBias(op, bias, O);
  const s = positiveInt(op, 'stride', opts.stride ?? 1, 1);
  const p = positiveInt(op, 'padding', opts.padding ?? 0, 0);
  const op_ = positiveInt(op, 'outputPadding', opts.outputPadding ?? 0, 0);
  if (op_ >= s) fail(op, `outputPadding must be smaller than stride (${s}), got ${op_}`);
  const Ho = (H - 1) * s - 2 * p + kh + op_;
  const Wo = (W - 1) * s - 2 * p + kw + op_;
  if (Ho < 1 || Wo < 1) fail(op, `output size ${Ho}×${Wo} is empty`);
  // The im2col geometry is that of the conv2d this op is the adjoint of: its input is our output
  // (O channels of Ho×Wo), its output our input (H×W).
  const K = O * kh * kw;
  const L = H * W;
  const Lo = Ho * Wo;
  const nbMax = chunkOf(N, K, L);
  const cols = scratch(0, K * nbMax * L);
  const xs = scratch(1, C * nbMax * L);
  const out = new Float32Array(N * O * Lo);
  const ker = kernels();
  for (let n0 = 0; n0 < N; n0 += nbMax) {
    const nb = Math.min(nbMax, N - n0);
    const ld = nb * L;
    // cols [O·kh·kw, nb·L] = Wᵀ [K, C] · x [C, nb·L], then scattered into each output image.
    ker.toChannelMajor(x.data, n0 * C * L, nb, C, L, xs);
    ker.gemm(true, false, K, ld, C, 1, weight.data, 0, K, xs, 0, ld, 0, cols, 0, ld);
    ker.col2imAdd(cols, nb, O, Ho, Wo, kh, kw, H, W, s, p, out, n0 * O * Lo);
  }
  if (bias) ker.planeBiasAdd(out, bias.data, N, O, Lo);
  const rg = needsGrad(x, weight, bias);
  const res = new Tensor(out, [N, O, Ho, Wo], rg);
  if (rg) {
    record(res, (gr) => {
      const k2 = kernels();
      const dx = x.requiresGrad ? gradOf(x) : null;
      const dw = weight.requiresGrad ? gradOf(weight) : null;
      if (dx || dw) {
        const cols = scratch(0, K * nbMax * L);
        const xs = scratch(1, C * nbMax * L);
        for (let n0 = 0; n0 < N; n0 += nbMax) {
          const nb = Math.min(nbMax, N - n0);
          const ld = nb * L;
          k2.im2col(gr, n0 * O * Lo, nb, O, Ho, Wo, kh, kw, H, W, s, p, cols);
          // dx [C, nb·L] = W [C, K] · cols;  dW [C, K] += x [C, nb·L] · colsᵀ
          if (dw) {
            k2.toChannelMajor(x.data, n0 * C * L, nb, C, L, xs);
            k2.gemm(false, true, C, K, ld, 1, xs, 0, ld, cols, 0, ld, 1, dw, 0, K);
          }
          if (dx) {
            k2.gemm(false, false, C, ld, K, 1, weight.data, 0, K, cols, 0, ld, 0, xs, 0, ld);
            k2.fromChannelMajor(xs, nb, C, L, dx, n0 * C * L, true);
          }
        }
      }
      if (bias?.requiresGrad) k2.planeBiasGrad(gr, N, O, Lo, gradOf(bias));
    });
  }
  return res;
}

export interface Pool2dOptions {
  readonly kernel: number;
  /** Default: the kernel size. */
  readonly stride?: number;
  /** Implicit padding on every side (max: −∞, avg: zeros counted in the mean, PyTorch's count_include_pad). */
  readonly padding?: number;
}

function poolGeometry(op: string, x: Tensor, o: Pool2dOptions): { N: number; C: number; H: number; W: number; k: number; s: number; p: number; Ho: number; Wo: number } {
  if (x.shape.length !== 4) fail(op, `x must be [N, C, H, W], got ${shapeStr(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const k = positiveInt(op, 'kernel', o.kernel, 1);
  const s = positiveInt(op, 'stride', o.stride ?? k, 1);
  const p = positiveInt(op, 'padding', o.padding ?? 0, 0);
  if (2 * p > k) fail(op, `padding must be at most half the kernel (${k}), got ${p}`);
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const Wo = Math.floor((W + 2 * p - k) / s) + 1;
  if (Ho < 1 || Wo < 1) fail(op, `a ${k}×${k} window does not fit ${H}×${W} with padding ${p}`);
  return { N, C, H, W, k, s, p, Ho, Wo };
}

/** Max pooling over k×k windows (torch max_pool2d); the gradient goes to the first maximum of each window. */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { N, C, H, W, k, s, p, Ho, Wo } = poolGeometry('maxPool2d', x, opts);
  const out = new Float32Array(N * C * Ho * Wo);
  const arg = new Int32Array(out.length);
  kernels().maxPool2dFwd(x.data, N * C, H, W, k, s, p, Ho, Wo, out, arg);
  const rg = needsGrad(x);
  const res = new Tensor(out, [N, C, Ho, Wo], rg);
  if (rg) record(res, (g) => kernels().maxPool2dBwd(g, arg, gradOf(x)));
  return res;
}

/** Average pooling over k×k windows (torch avg_pool2d, count_include_pad = true). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { N, C, H, W, k, s, p, Ho, Wo } = poolGeometry('avgPool2d', x, opts);
  const out = new Float32Array(N * C * Ho * Wo);
  kernels().avgPool2dFwd(x.data, N * C, H, W, k, s, p, Ho, Wo, out);
  const rg = needsGrad(x);
  const res = new Tensor(out, [N, C, Ho, Wo], rg);
  if (rg) record(res, (g) => kernels().avgPool2dBwd(g, N * C, H, W, k, s, p, Ho, Wo, gradOf(x)));
  return res;
}

export interface BatchNorm2dOptions {
  /** Batch statistics (and running-statistics update) when true; running statistics when false. */
  readonly training: boolean;
  /** Per-channel running mean and (unbiased) variance, updated in place in training. */
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  /** Weight of the new batch statistic in the running average (PyTorch's momentum, default 0.1). */
  readonly momentum?: number;
  readonly eps?: number;
}

/**
 * Batch normalisation per channel of x [N, C, H, W] over N·H·W values (torch BatchNorm2d: biased
 * batch variance to normalise, unbiased for the running estimate).
 */
export function batchNorm2d(x: Tensor, gamma: Tensor, beta: Tensor, opts: BatchNorm2dOptions): Tensor {
  const op = 'batchNorm2d';
  if (x.shape.length !== 4) fail(op, `x must be [N, C, H, W], got ${shapeStr(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (gamma.size !== C || beta.size !== C || opts.runningMean.length !== C || opts.runningVar.length !== C) fail(op, `gamma, beta and running statistics must have ${C} values`);
  const L = H * W;
  const m = N * L;
  const eps = opts.eps ?? 1e-5;
  const ker = kernels();
  const mean = new Float64Array(C);
  const rstd = new Float64Array(C);
  if (opts.training) {
    if (m < 2) fail(op, 'training needs at least 2 values per channel');
    const mom = opts.momentum ?? 0.1;
    const sqDev = new Float64Array(C);
    ker.batchNorm2dStats(x.data, N, C, L, mean, sqDev);
    for (let c = 0; c < C; c++) {
      const v = sqDev[c]!;
      rstd[c] = 1 / Math.sqrt(v / m + eps);
      opts.runningMean[c] = (1 - mom) * opts.runningMean[c]! + mom * mean[c]!;
      opts.runningVar[c] = (1 - mom) * opts.runningVar[c]! + (mom * v) / (m - 1);
    }
  } else {
    for (let c = 0; c < C; c++) {
      mean[c] = opts.runningMean[c]!;
      rstd[c] = 1 / Math.sqrt(opts.runningVar[c]! + eps);
    }
  }
  const out = new Float32Array(x.size);
  // x̂ is not stored: backward recomputes it from x (the same float32 values), one fresh
  // x-sized buffer less per call.
  ker.batchNorm2dFwd(x.data, N, C, L, mean, rstd, gamma.data, beta.data, out);
  const rg = needsGrad(x, gamma, beta);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    const training = opts.training;
    record(res, (g) => {
      const sumG = new Float64Array(C);
      const sumGH = new Float64Array(C);
      kernels().batchNorm2dBwd(g, x.data, N, C, L, mean, rstd, gamma.data, training, sumG, sumGH, x.requiresGrad ? gradOf(x) : null);
      if (gamma.requiresGrad) {
        const dg = gradOf(gamma);
        for (let c = 0; c < C; c++) dg[c] = dg[c]! + sumGH[c]!;
      }
      if (beta.requiresGrad) {
        const db = gradOf(beta);
        for (let c = 0; c < C; c++) db[c] = db[c]! + sumG[c]!;
      }
    });
  }
  return res;
}
