import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { DataValidationError } from '../../../src/core/errors.ts';
import {
  groupQueries,
  inDistributionSplit,
  loadSearchSplit,
  normalizeQuery,
  querySplit,
  saveSearchSplit,
  splitCatalogue,
  type Product,
  type QueryGroup,
  type SearchDataset,
  type SearchJudgement,
  type SearchSplit,
} from '../../../src/data/index.ts';
import { assertNoTemp, tempDir } from '../helpers.ts';

/** Query spellings that normalisation must merge: case, inner/outer spaces, edge punctuation, full-width letters. */
const spellingArb = fc.tuple(fc.constantFrom('drill', 'deck over', 'l bracket', 'toilet seat', 'led lights', 'wine rack', 'saw', 'paint', 'tile', 'rug', 'fan', 'lamp'), fc.nat(5)).map(([q, v]) => {
  switch (v) {
    case 0:
      return q;
    case 1:
      return q.toUpperCase();
    case 2:
      return `  ${q.replace(' ', '   ')} `;
    case 3:
      return `${q}?!`;
    case 4:
      return `"${q}"`;
    default:
      return [...q].map((c) => (c >= 'a' && c <= 'z' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
  }
});

/** A dataset of judgements with unique (key, product) pairs, as the readers produce. */
const datasetArb = fc.array(fc.tuple(spellingArb, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 120 }).map((rows) => {
  const seen = new Set<string>();
  const judgements: SearchJudgement[] = [];
  const products = new Map<string, Product>();
  rows.forEach(([query, p, label], i) => {
    const productId = `p${p}`;
    const k = normalizeQuery(query) + '|' + productId;
    if (seen.has(k)) return;
    seen.add(k);
    judgements.push({ query, productId, label, line: i + 2 });
    products.set(productId, { id: productId, title: `Product ${p}` });
  });
  return dataset(judgements, products);
});

function dataset(judgements: SearchJudgement[], products: Map<string, Product>): SearchDataset {
  return {
    name: 'gen',
    products,
    judgements,
    labelScale: { min: 1, max: 3 },
    report: { file: 'gen.csv', rowsIn: judgements.length, rowsKept: judgements.length, rowsRejected: 0, rejectedByCode: {}, sample: [] },
  };
}

const pairsOf = (groups: readonly QueryGroup[]): string[] => groups.flatMap((g) => g.productIds.map((p, i) => `${g.key}|${p}|${g.labels[i]}`)).sort();
const keysOf = (s: SearchSplit): string[][] => [s.train, s.valid, s.test].map((p) => p.map((g) => g.key));

/** A split with enough queries for every part (the property runs skip smaller ones). */
function trySplit(d: SearchDataset, seed: number): SearchSplit | undefined {
  try {
    return querySplit(d, { seed });
  } catch (e) {
    if (e instanceof DataValidationError && /too few queries/.test(e.message)) return undefined;
    throw e;
  }
}

describe('normalizeQuery', () => {
  it('is idempotent on any Unicode text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        const k = normalizeQuery(s);
        assert.equal(normalizeQuery(k), k);
      }),
      { numRuns: 500 },
    );
  });

  it('is exactly NFKC + lower case + collapsed whitespace + edge punctuation removed', () => {
    assert.equal(normalizeQuery('  Angle\u00a0 BRACKET!! '), 'angle bracket');
    assert.equal(normalizeQuery('"1/2 in."'), '1/2 in');
    assert.equal(normalizeQuery('ｄｒｉｌｌ'), 'drill');
    assert.equal(normalizeQuery('c++'), 'c++');
    assert.equal(normalizeQuery('#8 screws'), '8 screws');
    assert.equal(normalizeQuery('?!'), '');
    assert.equal(normalizeQuery('مصباح LED'), 'مصباح led');
    assert.equal(normalizeQuery('🎄 lights'), '🎄 lights');
  });
});

describe('groupQueries', () => {
  it('groups by normalised key in first-appearance order, keeping the first spelling', () => {
    const products = new Map<string, Product>([['a', { id: 'a', title: 'A' }], ['b', { id: 'b', title: 'B' }]]);
    const g = groupQueries(
      dataset(
        [
          { query: 'Deck Over', productId: 'a', label: 3, line: 2 },
          { query: 'saw', productId: 'a', label: 1, line: 3 },
          { query: 'deck  over!', productId: 'b', label: 2, line: 4 },
        ],
        products,
      ).judgements,
    );
    assert.deepEqual(
      g.map((x) => [x.key, x.query, x.productIds, Array.from(x.labels)]),
      [
        ['deck over', 'Deck Over', ['a', 'b'], [3, 2]],
        ['saw', 'saw', ['a'], [1]],
      ],
    );
  });

  it('a product judged twice under one key is an error naming the lines', () => {
    assert.throws(
      () =>
        groupQueries([
          { query: 'saw', productId: 'a', label: 1, line: 2 },
          { query: 'SAW', productId: 'a', label: 2, line: 5 },
        ]),
      (e: unknown) => e instanceof DataValidationError && /lines 2 and 5/.test(e.message),
    );
  });
});

describe('querySplit (property)', () => {
  it('is query-disjoint after normalisation, covers every group exactly once, and is deterministic by seed', () => {
    fc.assert(
      fc.property(datasetArb, fc.nat(1000), (d, seed) => {
        const s = trySplit(d, seed);
        if (s === undefined) return;
        const groups = groupQueries(d.judgements);
        // Every group exactly once, with all its rows.
        assert.deepEqual(pairsOf([...s.train, ...s.valid, ...s.test]), pairsOf(groups));
        const [train, valid, test] = keysOf(s).map((k) => new Set(k));
        assert.equal(train!.size + valid!.size + test!.size, groups.length);
        // No test or validation query is reachable from training, whichever spelling is looked at.
        for (const g of s.train) {
          assert.ok(!test!.has(normalizeQuery(g.query)) && !valid!.has(normalizeQuery(g.query)));
          assert.equal(normalizeQuery(g.query), g.key);
        }
        for (const j of d.judgements) {
          const k = normalizeQuery(j.query);
          assert.equal(Number(train!.has(k)) + Number(valid!.has(k)) + Number(test!.has(k)), 1);
        }
        // Same seed ⇒ the same split; row order does not matter.
        assert.deepEqual(keysOf(querySplit(d, { seed })), keysOf(s));
        const reversed = dataset([...d.judgements].reverse(), d.products as Map<string, Product>);
        assert.deepEqual(keysOf(querySplit(reversed, { seed })).map((k) => k.sort()), keysOf(s).map((k) => [...k].sort()));
        // Sizes follow the fractions (largest remainder).
        const n = groups.length;
        assert.ok(Math.abs(s.train.length - 0.8 * n) < 1 && Math.abs(s.valid.length - 0.1 * n) < 1 && Math.abs(s.test.length - 0.1 * n) < 1);
        assert.equal(s.kind, 'query-disjoint');
      }),
      { numRuns: 150 },
    );
  });

  it('different seeds give different splits (on enough queries)', () => {
    const judgements: SearchJudgement[] = Array.from({ length: 200 }, (_, i) => ({ query: `query ${i}`, productId: `p${i % 17}`, label: 1 + (i % 3), line: i + 2 }));
    const products = new Map(Array.from({ length: 17 }, (_, i) => [`p${i}`, { id: `p${i}`, title: `P ${i}` }] as const));
    const d = dataset(judgements, products);
    assert.notDeepEqual(keysOf(querySplit(d, { seed: 0 })), keysOf(querySplit(d, { seed: 1 })));
    const custom = querySplit(d, { seed: 0, fractions: { train: 0.5, valid: 0.25, test: 0.25 } });
    assert.deepEqual([custom.train.length, custom.valid.length, custom.test.length], [100, 50, 50]);
    assert.throws(() => querySplit(d, { seed: 0, fractions: { train: 0.5, valid: 0.5, test: 0.5 } }), RangeError);
    const cat = splitCatalogue(querySplit(d, { seed: 0 }));
    for (const g of querySplit(d, { seed: 0 }).test) for (const p of g.productIds) assert.ok(cat.test.has(p));
  });

  it('too few queries for a part is a DataValidationError', () => {
    const d = dataset([{ query: 'saw', productId: 'a', label: 1, line: 2 }], new Map([['a', { id: 'a', title: 'A' }]]));
    assert.throws(() => querySplit(d, { seed: 0 }), DataValidationError);
    assert.equal(querySplit(d, { seed: 0, fractions: { train: 1, valid: 0, test: 0 } }).train.length, 1);
  });
});

describe('inDistributionSplit (property)', () => {
  it('puts every row in exactly one part, stratified per query, deterministically', () => {
    fc.assert(
      fc.property(datasetArb, fc.nat(1000), (d, seed) => {
        const s = inDistributionSplit(d, { seed });
        const groups = groupQueries(d.judgements);
        assert.deepEqual(pairsOf([...s.train, ...s.valid, ...s.test]), pairsOf(groups));
        assert.equal(s.kind, 'in-distribution');
        const count = (part: readonly QueryGroup[], key: string): number => part.find((g) => g.key === key)?.productIds.length ?? 0;
        for (const g of groups) {
          const n = g.productIds.length;
          assert.ok(Math.abs(count(s.train, g.key) - 0.8 * n) <= 1, 'train share within one row');
          assert.ok(Math.abs(count(s.valid, g.key) - 0.1 * n) <= 1 && Math.abs(count(s.test, g.key) - 0.1 * n) <= 1);
        }
        assert.deepEqual(inDistributionSplit(d, { seed }), s);
      }),
      { numRuns: 100 },
    );
  });
});

describe('saveSearchSplit / loadSearchSplit', () => {
  it('round-trips, writes atomically, and refuses other data', () => {
    const t = tempDir();
    try {
      const judgements: SearchJudgement[] = Array.from({ length: 60 }, (_, i) => ({ query: `Query ${i % 25}`, productId: `p${i}`, label: 1 + (i % 3), line: i + 2 }));
      const products = new Map(judgements.map((j) => [j.productId, { id: j.productId, title: `Title ${j.productId}` }] as const));
      const d = dataset(judgements, products);
      const s = querySplit(d, { seed: 7 });
      const path = t.path('splits/hd.json');
      saveSearchSplit(path, s);
      assertNoTemp(t.path('splits'));
      // Same seed ⇒ byte-identical file.
      saveSearchSplit(t.path('again.json'), querySplit(d, { seed: 7 }));
      assert.equal(readFileSync(t.path('again.json'), 'utf-8'), readFileSync(path, 'utf-8'));
      const loaded = loadSearchSplit(path, d);
      assert.deepEqual(loaded, s);
      // Same data in another row order: same fingerprint, same split.
      assert.deepEqual(
        keysOf(loadSearchSplit(path, dataset([...judgements].reverse(), products))).map((k) => k.sort()),
        keysOf(s).map((k) => [...k].sort()),
      );
      // Other data: a label changed, a title changed, a row dropped.
      const relabelled = dataset(
        judgements.map((j, i) => (i === 3 ? { ...j, label: 3.5 } : j)),
        products,
      );
      assert.throws(() => loadSearchSplit(path, relabelled), (e: unknown) => e instanceof DataValidationError && e.location.file === path && /different data/.test(e.message));
      const retitled = new Map<string, Product>(products);
      retitled.set('p0', { id: 'p0', title: 'Other' });
      assert.throws(() => loadSearchSplit(path, dataset(judgements, retitled)), DataValidationError);
      assert.throws(() => loadSearchSplit(path, dataset(judgements.slice(1), products)), DataValidationError);
      // Not a split file / missing file.
      writeFileSync(t.path('bad.json'), '{"format":"other"}');
      assert.throws(() => loadSearchSplit(t.path('bad.json'), d), (e: unknown) => e instanceof DataValidationError && /not a search split file/.test(e.message));
      assert.throws(() => loadSearchSplit(t.path('none.json'), d), (e: unknown) => e instanceof DataValidationError && /not found/.test(e.message));
      assert.throws(() => saveSearchSplit(t.path('x.json'), inDistributionSplit(d, { seed: 1 })), RangeError);
    } finally {
      t.cleanup();
    }
  });
});
