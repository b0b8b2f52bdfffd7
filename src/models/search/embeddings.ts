/**
 * Word embeddings trained here, on the training view only: positive PMI over word co-occurrences,
 * reduced by a seeded truncated eigendecomposition (Levy & Goldberg's "PPMI + SVD" recipe). No
 * pretrained vectors are used, so nothing from outside the training data reaches a ranker.
 *
 * Co-occurrences (stemmed tokens of the shared tokenizer, vocabulary = tokens seen ≥ minCount times):
 * - within a training product title, tokens at most `window` apart;
 * - within a training query, every pair of its tokens;
 * - across a judged training pair, every (query token, title token), weighted by the pair's label
 *   shifted to 0…1 on the scale — this is what ties a query word to the title words it finds.
 * PPMI_ab = max(0, ln(p_ab / (p̃_a p̃_b))) with context-smoothed marginals p̃_a ∝ c_a^0.75 on both
 * sides, so the matrix stays symmetric. Its top-`dim` eigenpairs (by |λ|) come from subspace
 * iteration from a seeded Gaussian start, with a Rayleigh–Ritz step and Jacobi rotations on the
 * small projected matrix; a word's vector is u · sqrt(|λ|), scaled to unit length. Every sum runs
 * in a fixed order, so the same seed and data give the same vectors bit for bit.
 */
import { ModelStateError, Rng } from '../../core/index.ts';

export interface WordEmbeddingParams {
  readonly dim: number;
  readonly minCount: number;
  readonly window: number;
  readonly iterations: number;
  /** Most frequent tokens kept at most. */
  readonly maxVocab: number;
}

export const WORD_EMBEDDING_DEFAULTS: WordEmbeddingParams = { dim: 32, minCount: 2, window: 4, iterations: 6, maxVocab: 20000 };

export interface EmbeddingCorpus {
  readonly titles: readonly (readonly string[])[];
  readonly queries: readonly (readonly string[])[];
  /** Judged training pairs: query tokens, title tokens, weight in [0, 1]. */
  readonly pairs: readonly { readonly query: readonly string[]; readonly title: readonly string[]; readonly weight: number }[];
}

export interface WordEmbeddingState {
  readonly dim: number;
  readonly vocab: readonly string[];
  /** Float32 little-endian vectors, vocab order, base64. */
  readonly vectors: string;
}

export class WordEmbeddings {
  private readonly index: Map<string, number>;
  private constructor(
    readonly vocab: readonly string[],
    readonly dim: number,
    /** Unit-length rows, vocab order. */
    readonly vectors: Float32Array,
  ) {
    this.index = new Map(vocab.map((w, i) => [w, i]));
  }

  static fit(corpus: EmbeddingCorpus, params: WordEmbeddingParams, rng: Rng): WordEmbeddings {
    const counts = new Map<string, number>();
    const bump = (ts: readonly string[]): void => {
      for (const t of ts) counts.set(t, (counts.get(t) ?? 0) + 1);
    };
    corpus.titles.forEach(bump);
    corpus.queries.forEach(bump);
    const vocab = [...counts.entries()]
      .filter(([, c]) => c >= params.minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, params.maxVocab)
      .map(([w]) => w);
    const V = vocab.length;
    const dim = Math.min(params.dim, Math.max(0, V - 1));
    if (V < 2 || dim < 1) return new WordEmbeddings(vocab, Math.max(dim, 0), new Float32Array(0));
    const id = new Map(vocab.map((w, i) => [w, i]));
    const co = new Map<number, number>();
    const add = (a: number, b: number, w: number): void => {
      if (a === b) return;
      const key = a < b ? a * V + b : b * V + a;
      co.set(key, (co.get(key) ?? 0) + w);
    };
    const ids = (ts: readonly string[]): number[] => ts.map((t) => id.get(t) ?? -1).filter((i) => i >= 0);
    for (const title of corpus.titles) {
      const x = ids(title);
      for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length && j - i <= params.window; j++) add(x[i]!, x[j]!, 1);
    }
    for (const q of corpus.queries) {
      const x = ids(q);
      for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) add(x[i]!, x[j]!, 1);
    }
    for (const p of corpus.pairs) {
      if (!(p.weight > 0)) continue;
      const qx = ids(p.query);
      const tx = ids(p.title);
      for (const a of qx) for (const b of tx) add(a, b, p.weight);
    }
    // Symmetric sparse PPMI in CSR (entries sorted by key, so the build order is fixed).
    const keys = Float64Array.from(co.keys()).sort();
    const rowSum = new Float64Array(V);
    for (const k of keys) {
      const c = co.get(k)!;
      rowSum[Math.floor(k / V)]! += c;
      rowSum[k % V]! += c;
    }
    let total = 0;
    let smoothTotal = 0;
    for (let a = 0; a < V; a++) {
      total += rowSum[a]!;
      smoothTotal += rowSum[a]! ** 0.75;
    }
    const smooth = Float64Array.from(rowSum, (c) => c ** 0.75 / smoothTotal);
    const rowCount = new Int32Array(V + 1);
    const entries: { a: number; b: number; v: number }[] = [];
    for (const k of keys) {
      const a = Math.floor(k / V);
      const b = k % V;
      // total counts each co-occurrence twice (both rows), so p_ab = 2c / total.
      const pmi = Math.log((2 * co.get(k)!) / total / (smooth[a]! * smooth[b]!));
      if (pmi > 0) {
        entries.push({ a, b, v: pmi });
        rowCount[a + 1]!++;
        rowCount[b + 1]!++;
      }
    }
    for (let a = 0; a < V; a++) rowCount[a + 1]! += rowCount[a]!;
    const col = new Int32Array(rowCount[V]!);
    const val = new Float64Array(rowCount[V]!);
    const fill = rowCount.slice(0, V);
    for (const { a, b, v } of entries) {
      col[fill[a]!] = b;
      val[fill[a]!++] = v;
      col[fill[b]!] = a;
      val[fill[b]!++] = v;
    }
    const multiply = (Q: Float64Array, k: number, out: Float64Array): void => {
      out.fill(0);
      for (let a = 0; a < V; a++) {
        for (let e = rowCount[a]!; e < rowCount[a + 1]!; e++) {
          const v = val[e]!;
          const qb = col[e]! * k;
          for (let c = 0; c < k; c++) out[a * k + c]! += v * Q[qb + c]!;
        }
      }
    };
    const k = Math.min(V, dim + 8);
    let Q = new Float64Array(V * k);
    const init = rng.split('svd-init');
    for (let i = 0; i < Q.length; i++) Q[i] = init.normal();
    orthonormalizeColumns(Q, V, k);
    let Y = new Float64Array(V * k);
    for (let it = 0; it < params.iterations; it++) {
      multiply(Q, k, Y);
      orthonormalizeColumns(Y, V, k);
      [Q, Y] = [Y, Q];
    }
    multiply(Q, k, Y);
    // B = Qᵀ M Q (k × k, symmetric).
    const B = new Float64Array(k * k);
    for (let a = 0; a < V; a++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) B[i * k + j]! += Q[a * k + i]! * Y[a * k + j]!;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) B[i * k + j] = B[j * k + i] = (B[i * k + j]! + B[j * k + i]!) / 2;
    const { values, vectors } = jacobiEigen(B, k);
    const pick = Array.from({ length: k }, (_, i) => i).sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!) || a - b).slice(0, dim);
    const out = new Float32Array(V * dim);
    for (let a = 0; a < V; a++) {
      let norm = 0;
      const row = new Float64Array(dim);
      pick.forEach((e, c) => {
        let s = 0;
        for (let i = 0; i < k; i++) s += Q[a * k + i]! * vectors[i * k + e]!;
        row[c] = s * Math.sqrt(Math.abs(values[e]!));
        norm += row[c]! ** 2;
      });
      norm = Math.sqrt(norm);
      for (let c = 0; c < dim; c++) out[a * dim + c] = norm > 0 ? row[c]! / norm : 0;
    }
    return new WordEmbeddings(vocab, dim, out);
  }

  /** The unit vector of a token, or undefined when it is out of vocabulary. */
  vector(token: string): Float32Array | undefined {
    const i = this.index.get(token);
    return i === undefined || this.dim === 0 ? undefined : this.vectors.subarray(i * this.dim, (i + 1) * this.dim);
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  /** The normalised mean of the tokens' vectors, or undefined when none is in vocabulary. */
  textVector(tokens: readonly string[]): Float64Array | undefined {
    const s = new Float64Array(this.dim);
    let any = false;
    for (const t of tokens) {
      const v = this.vector(t);
      if (!v) continue;
      any = true;
      for (let c = 0; c < this.dim; c++) s[c]! += v[c]!;
    }
    if (!any) return undefined;
    let norm = 0;
    for (let c = 0; c < this.dim; c++) norm += s[c]! ** 2;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let c = 0; c < this.dim; c++) s[c]! /= norm;
    return s;
  }

  get state(): WordEmbeddingState {
    return { dim: this.dim, vocab: this.vocab, vectors: Buffer.from(this.vectors.buffer, this.vectors.byteOffset, this.vectors.byteLength).toString('base64') };
  }

  static fromState(state: WordEmbeddingState): WordEmbeddings {
    if (!state || !Array.isArray(state.vocab) || !Number.isInteger(state.dim) || typeof state.vectors !== 'string') throw new ModelStateError('word embeddings: malformed saved state');
    const bytes = Buffer.from(state.vectors, 'base64');
    const expected = state.vocab.length * state.dim * 4;
    if (bytes.length !== expected && !(state.dim === 0 || bytes.length === 0)) throw new ModelStateError(`word embeddings: ${bytes.length} bytes of vectors, expected ${expected}`);
    const vectors = new Float32Array(bytes.length / 4);
    for (let i = 0; i < vectors.length; i++) vectors[i] = bytes.readFloatLE(i * 4);
    return new WordEmbeddings(state.vocab, state.dim, vectors);
  }
}

/** Modified Gram–Schmidt on the k columns of a row-major n × k matrix (a zero column stays zero). */
function orthonormalizeColumns(M: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += M[i * k + j]! * M[i * k + p]!;
      for (let i = 0; i < n; i++) M[i * k + j]! -= dot * M[i * k + p]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += M[i * k + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) M[i * k + j] = norm > 1e-300 ? M[i * k + j]! / norm : 0;
  }
}

/** Eigenpairs of a small symmetric matrix by cyclic Jacobi rotations; vectors are columns. */
export function jacobiEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = A.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < n; r++) {
          const arp = a[r * n + p]!;
          const arq = a[r * n + q]!;
          a[r * n + p] = c * arp - s * arq;
          a[r * n + q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p * n + r]!;
          const aqr = a[q * n + r]!;
          a[p * n + r] = c * apr - s * aqr;
          a[q * n + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p]!;
          const vrq = v[r * n + q]!;
          v[r * n + p] = c * vrp - s * vrq;
          v[r * n + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}
