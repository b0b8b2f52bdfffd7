/**
 * Query groups and splits. The query-disjoint split is the protocol for "does it help on queries we
 * have never seen": every normalised query lands in exactly one part. The in-distribution split
 * spreads each query's rows over the parts (the Kaggle protocols), for orientation only.
 */
import { readFileSync } from 'node:fs';
import { DataValidationError } from '../../core/errors.ts';
import { fingerprintHash } from '../../core/fingerprint.ts';
import { writeJsonAtomic } from '../../core/fsutil.ts';
import { Rng } from '../../core/rng.ts';
import { normalizeQuery } from './text.ts';
import type { Product, QueryGroup, SearchDataset, SearchJudgement, SearchSplit } from './types.ts';

/**
 * Groups judgements by `normalizeQuery(query)`. Groups come in order of their key's first
 * appearance; products within a group in judgement order; the group's `query` is the first
 * spelling seen. A product judged twice under one key is a DataValidationError (the readers never
 * produce one: they merge or reject duplicates).
 */
export function groupQueries(judgements: readonly SearchJudgement[]): QueryGroup[] {
  const byKey = new Map<string, { query: string; productIds: string[]; labels: number[]; seen: Map<string, number> }>();
  for (const j of judgements) {
    const key = normalizeQuery(j.query);
    let g = byKey.get(key);
    if (g === undefined) byKey.set(key, (g = { query: j.query, productIds: [], labels: [], seen: new Map() }));
    const prev = g.seen.get(j.productId);
    if (prev !== undefined)
      throw new DataValidationError(`product '${j.productId}' is judged twice for query '${key}' (lines ${prev} and ${j.line}); merge duplicates before grouping`, { line: j.line, field: 'productId' });
    g.seen.set(j.productId, j.line);
    g.productIds.push(j.productId);
    g.labels.push(j.label);
  }
  return [...byKey].map(([key, g]) => ({ query: g.query, key, productIds: g.productIds, labels: Float64Array.from(g.labels) }));
}

export interface SplitFractions {
  readonly train: number;
  readonly valid: number;
  readonly test: number;
}

export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.8, valid: 0.1, test: 0.1 };

export interface QuerySplitOptions {
  readonly seed: number;
  readonly fractions?: SplitFractions;
}

function checkFractions(f: SplitFractions): void {
  const parts = [f.train, f.valid, f.test];
  if (parts.some((x) => !Number.isFinite(x) || x < 0) || Math.abs(parts.reduce((a, b) => a + b, 0) - 1) > 1e-9)
    throw new RangeError(`split fractions must be ≥ 0 and sum to 1, got train ${f.train}, valid ${f.valid}, test ${f.test}`);
}

/** Part sizes by largest remainder, so they sum to n exactly. */
function partSizes(n: number, f: SplitFractions): [number, number, number] {
  const want = [f.train * n, f.valid * n, f.test * n];
  const size = want.map(Math.floor) as [number, number, number];
  let left = n - size[0] - size[1] - size[2];
  const order = [0, 1, 2].sort((a, b) => want[b]! - size[b]! - (want[a]! - size[a]!) || a - b);
  for (const k of order) if (left > 0) size[k]!++, left--;
  return size;
}

/**
 * A query-disjoint split. Which part a query lands in depends only on the set of normalised keys
 * and the seed: keys are sorted, shuffled with `Rng(seed).split('query-split')`, and cut into parts
 * of sizes round(fraction × groups) (largest remainder). Within a part, groups keep the order of
 * `groupQueries`. A part with a positive fraction that would get no query is a DataValidationError.
 */
export function querySplit(dataset: SearchDataset, opts: QuerySplitOptions): SearchSplit {
  const fractions = opts.fractions ?? DEFAULT_SPLIT_FRACTIONS;
  checkFractions(fractions);
  const groups = groupQueries(dataset.judgements);
  const keys = groups.map((g) => g.key).sort();
  new Rng(opts.seed).split('query-split').shuffle(keys);
  const [nTrain, nValid] = partSizes(keys.length, fractions);
  const sizes = { train: nTrain, valid: nValid, test: keys.length - nTrain - nValid };
  for (const part of ['train', 'valid', 'test'] as const)
    if (fractions[part] > 0 && sizes[part] === 0) throw new DataValidationError(`too few queries (${keys.length}) for a ${part} part with fraction ${fractions[part]}`, { file: dataset.report.file });
  const partOf = new Map<string, 0 | 1 | 2>();
  keys.forEach((k, i) => partOf.set(k, i < nTrain ? 0 : i < nTrain + nValid ? 1 : 2));
  return assemble(dataset, groups, partOf, opts.seed, 'query-disjoint');
}

function assemble(dataset: SearchDataset, groups: readonly QueryGroup[], partOf: ReadonlyMap<string, 0 | 1 | 2>, seed: number, kind: 'query-disjoint'): SearchSplit {
  const parts: [QueryGroup[], QueryGroup[], QueryGroup[]] = [[], [], []];
  for (const g of groups) parts[partOf.get(g.key)!].push(g);
  return { train: parts[0], valid: parts[1], test: parts[2], products: dataset.products, labelScale: dataset.labelScale, seed, kind };
}

/**
 * An in-distribution split (rows of one query spread over the parts, stratified by query), for
 * placing a ranker next to the Kaggle numbers. For each group, its rows are shuffled with
 * `Rng(seed).split('in-distribution').split(key)` and row i of n goes to the part holding the point
 * (i + u) / n, u uniform in [0, 1) per group (systematic sampling): each query contributes its
 * fractions up to ±1 row, and a one-row query goes to a part with probability equal to its fraction.
 * Not query-disjoint: `kind` is 'in-distribution'.
 */
export function inDistributionSplit(dataset: SearchDataset, opts: QuerySplitOptions): SearchSplit {
  const fractions = opts.fractions ?? DEFAULT_SPLIT_FRACTIONS;
  checkFractions(fractions);
  const root = new Rng(opts.seed).split('in-distribution');
  const cut1 = fractions.train;
  const cut2 = fractions.train + fractions.valid;
  const parts: [QueryGroup[], QueryGroup[], QueryGroup[]] = [[], [], []];
  for (const g of groupQueries(dataset.judgements)) {
    const rng = root.split(g.key);
    const order = Array.from(g.productIds, (_, i) => i);
    rng.shuffle(order);
    const u = rng.next();
    const rows: [number[], number[], number[]] = [[], [], []];
    order.forEach((row, i) => {
      const x = (i + u) / order.length;
      rows[x < cut1 ? 0 : x < cut2 ? 1 : 2].push(row);
    });
    for (let p = 0; p < 3; p++) {
      const r = rows[p]!.sort((a, b) => a - b);
      if (r.length > 0) parts[p]!.push({ query: g.query, key: g.key, productIds: r.map((i) => g.productIds[i]!), labels: Float64Array.from(r, (i) => g.labels[i]!) });
    }
  }
  return { train: parts[0], valid: parts[1], test: parts[2], products: dataset.products, labelScale: dataset.labelScale, seed: opts.seed, kind: 'in-distribution' };
}

/** The catalogue view of a split: the products each part's groups reference. */
export interface SplitCatalogue {
  readonly train: ReadonlyMap<string, Product>;
  readonly valid: ReadonlyMap<string, Product>;
  readonly test: ReadonlyMap<string, Product>;
  /** Test products that are also judged in training (products repeat across queries; queries do not). */
  readonly testProductsSeenInTrain: number;
}

export function splitCatalogue(split: SearchSplit): SplitCatalogue {
  const view = (groups: readonly QueryGroup[]): Map<string, Product> => {
    const m = new Map<string, Product>();
    for (const g of groups)
      for (const id of g.productIds) {
        const p = split.products.get(id);
        if (p === undefined) throw new DataValidationError(`query '${g.key}' references product '${id}', which is not in the catalogue`, { field: 'productId' });
        m.set(id, p);
      }
    return m;
  };
  const train = view(split.train);
  const test = view(split.test);
  let seen = 0;
  for (const id of test.keys()) if (train.has(id)) seen++;
  return { train, valid: view(split.valid), test, testProductsSeenInTrain: seen };
}

// ---------------------------------------------------------------------------------------------
// Saving and loading a split

/**
 * What a split is made from, as one short hash: the label scale, every (key, product, label) and
 * every referenced product's text, in sorted order (so the order of the rows does not matter).
 */
export function searchDataFingerprint(groups: readonly QueryGroup[], products: ReadonlyMap<string, Product>, labelScale: { min: number; max: number }): string {
  const pairs = groups
    .map((g) => [g.key, Array.from(g.productIds, (id, i) => [id, g.labels[i]!] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const ids = [...new Set(groups.flatMap((g) => g.productIds))].sort();
  const text = ids.map((id) => {
    const p = products.get(id);
    return [id, p?.title ?? null, p?.description ?? null, p?.attributes ?? null];
  });
  return fingerprintHash({ labelScale: { min: labelScale.min, max: labelScale.max }, pairs, products: text });
}

const SPLIT_FILE_FORMAT = 'samplify-search-split';

interface SplitFile {
  format: typeof SPLIT_FILE_FORMAT;
  version: 1;
  kind: 'query-disjoint';
  seed: number;
  fingerprint: string;
  counts: { train: number; valid: number; test: number };
  keys: { train: string[]; valid: string[]; test: string[] };
}

/**
 * Writes a query-disjoint split as JSON (atomically): the normalised query keys of each part and
 * the fingerprint of the data it was made from. An in-distribution split is not saved this way (its
 * parts are rows, not queries): recreate it from its seed.
 */
export function saveSearchSplit(path: string, split: SearchSplit): void {
  if (split.kind === 'in-distribution') throw new RangeError('saveSearchSplit stores query-disjoint splits; an in-distribution split is recreated from its seed');
  const all = [...split.train, ...split.valid, ...split.test];
  const file: SplitFile = {
    format: SPLIT_FILE_FORMAT,
    version: 1,
    kind: 'query-disjoint',
    seed: split.seed,
    fingerprint: searchDataFingerprint(all, split.products, split.labelScale),
    counts: { train: split.train.length, valid: split.valid.length, test: split.test.length },
    keys: { train: split.train.map((g) => g.key), valid: split.valid.map((g) => g.key), test: split.test.map((g) => g.key) },
  };
  writeJsonAtomic(path, file);
}

/**
 * Reads a split saved by saveSearchSplit and rebuilds it on `dataset`. The dataset must be the data
 * the split was made from (same fingerprint): anything else is a DataValidationError naming the
 * split file, so a split is never silently applied to other data.
 */
export function loadSearchSplit(path: string, dataset: SearchDataset): SearchSplit {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf-8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataValidationError(code === 'ENOENT' ? 'split file not found' : `split file is not readable JSON (${code ?? (e as Error).message.split('\n')[0]})`, { file: path });
  }
  const f = parsed as Partial<SplitFile> | null;
  const isKeys = (x: unknown): x is string[] => Array.isArray(x) && x.every((k) => typeof k === 'string');
  if (f === null || typeof f !== 'object' || f.format !== SPLIT_FILE_FORMAT || f.version !== 1 || typeof f.fingerprint !== 'string' || typeof f.seed !== 'number' || !f.keys || !isKeys(f.keys.train) || !isKeys(f.keys.valid) || !isKeys(f.keys.test))
    throw new DataValidationError(`not a search split file (expected format '${SPLIT_FILE_FORMAT}' version 1 with keys.train/valid/test)`, { file: path });
  const groups = groupQueries(dataset.judgements);
  const fingerprint = searchDataFingerprint(groups, dataset.products, dataset.labelScale);
  if (fingerprint !== f.fingerprint)
    throw new DataValidationError(`the split was made from different data (split fingerprint ${f.fingerprint}, this data ${fingerprint}, ${groups.length} queries); recreate the split for this data`, {
      file: path,
      field: 'fingerprint',
    });
  const partOf = new Map<string, 0 | 1 | 2>();
  const parts = [f.keys.train, f.keys.valid, f.keys.test] as const;
  parts.forEach((keys, p) => {
    for (const k of keys) {
      if (partOf.has(k)) throw new DataValidationError(`query key '${k}' is in more than one part`, { file: path, field: 'keys' });
      partOf.set(k, p as 0 | 1 | 2);
    }
  });
  const missing = groups.find((g) => !partOf.has(g.key));
  if (missing !== undefined || partOf.size !== groups.length)
    throw new DataValidationError(`the split's keys do not cover this data's ${groups.length} queries exactly${missing ? ` (e.g. '${missing.key}' is in no part)` : ''}`, { file: path, field: 'keys' });
  return assemble(dataset, groups, partOf, f.seed, 'query-disjoint');
}
