/**
 * Mixed-type record distance and exact nearest-neighbour search for the privacy report.
 *
 * Distance (Gower): the mean over columns of a per-column distance in [0, 1] — numerical and
 * datetime columns |a − b| / range of the training column (capped at 1), categorical, boolean and
 * id columns 0 when equal and 1 otherwise; a missing value matches only a missing value.
 *
 * Search is exact, without the quadratic scan in the common case. Per query: rows that share a
 * value of a high-cardinality column (ids and the like; found through posting lists) are scored
 * first, which usually finds a close row at once. Two-valued columns are bit-packed, so a
 * row's mismatch count on them is one popcount, and every row's scoring stops as soon as its
 * partial sum reaches the best distance so far. Every other row mismatches on all of those
 * columns, so its distance is at least (their count + the gap on one sorted numeric column); the
 * scan outward from the query's position in that sorted column stops as soon as this bound
 * reaches the best distance found. Every row is either scored or provably no closer.
 */
import type { Table, TableMetadata } from '../../data/table.ts';
import { CategoryCoder, isNumericType, numericValues, reportColumns, type ReportColumn } from '../quality/columns.ts';

/** Columns with at least this many distinct reference values get posting lists. */
const POSTING_MIN_LEVELS = 32;

export interface EncodedRecords {
  readonly n: number;
  /** Per numeric column: value / training range (NaN = missing). */
  readonly numeric: readonly Float64Array[];
  /** Per categorical-like column: codes shared across every table encoded by the same space. */
  readonly categorical: readonly Int32Array[];
}

export interface DistanceSpace {
  readonly numericColumns: readonly string[];
  readonly categoricalColumns: readonly string[];
  /** Number of columns: distances are sums of per-column terms divided by this. */
  readonly width: number;
  encode(table: Table, label: string): EncodedRecords;
}

/** Ranges come from `train`; category codes are shared by every table later encoded with the space. */
export function fitDistanceSpace(train: Table, metadata: TableMetadata, columns?: readonly string[]): DistanceSpace {
  const cols = reportColumns(metadata, train, [], columns);
  const numericCols: ReportColumn[] = cols.filter((c) => isNumericType(c.meta.type));
  const catCols: ReportColumn[] = cols.filter((c) => !isNumericType(c.meta.type));
  const ranges = numericCols.map((c) => {
    const v = numericValues(train, c, 'training');
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < v.length; i++) {
      if (v[i]! < lo) lo = v[i]!;
      if (v[i]! > hi) hi = v[i]!;
    }
    return hi > lo ? hi - lo : 1;
  });
  const coders = catCols.map(() => new CategoryCoder());
  // Training values get the first codes, so code order does not depend on which table is encoded first after it.
  catCols.forEach((c, j) => coders[j]!.codes(train, c.name));
  return {
    numericColumns: numericCols.map((c) => c.name),
    categoricalColumns: catCols.map((c) => c.name),
    width: cols.length,
    encode(table: Table, label: string): EncodedRecords {
      const numeric = numericCols.map((c, j) => {
        const v = numericValues(table, c, label);
        const r = ranges[j]!;
        for (let i = 0; i < v.length; i++) v[i] = v[i]! / r;
        return v;
      });
      const categorical = catCols.map((c, j) => coders[j]!.codes(table, c.name));
      return { n: table.rowCount, numeric, categorical };
    },
  };
}

export interface NearestResult {
  /** Distance (in [0, 1]) of each query to its nearest reference record. */
  readonly distance: Float64Array;
  /** Index of that record (one of them when several are equally near). */
  readonly index: Int32Array;
  /** Full distance evaluations done (vs queries × references for a brute-force scan). */
  readonly evaluations: number;
}

/**
 * Exact nearest reference record for every query. `width` is the number of columns (the Gower
 * denominator); both sides must come from the same DistanceSpace.
 */
export function nearestRecords(queries: EncodedRecords, reference: EncodedRecords, width: number): NearestResult {
  const N = reference.n;
  const Q = queries.n;
  const distance = new Float64Array(Q);
  const index = new Int32Array(Q).fill(-1);
  if (N === 0 || width === 0) {
    distance.fill(N === 0 ? 1 : 0);
    return { distance, index, evaluations: 0 };
  }
  const nNum = reference.numeric.length;
  const nCat = reference.categorical.length;

  // High-cardinality categorical columns get CSR posting lists; two-valued ones are packed into
  // bit words (mismatches = popcount of xor); the rest are compared inline.
  const high: number[] = [];
  const packed: number[] = [];
  const low: number[] = [];
  for (let c = 0; c < nCat; c++) {
    const codes = reference.categorical[c]!;
    const distinct = new Set(codes);
    if (distinct.size >= POSTING_MIN_LEVELS) high.push(c);
    else if ([...distinct].every((v) => v === 0 || v === 1)) packed.push(c);
    else low.push(c);
  }
  const W = Math.ceil(packed.length / 32);
  const refBits = new Int32Array(N * W);
  packed.forEach((c, k) => {
    const codes = reference.categorical[c]!;
    const w = k >>> 5;
    const bit = 1 << (k & 31);
    for (let i = 0; i < N; i++) if (codes[i] === 1) refBits[i * W + w]! |= bit;
  });
  const qBits = new Int32Array(W);
  const qMask = new Int32Array(W);
  const H = high.length;
  const postings = high.map((c) => {
    const codes = reference.categorical[c]!;
    let max = 0;
    for (let i = 0; i < N; i++) if (codes[i]! > max) max = codes[i]!;
    const start = new Int32Array(max + 2);
    for (let i = 0; i < N; i++) start[codes[i]! + 1]!++;
    for (let k = 0; k <= max; k++) start[k + 1]! += start[k]!;
    const rows = new Int32Array(N);
    const fill = start.slice(0, max + 1);
    for (let i = 0; i < N; i++) rows[fill[codes[i]!]!++] = i;
    return { start, rows, max };
  });

  // Sort column: the numeric column with the widest spread prunes the most.
  let sortCol = -1;
  let bestSpread = -1;
  for (let j = 0; j < nNum; j++) {
    const v = reference.numeric[j]!;
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < N; i++) {
      const x = v[i]!;
      if (Number.isNaN(x)) continue;
      n++;
      const dlt = x - mean;
      mean += dlt / n;
      m2 += dlt * (x - mean);
    }
    const spread = n > 1 ? m2 / n : 0;
    if (spread > bestSpread) {
      bestSpread = spread;
      sortCol = j;
    }
  }
  // Rows are grouped by their packed two-valued columns: a whole group is skipped when its
  // popcount distance to the query already reaches the best. Inside a group, rows are sorted by
  // the sort column for the outward walk; rows missing that value are kept apart.
  const groupIndex = new Map<string, number>();
  const groupRows: number[][] = [];
  for (let i = 0; i < N; i++) {
    const key = W === 0 ? '' : refBits.subarray(i * W, i * W + W).join(',');
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = groupRows.length;
      groupIndex.set(key, g);
      groupRows.push([]);
    }
    groupRows[g]!.push(i);
  }
  const G = groupRows.length;
  const groupBits = new Int32Array(G * W);
  const groups = groupRows.map((rows, g) => {
    if (W > 0) groupBits.set(refBits.subarray(rows[0]! * W, rows[0]! * W + W), g * W);
    if (sortCol < 0) return { order: Int32Array.from(rows), sortedVals: new Float64Array(0), missing: new Int32Array(0) };
    const v = reference.numeric[sortCol]!;
    const present = rows.filter((i) => !Number.isNaN(v[i]!)).sort((x, y) => v[x]! - v[y]! || x - y);
    return { order: Int32Array.from(present), sortedVals: Float64Array.from(present, (i) => v[i]!), missing: Int32Array.from(rows.filter((i) => Number.isNaN(v[i]!))) };
  });
  const groupDist = new Int32Array(G);
  const maxPc = packed.length;
  const bucketStart = new Int32Array(maxPc + 2);
  const groupOrder = new Int32Array(G);

  const matches = new Uint8Array(N);
  const touched = new Int32Array(N);
  const refNum = reference.numeric;
  const refCat = reference.categorical;
  const qNumVals = new Float64Array(nNum);
  const qCatVals = new Int32Array(nCat);
  let evaluations = 0;

  for (let q = 0; q < Q; q++) {
    for (let j = 0; j < nNum; j++) qNumVals[j] = queries.numeric[j]![q]!;
    for (let c = 0; c < nCat; c++) qCatVals[c] = queries.categorical[c]![q]!;
    // A packed column whose query code is neither 0 nor 1 mismatches every reference row: a constant.
    qBits.fill(0);
    qMask.fill(0);
    let qConst = 0;
    for (let k = 0; k < packed.length; k++) {
      const v = qCatVals[packed[k]!]!;
      if (v === 0 || v === 1) {
        qMask[k >>> 5]! |= 1 << (k & 31);
        if (v === 1) qBits[k >>> 5]! |= 1 << (k & 31);
      } else qConst++;
    }
    let best = Infinity;
    let bestIdx = -1;
    // Distance of reference row t, abandoned (returns ≥ limit) once it cannot beat `limit`.
    const score = (t: number, limit: number): number => {
      evaluations++;
      let s = H - matches[t]! + qConst;
      if (s >= limit) return s;
      for (let w = 0; w < W; w++) s += popcount((refBits[t * W + w]! ^ qBits[w]!) & qMask[w]!);
      if (s >= limit) return s;
      for (let k = 0; k < low.length; k++) {
        const c = low[k]!;
        if (refCat[c]![t] !== qCatVals[c]) {
          s += 1;
          if (s >= limit) return s;
        }
      }
      for (let j = 0; j < nNum; j++) {
        const a = qNumVals[j]!;
        const b = refNum[j]![t]!;
        let diff = Math.abs(a - b);
        // NaN fails both comparisons: a missing value matches only a missing value.
        if (!(diff < 1)) diff = diff >= 1 ? 1 : Number.isNaN(a) && Number.isNaN(b) ? 0 : 1;
        s += diff;
        if (s >= limit) return s;
      }
      return s;
    };
    let nTouched = 0;
    for (let h = 0; h < H; h++) {
      const p = postings[h]!;
      const code = qCatVals[high[h]!]!;
      if (code < 0 || code > p.max) continue;
      for (let k = p.start[code]!; k < p.start[code + 1]!; k++) {
        const t = p.rows[k]!;
        if (matches[t] === 0) touched[nTouched++] = t;
        matches[t]!++;
      }
    }
    for (let k = 0; k < nTouched; k++) {
      const t = touched[k]!;
      const s = score(t, best);
      if (s < best) {
        best = s;
        bestIdx = t;
      }
    }
    // Untouched rows mismatch on all H high-cardinality columns.
    const consider = (t: number): void => {
      if (matches[t] !== 0) return;
      const s = score(t, best);
      if (s < best) {
        best = s;
        bestIdx = t;
      }
    };
    // Groups in increasing popcount distance (counting sort); untouched rows add H mismatches.
    bucketStart.fill(0);
    for (let g = 0; g < G; g++) {
      let pc = qConst;
      for (let w = 0; w < W; w++) pc += popcount((groupBits[g * W + w]! ^ qBits[w]!) & qMask[w]!);
      groupDist[g] = pc;
      bucketStart[pc - qConst + 1]!++;
    }
    for (let k = 0; k <= maxPc; k++) bucketStart[k + 1]! += bucketStart[k]!;
    for (let g = 0; g < G; g++) groupOrder[bucketStart[groupDist[g]! - qConst]!++] = g;
    const qv = sortCol >= 0 ? qNumVals[sortCol]! : Number.NaN;
    for (let k = 0; k < G; k++) {
      const g = groupOrder[k]!;
      const base = H + groupDist[g]!;
      if (base >= best) break;
      const grp = groups[g]!;
      if (sortCol < 0 || Number.isNaN(qv)) {
        for (let i = 0; i < grp.order.length; i++) consider(grp.order[i]!);
      } else {
        const vals = grp.sortedVals;
        let lo = 0;
        let hi = vals.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (vals[mid]! < qv) lo = mid + 1;
          else hi = mid;
        }
        // Walk both directions in order of the gap, so the bound tightens as fast as possible.
        let r = lo;
        let l = lo - 1;
        while (r < vals.length || l >= 0) {
          const gr = r < vals.length ? vals[r]! - qv : Infinity;
          const gl = l >= 0 ? qv - vals[l]! : Infinity;
          if (base + Math.min(1, Math.min(gr, gl)) >= best) break;
          if (gr <= gl) consider(grp.order[r++]!);
          else consider(grp.order[l--]!);
        }
      }
      // Rows missing the sort value: the sort column alone costs them 1 against a present query value.
      if (base + (Number.isNaN(qv) ? 0 : 1) < best) for (let i = 0; i < grp.missing.length; i++) consider(grp.missing[i]!);
    }
    for (let k = 0; k < nTouched; k++) matches[touched[k]!] = 0;
    distance[q] = best / width;
    index[q] = bestIdx;
  }
  return { distance, index, evaluations };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
