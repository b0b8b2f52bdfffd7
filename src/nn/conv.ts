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

interface Geometry {
  C: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  Ho: number;
  Wo: number;
  s: number;
  p: number;
}

/** First and one-past-last output column ox whose input column ox·s − p + j lies in 0..W−1. */
function validRange(j: number, s: number, p: number, W: number, Wo: number): [number, number] {
  const lo = Math.max(0, Math.ceil((p - j) / s));
  const hi = Math.min(Wo, Math.floor((W - 1 + p - j) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * cols[(c·kh + i)·kw + j, col0 + oy·Wo + ox] = x[c, oy·s − p + i, ox·s − p + j] (0 outside), for
 * one image at x offset `off`; `ld` is the row length of cols (several images side by side).
 */
function im2col(x: Float32Array, off: number, g: Geometry, cols: Float32Array, col0: number, ld: number): void {
  const { C, H, W, kh, kw, Ho, Wo, s, p } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    const xc = off + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const row = r * ld + col0;
        const [lo, hi] = validRange(j, s, p, W, Wo);
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * s - p + i;
          const o = row + oy * Wo;
          if (iy < 0 || iy >= H || lo >= hi) {
            cols.fill(0, o, o + Wo);
            continue;
          }
          if (lo > 0) cols.fill(0, o, o + lo);
          if (hi < Wo) cols.fill(0, o + hi, o + Wo);
          const xr = xc + iy * W - p + j;
          // (A plain loop: rows are short, and a subarray per row cost more than the copy.)
          if (s === 1) for (let ox = lo; ox < hi; ox++) cols[o + ox] = x[xr + ox]!;
          else for (let ox = lo; ox < hi; ox++) cols[o + ox] = x[xr + ox * s]!;
        }
      }
    }
  }
}

/** The adjoint of im2col: dx[c, iy, ix] += cols[…] over every column position that read it. */
function col2imAdd(cols: Float32Array, col0: number, ld: number, g: Geometry, dx: Float32Array, off: number): void {
  const { C, H, W, kh, kw, Ho, Wo, s, p } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    const xc = off + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const row = r * ld + col0;
        const [lo, hi] = validRange(j, s, p, W, Wo);
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * s - p + i;
          if (iy < 0 || iy >= H) continue;
          const xr = xc + iy * W - p + j;
          const o = row + oy * Wo;
          for (let ox = lo; ox < hi; ox++) {
            const k = xr + ox * s;
            dx[k] = dx[k]! + cols[o + ox]!;
          }
        }
      }
    }
  }
}

/** dst[c, n·L + l] = src[off + (n·C + c)·L + l] for nb images ([nb, C, L] → [C, nb·L]). */
function toChannelMajor(src: Float32Array, off: number, nb: number, C: number, L: number, dst: Float32Array): void {
  for (let n = 0; n < nb; n++)
    for (let c = 0; c < C; c++) {
      const so = off + (n * C + c) * L;
      const d = c * nb * L + n * L;
      for (let l = 0; l < L; l++) dst[d + l] = src[so + l]!;
    }
}

/** dst[off + (n·C + c)·L + l] (+)= src[c, n·L + l] ([C, nb·L] → [nb, C, L]). */
function fromChannelMajor(src: Float32Array, nb: number, C: number, L: number, dst: Float32Array, off: number, accumulate: boolean): void {
  for (let n = 0; n < nb; n++)
    for (let c = 0; c < C; c++) {
      const d = off + (n * C + c) * L;
      const sOff = c * nb * L + n * L;
      if (!accumulate) for (let l = 0; l < L; l++) dst[d + l] = src[sOff + l]!;
      else for (let l = 0; l < L; l++) dst[d + l] = dst[d + l]! + src[sOff + l]!;
    }
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

/** Adds bias[o] to every position of plane o of each image ([N, O, L] layout). */
function addBias(out: Float32Array, bias: Float32Array, N: number, O: number, L: number): void {
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const b = bias[o]!;
    const base = (n * O + o) * L;
    for (let k = 0; k < L; k++) out[base + k] = out[base + k]! + b;
  }
}

/** dbias[o] += Σ over images and positions of g (float64 accumulation). */
function biasGrad(g: Float32Array, N: number, O: number, L: number, db: Float32Array): void {
  for (let o = 0; o < O; o++) {
    let acc = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * O + o) * L;
      for (let k = 0; k < L; k++) acc += g[base + k]!;
    }
    db[o] = db[o]! + acc;
  }
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
  const g: Geometry = { C, H, W, kh, kw, Ho, Wo, s, p };
  const K = C * kh * kw;
  const L = Ho * Wo;
  const nbMax = chunkOf(N, K, L);
  // Several images side by side: cols [K, nb·L], one GEMM [O, K] · cols → [O, nb·L], then back to [nb, O, L].
  const cols = new Float32Array(K * nbMax * L);
  const tmp = new Float32Array(O * nbMax * L);
  const out = new Float32Array(N * O * L);
  const ker = kernels();
  for (let n0 = 0; n0 < N; n0 += nbMax) {
    const nb = Math.min(nbMax, N - n0);
    const ld = nb * L;
    for (let n = 0; n < nb; n++) im2col(x.data, (n0 + n) * C * H * W, g, cols, n * L, ld);
    ker.gemm(false, false, O, ld, K, 1, weight.data, 0, K, cols, 0, ld, 0, tmp, 0, ld);
    fromChannelMajor(tmp, nb, O, L, out, n0 * O * L, false);
  }
  if (bias) addBias(out, bias.data, N, O, L);
  const rg = needsGrad(x, weight, bias);
  const res = new Tensor(out, [N, O, Ho, Wo], rg);
  if (rg) {
    record(res, (gr) => {
      const k2 = kernels();
      const dx = x.requiresGrad ? gradOf(x) : null;
      const dw = weight.requiresGrad ? gradOf(weight) : null;
      if (dx || dw) {
        for (let n0 = 0; n0 < N; n0 += nbMax) {
          const nb = Math.min(nbMax, N - n0);
          const ld = nb * L;
          toChannelMajor(gr, n0 * O * L, nb, O, L, tmp);
          if (dw) {
            for (let n = 0; n < nb; n++) im2col(x.data, (n0 + n) * C * H * W, g, cols, n * L, ld);
            k2.gemm(false, true, O, K, ld, 1, tmp, 0, ld, cols, 0, ld, 1, dw, 0, K);
          }
          if (dx) {
            k2.gemm(true, false, K, ld, O, 1, weight.data, 0, K, tmp, 0, ld, 0, cols, 0, ld);
            for (let n = 0; n < nb; n++) col2imAdd(cols, n * L, ld, g, dx, (n0 + n) * C * H * W);
          }
        }
      }
      if (bias?.requiresGrad) biasGrad(gr, N, O, L, gradOf(bias));
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
  // The geometry of the conv2d this op is the adjoint of: input = our output, output = our input.
  const g: Geometry = { C: O, H: Ho, W: Wo, kh, kw, Ho: H, Wo: W, s, p };
  const K = O * kh * kw;
  const L = H * W;
  const Lo = Ho * Wo;
  const nbMax = chunkOf(N, K, L);
  const cols = new Float32Array(K * nbMax * L);
  const xs = new Float32Array(C * nbMax * L);
  const out = new Float32Array(N * O * Lo);
  const ker = kernels();
  for (let n0 = 0; n0 < N; n0 += nbMax) {
    const nb = Math.min(nbMax, N - n0);
    const ld = nb * L;
    // cols [O·kh·kw, nb·L] = Wᵀ [K, C] · x [C, nb·L], then scattered into each output image.
    toChannelMajor(x.data, n0 * C * L, nb, C, L, xs);
    ker.gemm(true, false, K, ld, C, 1, weight.data, 0, K, xs, 0, ld, 0, cols, 0, ld);
    for (let n = 0; n < nb; n++) col2imAdd(cols, n * L, ld, g, out, (n0 + n) * O * Lo);
  }
  if (bias) addBias(out, bias.data, N, O, Lo);
  const rg = needsGrad(x, weight, bias);
  const res = new Tensor(out, [N, O, Ho, Wo], rg);
  if (rg) {
    record(res, (gr) => {
      const k2 = kernels();
      const dx = x.requiresGrad ? gradOf(x) : null;
      const dw = weight.requiresGrad ? gradOf(weight) : null;
      if (dx || dw) {
        for (let n0 = 0; n0 < N; n0 += nbMax) {
          const nb = Math.min(nbMax, N - n0);
          const ld = nb * L;
          for (let n = 0; n < nb; n++) im2col(gr, (n0 + n) * O * Lo, g, cols, n * L, ld);
          // dx [C, nb·L] = W [C, K] · cols;  dW [C, K] += x [C, nb·L] · colsᵀ
          if (dw) {
            toChannelMajor(x.data, n0 * C * L, nb, C, L, xs);
            k2.gemm(false, true, C, K, ld, 1, xs, 0, ld, cols, 0, ld, 1, dw, 0, K);
          }
          if (dx) {
            k2.gemm(false, false, C, ld, K, 1, weight.data, 0, K, cols, 0, ld, 0, xs, 0, ld);
            fromChannelMajor(xs, nb, C, L, dx, n0 * C * L, true);
          }
        }
      }
      if (bias?.requiresGrad) biasGrad(gr, N, O, Lo, gradOf(bias));
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
  const xd = x.data;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < k; i++) {
          const iy = oy * s - p + i;
          if (iy < 0 || iy >= H) continue;
          for (let j = 0; j < k; j++) {
            const ix = ox * s - p + j;
            if (ix < 0 || ix >= W) continue;
            const v = xd[base + iy * W + ix]!;
            if (v > best || at < 0 || Number.isNaN(v)) {
              best = v;
              at = base + iy * W + ix;
              if (Number.isNaN(v)) break;
            }
          }
        }
        const o = (nc * Ho + oy) * Wo + ox;
        out[o] = best;
        arg[o] = at;
      }
    }
  }
  const rg = needsGrad(x);
  const res = new Tensor(out, [N, C, Ho, Wo], rg);
  if (rg)
    record(res, (g) => {
      const dx = gradOf(x);
      for (let o = 0; o < g.length; o++) dx[arg[o]!] = dx[arg[o]!]! + g[o]!;
    });
  return res;
}

/** Average pooling over k×k windows (torch avg_pool2d, count_include_pad = true). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { N, C, H, W, k, s, p, Ho, Wo } = poolGeometry('avgPool2d', x, opts);
  const out = new Float32Array(N * C * Ho * Wo);
  const xd = x.data;
  const inv = 1 / (k * k);
  // Windows are clipped to the padded input (H + 2p), as PyTorch does for the divisor.
  const divisor = (oy: number, ox: number): number => {
    const y0 = oy * s - p;
    const x0 = ox * s - p;
    const hh = Math.min(y0 + k, H + p) - y0;
    const ww = Math.min(x0 + k, W + p) - x0;
    return hh * ww === k * k ? inv : 1 / (hh * ww);
  };
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++) {
        let acc = 0;
        for (let i = 0; i < k; i++) {
          const iy = oy * s - p + i;
          if (iy < 0 || iy >= H) continue;
          for (let j = 0; j < k; j++) {
            const ix = ox * s - p + j;
            if (ix >= 0 && ix < W) acc += xd[base + iy * W + ix]!;
          }
        }
        out[(nc * Ho + oy) * Wo + ox] = acc * divisor(oy, ox);
      }
  }
  const rg = needsGrad(x);
  const res = new Tensor(out, [N, C, Ho, Wo], rg);
  if (rg)
    record(res, (g) => {
      const dx = gradOf(x);
      for (let nc = 0; nc < N * C; nc++) {
        const base = nc * H * W;
        for (let oy = 0; oy < Ho; oy++)
          for (let ox = 0; ox < Wo; ox++) {
            const v = g[(nc * Ho + oy) * Wo + ox]! * divisor(oy, ox);
            for (let i = 0; i < k; i++) {
              const iy = oy * s - p + i;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < k; j++) {
                const ix = ox * s - p + j;
                if (ix >= 0 && ix < W) dx[base + iy * W + ix] = dx[base + iy * W + ix]! + v;
              }
            }
          }
      }
    });
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
  const xd = x.data;
  const mean = new Float64Array(C);
  const rstd = new Float64Array(C);
  if (opts.training) {
    if (m < 2) fail(op, 'training needs at least 2 values per channel');
    const mom = opts.momentum ?? 0.1;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * L;
        for (let k = 0; k < L; k++) s += xd[b + k]!;
      }
      const mu = s / m;
      let v = 0;
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * L;
        for (let k = 0; k < L; k++) {
          const d = xd[b + k]! - mu;
          v += d * d;
        }
      }
      mean[c] = mu;
      rstd[c] = 1 / Math.sqrt(v / m + eps);
      opts.runningMean[c] = (1 - mom) * opts.runningMean[c]! + mom * mu;
      opts.runningVar[c] = (1 - mom) * opts.runningVar[c]! + (mom * v) / (m - 1);
    }
  } else {
    for (let c = 0; c < C; c++) {
      mean[c] = opts.runningMean[c]!;
      rstd[c] = 1 / Math.sqrt(opts.runningVar[c]! + eps);
    }
  }
  const out = new Float32Array(x.size);
  const xhat = new Float32Array(x.size);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const b = (n * C + c) * L;
      const mu = mean[c]!;
      const r = rstd[c]!;
      const ga = gamma.data[c]!;
      const be = beta.data[c]!;
      for (let k = 0; k < L; k++) {
        const h = (xd[b + k]! - mu) * r;
        xhat[b + k] = h;
        out[b + k] = h * ga + be;
      }
    }
  const rg = needsGrad(x, gamma, beta);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    const training = opts.training;
    record(res, (g) => {
      const sumG = new Float64Array(C);
      const sumGH = new Float64Array(C);
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++) {
          const b = (n * C + c) * L;
          let sg = 0;
          let sgh = 0;
          for (let k = 0; k < L; k++) {
            sg += g[b + k]!;
            sgh += g[b + k]! * xhat[b + k]!;
          }
          sumG[c] = sumG[c]! + sg;
          sumGH[c] = sumGH[c]! + sgh;
        }
      if (gamma.requiresGrad) {
        const dg = gradOf(gamma);
        for (let c = 0; c < C; c++) dg[c] = dg[c]! + sumGH[c]!;
      }
      if (beta.requiresGrad) {
        const db = gradOf(beta);
        for (let c = 0; c < C; c++) db[c] = db[c]! + sumG[c]!;
      }
      if (x.requiresGrad) {
        const dx = gradOf(x);
        for (let n = 0; n < N; n++)
          for (let c = 0; c < C; c++) {
            const b = (n * C + c) * L;
            const f = gamma.data[c]! * rstd[c]!;
            const mg = sumG[c]! / m;
            const mgh = sumGH[c]! / m;
            for (let k = 0; k < L; k++) dx[b + k] = dx[b + k]! + (training ? f * (g[b + k]! - mg - xhat[b + k]! * mgh) : f * g[b + k]!);
          }
      }
    });
  }
  return res;
}
