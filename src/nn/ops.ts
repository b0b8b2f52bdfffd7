/**
 * Differentiable ops. Each returns a new Tensor and, when any input requires grad (and grad
 * recording is on), records a backward closure that accumulates into the inputs' `.grad`.
 */
import type { Rng } from '../core/rng.ts';
import { kernels } from './backend.ts';
import { Tensor, gradOf, needsGrad, record, shapeSize, shapeStr } from './tensor.ts';

function fail(op: string, msg: string): never {
  throw new RangeError(`${op}: ${msg}`);
}

function lastDim(op: string, x: Tensor): number {
  if (x.shape.length === 0) fail(op, 'needs at least one dimension');
  return x.shape[x.shape.length - 1]!;
}

function isSuffix(b: readonly number[], a: readonly number[]): boolean {
  if (b.length > a.length) return false;
  const off = a.length - b.length;
  for (let i = 0; i < b.length; i++) if (b[i] !== a[off + i]) return false;
  return true;
}

// ---------------------------------------------------------------- linear algebra

/**
 * a [m,k] (or [...batch, m, k] with b 2-D: batch dims flattened into m), b [k,n] -> [..., m, n].
 * transA: a is [k,m] (2-D only). transB: b is [n,k].
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const tA = opts.transA === true;
  const tB = opts.transB === true;
  if (b.shape.length !== 2) fail('matmul', `b must be 2-D, got ${shapeStr(b.shape)}`);
  if (a.shape.length < 2) fail('matmul', `a must be at least 2-D, got ${shapeStr(a.shape)}`);
  if (tA && a.shape.length !== 2) fail('matmul', `transA needs a 2-D a, got ${shapeStr(a.shape)}`);
  const ak = a.shape[a.shape.length - 1]!;
  const arows = a.size / (ak || 1);
  const m = tA ? ak : a.shape.length === 2 ? a.shape[0]! : arows;
  const k = tA ? a.shape[0]! : ak;
  const kb = tB ? b.shape[1]! : b.shape[0]!;
  const n = tB ? b.shape[0]! : b.shape[1]!;
  if (k !== kb) fail('matmul', `inner dimensions differ: a ${shapeStr(a.shape)}${tA ? 'ᵀ' : ''} · b ${shapeStr(b.shape)}${tB ? 'ᵀ' : ''}`);
  const outShape = tA ? [m, n] : [...a.shape.slice(0, -1), n];
  const out = new Float32Array(m * n);
  const K = kernels();
  const lda = tA ? m : k;
  const ldb = tB ? k : n;
  K.gemm(tA, tB, m, n, k, 1, a.data, 0, lda, b.data, 0, ldb, 0, out, 0, n);
  const rg = needsGrad(a, b);
  const res = new Tensor(out, outShape, rg);
  if (rg) {
    record(res, (g) => {
      const K2 = kernels();
      if (a.requiresGrad) {
        const da = gradOf(a);
        if (!tA && !tB) K2.gemm(false, true, m, k, n, 1, g, 0, n, b.data, 0, n, 1, da, 0, k); // G Bᵀ
        else if (!tA && tB) K2.gemm(false, false, m, k, n, 1, g, 0, n, b.data, 0, k, 1, da, 0, k); // G B
        else if (tA && !tB) K2.gemm(false, true, k, m, n, 1, b.data, 0, n, g, 0, n, 1, da, 0, m); // B Gᵀ
        else K2.gemm(true, true, k, m, n, 1, b.data, 0, k, g, 0, n, 1, da, 0, m); // Bᵀ Gᵀ
      }
      if (b.requiresGrad) {
        const db = gradOf(b);
        if (!tA && !tB) K2.gemm(true, false, k, n, m, 1, a.data, 0, k, g, 0, n, 1, db, 0, n); // Aᵀ G
        else if (!tA && tB) K2.gemm(true, false, n, k, m, 1, g, 0, n, a.data, 0, k, 1, db, 0, k); // Gᵀ A
        else if (tA && !tB) K2.gemm(false, false, k, n, m, 1, a.data, 0, m, g, 0, n, 1, db, 0, n); // A G
        else K2.gemm(true, true, n, k, m, 1, g, 0, n, a.data, 0, m, 1, db, 0, k); // Gᵀ Aᵀ
      }
    });
  }
  return res;
}

/** x [..., in], weight [out, in] (PyTorch layout), bias [out] -> [..., out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (weight.shape.length !== 2) fail('linear', `weight must be [out, in], got ${shapeStr(weight.shape)}`);
  const [nOut, nIn] = weight.shape as [number, number];
  if (lastDim('linear', x) !== nIn) fail('linear', `x ${shapeStr(x.shape)} does not end in ${nIn} (weight ${shapeStr(weight.shape)})`);
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== nOut)) fail('linear', `bias must be [${nOut}], got ${shapeStr(bias.shape)}`);
  const rows = x.size / (nIn || 1);
  const out = new Float32Array(rows * nOut);
  if (bias !== undefined) for (let r = 0; r < rows; r++) out.set(bias.data, r * nOut);
  kernels().gemm(false, true, rows, nOut, nIn, 1, x.data, 0, nIn, weight.data, 0, nIn, bias !== undefined ? 1 : 0, out, 0, nOut);
  const rg = needsGrad(x, weight, bias);
  const res = new Tensor(out, [...x.shape.slice(0, -1), nOut], rg);
  if (rg) {
    record(res, (g) => {
      const K = kernels();
      if (x.requiresGrad) K.gemm(false, false, rows, nIn, nOut, 1, g, 0, nOut, weight.data, 0, nIn, 1, gradOf(x), 0, nIn);
      if (weight.requiresGrad) K.gemm(true, false, nOut, nIn, rows, 1, g, 0, nOut, x.data, 0, nIn, 1, gradOf(weight), 0, nIn);
      if (bias !== undefined && bias.requiresGrad) K.colSum(g, null, rows, nOut, gradOf(bias));
    });
  }
  return res;
}

/** dst[j] += sum_r src[r, j] (float64 accumulation per column). */
function colSumInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  kernels().colSum(src, null, rows, cols, dst);
}

// ---------------------------------------------------------------- element-wise

function checkBroadcast(op: string, a: Tensor, b: Tensor): number {
  if (!isSuffix(b.shape, a.shape)) fail(op, `shape ${shapeStr(b.shape)} is neither ${shapeStr(a.shape)} nor a suffix of it`);
  return b.size;
}

/** a + b; b has a's shape or a suffix of it (broadcast over a's leading dims). */
export function add(a: Tensor, b: Tensor): Tensor {
  const bs = checkBroadcast('add', a, b);
  const out = new Float32Array(a.size);
  if (a.size > 0) kernels().addBcast(a.data, b.data, bs, out);
  const rg = needsGrad(a, b);
  const res = new Tensor(out, a.shape, rg);
  if (rg) {
    record(res, (g) => {
      const K = kernels();
      if (a.requiresGrad) K.axpy(1, g, gradOf(a));
      if (b.requiresGrad) {
        if (bs === g.length) K.axpy(1, g, gradOf(b));
        else K.colSum(g, null, g.length / bs, bs, gradOf(b));
      }
    });
  }
  return res;
}

/** a * b (element-wise); b has a's shape or a suffix of it. */
export function mul(a: Tensor, b: Tensor): Tensor {
  const bs = checkBroadcast('mul', a, b);
  const ad = a.data;
  const bd = b.data;
  const out = new Float32Array(a.size);
  if (a.size > 0) kernels().mulBcast(ad, bd, bs, out);
  const rg = needsGrad(a, b);
  const res = new Tensor(out, a.shape, rg);
  if (rg) {
    record(res, (g) => {
      if (g.length === 0) return;
      const K = kernels();
      if (a.requiresGrad) K.mulAcc(g, bd, bs, gradOf(a));
      if (b.requiresGrad) {
        if (bs === g.length) K.mulAcc(g, ad, bs, gradOf(b));
        else K.colSum(g, ad, g.length / bs, bs, gradOf(b));
      }
    });
  }
  return res;
}

export function scale(x: Tensor, c: number): Tensor {
  const out = new Float32Array(x.size);
  kernels().axpy(c, x.data, out);
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) record(res, (g) => kernels().axpy(c, g, gradOf(x)));
  return res;
}

/** A view with a new shape (one dimension may be -1); shares data with x. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    if (s.indexOf(-1, free + 1) >= 0) fail('reshape', `at most one -1 allowed in ${shapeStr(shape)}`);
    s[free] = 1;
    const rest = shapeSize(s);
    if (rest === 0 || x.size % rest !== 0) fail('reshape', `cannot reshape ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
    s[free] = x.size / rest;
  }
  if (shapeSize(s) !== x.size) fail('reshape', `cannot reshape ${shapeStr(x.shape)} (${x.size} values) to ${shapeStr(shape)}`);
  const rg = needsGrad(x);
  const res = new Tensor(x.data, s, rg);
  if (rg) record(res, (g) => kernels().axpy(1, g, gradOf(x)));
  return res;
}

function unary(x: Tensor, f: (v: number) => number, df: (v: number, y: number) => number): Tensor {
  const xd = x.data;
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = f(xd[i]!);
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    record(res, (g) => {
      const dx = gradOf(x);
      for (let i = 0; i < g.length; i++) dx[i] = dx[i]! + g[i]! * df(xd[i]!, out[i]!);
    });
  }
  return res;
}

export function relu(x: Tensor): Tensor {
  const out = new Float32Array(x.size);
  kernels().reluFwd(x.data, out);
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) record(res, (g) => kernels().reluBwd(x.data, g, gradOf(x)));
  return res;
}

export function tanh(x: Tensor): Tensor {
  return unary(x, Math.tanh, (_v, y) => 1 - y * y);
}

function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function sigmoid(x: Tensor): Tensor {
  return unary(x, sigmoidScalar, (_v, y) => y * (1 - y));
}

/** GELU, exact (erf) form: 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: Tensor): Tensor {
  const out = new Float32Array(x.size);
  kernels().geluFwd(x.data, out);
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) record(res, (g) => kernels().geluBwd(x.data, g, gradOf(x)));
  return res;
}

/** Inverted dropout; identity (the same tensor) when !training or p == 0. Draws one uint32 seed from rng. */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p <= 1)) fail('dropout', `p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const seed = rng.nextUint32();
  const out = new Float32Array(x.size);
  const mask = new Uint8Array(x.size);
  kernels().dropoutFwd(x.data, p, seed, out, mask);
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    const keepScale = p >= 1 ? 0 : 1 / (1 - p);
    record(res, (g) => kernels().dropoutBwd(g, mask, keepScale, gradOf(x)));
  }
  return res;
}

/** x [..., d]: zero every row (last dim) whose keep flag is 0. keep has one flag per row. */
export function maskRows(x: Tensor, keep: Uint8Array): Tensor {
  const d = lastDim('maskRows', x);
  const rows = d === 0 ? 0 : x.size / d;
  if (keep.length !== rows) fail('maskRows', `keep has ${keep.length} flags but x ${shapeStr(x.shape)} has ${rows} rows`);
  const out = new Float32Array(x.size);
  kernels().maskRowsFwd(x.data, keep, d, out);
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) record(res, (g) => kernels().maskRowsBwd(g, keep, d, gradOf(x)));
  return res;
}

// ---------------------------------------------------------------- normalisation, lookup

/** Layer normalisation over the last dim (biased variance, as PyTorch). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const d = lastDim('layerNorm', x);
  if (gamma.size !== d || beta.size !== d) fail('layerNorm', `gamma/beta must have ${d} values, got ${gamma.size}/${beta.size}`);
  const rows = d === 0 ? 0 : x.size / d;
  const out = new Float32Array(x.size);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  kernels().layerNormFwd(x.data, gamma.data, beta.data, rows, d, eps, out, mean, rstd);
  const rg = needsGrad(x, gamma, beta);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    record(res, (g) => {
      kernels().layerNormBwd(g, x.data, gamma.data, mean, rstd, rows, d,
        x.requiresGrad ? gradOf(x) : null, gamma.requiresGrad ? gradOf(gamma) : null, beta.requiresGrad ? gradOf(beta) : null);
    });
  }
  return res;
}

function checkIds(op: string, ids: Int32Array, n: number): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (v < 0 || v >= n) fail(op, `id ${v} at position ${i} is outside 0..${n - 1}`);
  }
}

/** weight [V, d], ids (shape idsShape) -> [...idsShape, d]. Backward scatter-adds (repeated ids accumulate). */
export function embedding(weight: Tensor, ids: Int32Array, idsShape: readonly number[]): Tensor {
  if (weight.shape.length !== 2) fail('embedding', `weight must be [V, d], got ${shapeStr(weight.shape)}`);
  if (shapeSize(idsShape) !== ids.length) fail('embedding', `ids has ${ids.length} values but idsShape ${shapeStr(idsShape)}`);
  return gatherImpl('embedding', weight, weight.shape[0]!, weight.shape[1]!, ids, [...idsShape, weight.shape[1]!]);
}

function gatherImpl(op: string, x: Tensor, n: number, d: number, rows: Int32Array, shape: readonly number[]): Tensor {
  checkIds(op, rows, n);
  const out = new Float32Array(rows.length * d);
  kernels().gatherRows(x.data, rows, d, out);
  const rg = needsGrad(x);
  const res = new Tensor(out, shape, rg);
  if (rg) record(res, (g) => kernels().scatterAddRows(g, rows, d, gradOf(x)));
  return res;
}

/** x viewed as [N, d] (d = last dim) -> rows [rows.length, d]; backward scatter-adds. */
export function gatherRows(x: Tensor, rows: Int32Array): Tensor {
  const d = lastDim('gatherRows', x);
  const n = d === 0 ? 0 : x.size / d;
  return gatherImpl('gatherRows', x, n, d, rows, [rows.length, d]);
}

/** Row-wise dot product: a, b [..., d] -> [...]. */
export function rowDot(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== b.shape.length || !isSuffix(b.shape, a.shape)) fail('rowDot', `shapes differ: ${shapeStr(a.shape)} vs ${shapeStr(b.shape)}`);
  const d = lastDim('rowDot', a);
  const n = d === 0 ? 0 : a.size / d;
  const ad = a.data;
  const bd = b.data;
  const out = new Float32Array(n);
  kernels().rowDotFwd(ad, bd, d, out);
  const rg = needsGrad(a, b);
  const res = new Tensor(out, a.shape.slice(0, -1), rg);
  if (rg) {
    record(res, (g) => {
      kernels().rowDotBwd(g, ad, bd, d, a.requiresGrad ? gradOf(a) : null, b.requiresGrad ? gradOf(b) : null);
    });
  }
  return res;
}

// ---------------------------------------------------------------- attention, recurrence

export interface AttentionOptions {
  heads: number;
  causal: boolean;
  /** [B*L] flags: keys whose flag is 0 are masked out. */
  keyMask?: Uint8Array;
  /** Dropout probability on the attention probabilities (active when training). */
  dropout?: number;
  rng?: Rng;
  /** Defaults to true; dropout is only applied when training and dropout > 0 (then rng is required). */
  training?: boolean;
}

/**
 * Multi-head scaled dot-product attention. q, k, v [B, L, d], d divisible by heads. Masked scores
 * get an additive -1e4 (so fully masked rows stay finite). -> [B, L, d] with heads merged back.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  if (q.shape.length !== 3) fail('attention', `q must be [B, L, d], got ${shapeStr(q.shape)}`);
  const [B, L, D] = q.shape as [number, number, number];
  for (const [nm, t] of [['k', k], ['v', v]] as const) {
    if (t.shape.length !== 3 || t.shape[0] !== B || t.shape[1] !== L || t.shape[2] !== D) fail('attention', `${nm} ${shapeStr(t.shape)} must match q ${shapeStr(q.shape)}`);
  }
  const H = opts.heads;
  if (!Number.isInteger(H) || H < 1 || D % H !== 0) fail('attention', `d=${D} is not divisible by heads=${H}`);
  const dh = D / H;
  const keyMask = opts.keyMask ?? null;
  if (keyMask !== null && keyMask.length !== B * L) fail('attention', `keyMask has ${keyMask.length} flags, expected B*L = ${B * L}`);
  const pIn = opts.dropout ?? 0;
  if (!(pIn >= 0 && pIn <= 1)) fail('attention', `dropout must be in [0, 1], got ${pIn}`);
  const p = (opts.training ?? true) && pIn > 0 ? pIn : 0;
  let seed = 0;
  if (p > 0) {
    if (opts.rng === undefined) fail('attention', 'dropout in training mode needs opts.rng');
    seed = opts.rng.nextUint32();
  }
  const sc = 1 / Math.sqrt(dh);
  const probs = new Float32Array(B * H * L * L);
  const dropped = p > 0 ? new Float32Array(B * H * L * L) : probs;
  const out = new Float32Array(B * L * D);
  kernels().attnFwd(q.data, k.data, v.data, B, L, H, dh, opts.causal, keyMask, sc, p, seed, probs, dropped, out);
  const rg = needsGrad(q, k, v);
  const res = new Tensor(out, q.shape, rg);
  if (rg) {
    record(res, (g) => {
      kernels().attnBwd(g, q.data, k.data, v.data, probs, dropped, B, L, H, dh, sc, p,
        q.requiresGrad ? gradOf(q) : null, k.requiresGrad ? gradOf(k) : null, v.requiresGrad ? gradOf(v) : null);
    });
  }
  return res;
}

export interface PackedAttentionOptions {
  heads: number;
  /** B+1 row offsets: sequence b is rows offsets[b]..offsets[b+1]-1; offsets[0] = 0, offsets[B] = N. */
  offsets: Int32Array;
  causal: boolean;
  /** Dropout probability on the attention probabilities (active when training). */
  dropout?: number;
  rng?: Rng;
  /** Defaults to true; dropout is only applied when training and dropout > 0 (then rng is required). */
  training?: boolean;
}

/**
 * Packed (variable-length) multi-head attention. q, k, v [N, d] hold B sequences back to back
 * (see opts.offsets); each query attends only to keys of its own sequence (causal: key j <= query
 * i). Equals `attention` with a key-padding mask on the non-padding rows, without the padding work.
 * Empty sequences are allowed. -> [N, d] with heads merged back.
 */
export function attentionPacked(q: Tensor, k: Tensor, v: Tensor, opts: PackedAttentionOptions): Tensor {
  if (q.shape.length !== 2) fail('attentionPacked', `q must be [N, d], got ${shapeStr(q.shape)}`);
  const [N, D] = q.shape as [number, number];
  for (const [nm, t] of [['k', k], ['v', v]] as const) {
    if (t.shape.length !== 2 || t.shape[0] !== N || t.shape[1] !== D) fail('attentionPacked', `${nm} ${shapeStr(t.shape)} must match q ${shapeStr(q.shape)}`);
  }
  const H = opts.heads;
  if (!Number.isInteger(H) || H < 1 || D % H !== 0) fail('attentionPacked', `d=${D} is not divisible by heads=${H}`);
  const dh = D / H;
  const off = opts.offsets;
  const B = off.length - 1;
  if (B < 0 || off[0] !== 0 || off[B] !== N) fail('attentionPacked', `offsets must run from 0 to N = ${N} (got ${off.length} entries, last ${off[B]})`);
  let np = 0;
  for (let b = 0; b < B; b++) {
    const n = off[b + 1]! - off[b]!;
    if (n < 0) fail('attentionPacked', `offsets decrease at ${b}: ${off[b]} > ${off[b + 1]}`);
    np += H * n * n;
  }
  const pIn = opts.dropout ?? 0;
  if (!(pIn >= 0 && pIn <= 1)) fail('attentionPacked', `dropout must be in [0, 1], got ${pIn}`);
  const p = (opts.training ?? true) && pIn > 0 ? pIn : 0;
  let seed = 0;
  if (p > 0) {
    if (opts.rng === undefined) fail('attentionPacked', 'dropout in training mode needs opts.rng');
    seed = opts.rng.nextUint32();
  }
  const sc = 1 / Math.sqrt(dh);
  const probs = new Float32Array(np);
  const dropped = p > 0 ? new Float32Array(np) : probs;
  const out = new Float32Array(N * D);
  const offsets = Int32Array.from(off); // private copy: backward must see the same layout
  kernels().attnPackedFwd(q.data, k.data, v.data, offsets, B, H, dh, opts.causal, sc, p, seed, probs, dropped, out);
  const rg = needsGrad(q, k, v);
  const res = new Tensor(out, q.shape, rg);
  if (rg) {
    record(res, (g) => {
      kernels().attnPackedBwd(g, q.data, k.data, v.data, offsets, B, H, dh, opts.causal, sc, p, probs, dropped,
        q.requiresGrad ? gradOf(q) : null, k.requiresGrad ? gradOf(k) : null, v.requiresGrad ? gradOf(v) : null);
    });
  }
  return res;
}

/**
 * Single-layer GRU, PyTorch nn.GRU layout and gate order (r, z, n): wIh [3h, in], wHh [3h, h],
 * bIh / bHh [3h]; h0 = 0. x [B, L, in] -> all hidden states [B, L, h].
 */
export function gru(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor, bHh: Tensor): Tensor {
  if (x.shape.length !== 3) fail('gru', `x must be [B, L, in], got ${shapeStr(x.shape)}`);
  const [B, L, nIn] = x.shape as [number, number, number];
  if (wHh.shape.length !== 2 || wHh.shape[0] !== 3 * wHh.shape[1]!) fail('gru', `wHh must be [3h, h], got ${shapeStr(wHh.shape)}`);
  const h = wHh.shape[1]!;
  const h3 = 3 * h;
  if (wIh.shape.length !== 2 || wIh.shape[0] !== h3 || wIh.shape[1] !== nIn) fail('gru', `wIh must be [${h3}, ${nIn}], got ${shapeStr(wIh.shape)}`);
  if (bIh.size !== h3 || bHh.size !== h3) fail('gru', `bIh/bHh must have ${h3} values`);
  const K = kernels();
  const rows = B * L;
  // Input projections for every step at once: gi [B*L, 3h] = x wIhᵀ + bIh.
  const gi = new Float32Array(rows * h3);
  for (let r = 0; r < rows; r++) gi.set(bIh.data, r * h3);
  K.gemm(false, true, rows, h3, nIn, 1, x.data, 0, nIn, wIh.data, 0, nIn, 1, gi, 0, h3);
  const out = new Float32Array(rows * h); // [B, L, h]
  const gates = new Float32Array(rows * h3); // r, z, n per step
  const hn = new Float32Array(rows * h); // W_hn h + b_hn per step
  const gh = new Float32Array(B * h3);
  const bhh = bHh.data;
  for (let t = 0; t < L; t++) {
    for (let b = 0; b < B; b++) gh.set(bhh, b * h3);
    if (t > 0) K.gemm(false, true, B, h3, h, 1, out, (t - 1) * h, L * h, wHh.data, 0, h, 1, gh, 0, h3);
    K.gruStepFwd(gi, gh, B, L, h, t, gates, hn, out);
  }
  const rg = needsGrad(x, wIh, wHh, bIh, bHh);
  const res = new Tensor(out, [B, L, h], rg);
  if (rg) {
    record(res, (g) => {
      const K2 = kernels();
      const dGi = new Float32Array(rows * h3);
      const dGh = new Float32Array(rows * h3);
      const dh = new Float32Array(B * h); // gradient flowing into h_t from later steps
      for (let t = L - 1; t >= 0; t--) {
        K2.gruStepBwd(g, gates, hn, out, B, L, h, t, dh, dGi, dGh);
        // dh_{t-1} += dGh_t wHh
        if (t > 0) K2.gemm(false, false, B, h, h3, 1, dGh, t * h3, L * h3, wHh.data, 0, h, 1, dh, 0, h);
      }
      if (x.requiresGrad) K2.gemm(false, false, rows, nIn, h3, 1, dGi, 0, h3, wIh.data, 0, nIn, 1, gradOf(x), 0, nIn);
      if (wIh.requiresGrad) K2.gemm(true, false, h3, nIn, rows, 1, dGi, 0, h3, x.data, 0, nIn, 1, gradOf(wIh), 0, nIn);
      if (bIh.requiresGrad) colSumInto(dGi, rows, h3, gradOf(bIh));
      if (bHh.requiresGrad) colSumInto(dGh, rows, h3, gradOf(bHh));
      if (wHh.requiresGrad && L > 1) {
        // dWhh += sum_t dGh_tᵀ h_{t-1}: rows with t >= 1 pair with the previous hidden state.
        const dW = gradOf(wHh);
        for (let b = 0; b < B; b++) {
          K2.gemm(true, false, h3, h, L - 1, 1, dGh, (b * L + 1) * h3, h3, out, b * L * h, h, 1, dW, 0, h);
        }
      }
    });
  }
  return res;
}

// ---------------------------------------------------------------- losses, reductions

/**
 * Mean binary cross-entropy with logits (stable form). labels has one value per logit. With
 * `weights` (one per logit, ≥ 0) the loss is Σ wᵢ·ℓᵢ / n: importance weights normalised to mean 1
 * keep the loss on the unweighted scale.
 */
export function bceWithLogits(logits: Tensor, labels: Float32Array, weights?: Float32Array): Tensor {
  const n = logits.size;
  if (labels.length !== n) fail('bceWithLogits', `labels has ${labels.length} values, logits ${n}`);
  if (n === 0) fail('bceWithLogits', 'empty input');
  if (weights !== undefined && weights.length !== n) fail('bceWithLogits', `weights has ${weights.length} values, logits ${n}`);
  const xd = logits.data;
  const rg = needsGrad(logits);
  if (weights === undefined) {
    const total = kernels().bceFwd(xd, labels);
    const res = new Tensor(Float32Array.of(total / n), [], rg);
    if (rg) record(res, (g) => kernels().bceBwd(xd, labels, g[0]! / n, gradOf(logits)));
    return res;
  }
  // Through the same kernels, one call per stretch of equal weights (a kernel call scales by one
  // factor): the weighted path adds no second copy of the loss formula.
  const k = kernels();
  let total = 0;
  forEachWeightRun(weights, (i, j, w) => {
    total += w * k.bceFwd(xd.subarray(i, j), labels.subarray(i, j));
  });
  const res = new Tensor(Float32Array.of(total / n), [], rg);
  if (rg) {
    record(res, (g) => {
      const dx = gradOf(logits);
      const s = g[0]! / n;
      forEachWeightRun(weights, (i, j, w) => k.bceBwd(xd.subarray(i, j), labels.subarray(i, j), s * w, dx.subarray(i, j)));
    });
  }
  return res;
}

/**
 * Calls f(from, to, w) for each maximal stretch [from, to) of equal, non-zero weights. Per-row loss
 * weights come per sequence, and a sequence's rows are adjacent, so stretches are long.
 */
function forEachWeightRun(weights: Float32Array, f: (from: number, to: number, w: number) => void): void {
  for (let i = 0; i < weights.length; ) {
    const w = weights[i]!;
    let j = i + 1;
    while (j < weights.length && weights[j] === w) j++;
    if (w !== 0) f(i, j, w);
    i = j;
  }
}

/**
 * Mean softmax cross-entropy: logits [..., C], targets (one per row) in 0..C-1. With `weights` (one
 * per row, ≥ 0) the loss is Σ wᵢ·ℓᵢ / n, as in bceWithLogits.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, weights?: Float32Array): Tensor {
  const c = lastDim('crossEntropy', logits);
  const n = c === 0 ? 0 : logits.size / c;
  if (targets.length !== n) fail('crossEntropy', `targets has ${targets.length} values but logits ${shapeStr(logits.shape)} has ${n} rows`);
  if (n === 0) fail('crossEntropy', 'empty input');
  if (weights !== undefined && weights.length !== n) fail('crossEntropy', `weights has ${weights.length} values, logits ${n} rows`);
  checkIds('crossEntropy', targets, c);
  const lse = new Float32Array(n);
  const xd = logits.data;
  let total = kernels().crossEntropyFwd(xd, targets, n, c, lse);
  if (weights !== undefined) {
    total = 0;
    for (let i = 0; i < n; i++) total += weights[i]! * (lse[i]! - xd[i * c + targets[i]!]!);
  }
  const rg = needsGrad(logits);
  const res = new Tensor(Float32Array.of(total / n), [], rg);
  if (rg) {
    record(res, (g) => {
      const s = g[0]! / n;
      if (weights === undefined) return kernels().crossEntropyBwd(xd, targets, lse, n, c, s, gradOf(logits));
      const dx = gradOf(logits);
      forEachWeightRun(weights, (i, j, w) => kernels().crossEntropyBwd(xd.subarray(i * c, j * c), targets.subarray(i, j), lse.subarray(i, j), j - i, c, s * w, dx.subarray(i * c, j * c)));
    });
  }
  return res;
}

export function sum(x: Tensor): Tensor {
  const xd = x.data;
  let s = 0;
  for (let i = 0; i < xd.length; i++) s += xd[i]!;
  const rg = needsGrad(x);
  const res = new Tensor(Float32Array.of(s), [], rg);
  if (rg) {
    record(res, (g) => {
      const dx = gradOf(x);
      const gv = g[0]!;
      for (let i = 0; i < dx.length; i++) dx[i] = dx[i]! + gv;
    });
  }
  return res;
}

export function mean(x: Tensor): Tensor {
  if (x.size === 0) fail('mean', 'empty input');
  return scale(sum(x), 1 / x.size);
}

// ---------------------------------------------------------------- tabular synthesis (GAN / VAE)

/** e^x. */
export function exp(x: Tensor): Tensor {
  return unary(x, Math.exp, (_v, y) => y);
}

/** √x for x ≥ 0 (callers add a small epsilon where x can reach 0: the derivative is 1/(2√x)). */
export function sqrt(x: Tensor): Tensor {
  return unary(x, Math.sqrt, (_v, y) => (y > 0 ? 0.5 / y : 0));
}

/** LeakyReLU: x for x > 0, slope·x otherwise. */
export function leakyRelu(x: Tensor, slope: number): Tensor {
  const out = new Float32Array(x.size);
  kernels().leakyReluFwd(x.data, slope, out);
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) record(res, (g) => kernels().leakyReluBwd(x.data, g, slope, gradOf(x)));
  return res;
}

/** Concatenate 2-D tensors [n, d_i] along columns -> [n, Σ d_i]. */
export function concatColumns(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) fail('concatColumns', 'needs at least one tensor');
  const n = xs[0]!.shape[0]!;
  for (const t of xs) {
    if (t.shape.length !== 2 || t.shape[0] !== n) fail('concatColumns', `every input must be [${n}, d], got ${shapeStr(t.shape)}`);
  }
  const widths = xs.map((t) => t.shape[1]!);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * total);
  let off = 0;
  xs.forEach((t, k) => {
    const w = widths[k]!;
    const src = t.data;
    for (let r = 0; r < n; r++) out.set(src.subarray(r * w, r * w + w), r * total + off);
    off += w;
  });
  const rg = needsGrad(...xs);
  const res = new Tensor(out, [n, total], rg);
  if (rg) {
    record(res, (g) => {
      let o = 0;
      xs.forEach((t, k) => {
        const w = widths[k]!;
        if (t.requiresGrad) {
          const dx = gradOf(t);
          for (let r = 0; r < n; r++) {
            const gb = r * total + o;
            const db = r * w;
            for (let j = 0; j < w; j++) dx[db + j] = dx[db + j]! + g[gb + j]!;
          }
        }
        o += w;
      });
    });
  }
  return res;
}

/** A column range of a [n, D] tensor with its output activation: `tanh` (bounded scalar) or `softmax` (one-hot block). */
export interface ColumnSpan {
  readonly kind: 'tanh' | 'softmax';
  readonly start: number;
  readonly length: number;
}

function checkSpans(op: string, x: Tensor, spans: readonly ColumnSpan[]): [number, number] {
  if (x.shape.length !== 2) fail(op, `x must be [n, D], got ${shapeStr(x.shape)}`);
  const [n, D] = x.shape as [number, number];
  for (const s of spans) {
    if (!(Number.isInteger(s.start) && Number.isInteger(s.length) && s.start >= 0 && s.length >= 1 && s.start + s.length <= D)) {
      fail(op, `span ${s.kind} [${s.start}, +${s.length}) is outside the ${D} columns`);
    }
  }
  return [n, D];
}

/**
 * Per-span output activation of a [n, D] tensor: tanh on `tanh` spans, softmax(x / temperature)
 * within each `softmax` span; columns outside every span pass through unchanged. With Gumbel
 * noise added to x beforehand and a small temperature this is the Gumbel-softmax relaxation.
 */
export function spanActivation(x: Tensor, spans: readonly ColumnSpan[], temperature = 1): Tensor {
  const [n, D] = checkSpans('spanActivation', x, spans);
  if (!(temperature > 0)) fail('spanActivation', `temperature must be > 0, got ${temperature}`);
  const xd = x.data;
  const out = Float32Array.from(xd);
  for (let r = 0; r < n; r++) {
    const base = r * D;
    for (const s of spans) {
      const a = base + s.start;
      if (s.kind === 'tanh') {
        for (let j = 0; j < s.length; j++) out[a + j] = Math.tanh(xd[a + j]!);
      } else {
        let mx = -Infinity;
        for (let j = 0; j < s.length; j++) mx = Math.max(mx, xd[a + j]! / temperature);
        let z = 0;
        for (let j = 0; j < s.length; j++) z += Math.exp(xd[a + j]! / temperature - mx);
        for (let j = 0; j < s.length; j++) out[a + j] = Math.exp(xd[a + j]! / temperature - mx) / z;
      }
    }
  }
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    record(res, (g) => {
      const dx = gradOf(x);
      const covered = new Uint8Array(D);
      for (const s of spans) covered.fill(1, s.start, s.start + s.length);
      for (let r = 0; r < n; r++) {
        const base = r * D;
        for (let j = 0; j < D; j++) if (covered[j] === 0) dx[base + j] = dx[base + j]! + g[base + j]!;
        for (const s of spans) {
          const a = base + s.start;
          if (s.kind === 'tanh') {
            for (let j = 0; j < s.length; j++) {
              const y = out[a + j]!;
              dx[a + j] = dx[a + j]! + g[a + j]! * (1 - y * y);
            }
          } else {
            // d softmax: y ⊙ (g − Σ g·y) / T
            let dot = 0;
            for (let j = 0; j < s.length; j++) dot += g[a + j]! * out[a + j]!;
            for (let j = 0; j < s.length; j++) dx[a + j] = dx[a + j]! + (out[a + j]! * (g[a + j]! - dot)) / temperature;
          }
        }
      }
    });
  }
  return res;
}

/**
 * Log-softmax within every `softmax` span of a [n, D] tensor; every other column (tanh spans,
 * uncovered columns) is 0 in the output and gets no gradient. Multiplying by one-hot targets and
 * summing gives the per-span cross-entropy.
 */
export function spanLogSoftmax(x: Tensor, spans: readonly ColumnSpan[]): Tensor {
  const [n, D] = checkSpans('spanLogSoftmax', x, spans);
  const soft = spans.filter((s) => s.kind === 'softmax');
  const xd = x.data;
  const out = new Float32Array(n * D);
  for (let r = 0; r < n; r++) {
    for (const s of soft) {
      const a = r * D + s.start;
      let mx = -Infinity;
      for (let j = 0; j < s.length; j++) mx = Math.max(mx, xd[a + j]!);
      let z = 0;
      for (let j = 0; j < s.length; j++) z += Math.exp(xd[a + j]! - mx);
      const lse = mx + Math.log(z);
      for (let j = 0; j < s.length; j++) out[a + j] = xd[a + j]! - lse;
    }
  }
  const rg = needsGrad(x);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    record(res, (g) => {
      const dx = gradOf(x);
      for (let r = 0; r < n; r++) {
        for (const s of soft) {
          const a = r * D + s.start;
          let gs = 0;
          for (let j = 0; j < s.length; j++) gs += g[a + j]!;
          for (let j = 0; j < s.length; j++) dx[a + j] = dx[a + j]! + g[a + j]! - Math.exp(out[a + j]!) * gs;
        }
      }
    });
  }
  return res;
}

/**
 * Identity on y = layer(x) for a 2-D linear layer's output, whose backward also adds each
 * example's squared gradient norm of that layer's weight (and bias) into sqNorms — "ghost" norms
 * without materialising per-example gradients (DP-SGD's per-example clipping).
 * - examples 'rows' (sqNorms: one entry per row): ∂L/∂W = g xᵀ, so ‖∂L/∂W‖² = ‖g‖²‖x‖² (+ ‖g‖²
 *   for the bias);
 * - examples 'pairs' (n/2 entries): rows r and s = r + n/2 are one example (e.g. a critic's fake
 *   and real row), whose gradient g_r x_rᵀ + g_s x_sᵀ has the squared norm
 *   ‖g_r‖²‖x_r‖² + ‖g_s‖²‖x_s‖² + 2 (g_r·g_s)(x_r·x_s) (+ ‖g_r + g_s‖² for the bias).
 */
export function perExampleNormTap(y: Tensor, x: Tensor, sqNorms: Float64Array, bias: boolean, examples: 'rows' | 'pairs' = 'rows'): Tensor {
  if (y.shape.length !== 2 || x.shape.length !== 2 || y.shape[0] !== x.shape[0]) fail('perExampleNormTap', `y ${shapeStr(y.shape)} and x ${shapeStr(x.shape)} must be [n, out] and [n, in]`);
  const n = y.shape[0]!;
  const half = examples === 'pairs' ? n / 2 : 0;
  if (examples === 'rows' && sqNorms.length !== n) fail('perExampleNormTap', `sqNorms has ${sqNorms.length} entries for ${n} rows`);
  if (examples === 'pairs' && (n % 2 !== 0 || sqNorms.length !== half)) fail('perExampleNormTap', `${n} rows must be pairs, with one sqNorms entry per pair (got ${sqNorms.length})`);
  const dOut = y.shape[1]!;
  const dIn = x.shape[1]!;
  const b = bias ? 1 : 0;
  const rg = needsGrad(y);
  const res = new Tensor(y.data, y.shape, rg);
  if (rg) {
    const xd = x.data;
    record(res, (g) => {
      kernels().axpy(1, g, gradOf(y));
      const dot = (a: Float32Array, i: number, j: number, d: number): number => {
        let v = 0;
        for (let k = 0; k < d; k++) v += a[i * d + k]! * a[j * d + k]!;
        return v;
      };
      if (examples === 'rows') {
        for (let r = 0; r < n; r++) {
          let xn = b;
          for (let j = 0; j < dIn; j++) xn += xd[r * dIn + j]! * xd[r * dIn + j]!;
          sqNorms[r] = sqNorms[r]! + dot(g, r, r, dOut) * xn;
        }
        return;
      }
      for (let r = 0; r < half; r++) {
        const s = r + half;
        sqNorms[r] = sqNorms[r]! + dot(g, r, r, dOut) * (dot(xd, r, r, dIn) + b) + dot(g, s, s, dOut) * (dot(xd, s, s, dIn) + b) + 2 * dot(g, r, s, dOut) * (dot(xd, r, s, dIn) + b);
      }
    });
  }
  return res;
}

export interface BatchNormOptions {
  /** Batch statistics (and running-statistics update) when true; running statistics when false. */
  readonly training: boolean;
  /** Per-feature running mean and (unbiased) variance, updated in place in training. */
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  /** Weight of the new batch statistic in the running average (PyTorch's momentum, default 0.1). */
  readonly momentum?: number;
  readonly eps?: number;
}

/**
 * Batch normalisation over the rows of x [n, d] (PyTorch BatchNorm1d semantics: biased batch
 * variance for normalising, unbiased for the running estimate). In eval mode every row is
 * normalised by the running statistics, so rows do not depend on each other.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, opts: BatchNormOptions): Tensor {
  if (x.shape.length !== 2) fail('batchNorm', `x must be [n, d], got ${shapeStr(x.shape)}`);
  const [n, d] = x.shape as [number, number];
  if (gamma.size !== d || beta.size !== d || opts.runningMean.length !== d || opts.runningVar.length !== d) fail('batchNorm', `gamma, beta and running statistics must have ${d} values`);
  const eps = opts.eps ?? 1e-5;
  const xd = x.data;
  const gd = gamma.data;
  const bd = beta.data;
  const mean = new Float64Array(d);
  const rstd = new Float64Array(d);
  if (opts.training) {
    if (n < 2) fail('batchNorm', 'training needs at least 2 rows per batch');
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j]! += xd[r * d + j]!;
    for (let j = 0; j < d; j++) mean[j]! /= n;
    const vr = new Float64Array(d);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) {
        const c = xd[r * d + j]! - mean[j]!;
        vr[j]! += c * c;
      }
    }
    const mom = opts.momentum ?? 0.1;
    for (let j = 0; j < d; j++) {
      rstd[j] = 1 / Math.sqrt(vr[j]! / n + eps);
      opts.runningMean[j] = (1 - mom) * opts.runningMean[j]! + mom * mean[j]!;
      opts.runningVar[j] = (1 - mom) * opts.runningVar[j]! + (mom * vr[j]!) / (n - 1);
    }
  } else {
    for (let j = 0; j < d; j++) {
      mean[j] = opts.runningMean[j]!;
      rstd[j] = 1 / Math.sqrt(opts.runningVar[j]! + eps);
    }
  }
  const out = new Float32Array(n * d);
  const xhat = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const h = (xd[r * d + j]! - mean[j]!) * rstd[j]!;
      xhat[r * d + j] = h;
      out[r * d + j] = h * gd[j]! + bd[j]!;
    }
  }
  const rg = needsGrad(x, gamma, beta);
  const res = new Tensor(out, x.shape, rg);
  if (rg) {
    const training = opts.training;
    record(res, (g) => {
      const sumG = new Float64Array(d);
      const sumGH = new Float64Array(d);
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < d; j++) {
          sumG[j]! += g[r * d + j]!;
          sumGH[j]! += g[r * d + j]! * xhat[r * d + j]!;
        }
      }
      if (gamma.requiresGrad) {
        const dg = gradOf(gamma);
        for (let j = 0; j < d; j++) dg[j] = dg[j]! + sumGH[j]!;
      }
      if (beta.requiresGrad) {
        const db = gradOf(beta);
        for (let j = 0; j < d; j++) db[j] = db[j]! + sumG[j]!;
      }
      if (x.requiresGrad) {
        const dx = gradOf(x);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < d; j++) {
            const k = r * d + j;
            // Training: the batch mean and variance depend on x too.
            const v = training ? (gd[j]! * rstd[j]! * (g[k]! - sumG[j]! / n - (xhat[k]! * sumGH[j]!) / n)) : gd[j]! * rstd[j]! * g[k]!;
            dx[k] = dx[k]! + v;
          }
        }
      }
    });
  }
  return res;
}

/**
 * For each row b of `scores` [targets.length, width]: the 0-based rank of column targets[b] among
 * columns `from`..width-1 (higher scores first; equal scores in column order, as a stable sort
 * gives; a NaN target score ranks last). Not an autograd op: evaluation's full ranking, run on the
 * backend so that counting past 50k items per case is not a JavaScript loop.
 */
export function rankAmong(scores: Float32Array, width: number, targets: Int32Array, from = 0): Int32Array {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(from) || from < 0 || from > width) fail('rankAmong', `bad width ${width} / from ${from}`);
  if (scores.length < targets.length * width) fail('rankAmong', `scores has ${scores.length} values, fewer than ${targets.length} rows of ${width}`);
  for (const t of targets) if (!(t >= 0 && t < width)) fail('rankAmong', `target ${t} is outside 0..${width - 1}`);
  const ranks = new Int32Array(targets.length);
  kernels().rankAmong(scores, width, targets, from, ranks);
  return ranks;
}
