import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelToken, InterruptedError, ModelStateError, Rng } from '../../../src/core/index.ts';
import { normalParameter } from '../../../src/nn/index.ts';
import type { Product, QueryGroup } from '../../../src/data/search/types.ts';
import { evaluateSearch, searchNdcgAtK } from '../../../src/eval/search.ts';
import { KnrmRanker } from '../../../src/models/search/index.ts';
import { kernelCentres, type KnrmNet, type PairRow, poolKernels, poolKernelsBackward, subwordRows, TokenTable } from '../../../src/models/search/knrm.ts';
import { buildMlp } from '../../../src/models/search/neural.ts';

test('knrm kernel pooling: the hand-written backward matches finite differences for word and subword weights', () => {
  const rng = new Rng(7);
  const dim = 5;
  const buckets = 31;
  const words = normalParameter('w', [3, dim], 0.5, rng.split('w'));
  const grams = normalParameter('g', [buckets, dim], 0.5, rng.split('g'));
  const net: KnrmNet = { words, grams, head: buildMlp(2, [], rng.split('h')) };
  const vocab = new Map([['drill', 0], ['cordless', 1], ['saw', 2]]);
  const rowsOf = (t: string) => subwordRows(t, 3, 4, buckets);
  const { mu, sigma } = kernelCentres(5, 0.3, 0.001);
  const texts = [
    { q: ['cordless', 'dril'], t: ['acme', 'cordless', 'drill', 'kit'] },
    { q: ['cordless', 'dril'], t: ['saw', 'blade'] },
  ];
  const upstream = Float32Array.from({ length: texts.length * mu.length }, (_, i) => Math.sin(i + 1));
  const lossAt = (): number => {
    const table = new TokenTable(dim, vocab, net, rowsOf);
    const rows: PairRow[] = texts.map((x) => ({ q: table.idsOf(x.q), t: table.idsOf(x.t) }));
    table.compute();
    const phi = poolKernels(rows, table, mu, sigma);
    return phi.reduce((s, v, i) => s + v * upstream[i]!, 0);
  };
  words.grad = new Float32Array(words.size);
  grams.grad = new Float32Array(grams.size);
  const table = new TokenTable(dim, vocab, net, rowsOf);
  const rows: PairRow[] = texts.map((x) => ({ q: table.idsOf(x.q), t: table.idsOf(x.t) }));
  table.compute();
  poolKernelsBackward(rows, table, mu, sigma, upstream);
  table.scatter();
  const check = (p: typeof words, i: number): void => {
    const h = 1e-3;
    const v = p.data[i]!;
    p.data[i] = v + h;
    const up = lossAt();
    p.data[i] = v - h;
    const down = lossAt();
    p.data[i] = v;
    const numeric = (up - down) / (2 * h);
    assert.ok(Math.abs(numeric - p.grad![i]!) < 2e-3 + 0.02 * Math.abs(numeric), `${p.name}[${i}]: numeric ${numeric}, analytic ${p.grad![i]}`);
  };
  let nonzero = 0;
  for (let i = 0; i < words.size; i++) {
    check(words, i);
    if (words.grad[i] !== 0) nonzero++;
  }
  for (const r of rowsOf('dril')) for (let c = 0; c < dim; c++) check(grams, r * dim + c);
  assert.ok(nonzero > 0, 'some word gradient is non-zero');
});

/**
 * A planted vocabulary gap. Queries are "<modifier> <head>"; a product with both words is highly
 * relevant (3), one with the head only fairly (2.33), one with the modifier but another head not
 * (1). Test queries name the head by a planted synonym that no title contains (or by a misspelling
 * of it), so a ranker that only matches equal words cannot tell the 2.33 products from the 1s;
 * the augmented training set adds each training query once more with the synonym (or a
 * misspelling) in place of the head, same products, same labels.
 */
const HEADS = ['drill', 'saw', 'hammer', 'faucet', 'lamp', 'shelf'];
const SYNONYM: Readonly<Record<string, string>> = { drill: 'auger', saw: 'cutter', hammer: 'mallet', faucet: 'spigot', lamp: 'luminaire', shelf: 'rack' };
const FILLER = ['kit', 'set', 'pro', 'black', 'steel', 'case', 'white', 'heavy', 'duty', 'pack'];

interface Planted {
  products: Map<string, Product>;
  train: QueryGroup[];
  valid: QueryGroup[];
  synonymTest: QueryGroup[];
  typoTest: QueryGroup[];
  augmented: (kind: 'synonym' | 'typo', rng: Rng) => QueryGroup[];
}

function misspell(word: string, rng: Rng): string {
  const i = 1 + rng.int(word.length - 2);
  return rng.next() < 0.5 ? word.slice(0, i) + word.slice(i + 1) : word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

function plantedVocabularyGap(seed: number): Planted {
  const rng = new Rng(seed);
  const products = new Map<string, Product>();
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const mods = Array.from({ length: 90 }, (_, i) => `m${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}q`);
  const product = (words: string[]): string => {
    const id = `p${products.size + 1}`;
    products.set(id, { id, title: [`brand${rng.int(8)}`, ...words, ...Array.from({ length: 1 + rng.int(3) }, () => pick(FILLER))].join(' ') });
    return id;
  };
  const group = (mod: string, head: string, queryHead: string): QueryGroup => {
    const ids: string[] = [];
    const labels: number[] = [];
    for (let k = 0; k < 2; k++) ids.push(product([mod, head])), labels.push(3);
    for (let k = 0; k < 2; k++) ids.push(product([pick(mods.filter((m) => m !== mod)), head])), labels.push(2.33);
    for (let k = 0; k < 3; k++) ids.push(product([mod, pick(HEADS.filter((h) => h !== head))])), labels.push(1);
    const order = Int32Array.from({ length: ids.length }, (_, i) => i);
    rng.shuffle(order);
    const query = `${mod} ${queryHead}`;
    return { query, key: query, productIds: Array.from(order, (i) => ids[i]!), labels: Float64Array.from(order, (i) => labels[i]!) };
  };
  const heads = mods.map((_, i) => HEADS[i % HEADS.length]!);
  const train = mods.slice(0, 36).map((m, i) => group(m, heads[i]!, heads[i]!));
  const valid = mods.slice(36, 50).map((m, i) => group(m, heads[36 + i]!, heads[36 + i]!));
  const synonymTest = mods.slice(50, 70).map((m, i) => group(m, heads[50 + i]!, SYNONYM[heads[50 + i]!]!));
  const typoTest = mods.slice(70, 90).map((m, i) => group(m, heads[70 + i]!, misspell(heads[70 + i]!, rng)));
  const augmented = (kind: 'synonym' | 'typo', arng: Rng): QueryGroup[] =>
    train.flatMap((g) => {
      const [mod, head] = g.query.split(' ') as [string, string];
      const variants = kind === 'synonym' ? [SYNONYM[head]!] : [misspell(head, arng), misspell(head, arng)];
      return [g, ...variants.map((v) => ({ ...g, query: `${mod} ${v}`, key: `${mod} ${v}` }))];
    });
  return { products, train, valid, synonymTest, typoTest, augmented };
}

const SMALL_KNRM = { withFeatures: false, hidden: [8], epochs: 40, patience: 8, batchGroups: 8, embeddingLr: 0.01, subwordBuckets: 4096, features: { embeddingDim: 8, embeddingIterations: 4 } };

async function testNdcg(train: readonly QueryGroup[], data: Planted, test: readonly QueryGroup[], seed: number): Promise<{ ndcg: number; scores: Float64Array[] }> {
  const ranker = new KnrmRanker(SMALL_KNRM);
  await ranker.fit({ train, valid: data.valid, products: data.products, labelScale: { min: 1, max: 3 }, seed });
  const scores = test.map((g) => ranker.score(g, data.products));
  return { ndcg: evaluateSearch(test, scores, { min: 1, max: 3 }, [searchNdcgAtK(10)]).means['NDCG@10']!, scores };
}

test('knrm: training on synonym-augmented queries teaches it a synonym no title contains (better than without)', async () => {
  const data = plantedVocabularyGap(5);
  const plain = await testNdcg(data.train, data, data.synonymTest, 1);
  const augmented = await testNdcg(data.augmented('synonym', new Rng(9)), data, data.synonymTest, 1);
  assert.ok(augmented.ndcg > plain.ndcg + 0.03, `NDCG@10 with synonym augmentation ${augmented.ndcg.toFixed(4)} vs without ${plain.ndcg.toFixed(4)}`);
});

test('knrm: typo-augmented training ranks misspelled test queries better; same seed ⇒ identical scores', async () => {
  const data = plantedVocabularyGap(5);
  const plain = await testNdcg(data.train, data, data.typoTest, 1);
  const train = data.augmented('typo', new Rng(9));
  const augmented = await testNdcg(train, data, data.typoTest, 1);
  assert.ok(augmented.ndcg > plain.ndcg + 0.03, `NDCG@10 with typo augmentation ${augmented.ndcg.toFixed(4)} vs without ${plain.ndcg.toFixed(4)}`);
  const again = await testNdcg(train, data, data.typoTest, 1);
  assert.deepEqual(again.scores.map((s) => Buffer.from(s.buffer).toString('hex')), augmented.scores.map((s) => Buffer.from(s.buffer).toString('hex')));
});

test('knrm: a fit that finds a shorter run\u2019s checkpoint resumes and ends with the scores of an uninterrupted fit; a cancelled fit leaves it unfitted', async () => {
  const data = plantedVocabularyGap(3);
  const tmp = mkdtempSync(join(tmpdir(), 'samplify-search-knrm-'));
  try {
    const config = { hidden: [8], batchGroups: 8, patience: 10, subwordBuckets: 512, features: { embeddingDim: 4, embeddingIterations: 3 } };
    const fit = async (epochs: number, checkpointDir?: string) => {
      const r = new KnrmRanker({ ...config, epochs });
      await r.fit({ train: data.train, valid: data.valid, products: data.products, labelScale: { min: 1, max: 3 }, seed: 2, ...(checkpointDir ? { checkpointDir } : {}) });
      return data.synonymTest.map((g) => Array.from(r.score(g, data.products)));
    };
    await fit(2, tmp);
    const resumed = await fit(4, tmp);
    assert.deepEqual(resumed, await fit(4));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const cancel = new CancelToken();
  cancel.cancel();
  const r = new KnrmRanker({ epochs: 2, subwordBuckets: 64, features: { embeddingDim: 4 } });
  await assert.rejects(r.fit({ train: data.train, valid: data.valid, products: data.products, labelScale: { min: 1, max: 3 }, seed: 1, cancel }), InterruptedError);
  assert.throws(() => r.score(data.synonymTest[0]!, data.products), ModelStateError);
});
