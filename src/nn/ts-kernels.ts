/**
 * Pure TypeScript kernels: the reference implementation and the fallback when the native addon is
 * not built. native/samplify.cc implements the same math (same loop orders where it matters, the
 * same erf approximation, the same dropout random stream).
 */
import { Rng } from '../core/rng.ts';
import type { Kernels } from './kernels.ts';

export const MASK_PENALTY = -10000;

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7); native uses the same formula. */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return sign * y;
}

const INV_SQRT2 = Math.SQRT1_2;

/** Seed of the independent dropout stream of attention block bh = b*H + h (native uses the same). */
export function blockSeed(seed: number, bh: number): number {
  let x = (seed ^ Math.imul(bh + 1, 0x632be5ab)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Stable logistic (native uses the same branches). */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

function gemm(
  tA: boolean, tB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number,
  b: Float32Array, bOff: number, ldb: number,
  beta: number, c: Float32Array, cOff: number, ldc: number,
): void {
  if (beta !== 1) {
    for (let i = 0; i < m; i++) {
      const ci = cOff + i * ldc;
      if (beta === 0) c.fill(0, ci, ci + n);
      else for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! * beta;
    }
  }
  if (k === 0 || alpha === 0 || m === 0 || n === 0) return;
  if (!tB) {
    for (let i = 0; i < m; i++) {
      const ci = cOff + i * ldc;
      for (let p = 0; p < k; p++) {
        const aip = alpha * (tA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!);
        const bp = bOff + p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + aip * b[bp + j]!;
      }
    }
  } else {
    const row = new Float64Array(k);
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) row[p] = tA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
      const ci = cOff + i * ldc;
      for (let j = 0; j < n; j++) {
        const bj = bOff + j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += row[p]! * b[bj + p]!;
        c[ci + j] = c[ci + j]! + alpha * s;
      }
    }
  }
}

/** First and one-past-last output column ox whose input column ox·s − p + j lies in 0..W−1. */
function validRange(j: number, s: number, p: number, W: number, Wo: number): [number, number] {
  const lo = Math.max(0, Math.ceil((p - j) / s));
  const hi = Math.min(Wo, Math.floor((W - 1 + p - j) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/** 1 / (number of padded-input positions in the window at (oy, ox)), as PyTorch divides avg pooling. */
function avgDivisor(oy: number, ox: number, H: number, W: number, k: number, s: number, p: number): number {
  const y0 = oy * s - p;
  const x0 = ox * s - p;
  const hh = Math.min(y0 + k, H + p) - y0;
  const ww = Math.min(x0 + k, W + p) - x0;
  return hh * ww === k * k ? 1 / (k * k) : 1 / (hh * ww);
}

export const tsKernels: Kernels = {
  name: 'typescript',
  gemm,

  layerNormFwd(x, gamma, beta, rows, d, eps, y, mean, rstd) {
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += x[o + j]!;
      const mu = s / d;
      let ss = 0;
      for (let j = 0; j < d; j++) {
        const t = x[o + j]! - mu;
        ss += t * t;
      }
      const rs = 1 / Math.sqrt(ss / d + eps);
      mean[r] = mu;
      rstd[r] = rs;
      for (let j = 0; j < d; j++) y[o + j] = (x[o + j]! - mu) * rs * gamma[j]! + beta[j]!;
    }
  },

  layerNormBwd(dy, x, gamma, mean, rstd, rows, d, dx, dgamma, dbeta) {
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      const mu = mean[r]!;
      const rs = rstd[r]!;
      let sg = 0;
      let sgx = 0;
      for (let j = 0; j < d; j++) {
        const xh = (x[o + j]! - mu) * rs;
        const g = dy[o + j]!;
        const gh = g * gamma[j]!;
        sg += gh;
        sgx += gh * xh;
        if (dgamma !== null) dgamma[j] = dgamma[j]! + g * xh;
        if (dbeta !== null) dbeta[j] = dbeta[j]! + g;
      }
      if (dx !== null) {
        const mg = sg / d;
        const mgx = sgx / d;
        for (let j = 0; j < d; j++) {
          const xh = (x[o + j]! - mu) * rs;
          dx[o + j] = dx[o + j]! + rs * (dy[o + j]! * gamma[j]! - mg - xh * mgx);
        }
      }
    }
  },

  attnFwd(q, k, v, B, L, H, dh, causal, keyMask, scale, p, seed, probs, dropped, out) {
    const D = H * dh;
    const keepScale = p >= 1 ? 0 : 1 / (1 - p);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const rng = p > 0 ? new Rng(blockSeed(seed, b * H + h)) : null;
        const qo = b * L * D + h * dh;
        const po = (b * H + h) * L * L;
        gemm(false, true, L, L, dh, scale, q, qo, D, k, qo, D, 0, probs, po, L);
        for (let i = 0; i < L; i++) {
          const ro = po + i * L;
          // The penalty is added in float64 and never stored, so a fully masked row is the exact
          // softmax of its raw scores (float32 cannot resolve score - 1e4 finely).
          let mx = -Infinity;
          for (let j = 0; j < L; j++) {
            const s = probs[ro + j]! + ((causal && j > i) || (keyMask !== null && keyMask[b * L + j] === 0) ? MASK_PENALTY : 0);
            if (s > mx) mx = s;
          }
          let sum = 0;
          for (let j = 0; j < L; j++) {
            const s = probs[ro + j]! + ((causal && j > i) || (keyMask !== null && keyMask[b * L + j] === 0) ? MASK_PENALTY : 0);
            const z = s - mx;
            probs[ro + j] = z < -746 ? 0 : Math.exp(z);
            sum += probs[ro + j]!;
          }
          const inv = 1 / sum;
          for (let j = 0; j < L; j++) probs[ro + j] = probs[ro + j]! * inv;
          if (rng !== null) {
            for (let j = 0; j < L; j++) {
              const drop = rng.nextUint32() / 4294967296 < p;
              dropped[ro + j] = drop ? 0 : probs[ro + j]! * keepScale;
            }
          }
        }
        gemm(false, false, L, dh, L, 1, rng !== null ? dropped : probs, po, L, v, qo, D, 0, out, qo, D);
      }
    }
  },

  attnBwd(dout, q, k, v, probs, dropped, B, L, H, dh, scale, p, dq, dk, dv) {
    const D = H * dh;
    const dP = new Float32Array(L * L);
    const keepScale = p >= 1 ? 0 : 1 / (1 - p);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const qo = b * L * D + h * dh;
        const po = (b * H + h) * L * L;
        const pd = p > 0 ? dropped : probs;
        gemm(false, true, L, L, dh, 1, dout, qo, D, v, qo, D, 0, dP, 0, L);
        if (dv !== null) gemm(true, false, L, dh, L, 1, pd, po, L, dout, qo, D, 1, dv, qo, D);
        for (let i = 0; i < L; i++) {
          const ro = i * L;
          if (p > 0) for (let j = 0; j < L; j++) dP[ro + j] = dropped[po + ro + j] !== 0 ? dP[ro + j]! * keepScale : 0;
          let dot = 0;
          for (let j = 0; j < L; j++) dot += dP[ro + j]! * probs[po + ro + j]!;
          for (let j = 0; j < L; j++) dP[ro + j] = probs[po + ro + j]! * (dP[ro + j]! - dot) * scale;
        }
        if (dq !== null) gemm(false, false, L, dh, L, 1, dP, 0, L, k, qo, D, 1, dq, qo, D);
        if (dk !== null) gemm(true, false, L, dh, L, 1, dP, 0, L, q, qo, D, 1, dk, qo, D);
      }
    }
  },

  attnPackedFwd(q, k, v, offsets, B, H, dh, causal, scale, p, seed, probs, dropped, out) {
    const D = H * dh;
    const keepScale = p >= 1 ? 0 : 1 / (1 - p);
    let base = 0;
    for (let b = 0; b < B; b++) {
      const r0 = offsets[b]!;
      const n = offsets[b + 1]! - r0;
      for (let h = 0; h < H; h++) {
        const rng = p > 0 ? new Rng(blockSeed(seed, b * H + h)) : null;
        const po = base + h * n * n;
        const xo = r0 * D + h * dh;
        for (let i = 0; i < n; i++) {
          const lim = causal ? i + 1 : n;
          const ro = po + i * n;
          const qi = xo + i * D;
          let mx = -Infinity;
          for (let j = 0; j < lim; j++) {
            const kj = xo + j * D;
            let s = 0;
            for (let c = 0; c < dh; c++) s += q[qi + c]! * k[kj + c]!;
            const sv = Math.fround(s * scale);
            probs[ro + j] = sv;
            if (sv > mx) mx = sv;
          }
          let sum = 0;
          for (let j = 0; j < lim; j++) {
            const e = Math.fround(Math.exp(probs[ro + j]! - mx));
            probs[ro + j] = e;
            sum += e;
          }
          const inv = 1 / sum;
          for (let j = 0; j < lim; j++) probs[ro + j] = probs[ro + j]! * inv;
          for (let j = lim; j < n; j++) probs[ro + j] = 0;
          if (rng !== null) {
            for (let j = 0; j < lim; j++) dropped[ro + j] = rng.nextUint32() / 4294967296 < p ? 0 : probs[ro + j]! * keepScale;
            for (let j = lim; j < n; j++) dropped[ro + j] = 0;
          }
          // out[i, head h] = sum_j P[i, j] v[j, head h]
          const P = rng !== null ? dropped : probs;
          const oi = xo + i * D;
          for (let c = 0; c < dh; c++) out[oi + c] = 0;
          for (let j = 0; j < lim; j++) {
            const pij = P[ro + j]!;
            if (pij === 0) continue;
            const vj = xo + j * D;
            for (let c = 0; c < dh; c++) out[oi + c] = out[oi + c]! + pij * v[vj + c]!;
          }
        }
      }
      base += H * n * n;
    }
  },

  attnPackedBwd(dout, q, k, v, offsets, B, H, dh, causal, scale, p, probs, dropped, dq, dk, dv) {
    const D = H * dh;
    const keepScale = p >= 1 ? 0 : 1 / (1 - p);
    const Pd = p > 0 ? dropped : probs;
    let maxN = 0;
    for (let b = 0; b < B; b++) maxN = Math.max(maxN, offsets[b + 1]! - offsets[b]!);
    const dP = new Float64Array(maxN);
    let base = 0;
    for (let b = 0; b < B; b++) {
      const r0 = offsets[b]!;
      const n = offsets[b + 1]! - r0;
      for (let h = 0; h < H; h++) {
        const po = base + h * n * n;
        const xo = r0 * D + h * dh;
        for (let i = 0; i < n; i++) {
          const lim = causal ? i + 1 : n;
          const ro = po + i * n;
          const gi = xo + i * D;
          // dP[j] = dout_i · v_j (through dropout); dv_j += Pd[i, j] dout_i
          let dot = 0;
          for (let j = 0; j < lim; j++) {
            const vj = xo + j * D;
            let s = 0;
            for (let c = 0; c < dh; c++) s += dout[gi + c]! * v[vj + c]!;
            if (p > 0) s = dropped[ro + j] !== 0 ? s * keepScale : 0;
            dP[j] = s;
            dot += s * probs[ro + j]!;
            if (dv !== null) {
              const pij = Pd[ro + j]!;
              if (pij !== 0) for (let c = 0; c < dh; c++) dv[vj + c] = dv[vj + c]! + pij * dout[gi + c]!;
            }
          }
          // dS[j] = P[i, j] (dP[j] - dot) * scale; dq_i += dS K; dk_j += dS[j] q_i
          for (let j = 0; j < lim; j++) {
            const ds = Math.fround(probs[ro + j]! * (dP[j]! - dot) * scale);
            if (ds === 0) continue;
            const kj = xo + j * D;
            if (dq !== null) for (let c = 0; c < dh; c++) dq[gi + c] = dq[gi + c]! + ds * k[kj + c]!;
            if (dk !== null) for (let c = 0; c < dh; c++) dk[kj + c] = dk[kj + c]! + ds * q[gi + c]!;
          }
        }
      }
      base += H * n * n;
    }
  },

  addBcast(a, b, bs, out) {
    if (bs === a.length) for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
    else for (let o = 0; o < a.length; o += bs) for (let j = 0; j < bs; j++) out[o + j] = a[o + j]! + b[j]!;
  },

  mulBcast(a, b, bs, out) {
    if (bs === a.length) for (let i = 0; i < a.length; i++) out[i] = a[i]! * b[i]!;
    else for (let o = 0; o < a.length; o += bs) for (let j = 0; j < bs; j++) out[o + j] = a[o + j]! * b[j]!;
  },

  axpy(alpha, src, dst) {
    if (alpha === 1) for (let i = 0; i < src.length; i++) dst[i] = dst[i]! + src[i]!;
    else for (let i = 0; i < src.length; i++) dst[i] = dst[i]! + alpha * src[i]!;
  },

  mulAcc(g, b, bs, dst) {
    if (bs === g.length) for (let i = 0; i < g.length; i++) dst[i] = dst[i]! + g[i]! * b[i]!;
    else for (let o = 0; o < g.length; o += bs) for (let j = 0; j < bs; j++) dst[o + j] = dst[o + j]! + g[o + j]! * b[j]!;
  },

  colSum(src, other, rows, cols, dst) {
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      if (other === null) for (let j = 0; j < cols; j++) acc[j] = acc[j]! + src[o + j]!;
      else for (let j = 0; j < cols; j++) acc[j] = acc[j]! + src[o + j]! * other[o + j]!;
    }
    for (let j = 0; j < cols; j++) dst[j] = dst[j]! + acc[j]!;
  },

  reluFwd(x, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = v > 0 ? v : 0;
    }
  },

  reluBwd(x, dy, dx) {
    for (let i = 0; i < x.length; i++) if (x[i]! > 0) dx[i] = dx[i]! + dy[i]!;
  },

  leakyReluFwd(x, slope, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = v > 0 ? v : slope * v;
    }
  },

  leakyReluBwd(x, dy, slope, dx) {
    for (let i = 0; i < x.length; i++) dx[i] = dx[i]! + dy[i]! * (x[i]! > 0 ? 1 : slope);
  },

  dropoutBwd(dy, mask, scale, dx) {
    for (let i = 0; i < dy.length; i++) if (mask[i] !== 0) dx[i] = dx[i]! + dy[i]! * scale;
  },

  maskRowsFwd(x, keep, d, out) {
    for (let r = 0; r < keep.length; r++) {
      const o = r * d;
      if (keep[r] === 0) out.fill(0, o, o + d);
      else out.set(x.subarray(o, o + d), o);
    }
  },

  maskRowsBwd(dy, keep, d, dx) {
    for (let r = 0; r < keep.length; r++) {
      if (keep[r] === 0) continue;
      const o = r * d;
      for (let j = 0; j < d; j++) dx[o + j] = dx[o + j]! + dy[o + j]!;
    }
  },

  rowDotFwd(a, b, d, out) {
    for (let r = 0; r < out.length; r++) {
      const o = r * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += a[o + j]! * b[o + j]!;
      out[r] = s;
    }
  },

  rowDotBwd(g, a, b, d, da, db) {
    for (let r = 0; r < g.length; r++) {
      const gr = g[r]!;
      const o = r * d;
      if (da !== null) for (let j = 0; j < d; j++) da[o + j] = da[o + j]! + gr * b[o + j]!;
      if (db !== null) for (let j = 0; j < d; j++) db[o + j] = db[o + j]! + gr * a[o + j]!;
    }
  },

  bceFwd(x, labels) {
    let total = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      total += Math.max(v, 0) - v * labels[i]! + Math.log1p(Math.exp(-Math.abs(v)));
    }
    return total;
  },

  bceBwd(x, labels, scale, dx) {
    for (let i = 0; i < x.length; i++) dx[i] = dx[i]! + scale * (sigmoid(x[i]!) - labels[i]!);
  },

  gruStepFwd(gi, gh, B, L, h, t, gates, hn, out) {
    const h3 = 3 * h;
    for (let b = 0; b < B; b++) {
      const row = b * L + t;
      const gio = row * h3;
      const gho = b * h3;
      const po = (row - 1) * h;
      for (let j = 0; j < h; j++) {
        const r = sigmoid(gi[gio + j]! + gh[gho + j]!);
        const z = sigmoid(gi[gio + h + j]! + gh[gho + h + j]!);
        const hnv = gh[gho + 2 * h + j]!;
        const n = Math.tanh(gi[gio + 2 * h + j]! + r * hnv);
        gates[gio + j] = r;
        gates[gio + h + j] = z;
        gates[gio + 2 * h + j] = n;
        hn[row * h + j] = hnv;
        out[row * h + j] = (1 - z) * n + z * (t > 0 ? out[po + j]! : 0);
      }
    }
  },

  gruStepBwd(g, gates, hn, out, B, L, h, t, dh, dGi, dGh) {
    const h3 = 3 * h;
    for (let b = 0; b < B; b++) {
      const row = b * L + t;
      const go = row * h3;
      for (let j = 0; j < h; j++) {
        const dht = g[row * h + j]! + dh[b * h + j]!;
        const r = gates[go + j]!;
        const z = gates[go + h + j]!;
        const n = gates[go + 2 * h + j]!;
        const hp = t > 0 ? out[(row - 1) * h + j]! : 0;
        const dn = dht * (1 - z) * (1 - n * n);
        const dz = dht * (hp - n) * z * (1 - z);
        const dr = dn * hn[row * h + j]! * r * (1 - r);
        dGi[go + j] = dr;
        dGi[go + h + j] = dz;
        dGi[go + 2 * h + j] = dn;
        dGh[go + j] = dr;
        dGh[go + h + j] = dz;
        dGh[go + 2 * h + j] = dn * r;
        dh[b * h + j] = dht * z;
      }
    }
  },

  dropoutFwd(x, p, seed, y, mask) {
    const rng = new Rng(seed);
    const keepScale = p >= 1 ? 0 : 1 / (1 - p);
    for (let i = 0; i < x.length; i++) {
      const drop = rng.nextUint32() / 4294967296 < p;
      mask[i] = drop ? 0 : 1;
      y[i] = drop ? 0 : x[i]! * keepScale;
    }
  },

  geluFwd(x, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = 0.5 * v * (1 + erf(v * INV_SQRT2));
    }
  },

  geluBwd(x, dy, dx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const cdf = 0.5 * (1 + erf(v * INV_SQRT2));
      const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
      dx[i] = dx[i]! + dy[i]! * (cdf + v * pdf);
    }
  },

  gatherRows(src, ids, d, dst) {
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i]! * d;
      dst.set(src.subarray(s, s + d), i * d);
    }
  },

  scatterAddRows(src, ids, d, dst) {
    for (let i = 0; i < ids.length; i++) {
      const o = ids[i]! * d;
      const s = i * d;
      for (let j = 0; j < d; j++) dst[o + j] = dst[o + j]! + src[s + j]!;
    }
  },

  crossEntropyFwd(logits, targets, n, c, lse) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const o = i * c;
      let mx = -Infinity;
      for (let j = 0; j < c; j++) if (logits[o + j]! > mx) mx = logits[o + j]!;
      let s = 0;
      for (let j = 0; j < c; j++) s += Math.exp(logits[o + j]! - mx);
      const l = mx + Math.log(s);
      lse[i] = l;
      total += l - logits[o + targets[i]!]!;
    }
    return total;
  },

  rankAmong(scores, width, targets, from, ranks) {
    for (let b = 0; b < targets.length; b++) {
      const o = b * width;
      const target = targets[b]!;
      const x = scores[o + target]!;
      if (Number.isNaN(x)) {
        ranks[b] = width - from - 1;
        continue;
      }
      let count = 0;
      for (let j = from; j < target; j++) if (scores[o + j]! >= x) count++;
      for (let j = Math.max(from, target + 1); j < width; j++) if (scores[o + j]! > x) count++;
      ranks[b] = count;
    }
  },

  crossEntropyBwd(logits, targets, lse, n, c, scale, dlogits) {
    for (let i = 0; i < n; i++) {
      const o = i * c;
      const l = lse[i]!;
      for (let j = 0; j < c; j++) dlogits[o + j] = dlogits[o + j]! + scale * Math.exp(logits[o + j]! - l);
      const t = o + targets[i]!;
      dlogits[t] = dlogits[t]! - scale;
    }
  },

  im2col(x, xOff, nb, C, H, W, kh, kw, Ho, Wo, s, p, cols) {
    const L = Ho * Wo;
    const ld = nb * L;
    for (let n = 0; n < nb; n++) {
      const off = xOff + n * C * H * W;
      let r = 0;
      for (let c = 0; c < C; c++) {
        const xc = off + c * H * W;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++, r++) {
            const row = r * ld + n * L;
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
  },

  col2imAdd(cols, nb, C, H, W, kh, kw, Ho, Wo, s, p, dx, dxOff) {
    const L = Ho * Wo;
    const ld = nb * L;
    for (let n = 0; n < nb; n++) {
      const off = dxOff + n * C * H * W;
      let r = 0;
      for (let c = 0; c < C; c++) {
        const xc = off + c * H * W;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++, r++) {
            const row = r * ld + n * L;
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
  },

  toChannelMajor(src, off, nb, C, L, dst) {
    for (let n = 0; n < nb; n++)
      for (let c = 0; c < C; c++) {
        const so = off + (n * C + c) * L;
        const d = c * nb * L + n * L;
        for (let l = 0; l < L; l++) dst[d + l] = src[so + l]!;
      }
  },

  fromChannelMajor(src, nb, C, L, dst, off, accumulate) {
    for (let n = 0; n < nb; n++)
      for (let c = 0; c < C; c++) {
        const d = off + (n * C + c) * L;
        const so = c * nb * L + n * L;
        if (!accumulate) for (let l = 0; l < L; l++) dst[d + l] = src[so + l]!;
        else for (let l = 0; l < L; l++) dst[d + l] = dst[d + l]! + src[so + l]!;
      }
  },

  planeBiasAdd(out, bias, N, O, L) {
    for (let n = 0; n < N; n++)
      for (let o = 0; o < O; o++) {
        const b = bias[o]!;
        const base = (n * O + o) * L;
        for (let k = 0; k < L; k++) out[base + k] = out[base + k]! + b;
      }
  },

  planeBiasGrad(g, N, O, L, db) {
    for (let o = 0; o < O; o++) {
      let acc = 0;
      for (let n = 0; n < N; n++) {
        const base = (n * O + o) * L;
        for (let k = 0; k < L; k++) acc += g[base + k]!;
      }
      db[o] = db[o]! + acc;
    }
  },

  maxPool2dFwd(x, NC, H, W, k, s, p, Ho, Wo, out, arg) {
    for (let nc = 0; nc < NC; nc++) {
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
              const v = x[base + iy * W + ix]!;
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
  },

  maxPool2dBwd(g, arg, dx) {
    for (let o = 0; o < g.length; o++) dx[arg[o]!] = dx[arg[o]!]! + g[o]!;
  },

  avgPool2dFwd(x, NC, H, W, k, s, p, Ho, Wo, out) {
    for (let nc = 0; nc < NC; nc++) {
      const base = nc * H * W;
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let acc = 0;
          for (let i = 0; i < k; i++) {
            const iy = oy * s - p + i;
            if (iy < 0 || iy >= H) continue;
            for (let j = 0; j < k; j++) {
              const ix = ox * s - p + j;
              if (ix >= 0 && ix < W) acc += x[base + iy * W + ix]!;
            }
          }
          out[(nc * Ho + oy) * Wo + ox] = acc * avgDivisor(oy, ox, H, W, k, s, p);
        }
    }
  },

  avgPool2dBwd(g, NC, H, W, k, s, p, Ho, Wo, dx) {
    for (let nc = 0; nc < NC; nc++) {
      const base = nc * H * W;
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          const v = g[(nc * Ho + oy) * Wo + ox]! * avgDivisor(oy, ox, H, W, k, s, p);
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
  },

  batchNorm2dStats(x, N, C, L, mean, sqDev) {
    const m = N * L;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * L;
        for (let k = 0; k < L; k++) s += x[b + k]!;
      }
      const mu = s / m;
      let v = 0;
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * L;
        for (let k = 0; k < L; k++) {
          const d = x[b + k]! - mu;
          v += d * d;
        }
      }
      mean[c] = mu;
      sqDev[c] = v;
    }
  },

  batchNorm2dFwd(x, N, C, L, mean, rstd, gamma, beta, out) {
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const b = (n * C + c) * L;
        const mu = mean[c]!;
        const r = rstd[c]!;
        const ga = gamma[c]!;
        const be = beta[c]!;
        for (let k = 0; k < L; k++) out[b + k] = (x[b + k]! - mu) * r * ga + be;
      }
  },

  batchNorm2dBwd(g, x, N, C, L, mean, rstd, gamma, training, sumG, sumGH, dx) {
    sumG.fill(0, 0, C);
    sumGH.fill(0, 0, C);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const b = (n * C + c) * L;
        const mu = mean[c]!;
        const r = rstd[c]!;
        let sg = 0;
        let sgh = 0;
        for (let k = 0; k < L; k++) {
          sg += g[b + k]!;
          sgh += g[b + k]! * Math.fround((x[b + k]! - mu) * r);
        }
        sumG[c] = sumG[c]! + sg;
        sumGH[c] = sumGH[c]! + sgh;
      }
    if (dx === null) return;
    const m = N * L;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const b = (n * C + c) * L;
        const mu = mean[c]!;
        const r = rstd[c]!;
        const f = gamma[c]! * r;
        const mg = sumG[c]! / m;
        const mgh = sumGH[c]! / m;
        if (training) for (let k = 0; k < L; k++) dx[b + k] = dx[b + k]! + f * (g[b + k]! - mg - Math.fround((x[b + k]! - mu) * r) * mgh);
        else for (let k = 0; k < L; k++) dx[b + k] = dx[b + k]! + f * g[b + k]!;
      }
  },

  adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2) {
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (let i = 0; i < p.length; i++) {
      let gi = g[i]!;
      if (weightDecay !== 0) gi += weightDecay * p[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * gi;
      v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
      const mi = m[i]!;
      const vi = v[i]!;
      p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
  },
};
