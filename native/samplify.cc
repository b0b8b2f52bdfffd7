// samplify native kernels: N-API (node-addon-api) over OpenBLAS cblas_sgemm.
// Mirrors src/nn/ts-kernels.ts: same argument order, same float64 accumulations, the same erf
// approximation and the same dropout random stream (xoshiro128** seeded like src/core/rng.ts).
// Typed arrays are used zero-copy; every kernel writes into caller-provided buffers.
#include <napi.h>
#include <cblas.h>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include <thread>
#include <algorithm>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

constexpr double kMaskPenalty = -10000.0;
int g_threads = 1;

// Runs fn(begin, end) over [0, n) split into contiguous chunks, one per thread (the caller runs
// the first). Work items must be independent; results do not depend on the thread count.
template <typename Fn>
void parallelFor(int64_t n, Fn fn) {
  const int64_t t = std::min<int64_t>(g_threads, n);
  if (t <= 1) {
    fn(0, n);
    return;
  }
  std::vector<std::thread> pool;
  const int64_t chunk = (n + t - 1) / t;
  for (int64_t w = 1; w < t; w++) {
    const int64_t b = w * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back([=]() { fn(b, e); });
  }
  fn(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
}

// Independent dropout stream for attention block bh (same derivation as ts-kernels.ts).
inline uint32_t blockSeed(uint32_t seed, uint32_t bh) {
  uint32_t x = seed ^ ((bh + 1u) * 0x632be5abu);
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

#define REQUIRE(cond, msg)                                                  \
  do {                                                                      \
    if (!(cond)) {                                                          \
      Napi::RangeError::New(env, std::string("samplify_native: ") + (msg))  \
          .ThrowAsJavaScriptException();                                    \
      return env.Undefined();                                               \
    }                                                                       \
  } while (0)

struct F32 {
  float* p = nullptr;
  size_t n = 0;
};

F32 f32(const Napi::Value& v) {
  F32 r;
  if (v.IsNull() || v.IsUndefined()) return r;
  auto a = v.As<Napi::Float32Array>();
  r.p = a.Data();
  r.n = a.ElementLength();
  return r;
}

struct I32 {
  const int32_t* p = nullptr;
  size_t n = 0;
};

I32 i32(const Napi::Value& v) {
  auto a = v.As<Napi::Int32Array>();
  return I32{a.Data(), a.ElementLength()};
}

struct U8 {
  uint8_t* p = nullptr;
  size_t n = 0;
};

U8 u8(const Napi::Value& v) {
  U8 r;
  if (v.IsNull() || v.IsUndefined()) return r;
  auto a = v.As<Napi::Uint8Array>();
  r.p = a.Data();
  r.n = a.ElementLength();
  return r;
}

inline double num(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
inline int64_t inum(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline bool flag(const Napi::Value& v) { return v.ToBoolean().Value(); }

// xoshiro128** seeded through the same SplitMix32 variant as src/core/rng.ts.
struct Xoshiro {
  uint32_t s0, s1, s2, s3;
  static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  explicit Xoshiro(uint32_t seed) {
    uint32_t x = seed;
    auto next = [&x]() {
      x = x + 0x9e3779b9u;
      uint32_t z = x;
      z = (z ^ (z >> 16)) * 0x85ebca6bu;
      z = (z ^ (z >> 13)) * 0xc2b2ae35u;
      return z ^ (z >> 16);
    };
    s0 = next();
    s1 = next();
    s2 = next();
    s3 = next();
    if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
  }
  uint32_t nextU32() {
    const uint32_t result = rotl(s1 * 5u, 7) * 9u;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  }
  // Same predicate as the TypeScript side: nextUint32() / 2^32 < p.
  bool drop(double p) { return static_cast<double>(nextU32()) / 4294967296.0 < p; }
  // The same predicate as an integer compare: u / 2^32 < p  <=>  u < ceil(p * 2^32) (exact).
  static uint64_t dropThreshold(double p) { return p <= 0 ? 0 : p >= 1 ? (uint64_t)1 << 32 : (uint64_t)std::ceil(p * 4294967296.0); }
  bool dropBelow(uint64_t thr) { return (uint64_t)nextU32() < thr; }
};

inline double erfAS(double x) {
  const double sign = x < 0 ? -1.0 : 1.0;
  const double ax = std::fabs(x);
  const double t = 1.0 / (1.0 + 0.3275911 * ax);
  const double y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * std::exp(-ax * ax);
  return sign * y;
}

inline void sgemm(bool tA, bool tB, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
                  float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : c[(size_t)i * ldc + j] * beta;
    return;
  }
  cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}

// Extent (elements) touched by a row-major matrix of `rows` rows, `cols` cols, leading dim ld.
inline size_t extent(int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  return (size_t)((rows - 1) * ld + cols);
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool tA = flag(info[0]), tB = flag(info[1]);
  const int64_t m = inum(info[2]), n = inum(info[3]), k = inum(info[4]);
  const float alpha = (float)num(info[5]);
  F32 a = f32(info[6]);
  const int64_t aOff = inum(info[7]), lda = inum(info[8]);
  F32 b = f32(info[9]);
  const int64_t bOff = inum(info[10]), ldb = inum(info[11]);
  const float beta = (float)num(info[12]);
  F32 c = f32(info[13]);
  const int64_t cOff = inum(info[14]), ldc = inum(info[15]);
  REQUIRE(m >= 0 && n >= 0 && k >= 0 && aOff >= 0 && bOff >= 0 && cOff >= 0, "gemm: negative size or offset");
  REQUIRE(lda >= (tA ? m : k) && ldb >= (tB ? k : n) && ldc >= n && lda >= 1 && ldb >= 1 && ldc >= 1, "gemm: bad leading dimension");
  REQUIRE(aOff + extent(tA ? k : m, tA ? m : k, lda) <= a.n, "gemm: A out of bounds");
  REQUIRE(bOff + extent(tB ? n : k, tB ? k : n, ldb) <= b.n, "gemm: B out of bounds");
  REQUIRE(cOff + extent(m, n, ldc) <= c.n, "gemm: C out of bounds");
  sgemm(tA, tB, (int)m, (int)n, (int)k, alpha, a.p + aOff, (int)lda, b.p + bOff, (int)ldb, beta, c.p + cOff, (int)ldc);
  return env.Undefined();
}

// layerNormFwd(x, gamma, beta, rows, d, eps, y, mean, rstd)
Napi::Value LayerNormFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), g = f32(info[1]), bt = f32(info[2]);
  const int64_t rows = inum(info[3]), d = inum(info[4]);
  const double eps = num(info[5]);
  F32 y = f32(info[6]), mean = f32(info[7]), rstd = f32(info[8]);
  REQUIRE(x.n >= (size_t)(rows * d) && y.n >= (size_t)(rows * d) && g.n >= (size_t)d && bt.n >= (size_t)d &&
              mean.n >= (size_t)rows && rstd.n >= (size_t)rows,
          "layerNormFwd: buffer too small");
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x.p + r * d;
    float* yr = y.p + r * d;
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += xr[j];
    const double mu = s / d;
    double ss = 0;
    for (int64_t j = 0; j < d; j++) {
      const double t = xr[j] - mu;
      ss += t * t;
    }
    const double rs = 1.0 / std::sqrt(ss / d + eps);
    // Stored as float32, exactly as the TypeScript side; the output uses the double values.
    mean.p[r] = (float)mu;
    rstd.p[r] = (float)rs;
    for (int64_t j = 0; j < d; j++) yr[j] = (float)((xr[j] - mu) * rs * g.p[j] + bt.p[j]);
  }
  return env.Undefined();
}

// layerNormBwd(dy, x, gamma, mean, rstd, rows, d, dx|null, dgamma|null, dbeta|null)
Napi::Value LayerNormBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = f32(info[0]), x = f32(info[1]), g = f32(info[2]), mean = f32(info[3]), rstd = f32(info[4]);
  const int64_t rows = inum(info[5]), d = inum(info[6]);
  F32 dx = f32(info[7]), dg = f32(info[8]), db = f32(info[9]);
  const size_t nd = (size_t)(rows * d);
  REQUIRE(dy.n >= nd && x.n >= nd && g.n >= (size_t)d && mean.n >= (size_t)rows && rstd.n >= (size_t)rows &&
              (!dx.p || dx.n >= nd) && (!dg.p || dg.n >= (size_t)d) && (!db.p || db.n >= (size_t)d),
          "layerNormBwd: buffer too small");
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x.p + r * d;
    const float* gr = dy.p + r * d;
    const double mu = mean.p[r], rs = rstd.p[r];
    double sg = 0, sgx = 0;
    for (int64_t j = 0; j < d; j++) {
      const double xh = (xr[j] - mu) * rs;
      const double gv = gr[j];
      const double gh = gv * g.p[j];
      sg += gh;
      sgx += gh * xh;
      if (dg.p) dg.p[j] = (float)(dg.p[j] + gv * xh);
      if (db.p) db.p[j] = (float)(db.p[j] + gv);
    }
    if (dx.p) {
      const double mg = sg / d, mgx = sgx / d;
      float* dxr = dx.p + r * d;
      for (int64_t j = 0; j < d; j++) {
        const double xh = (xr[j] - mu) * rs;
        dxr[j] = (float)(dxr[j] + rs * ((double)gr[j] * g.p[j] - mg - xh * mgx));
      }
    }
  }
  return env.Undefined();
}

// attnFwd(q, k, v, B, L, H, dh, causal, keyMask|null, scale, p, seed, probs, dropped, out)
Napi::Value AttnFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 q = f32(info[0]), k = f32(info[1]), v = f32(info[2]);
  const int64_t B = inum(info[3]), L = inum(info[4]), H = inum(info[5]), dh = inum(info[6]);
  const bool causal = flag(info[7]);
  U8 km = u8(info[8]);
  const float scale = (float)num(info[9]);
  const double p = num(info[10]);
  const uint32_t seed = (uint32_t)inum(info[11]);
  F32 probs = f32(info[12]), dropped = f32(info[13]), out = f32(info[14]);
  const int64_t D = H * dh;
  const size_t nx = (size_t)(B * L * D), np = (size_t)(B * H * L * L);
  REQUIRE(q.n >= nx && k.n >= nx && v.n >= nx && out.n >= nx && probs.n >= np && dropped.n >= np && (!km.p || km.n >= (size_t)(B * L)),
          "attnFwd: buffer too small");
  const double keepScale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  parallelFor(B * H, [&](int64_t bh0, int64_t bh1) {
    std::vector<double> e((size_t)L);
    for (int64_t bh = bh0; bh < bh1; bh++) {
      const int64_t b = bh / H, h = bh % H;
      Xoshiro rng(blockSeed(seed, (uint32_t)bh));
      const int64_t qo = b * L * D + h * dh;
      float* P = probs.p + bh * L * L;
      float* Pd = dropped.p + bh * L * L;
      sgemm(false, true, (int)L, (int)L, (int)dh, scale, q.p + qo, (int)D, k.p + qo, (int)D, 0.0f, P, (int)L);
      for (int64_t i = 0; i < L; i++) {
        float* row = P + i * L;
        double mx = -INFINITY;
        for (int64_t j = 0; j < L; j++) {
          const bool masked = (causal && j > i) || (km.p && km.p[b * L + j] == 0);
          const double s = (double)row[j] + (masked ? kMaskPenalty : 0.0);
          e[j] = s;
          if (s > mx) mx = s;
        }
        double sum = 0;
        for (int64_t j = 0; j < L; j++) {
          // exp() of anything below -746 is exactly 0 in double: skip the call (masked keys).
          const double z = e[j] - mx;
          const float ev = z < -746.0 ? 0.0f : (float)std::exp(z);
          row[j] = ev;
          sum += ev;
        }
        const double inv = 1.0 / sum;
        for (int64_t j = 0; j < L; j++) row[j] = (float)(row[j] * inv);
        if (p > 0) {
          float* drow = Pd + i * L;
          for (int64_t j = 0; j < L; j++) drow[j] = rng.drop(p) ? 0.0f : (float)(row[j] * keepScale);
        }
      }
      sgemm(false, false, (int)L, (int)dh, (int)L, 1.0f, p > 0 ? Pd : P, (int)L, v.p + qo, (int)D, 0.0f, out.p + qo, (int)D);
    }
  });
  return env.Undefined();
}

// attnBwd(dout, q, k, v, probs, dropped, B, L, H, dh, scale, p, dq|null, dk|null, dv|null)
Napi::Value AttnBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dout = f32(info[0]), q = f32(info[1]), k = f32(info[2]), v = f32(info[3]), probs = f32(info[4]), dropped = f32(info[5]);
  const int64_t B = inum(info[6]), L = inum(info[7]), H = inum(info[8]), dh = inum(info[9]);
  const double scale = num(info[10]);
  const double p = num(info[11]);
  F32 dq = f32(info[12]), dk = f32(info[13]), dv = f32(info[14]);
  const int64_t D = H * dh;
  const size_t nx = (size_t)(B * L * D), np = (size_t)(B * H * L * L);
  REQUIRE(dout.n >= nx && q.n >= nx && k.n >= nx && v.n >= nx && probs.n >= np && dropped.n >= np && (!dq.p || dq.n >= nx) &&
              (!dk.p || dk.n >= nx) && (!dv.p || dv.n >= nx),
          "attnBwd: buffer too small");
  const double keepScale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  // Blocks of one batch row write disjoint columns of dq/dk/dv; split the work by batch row.
  parallelFor(B, [&](int64_t b0, int64_t b1) {
    std::vector<float> dP((size_t)(L * L));
    for (int64_t b = b0; b < b1; b++) {
      for (int64_t h = 0; h < H; h++) {
        const int64_t qo = b * L * D + h * dh;
        const float* P = probs.p + (b * H + h) * L * L;
        const float* Pd = (p > 0 ? dropped.p : probs.p) + (b * H + h) * L * L;
        sgemm(false, true, (int)L, (int)L, (int)dh, 1.0f, dout.p + qo, (int)D, v.p + qo, (int)D, 0.0f, dP.data(), (int)L);
        if (dv.p) sgemm(true, false, (int)L, (int)dh, (int)L, 1.0f, Pd, (int)L, dout.p + qo, (int)D, 1.0f, dv.p + qo, (int)D);
        for (int64_t i = 0; i < L; i++) {
          float* r = dP.data() + i * L;
          const float* pr = P + i * L;
          if (p > 0) {
            const float* dr = Pd + i * L;
            for (int64_t j = 0; j < L; j++) r[j] = dr[j] != 0.0f ? (float)(r[j] * keepScale) : 0.0f;
          }
          double dot = 0;
          for (int64_t j = 0; j < L; j++) dot += (double)r[j] * pr[j];
          for (int64_t j = 0; j < L; j++) r[j] = (float)(pr[j] * (r[j] - dot) * scale);
        }
        if (dq.p) sgemm(false, false, (int)L, (int)dh, (int)L, 1.0f, dP.data(), (int)L, k.p + qo, (int)D, 1.0f, dq.p + qo, (int)D);
        if (dk.p) sgemm(true, false, (int)L, (int)dh, (int)L, 1.0f, dP.data(), (int)L, q.p + qo, (int)D, 1.0f, dk.p + qo, (int)D);
      }
    }
  });
  return env.Undefined();
}


inline double sigmoidD(double v) {
  if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1.0 + e);
}

// Start of each sequence's probability blocks: H * sum_{c<b} n_c^2.
std::vector<int64_t> packedBases(const int32_t* off, int64_t B, int64_t H) {
  std::vector<int64_t> base((size_t)B + 1);
  base[0] = 0;
  for (int64_t b = 0; b < B; b++) {
    const int64_t n = off[b + 1] - off[b];
    base[b + 1] = base[b] + H * n * n;
  }
  return base;
}

// Validates offsets (monotone, from 0 to N) and returns the probs size, or -1.
int64_t checkOffsets(const I32& off, int64_t B, int64_t N) {
  if ((int64_t)off.n < B + 1 || off.p[0] != 0 || off.p[B] != N) return -1;
  for (int64_t b = 0; b < B; b++)
    if (off.p[b + 1] < off.p[b]) return -1;
  return 0;
}

// attnPackedFwd(q, k, v, offsets, B, H, dh, causal, scale, p, seed, probs, dropped, out)
Napi::Value AttnPackedFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 q = f32(info[0]), k = f32(info[1]), v = f32(info[2]);
  I32 off = i32(info[3]);
  const int64_t B = inum(info[4]), H = inum(info[5]), dh = inum(info[6]);
  const bool causal = flag(info[7]);
  const double scale = num(info[8]);
  const double p = num(info[9]);
  const uint32_t seed = (uint32_t)inum(info[10]);
  F32 probs = f32(info[11]), dropped = f32(info[12]), out = f32(info[13]);
  const int64_t D = H * dh;
  REQUIRE(B >= 0 && H >= 1 && dh >= 0 && (int64_t)off.n >= B + 1, "attnPackedFwd: bad sizes");
  const int64_t N = off.p[B];
  REQUIRE(checkOffsets(off, B, N) == 0, "attnPackedFwd: bad offsets");
  const size_t nx = (size_t)(N * D);
  const std::vector<int64_t> base = packedBases(off.p, B, H);
  const size_t np = (size_t)base[B];
  REQUIRE(q.n >= nx && k.n >= nx && v.n >= nx && out.n >= nx && probs.n >= np && dropped.n >= np, "attnPackedFwd: buffer too small");
  const double keepScale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  // Sequences write disjoint rows of out and disjoint probability blocks.
  parallelFor(B, [&](int64_t b0, int64_t b1) {
    std::vector<float> acc((size_t)dh);
    for (int64_t b = b0; b < b1; b++) {
      const int64_t r0 = off.p[b], n = off.p[b + 1] - r0;
      for (int64_t h = 0; h < H; h++) {
        Xoshiro rng(blockSeed(seed, (uint32_t)(b * H + h)));
        float* P = probs.p + base[b] + h * n * n;
        float* Pd = dropped.p + base[b] + h * n * n;
        const int64_t xo = r0 * D + h * dh;
        for (int64_t i = 0; i < n; i++) {
          const int64_t lim = causal ? i + 1 : n;
          float* row = P + i * n;
          const float* qi = q.p + xo + i * D;
          float mx = -INFINITY;
          for (int64_t j = 0; j < lim; j++) {
            const float* kj = k.p + xo + j * D;
            double s = 0;
            for (int64_t c = 0; c < dh; c++) s += (double)qi[c] * kj[c];
            const float sv = (float)(s * scale);
            row[j] = sv;
            if (sv > mx) mx = sv;
          }
          double sum = 0;
          for (int64_t j = 0; j < lim; j++) {
            const float e = (float)std::exp((double)row[j] - (double)mx);
            row[j] = e;
            sum += e;
          }
          const double inv = 1.0 / sum;
          for (int64_t j = 0; j < lim; j++) row[j] = (float)(row[j] * inv);
          for (int64_t j = lim; j < n; j++) row[j] = 0.0f;
          const float* use = row;
          if (p > 0) {
            float* drow = Pd + i * n;
            for (int64_t j = 0; j < lim; j++) drow[j] = rng.drop(p) ? 0.0f : (float)(row[j] * keepScale);
            for (int64_t j = lim; j < n; j++) drow[j] = 0.0f;
            use = drow;
          }
          float* oi = out.p + xo + i * D;
          for (int64_t c = 0; c < dh; c++) oi[c] = 0.0f;
          for (int64_t j = 0; j < lim; j++) {
            const float pij = use[j];
            if (pij == 0.0f) continue;
            const float* vj = v.p + xo + j * D;
            for (int64_t c = 0; c < dh; c++) oi[c] += pij * vj[c];
          }
        }
      }
    }
  });
  return env.Undefined();
}

// attnPackedBwd(dout, q, k, v, offsets, B, H, dh, causal, scale, p, probs, dropped, dq|null, dk|null, dv|null)
Napi::Value AttnPackedBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dout = f32(info[0]), q = f32(info[1]), k = f32(info[2]), v = f32(info[3]);
  I32 off = i32(info[4]);
  const int64_t B = inum(info[5]), H = inum(info[6]), dh = inum(info[7]);
  const bool causal = flag(info[8]);
  const double scale = num(info[9]);
  const double p = num(info[10]);
  F32 probs = f32(info[11]), dropped = f32(info[12]);
  F32 dq = f32(info[13]), dk = f32(info[14]), dv = f32(info[15]);
  const int64_t D = H * dh;
  REQUIRE(B >= 0 && H >= 1 && dh >= 0 && (int64_t)off.n >= B + 1, "attnPackedBwd: bad sizes");
  const int64_t N = off.p[B];
  REQUIRE(checkOffsets(off, B, N) == 0, "attnPackedBwd: bad offsets");
  const size_t nx = (size_t)(N * D);
  const std::vector<int64_t> base = packedBases(off.p, B, H);
  const size_t np = (size_t)base[B];
  REQUIRE(dout.n >= nx && q.n >= nx && k.n >= nx && v.n >= nx && probs.n >= np && dropped.n >= np && (!dq.p || dq.n >= nx) &&
              (!dk.p || dk.n >= nx) && (!dv.p || dv.n >= nx),
          "attnPackedBwd: buffer too small");
  const double keepScale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  parallelFor(B, [&](int64_t b0, int64_t b1) {
    std::vector<double> dP;
    for (int64_t b = b0; b < b1; b++) {
      const int64_t r0 = off.p[b], n = off.p[b + 1] - r0;
      if ((int64_t)dP.size() < n) dP.resize((size_t)n);
      for (int64_t h = 0; h < H; h++) {
        const float* P = probs.p + base[b] + h * n * n;
        const float* Pd = (p > 0 ? dropped.p : probs.p) + base[b] + h * n * n;
        const int64_t xo = r0 * D + h * dh;
        for (int64_t i = 0; i < n; i++) {
          const int64_t lim = causal ? i + 1 : n;
          const float* pr = P + i * n;
          const float* pdr = Pd + i * n;
          const float* gi = dout.p + xo + i * D;
          double dot = 0;
          for (int64_t j = 0; j < lim; j++) {
            const float* vj = v.p + xo + j * D;
            double s = 0;
            for (int64_t c = 0; c < dh; c++) s += (double)gi[c] * vj[c];
            if (p > 0) s = pdr[j] != 0.0f ? s * keepScale : 0.0;
            dP[j] = s;
            dot += s * pr[j];
            if (dv.p) {
              const float pij = pdr[j];
              if (pij != 0.0f) {
                float* dvj = dv.p + xo + j * D;
                for (int64_t c = 0; c < dh; c++) dvj[c] += pij * gi[c];
              }
            }
          }
          const float* qi = q.p + xo + i * D;
          float* dqi = dq.p ? dq.p + xo + i * D : nullptr;
          for (int64_t j = 0; j < lim; j++) {
            const float ds = (float)(pr[j] * (dP[j] - dot) * scale);
            if (ds == 0.0f) continue;
            const float* kj = k.p + xo + j * D;
            if (dqi)
              for (int64_t c = 0; c < dh; c++) dqi[c] += ds * kj[c];
            if (dk.p) {
              float* dkj = dk.p + xo + j * D;
              for (int64_t c = 0; c < dh; c++) dkj[c] += ds * qi[c];
            }
          }
        }
      }
    }
  });
  return env.Undefined();
}


// ---------------------------------------------------------------- element-wise

// addBcast(a, b, bs, out)
Napi::Value AddBcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 a = f32(info[0]), b = f32(info[1]);
  const int64_t bs = inum(info[2]);
  F32 out = f32(info[3]);
  REQUIRE(bs >= 1 && (int64_t)b.n >= bs && a.n % bs == 0 && out.n >= a.n, "addBcast: bad sizes");
  for (size_t o = 0; o < a.n; o += bs) {
    const float* ar = a.p + o;
    float* orow = out.p + o;
    for (int64_t j = 0; j < bs; j++) orow[j] = ar[j] + b.p[j];
  }
  return env.Undefined();
}

// mulBcast(a, b, bs, out)
Napi::Value MulBcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 a = f32(info[0]), b = f32(info[1]);
  const int64_t bs = inum(info[2]);
  F32 out = f32(info[3]);
  REQUIRE(bs >= 1 && (int64_t)b.n >= bs && a.n % bs == 0 && out.n >= a.n, "mulBcast: bad sizes");
  for (size_t o = 0; o < a.n; o += bs) {
    const float* ar = a.p + o;
    float* orow = out.p + o;
    for (int64_t j = 0; j < bs; j++) orow[j] = ar[j] * b.p[j];
  }
  return env.Undefined();
}

// axpy(alpha, src, dst)
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double alpha = num(info[0]);
  F32 src = f32(info[1]), dst = f32(info[2]);
  REQUIRE(dst.n >= src.n, "axpy: dst too small");
  float* __restrict d = dst.p;
  const float* __restrict x = src.p;
  if (alpha == 1.0)
    for (size_t i = 0; i < src.n; i++) d[i] += x[i];
  else
    for (size_t i = 0; i < src.n; i++) d[i] = (float)(d[i] + alpha * x[i]);
  return env.Undefined();
}

// mulAcc(g, b, bs, dst)
Napi::Value MulAcc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 g = f32(info[0]), b = f32(info[1]);
  const int64_t bs = inum(info[2]);
  F32 dst = f32(info[3]);
  REQUIRE(bs >= 1 && (int64_t)b.n >= bs && g.n % bs == 0 && dst.n >= g.n, "mulAcc: bad sizes");
  for (size_t o = 0; o < g.n; o += bs) {
    const float* gr = g.p + o;
    float* dr = dst.p + o;
    for (int64_t j = 0; j < bs; j++) dr[j] += gr[j] * b.p[j];
  }
  return env.Undefined();
}

// colSum(src, other|null, rows, cols, dst)
Napi::Value ColSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src = f32(info[0]), other = f32(info[1]);
  const int64_t rows = inum(info[2]), cols = inum(info[3]);
  F32 dst = f32(info[4]);
  const size_t n = (size_t)(rows * cols);
  REQUIRE(rows >= 0 && cols >= 0 && src.n >= n && (!other.p || other.n >= n) && dst.n >= (size_t)cols, "colSum: bad sizes");
  std::vector<double> acc((size_t)cols, 0.0);
  for (int64_t r = 0; r < rows; r++) {
    const float* s = src.p + r * cols;
    if (other.p) {
      const float* t = other.p + r * cols;
      for (int64_t j = 0; j < cols; j++) acc[j] += (double)s[j] * t[j];
    } else {
      for (int64_t j = 0; j < cols; j++) acc[j] += s[j];
    }
  }
  for (int64_t j = 0; j < cols; j++) dst.p[j] = (float)(dst.p[j] + acc[j]);
  return env.Undefined();
}

Napi::Value ReluFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), y = f32(info[1]);
  REQUIRE(y.n >= x.n, "reluFwd: buffer too small");
  for (size_t i = 0; i < x.n; i++) y.p[i] = x.p[i] > 0.0f ? x.p[i] : 0.0f;
  return env.Undefined();
}

Napi::Value ReluBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), dy = f32(info[1]), dx = f32(info[2]);
  REQUIRE(dy.n >= x.n && dx.n >= x.n, "reluBwd: buffer too small");
  for (size_t i = 0; i < x.n; i++) dx.p[i] += x.p[i] > 0.0f ? dy.p[i] : 0.0f;
  return env.Undefined();
}

// leakyReluFwd(x, slope, y): the product in double, as the TypeScript side.
Napi::Value LeakyReluFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  const double slope = num(info[1]);
  F32 y = f32(info[2]);
  REQUIRE(y.n >= x.n, "leakyReluFwd: buffer too small");
  for (size_t i = 0; i < x.n; i++) {
    const float v = x.p[i];
    y.p[i] = v > 0.0f ? v : (float)(slope * v);
  }
  return env.Undefined();
}

// leakyReluBwd(x, dy, slope, dx)
Napi::Value LeakyReluBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), dy = f32(info[1]);
  const double slope = num(info[2]);
  F32 dx = f32(info[3]);
  REQUIRE(dy.n >= x.n && dx.n >= x.n, "leakyReluBwd: buffer too small");
  for (size_t i = 0; i < x.n; i++) dx.p[i] = (float)(dx.p[i] + (double)dy.p[i] * (x.p[i] > 0.0f ? 1.0 : slope));
  return env.Undefined();
}

// dropoutBwd(dy, mask, scale, dx)
Napi::Value DropoutBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = f32(info[0]);
  U8 mask = u8(info[1]);
  const double sc = num(info[2]);
  F32 dx = f32(info[3]);
  REQUIRE(mask.n >= dy.n && dx.n >= dy.n, "dropoutBwd: buffer too small");
  for (size_t i = 0; i < dy.n; i++)
    if (mask.p[i]) dx.p[i] = (float)(dx.p[i] + dy.p[i] * sc);
  return env.Undefined();
}

// maskRowsFwd(x, keep, d, out)
Napi::Value MaskRowsFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  U8 keep = u8(info[1]);
  const int64_t d = inum(info[2]);
  F32 out = f32(info[3]);
  REQUIRE(d >= 0 && x.n >= keep.n * (size_t)d && out.n >= keep.n * (size_t)d, "maskRowsFwd: bad sizes");
  for (size_t r = 0; r < keep.n; r++) {
    if (keep.p[r]) std::memcpy(out.p + r * d, x.p + r * d, sizeof(float) * d);
    else std::memset(out.p + r * d, 0, sizeof(float) * d);
  }
  return env.Undefined();
}

// maskRowsBwd(dy, keep, d, dx)
Napi::Value MaskRowsBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = f32(info[0]);
  U8 keep = u8(info[1]);
  const int64_t d = inum(info[2]);
  F32 dx = f32(info[3]);
  REQUIRE(d >= 0 && dy.n >= keep.n * (size_t)d && dx.n >= keep.n * (size_t)d, "maskRowsBwd: bad sizes");
  for (size_t r = 0; r < keep.n; r++) {
    if (!keep.p[r]) continue;
    float* o = dx.p + r * d;
    const float* g = dy.p + r * d;
    for (int64_t j = 0; j < d; j++) o[j] += g[j];
  }
  return env.Undefined();
}

// rowDotFwd(a, b, d, out)
Napi::Value RowDotFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 a = f32(info[0]), b = f32(info[1]);
  const int64_t d = inum(info[2]);
  F32 out = f32(info[3]);
  REQUIRE(d >= 0 && a.n >= out.n * (size_t)d && b.n >= out.n * (size_t)d, "rowDotFwd: bad sizes");
  for (size_t r = 0; r < out.n; r++) {
    const float* ar = a.p + r * d;
    const float* br = b.p + r * d;
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += (double)ar[j] * br[j];
    out.p[r] = (float)s;
  }
  return env.Undefined();
}

// rowDotBwd(g, a, b, d, da|null, db|null)
Napi::Value RowDotBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 g = f32(info[0]), a = f32(info[1]), b = f32(info[2]);
  const int64_t d = inum(info[3]);
  F32 da = f32(info[4]), db = f32(info[5]);
  const size_t n = g.n * (size_t)d;
  REQUIRE(d >= 0 && a.n >= n && b.n >= n && (!da.p || da.n >= n) && (!db.p || db.n >= n), "rowDotBwd: bad sizes");
  for (size_t r = 0; r < g.n; r++) {
    const float gr = g.p[r];
    const size_t o = r * d;
    if (da.p)
      for (int64_t j = 0; j < d; j++) da.p[o + j] += gr * b.p[o + j];
    if (db.p)
      for (int64_t j = 0; j < d; j++) db.p[o + j] += gr * a.p[o + j];
  }
  return env.Undefined();
}

// bceFwd(x, labels) -> sum of losses
Napi::Value BceFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), lab = f32(info[1]);
  REQUIRE(lab.n >= x.n, "bceFwd: labels too short");
  double total = 0;
  for (size_t i = 0; i < x.n; i++) {
    const double v = x.p[i];
    total += std::max(v, 0.0) - v * lab.p[i] + std::log1p(std::exp(-std::fabs(v)));
  }
  return Napi::Number::New(env, total);
}

// bceBwd(x, labels, scale, dx)
Napi::Value BceBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), lab = f32(info[1]);
  const double sc = num(info[2]);
  F32 dx = f32(info[3]);
  REQUIRE(lab.n >= x.n && dx.n >= x.n, "bceBwd: buffer too small");
  for (size_t i = 0; i < x.n; i++) dx.p[i] = (float)(dx.p[i] + sc * (sigmoidD(x.p[i]) - lab.p[i]));
  return env.Undefined();
}

// gruStepFwd(gi, gh, B, L, h, t, gates, hn, out)
Napi::Value GruStepFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 gi = f32(info[0]), gh = f32(info[1]);
  const int64_t B = inum(info[2]), L = inum(info[3]), h = inum(info[4]), t = inum(info[5]);
  F32 gates = f32(info[6]), hn = f32(info[7]), out = f32(info[8]);
  const int64_t h3 = 3 * h;
  REQUIRE(B >= 0 && L >= 1 && h >= 0 && t >= 0 && t < L && gi.n >= (size_t)(B * L * h3) && gh.n >= (size_t)(B * h3) &&
              gates.n >= (size_t)(B * L * h3) && hn.n >= (size_t)(B * L * h) && out.n >= (size_t)(B * L * h),
          "gruStepFwd: bad sizes");
  for (int64_t b = 0; b < B; b++) {
    const int64_t row = b * L + t;
    const float* gir = gi.p + row * h3;
    const float* ghr = gh.p + b * h3;
    float* gr = gates.p + row * h3;
    float* hnr = hn.p + row * h;
    float* o = out.p + row * h;
    const float* prev = t > 0 ? out.p + (row - 1) * h : nullptr;
    for (int64_t j = 0; j < h; j++) {
      const double r = sigmoidD((double)gir[j] + ghr[j]);
      const double z = sigmoidD((double)gir[h + j] + ghr[h + j]);
      const double hnv = ghr[2 * h + j];
      const double n = std::tanh((double)gir[2 * h + j] + r * hnv);
      gr[j] = (float)r;
      gr[h + j] = (float)z;
      gr[2 * h + j] = (float)n;
      hnr[j] = (float)hnv;
      o[j] = (float)((1 - z) * n + z * (prev ? (double)prev[j] : 0.0));
    }
  }
  return env.Undefined();
}

// gruStepBwd(g, gates, hn, out, B, L, h, t, dh, dGi, dGh)
Napi::Value GruStepBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 g = f32(info[0]), gates = f32(info[1]), hn = f32(info[2]), out = f32(info[3]);
  const int64_t B = inum(info[4]), L = inum(info[5]), h = inum(info[6]), t = inum(info[7]);
  F32 dh = f32(info[8]), dGi = f32(info[9]), dGh = f32(info[10]);
  const int64_t h3 = 3 * h;
  const size_t nh = (size_t)(B * L * h), n3 = (size_t)(B * L * h3);
  REQUIRE(B >= 0 && L >= 1 && h >= 0 && t >= 0 && t < L && g.n >= nh && gates.n >= n3 && hn.n >= nh && out.n >= nh &&
              dh.n >= (size_t)(B * h) && dGi.n >= n3 && dGh.n >= n3,
          "gruStepBwd: bad sizes");
  for (int64_t b = 0; b < B; b++) {
    const int64_t row = b * L + t;
    const float* gr = gates.p + row * h3;
    const float* gg = g.p + row * h;
    const float* hnr = hn.p + row * h;
    const float* prev = t > 0 ? out.p + (row - 1) * h : nullptr;
    float* dhr = dh.p + b * h;
    float* dgi = dGi.p + row * h3;
    float* dgh = dGh.p + row * h3;
    for (int64_t j = 0; j < h; j++) {
      const double dht = (double)gg[j] + dhr[j];
      const double r = gr[j], z = gr[h + j], n = gr[2 * h + j];
      const double hp = prev ? (double)prev[j] : 0.0;
      const double dn = dht * (1 - z) * (1 - n * n);
      const double dz = dht * (hp - n) * z * (1 - z);
      const double dr = dn * hnr[j] * r * (1 - r);
      dgi[j] = (float)dr;
      dgi[h + j] = (float)dz;
      dgi[2 * h + j] = (float)dn;
      dgh[j] = (float)dr;
      dgh[h + j] = (float)dz;
      dgh[2 * h + j] = (float)(dn * r);
      dhr[j] = (float)(dht * z);
    }
  }
  return env.Undefined();
}

// dropoutFwd(x, p, seed, y, mask)
Napi::Value DropoutFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  const double p = num(info[1]);
  const uint32_t seed = (uint32_t)inum(info[2]);
  F32 y = f32(info[3]);
  U8 mask = u8(info[4]);
  REQUIRE(y.n >= x.n && mask.n >= x.n, "dropoutFwd: buffer too small");
  Xoshiro rng(seed);
  const double keepScale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  const uint64_t thr = Xoshiro::dropThreshold(p);
  for (size_t i = 0; i < x.n; i++) {
    const bool d = rng.dropBelow(thr);
    mask.p[i] = d ? 0 : 1;
    y.p[i] = d ? 0.0f : (float)(x.p[i] * keepScale);
  }
  return env.Undefined();
}

// exp(x) for x <= 0 in float (Cephes expf polynomial, ~1 ulp), written so that GCC vectorizes the
// loops it sits in (no libm call). Inputs below -87 return exp(-87) (~1.6e-38), which is 0 for
// every use here (erf tail, Gaussian pdf).
inline float expNonPos(float x) {
  x = std::max(x, -87.0f);
  // Nearest integer of x log2(e) (x <= 0, so truncating z - 0.5 rounds); plain conversions vectorize.
  const float fn = (float)(int32_t)(x * 1.44269504088896341f - 0.5f);
  const float r = (x - fn * 0.693359375f) + fn * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  const int32_t bits = ((int32_t)fn + 127) << 23;
  float sc;
  std::memcpy(&sc, &bits, sizeof sc);
  return y * sc;
}

// The erf-form GELU with the A&S 7.1.26 erf (same formula as the TypeScript side) in float:
// cdf = 0.5 (1 + erf(v / sqrt 2)); e = exp(-v^2 / 2) serves both erf and the Gaussian pdf.
inline void geluParts(float v, float& cdf, float& e) {
  const float ax = std::fabs(v) * 0.70710678118654752f;
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  e = expNonPos(-ax * ax);
  const float y = 1.0f - ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t * e;
  cdf = 0.5f * (1.0f + std::copysign(y, v));
}

// Element-wise work above this size is split over the threads (results do not depend on it).
constexpr int64_t kParallelMin = 1 << 16;

template <typename Fn>
void elementwise(int64_t n, Fn fn) {
  if (n < kParallelMin) fn(0, n);
  else parallelFor((n + 4095) / 4096, [&](int64_t c0, int64_t c1) { fn(c0 * 4096, std::min(n, c1 * 4096)); });
}

Napi::Value GeluFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), y = f32(info[1]);
  REQUIRE(y.n >= x.n, "geluFwd: buffer too small");
  const float* __restrict xp = x.p;
  float* __restrict yp = y.p;
  elementwise((int64_t)x.n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      float cdf, e;
      geluParts(xp[i], cdf, e);
      yp[i] = xp[i] * cdf;
    }
  });
  return env.Undefined();
}

Napi::Value GeluBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]), dy = f32(info[1]), dx = f32(info[2]);
  REQUIRE(dy.n >= x.n && dx.n >= x.n, "geluBwd: buffer too small");
  const float invSqrt2Pi = 0.39894228040143268f;
  const float* __restrict xp = x.p;
  const float* __restrict gp = dy.p;
  float* __restrict dp = dx.p;
  elementwise((int64_t)x.n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      float cdf, e;
      const float v = xp[i];
      geluParts(v, cdf, e);
      dp[i] += gp[i] * (cdf + v * (invSqrt2Pi * e));
    }
  });
  return env.Undefined();
}

// gatherRows(src, ids, d, dst)
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src = f32(info[0]);
  I32 ids = i32(info[1]);
  const int64_t d = inum(info[2]);
  F32 dst = f32(info[3]);
  REQUIRE(dst.n >= ids.n * (size_t)d, "gatherRows: dst too small");
  const int64_t nrows = d > 0 ? (int64_t)(src.n / d) : 0;
  for (size_t i = 0; i < ids.n; i++) {
    const int64_t r = ids.p[i];
    REQUIRE(r >= 0 && r < nrows, "gatherRows: id out of range");
    std::memcpy(dst.p + i * d, src.p + r * d, sizeof(float) * d);
  }
  return env.Undefined();
}

// scatterAddRows(src, ids, d, dst)
Napi::Value ScatterAddRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src = f32(info[0]);
  I32 ids = i32(info[1]);
  const int64_t d = inum(info[2]);
  F32 dst = f32(info[3]);
  REQUIRE(src.n >= ids.n * (size_t)d, "scatterAddRows: src too small");
  const int64_t nrows = d > 0 ? (int64_t)(dst.n / d) : 0;
  for (size_t i = 0; i < ids.n; i++) {
    const int64_t r = ids.p[i];
    REQUIRE(r >= 0 && r < nrows, "scatterAddRows: id out of range");
    float* o = dst.p + r * d;
    const float* s = src.p + i * d;
    for (int64_t j = 0; j < d; j++) o[j] += s[j];
  }
  return env.Undefined();
}

// Sum of exp(r[j] - mx) over a row in float with 8 fixed partial sums (vectorizes without
// -ffast-math, and the summation order does not depend on the thread count).
inline double rowSumExp(const float* r, int64_t c, float mx) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= c; j += 8)
    for (int k = 0; k < 8; k++) acc[k] += expNonPos(r[j + k] - mx);
  double s = 0;
  for (int k = 0; k < 8; k++) s += acc[k];
  for (; j < c; j++) s += expNonPos(r[j] - mx);
  return s;
}

// crossEntropyFwd(logits, targets, n, c, lse) -> sum of row losses. Rows run in parallel; each
// row's loss is kept and summed in row order afterwards, so the total is thread-count independent.
Napi::Value CrossEntropyFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 lg = f32(info[0]);
  I32 t = i32(info[1]);
  const int64_t n = inum(info[2]), c = inum(info[3]);
  F32 lse = f32(info[4]);
  REQUIRE(lg.n >= (size_t)(n * c) && t.n >= (size_t)n && lse.n >= (size_t)n, "crossEntropyFwd: buffer too small");
  for (int64_t i = 0; i < n; i++) REQUIRE(t.p[i] >= 0 && t.p[i] < c, "crossEntropyFwd: target out of range");
  std::vector<double> rowLoss(n);
  parallelFor(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const float* r = lg.p + i * c;
      float mx = -INFINITY;
      for (int64_t j = 0; j < c; j++) mx = std::max(mx, r[j]);
      const double l = (double)mx + std::log(rowSumExp(r, c, mx));
      lse.p[i] = (float)l;
      rowLoss[i] = l - r[t.p[i]];
    }
  });
  double total = 0;
  for (int64_t i = 0; i < n; i++) total += rowLoss[i];
  return Napi::Number::New(env, total);
}

// rankAmong(scores, width, targets, from, ranks): for row b of scores [n, width] (n = targets.length),
// the 0-based rank of column targets[b] among columns from..width-1 — columns that score higher,
// plus equal-scoring columns with a lower index (the order a stable descending sort gives). A NaN
// target score ranks last. Two branch-free loops, one each side of the target; rows in parallel.
Napi::Value RankAmong(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 s = f32(info[0]);
  const int64_t width = inum(info[1]);
  I32 t = i32(info[2]);
  const int64_t from = inum(info[3]);
  auto ranksA = info[4].As<Napi::Int32Array>();
  int32_t* ranks = ranksA.Data();
  const int64_t n = (int64_t)t.n;
  REQUIRE(s.n >= (size_t)(n * width) && ranksA.ElementLength() >= (size_t)n && from >= 0 && from <= width, "rankAmong: buffer too small");
  for (int64_t b = 0; b < n; b++) REQUIRE(t.p[b] >= 0 && t.p[b] < width, "rankAmong: target out of range");
  parallelFor(n, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      const float* row = s.p + b * width;
      const int64_t target = t.p[b];
      const float x = row[target];
      if (x != x) {
        ranks[b] = (int32_t)(width - from - 1);
        continue;
      }
      int64_t count = 0;
      for (int64_t j = from; j < target; j++) count += row[j] >= x;
      for (int64_t j = std::max(from, target + 1); j < width; j++) count += row[j] > x;
      ranks[b] = (int32_t)count;
    }
  });
  return env.Undefined();
}

// crossEntropyBwd(logits, targets, lse, n, c, scale, dlogits)
Napi::Value CrossEntropyBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 lg = f32(info[0]);
  I32 t = i32(info[1]);
  F32 lse = f32(info[2]);
  const int64_t n = inum(info[3]), c = inum(info[4]);
  const float scale = (float)num(info[5]);
  F32 dl = f32(info[6]);
  REQUIRE(lg.n >= (size_t)(n * c) && dl.n >= (size_t)(n * c) && t.n >= (size_t)n && lse.n >= (size_t)n, "crossEntropyBwd: buffer too small");
  for (int64_t i = 0; i < n; i++) REQUIRE(t.p[i] >= 0 && t.p[i] < c, "crossEntropyBwd: target out of range");
  parallelFor(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const float* r = lg.p + i * c;
      float* d = dl.p + i * c;
      const float l = lse.p[i];
      for (int64_t j = 0; j < c; j++) d[j] += scale * expNonPos(r[j] - l);
      d[t.p[i]] -= scale;
    }
  });
  return env.Undefined();
}

// adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2)
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 p = f32(info[0]), g = f32(info[1]), m = f32(info[2]), v = f32(info[3]);
  const double lr = num(info[4]), b1 = num(info[5]), b2 = num(info[6]), eps = num(info[7]), wd = num(info[8]), bc1 = num(info[9]),
               bc2 = num(info[10]);
  REQUIRE(g.n >= p.n && m.n >= p.n && v.n >= p.n, "adamStep: buffer too small");
  const double stepSize = lr / bc1, sqrtBc2 = std::sqrt(bc2);
  for (size_t i = 0; i < p.n; i++) {
    double gi = g.p[i];
    if (wd != 0) gi += wd * p.p[i];
    m.p[i] = (float)(b1 * m.p[i] + (1 - b1) * gi);
    v.p[i] = (float)(b2 * v.p[i] + (1 - b2) * gi * gi);
    const double mi = m.p[i], vi = v.p[i];
    p.p[i] = (float)(p.p[i] - (stepSize * mi) / (std::sqrt(vi) / sqrtBc2 + eps));
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- convolution, pooling, batch norm
// Same loops and float64 accumulations as src/nn/ts-kernels.ts; work is split over independent
// outputs only (rows of cols, channels, planes), so results do not depend on the thread count.

struct F64 {
  double* p = nullptr;
  size_t n = 0;
};

F64 f64(const Napi::Value& v) {
  F64 r;
  if (v.IsNull() || v.IsUndefined()) return r;
  auto a = v.As<Napi::Float64Array>();
  r.p = a.Data();
  r.n = a.ElementLength();
  return r;
}

// Below this many elements of work a kernel stays on the calling thread (a thread start costs ~20 µs).
constexpr int64_t kConvParallelMin = 1 << 15;

template <typename Fn>
void parallelIf(int64_t work, int64_t n, Fn fn) {
  if (work < kConvParallelMin) fn(0, n);
  else parallelFor(n, fn);
}

struct ConvGeom {
  int64_t nb, C, H, W, kh, kw, Ho, Wo, s, p;
  bool ok() const { return nb >= 0 && C >= 0 && H >= 1 && W >= 1 && kh >= 1 && kw >= 1 && Ho >= 1 && Wo >= 1 && s >= 1 && p >= 0; }
  int64_t L() const { return Ho * Wo; }
  int64_t K() const { return C * kh * kw; }
  // First and one-past-last ox whose input column ox*s - p + j lies in 0..W-1.
  void validRange(int64_t j, int64_t& lo, int64_t& hi) const {
    const int64_t num = p - j;
    lo = num <= 0 ? 0 : (num + s - 1) / s;
    const int64_t top = W - 1 + p - j;
    hi = top < 0 ? 0 : std::min(Wo, top / s + 1);
    if (top < 0) hi = 0;
    if (hi < lo) hi = lo;
  }
};

ConvGeom convGeom(const Napi::CallbackInfo& info, int at) {
  return ConvGeom{inum(info[at]), inum(info[at + 1]), inum(info[at + 2]), inum(info[at + 3]), inum(info[at + 4]),
                  inum(info[at + 5]), inum(info[at + 6]), inum(info[at + 7]), inum(info[at + 8]), inum(info[at + 9])};
}

// im2col(x, xOff, nb, C, H, W, kh, kw, Ho, Wo, s, p, cols)
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  const int64_t xOff = inum(info[1]);
  const ConvGeom g = convGeom(info, 2);
  F32 cols = f32(info[12]);
  REQUIRE(g.ok() && xOff >= 0, "im2col: bad geometry");
  const int64_t L = g.L(), ld = g.nb * L, K = g.K(), img = g.C * g.H * g.W;
  REQUIRE((size_t)(xOff + g.nb * img) <= x.n && (size_t)(K * ld) <= cols.n, "im2col: buffer too small");
  parallelIf(K * ld, K, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t c = r / (g.kh * g.kw), i = (r / g.kw) % g.kh, j = r % g.kw;
      int64_t lo, hi;
      g.validRange(j, lo, hi);
      for (int64_t n = 0; n < g.nb; n++) {
        const float* xc = x.p + xOff + n * img + c * g.H * g.W;
        float* row = cols.p + r * ld + n * L;
        for (int64_t oy = 0; oy < g.Ho; oy++) {
          const int64_t iy = oy * g.s - g.p + i;
          float* o = row + oy * g.Wo;
          if (iy < 0 || iy >= g.H || lo >= hi) {
            std::memset(o, 0, sizeof(float) * g.Wo);
            continue;
          }
          for (int64_t ox = 0; ox < lo; ox++) o[ox] = 0.0f;
          for (int64_t ox = hi; ox < g.Wo; ox++) o[ox] = 0.0f;
          const float* xr = xc + iy * g.W - g.p + j;
          if (g.s == 1) std::memcpy(o + lo, xr + lo, sizeof(float) * (hi - lo));
          else
            for (int64_t ox = lo; ox < hi; ox++) o[ox] = xr[ox * g.s];
        }
      }
    }
  });
  return env.Undefined();
}

// col2imAdd(cols, nb, C, H, W, kh, kw, Ho, Wo, s, p, dx, dxOff): split over channels (each owns its planes).
Napi::Value Col2imAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 cols = f32(info[0]);
  const ConvGeom g = convGeom(info, 1);
  F32 dx = f32(info[11]);
  const int64_t dxOff = inum(info[12]);
  REQUIRE(g.ok() && dxOff >= 0, "col2imAdd: bad geometry");
  const int64_t L = g.L(), ld = g.nb * L, K = g.K(), img = g.C * g.H * g.W;
  REQUIRE((size_t)(dxOff + g.nb * img) <= dx.n && (size_t)(K * ld) <= cols.n, "col2imAdd: buffer too small");
  // Per image, then per (c, i, j) row in order, as the TypeScript loop: the sum order of every dx
  // element is fixed. Channels are independent, so they are split over the threads.
  parallelIf(K * ld, g.C, [&](int64_t c0, int64_t c1) {
    for (int64_t n = 0; n < g.nb; n++) {
      for (int64_t c = c0; c < c1; c++) {
        float* xc = dx.p + dxOff + n * img + c * g.H * g.W;
        for (int64_t i = 0; i < g.kh; i++) {
          for (int64_t j = 0; j < g.kw; j++) {
            const int64_t r = (c * g.kh + i) * g.kw + j;
            const float* row = cols.p + r * ld + n * L;
            int64_t lo, hi;
            g.validRange(j, lo, hi);
            for (int64_t oy = 0; oy < g.Ho; oy++) {
              const int64_t iy = oy * g.s - g.p + i;
              if (iy < 0 || iy >= g.H) continue;
              float* xr = xc + iy * g.W - g.p + j;
              const float* o = row + oy * g.Wo;
              if (g.s == 1)
                for (int64_t ox = lo; ox < hi; ox++) xr[ox] += o[ox];
              else
                for (int64_t ox = lo; ox < hi; ox++) xr[ox * g.s] += o[ox];
            }
          }
        }
      }
    }
  });
  return env.Undefined();
}

// toChannelMajor(src, off, nb, C, L, dst)
Napi::Value ToChannelMajor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src = f32(info[0]);
  const int64_t off = inum(info[1]), nb = inum(info[2]), C = inum(info[3]), L = inum(info[4]);
  F32 dst = f32(info[5]);
  REQUIRE(off >= 0 && nb >= 0 && C >= 0 && L >= 0 && (size_t)(off + nb * C * L) <= src.n && (size_t)(nb * C * L) <= dst.n,
          "toChannelMajor: bad sizes");
  parallelIf(nb * C * L, C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++)
      for (int64_t n = 0; n < nb; n++) std::memcpy(dst.p + c * nb * L + n * L, src.p + off + (n * C + c) * L, sizeof(float) * L);
  });
  return env.Undefined();
}

// fromChannelMajor(src, nb, C, L, dst, off, accumulate)
Napi::Value FromChannelMajor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src = f32(info[0]);
  const int64_t nb = inum(info[1]), C = inum(info[2]), L = inum(info[3]);
  F32 dst = f32(info[4]);
  const int64_t off = inum(info[5]);
  const bool acc = flag(info[6]);
  REQUIRE(off >= 0 && nb >= 0 && C >= 0 && L >= 0 && (size_t)(off + nb * C * L) <= dst.n && (size_t)(nb * C * L) <= src.n,
          "fromChannelMajor: bad sizes");
  parallelIf(nb * C * L, C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++)
      for (int64_t n = 0; n < nb; n++) {
        float* d = dst.p + off + (n * C + c) * L;
        const float* sp = src.p + c * nb * L + n * L;
        if (acc)
          for (int64_t l = 0; l < L; l++) d[l] += sp[l];
        else
          std::memcpy(d, sp, sizeof(float) * L);
      }
  });
  return env.Undefined();
}

// planeBiasAdd(out, bias, N, O, L)
Napi::Value PlaneBiasAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 out = f32(info[0]), bias = f32(info[1]);
  const int64_t N = inum(info[2]), O = inum(info[3]), L = inum(info[4]);
  REQUIRE(N >= 0 && O >= 0 && L >= 0 && (size_t)(N * O * L) <= out.n && (size_t)O <= bias.n, "planeBiasAdd: bad sizes");
  for (int64_t n = 0; n < N; n++)
    for (int64_t o = 0; o < O; o++) {
      const float b = bias.p[o];
      float* r = out.p + (n * O + o) * L;
      for (int64_t k = 0; k < L; k++) r[k] += b;
    }
  return env.Undefined();
}

// planeBiasGrad(g, N, O, L, db)
Napi::Value PlaneBiasGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 g = f32(info[0]);
  const int64_t N = inum(info[1]), O = inum(info[2]), L = inum(info[3]);
  F32 db = f32(info[4]);
  REQUIRE(N >= 0 && O >= 0 && L >= 0 && (size_t)(N * O * L) <= g.n && (size_t)O <= db.n, "planeBiasGrad: bad sizes");
  for (int64_t o = 0; o < O; o++) {
    double acc = 0;
    for (int64_t n = 0; n < N; n++) {
      const float* r = g.p + (n * O + o) * L;
      for (int64_t k = 0; k < L; k++) acc += r[k];
    }
    db.p[o] = (float)(db.p[o] + acc);
  }
  return env.Undefined();
}

struct PoolGeom {
  int64_t NC, H, W, k, s, p, Ho, Wo;
  bool ok() const { return NC >= 0 && H >= 1 && W >= 1 && k >= 1 && s >= 1 && p >= 0 && Ho >= 1 && Wo >= 1; }
  // Valid window rows/cols for output (oy, ox): [i0, i1) x [j0, j1) of the k x k window.
  void window(int64_t oy, int64_t ox, int64_t& i0, int64_t& i1, int64_t& j0, int64_t& j1) const {
    const int64_t y0 = oy * s - p, x0 = ox * s - p;
    i0 = std::max<int64_t>(0, -y0);
    i1 = std::min<int64_t>(k, H - y0);
    j0 = std::max<int64_t>(0, -x0);
    j1 = std::min<int64_t>(k, W - x0);
  }
  double divisor(int64_t oy, int64_t ox) const {
    const int64_t y0 = oy * s - p, x0 = ox * s - p;
    const int64_t hh = std::min(y0 + k, H + p) - y0, ww = std::min(x0 + k, W + p) - x0;
    return hh * ww == k * k ? 1.0 / (double)(k * k) : 1.0 / (double)(hh * ww);
  }
};

PoolGeom poolGeom(const Napi::CallbackInfo& info, int at) {
  return PoolGeom{inum(info[at]), inum(info[at + 1]), inum(info[at + 2]), inum(info[at + 3]),
                  inum(info[at + 4]), inum(info[at + 5]), inum(info[at + 6]), inum(info[at + 7])};
}

// maxPool2dFwd(x, NC, H, W, k, s, p, Ho, Wo, out, arg)
Napi::Value MaxPool2dFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  const PoolGeom g = poolGeom(info, 1);
  F32 out = f32(info[9]);
  auto argA = info[10].As<Napi::Int32Array>();
  int32_t* arg = argA.Data();
  const size_t no = (size_t)(g.NC * g.Ho * g.Wo);
  REQUIRE(g.ok() && (size_t)(g.NC * g.H * g.W) <= x.n && no <= out.n && no <= argA.ElementLength(), "maxPool2dFwd: bad sizes");
  REQUIRE(g.NC * g.H * g.W < INT32_MAX, "maxPool2dFwd: input too large for int32 indices");
  parallelIf((int64_t)no * g.k * g.k, g.NC, [&](int64_t c0, int64_t c1) {
    for (int64_t nc = c0; nc < c1; nc++) {
      const int64_t base = nc * g.H * g.W;
      for (int64_t oy = 0; oy < g.Ho; oy++)
        for (int64_t ox = 0; ox < g.Wo; ox++) {
          int64_t i0, i1, j0, j1;
          g.window(oy, ox, i0, i1, j0, j1);
          const int64_t y0 = oy * g.s - g.p, x0 = ox * g.s - g.p;
          float best = -INFINITY;
          int64_t at = -1;
          for (int64_t i = i0; i < i1; i++)
            for (int64_t j = j0; j < j1; j++) {
              const int64_t idx = base + (y0 + i) * g.W + x0 + j;
              const float v = x.p[idx];
              if (v > best || at < 0 || std::isnan(v)) {
                best = v;
                at = idx;
                // As the TypeScript loop: a NaN ends its window row only; the next rows go on, and
                // only another NaN replaces it (v > NaN is false).
                if (std::isnan(v)) break;
              }
            }
          const int64_t o = (nc * g.Ho + oy) * g.Wo + ox;
          out.p[o] = best;
          arg[o] = (int32_t)at;
        }
    }
  });
  return env.Undefined();
}

// maxPool2dBwd(g, arg, dx)
Napi::Value MaxPool2dBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 g = f32(info[0]);
  auto argA = info[1].As<Napi::Int32Array>();
  const int32_t* arg = argA.Data();
  F32 dx = f32(info[2]);
  REQUIRE(argA.ElementLength() >= g.n, "maxPool2dBwd: arg too short");
  for (size_t o = 0; o < g.n; o++) REQUIRE(arg[o] >= 0 && (size_t)arg[o] < dx.n, "maxPool2dBwd: index out of range");
  for (size_t o = 0; o < g.n; o++) dx.p[arg[o]] += g.p[o];
  return env.Undefined();
}

// avgPool2dFwd(x, NC, H, W, k, s, p, Ho, Wo, out)
Napi::Value AvgPool2dFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  const PoolGeom g = poolGeom(info, 1);
  F32 out = f32(info[9]);
  const size_t no = (size_t)(g.NC * g.Ho * g.Wo);
  REQUIRE(g.ok() && (size_t)(g.NC * g.H * g.W) <= x.n && no <= out.n, "avgPool2dFwd: bad sizes");
  parallelIf((int64_t)no * g.k * g.k, g.NC, [&](int64_t c0, int64_t c1) {
    for (int64_t nc = c0; nc < c1; nc++) {
      const float* xc = x.p + nc * g.H * g.W;
      for (int64_t oy = 0; oy < g.Ho; oy++)
        for (int64_t ox = 0; ox < g.Wo; ox++) {
          int64_t i0, i1, j0, j1;
          g.window(oy, ox, i0, i1, j0, j1);
          const int64_t y0 = oy * g.s - g.p, x0 = ox * g.s - g.p;
          double acc = 0;
          for (int64_t i = i0; i < i1; i++)
            for (int64_t j = j0; j < j1; j++) acc += xc[(y0 + i) * g.W + x0 + j];
          out.p[(nc * g.Ho + oy) * g.Wo + ox] = (float)(acc * g.divisor(oy, ox));
        }
    }
  });
  return env.Undefined();
}

// avgPool2dBwd(g, NC, H, W, k, s, p, Ho, Wo, dx)
Napi::Value AvgPool2dBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 gr = f32(info[0]);
  const PoolGeom g = poolGeom(info, 1);
  F32 dx = f32(info[9]);
  const size_t no = (size_t)(g.NC * g.Ho * g.Wo);
  REQUIRE(g.ok() && (size_t)(g.NC * g.H * g.W) <= dx.n && no <= gr.n, "avgPool2dBwd: bad sizes");
  parallelIf((int64_t)no * g.k * g.k, g.NC, [&](int64_t c0, int64_t c1) {
    for (int64_t nc = c0; nc < c1; nc++) {
      float* dc = dx.p + nc * g.H * g.W;
      for (int64_t oy = 0; oy < g.Ho; oy++)
        for (int64_t ox = 0; ox < g.Wo; ox++) {
          int64_t i0, i1, j0, j1;
          g.window(oy, ox, i0, i1, j0, j1);
          const int64_t y0 = oy * g.s - g.p, x0 = ox * g.s - g.p;
          const double v = (double)gr.p[(nc * g.Ho + oy) * g.Wo + ox] * g.divisor(oy, ox);
          for (int64_t i = i0; i < i1; i++)
            for (int64_t j = j0; j < j1; j++) {
              float& d = dc[(y0 + i) * g.W + x0 + j];
              d = (float)(d + v);
            }
        }
    }
  });
  return env.Undefined();
}

// batchNorm2dStats(x, N, C, L, mean, sqDev)
Napi::Value BatchNorm2dStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  const int64_t N = inum(info[1]), C = inum(info[2]), L = inum(info[3]);
  F64 mean = f64(info[4]), sq = f64(info[5]);
  REQUIRE(N >= 1 && C >= 0 && L >= 1 && (size_t)(N * C * L) <= x.n && (size_t)C <= mean.n && (size_t)C <= sq.n, "batchNorm2dStats: bad sizes");
  const double m = (double)(N * L);
  parallelIf(N * C * L, C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      double s = 0;
      for (int64_t n = 0; n < N; n++) {
        const float* r = x.p + (n * C + c) * L;
        for (int64_t k = 0; k < L; k++) s += r[k];
      }
      const double mu = s / m;
      double v = 0;
      for (int64_t n = 0; n < N; n++) {
        const float* r = x.p + (n * C + c) * L;
        for (int64_t k = 0; k < L; k++) {
          const double d = r[k] - mu;
          v += d * d;
        }
      }
      mean.p[c] = mu;
      sq.p[c] = v;
    }
  });
  return env.Undefined();
}

// batchNorm2dFwd(x, N, C, L, mean, rstd, gamma, beta, out)
Napi::Value BatchNorm2dFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = f32(info[0]);
  const int64_t N = inum(info[1]), C = inum(info[2]), L = inum(info[3]);
  F64 mean = f64(info[4]), rstd = f64(info[5]);
  F32 gamma = f32(info[6]), beta = f32(info[7]), out = f32(info[8]);
  const size_t n = (size_t)(N * C * L);
  REQUIRE(N >= 0 && C >= 0 && L >= 0 && n <= x.n && n <= out.n && (size_t)C <= mean.n && (size_t)C <= rstd.n &&
              (size_t)C <= gamma.n && (size_t)C <= beta.n,
          "batchNorm2dFwd: bad sizes");
  parallelIf((int64_t)n, N * C, [&](int64_t b0, int64_t b1) {
    for (int64_t nc = b0; nc < b1; nc++) {
      const int64_t c = nc % C;
      const double mu = mean.p[c], r = rstd.p[c], ga = gamma.p[c], be = beta.p[c];
      const float* xr = x.p + nc * L;
      float* orow = out.p + nc * L;
      for (int64_t k = 0; k < L; k++) orow[k] = (float)((xr[k] - mu) * r * ga + be);
    }
  });
  return env.Undefined();
}

// batchNorm2dBwd(g, x, N, C, L, mean, rstd, gamma, training, sumG, sumGH, dx|null); xhat recomputed
// from x exactly as the forward rounded it.
Napi::Value BatchNorm2dBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 g = f32(info[0]), x = f32(info[1]);
  const int64_t N = inum(info[2]), C = inum(info[3]), L = inum(info[4]);
  F64 mean = f64(info[5]), rstd = f64(info[6]);
  F32 gamma = f32(info[7]);
  const bool training = flag(info[8]);
  F64 sumG = f64(info[9]), sumGH = f64(info[10]);
  F32 dx = f32(info[11]);
  const size_t n = (size_t)(N * C * L);
  REQUIRE(N >= 1 && C >= 0 && L >= 1 && n <= g.n && n <= x.n && (!dx.p || n <= dx.n) && (size_t)C <= gamma.n && (size_t)C <= rstd.n &&
              (size_t)C <= mean.n &&
              (size_t)C <= sumG.n && (size_t)C <= sumGH.n,
          "batchNorm2dBwd: bad sizes");
  const double m = (double)(N * L);
  parallelIf((int64_t)n, C, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      const double mu = mean.p[c], r = rstd.p[c];
      double tg = 0, tgh = 0;
      for (int64_t b = 0; b < N; b++) {
        const float* gr = g.p + (b * C + c) * L;
        const float* xr = x.p + (b * C + c) * L;
        double sg = 0, sgh = 0;
        for (int64_t k = 0; k < L; k++) {
          sg += gr[k];
          sgh += (double)gr[k] * (float)((xr[k] - mu) * r);
        }
        tg += sg;
        tgh += sgh;
      }
      sumG.p[c] = tg;
      sumGH.p[c] = tgh;
      if (!dx.p) continue;
      const double f = gamma.p[c] * r, mg = tg / m, mgh = tgh / m;
      for (int64_t b = 0; b < N; b++) {
        const float* gr = g.p + (b * C + c) * L;
        const float* xr = x.p + (b * C + c) * L;
        float* dr = dx.p + (b * C + c) * L;
        if (training)
          for (int64_t k = 0; k < L; k++) dr[k] = (float)(dr[k] + f * (gr[k] - mg - (double)(float)((xr[k] - mu) * r) * mgh));
        else
          for (int64_t k = 0; k < L; k++) dr[k] = (float)(dr[k] + f * gr[k]);
      }
    }
  });
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t n = inum(info[0]);
  REQUIRE(n >= 1, "setThreads: need n >= 1");
  openblas_set_num_threads((int)n);
  g_threads = (int)n;
  return env.Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
}

// Node allocates every typed array with calloc. Under glibc's default (dynamic) mmap threshold a
// multi-megabyte tensor is often a fresh mmap, so each op output costs page faults and kernel
// zeroing — measured at ~5 ms per 3 MB buffer against ~0.3 ms for a reused one, and more than half
// of a small CNN training step. A fixed 32 MiB threshold keeps such buffers in the heap, and a
// 256 MiB trim threshold keeps the heap from handing freed memory back to the kernel after each
// garbage collection (only to fault it in again next step); docs/decisions/conv-kernels.md.
// glibc caps that threshold at 32 MiB, and the full-softmax logits of a SASRec-CE batch on Beauty
// are ~87 MB: each was a fresh mmap whose page faults cost ~240 ms here against a 32 ms gemm, half
// of the epoch. M_MMAP_MAX = 0 serves every size from the heap (glibc still falls back to mmap
// when the heap cannot grow); docs/decisions/compute-backend.md.
// SAMPLIFY_MALLOC_TUNING=0 leaves malloc alone.
void tuneMalloc() {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  const char* v = std::getenv("SAMPLIFY_MALLOC_TUNING");
  if (v != nullptr && std::string(v) == "0") return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#if defined(M_MMAP_MAX)
  mallopt(M_MMAP_MAX, 0);
#endif
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneMalloc();
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("layerNormFwd", Napi::Function::New(env, LayerNormFwd, "layerNormFwd"));
  exports.Set("layerNormBwd", Napi::Function::New(env, LayerNormBwd, "layerNormBwd"));
  exports.Set("attnFwd", Napi::Function::New(env, AttnFwd, "attnFwd"));
  exports.Set("attnBwd", Napi::Function::New(env, AttnBwd, "attnBwd"));
  exports.Set("attnPackedFwd", Napi::Function::New(env, AttnPackedFwd, "attnPackedFwd"));
  exports.Set("attnPackedBwd", Napi::Function::New(env, AttnPackedBwd, "attnPackedBwd"));
  exports.Set("dropoutFwd", Napi::Function::New(env, DropoutFwd, "dropoutFwd"));
  exports.Set("geluFwd", Napi::Function::New(env, GeluFwd, "geluFwd"));
  exports.Set("geluBwd", Napi::Function::New(env, GeluBwd, "geluBwd"));
  exports.Set("gatherRows", Napi::Function::New(env, GatherRows, "gatherRows"));
  exports.Set("scatterAddRows", Napi::Function::New(env, ScatterAddRows, "scatterAddRows"));
  exports.Set("crossEntropyFwd", Napi::Function::New(env, CrossEntropyFwd, "crossEntropyFwd"));
  exports.Set("rankAmong", Napi::Function::New(env, RankAmong, "rankAmong"));
  exports.Set("crossEntropyBwd", Napi::Function::New(env, CrossEntropyBwd, "crossEntropyBwd"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("addBcast", Napi::Function::New(env, AddBcast, "addBcast"));
  exports.Set("mulBcast", Napi::Function::New(env, MulBcast, "mulBcast"));
  exports.Set("axpy", Napi::Function::New(env, Axpy, "axpy"));
  exports.Set("mulAcc", Napi::Function::New(env, MulAcc, "mulAcc"));
  exports.Set("colSum", Napi::Function::New(env, ColSum, "colSum"));
  exports.Set("reluFwd", Napi::Function::New(env, ReluFwd, "reluFwd"));
  exports.Set("reluBwd", Napi::Function::New(env, ReluBwd, "reluBwd"));
  exports.Set("dropoutBwd", Napi::Function::New(env, DropoutBwd, "dropoutBwd"));
  exports.Set("maskRowsFwd", Napi::Function::New(env, MaskRowsFwd, "maskRowsFwd"));
  exports.Set("maskRowsBwd", Napi::Function::New(env, MaskRowsBwd, "maskRowsBwd"));
  exports.Set("rowDotFwd", Napi::Function::New(env, RowDotFwd, "rowDotFwd"));
  exports.Set("rowDotBwd", Napi::Function::New(env, RowDotBwd, "rowDotBwd"));
  exports.Set("bceFwd", Napi::Function::New(env, BceFwd, "bceFwd"));
  exports.Set("bceBwd", Napi::Function::New(env, BceBwd, "bceBwd"));
  exports.Set("gruStepFwd", Napi::Function::New(env, GruStepFwd, "gruStepFwd"));
  exports.Set("gruStepBwd", Napi::Function::New(env, GruStepBwd, "gruStepBwd"));
  exports.Set("leakyReluFwd", Napi::Function::New(env, LeakyReluFwd, "leakyReluFwd"));
  exports.Set("leakyReluBwd", Napi::Function::New(env, LeakyReluBwd, "leakyReluBwd"));
  exports.Set("im2col", Napi::Function::New(env, Im2col, "im2col"));
  exports.Set("col2imAdd", Napi::Function::New(env, Col2imAdd, "col2imAdd"));
  exports.Set("toChannelMajor", Napi::Function::New(env, ToChannelMajor, "toChannelMajor"));
  exports.Set("fromChannelMajor", Napi::Function::New(env, FromChannelMajor, "fromChannelMajor"));
  exports.Set("planeBiasAdd", Napi::Function::New(env, PlaneBiasAdd, "planeBiasAdd"));
  exports.Set("planeBiasGrad", Napi::Function::New(env, PlaneBiasGrad, "planeBiasGrad"));
  exports.Set("maxPool2dFwd", Napi::Function::New(env, MaxPool2dFwd, "maxPool2dFwd"));
  exports.Set("maxPool2dBwd", Napi::Function::New(env, MaxPool2dBwd, "maxPool2dBwd"));
  exports.Set("avgPool2dFwd", Napi::Function::New(env, AvgPool2dFwd, "avgPool2dFwd"));
  exports.Set("avgPool2dBwd", Napi::Function::New(env, AvgPool2dBwd, "avgPool2dBwd"));
  exports.Set("batchNorm2dStats", Napi::Function::New(env, BatchNorm2dStats, "batchNorm2dStats"));
  exports.Set("batchNorm2dFwd", Napi::Function::New(env, BatchNorm2dFwd, "batchNorm2dFwd"));
  exports.Set("batchNorm2dBwd", Napi::Function::New(env, BatchNorm2dBwd, "batchNorm2dBwd"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  return exports;
}

}  // namespace

NODE_API_MODULE(samplify_native, Init)
