/**
 * Title paraphrase on a real PriceRunner slice: (title → other offer title of the same product)
 * pairs, the embedded generator fitted on them, seeded paraphrases of titles of products it never
 * saw that stay about their own title (more word overlap with it than with other titles), counted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readProductTitles } from '../../src/data/search/index.ts';
import { normalizeText } from '../../src/llm/embedded/index.ts';
import { fitTitleParaphraser, paraphraseTitles, titleParaphrasePairs } from '../../src/llm/index.ts';
import { tempFolder } from '../temp-folders.ts';

const FILE = '../shared/data/pricerunner-products/pricerunner_aggregate.csv';

function words(t: string): Set<string> {
  return new Set(normalizeText(t).split(/[^\p{L}\p{N}]+/u).filter((w) => w !== ''));
}
function jaccard(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  let both = 0;
  for (const w of x) if (y.has(w)) both++;
  return both / Math.max(1, x.size + y.size - both);
}

test('title pairs: same cluster, distinct titles, bounded per cluster, seeded', () => {
  const titles = [
    { title: 'Apple iPhone 8 64GB', clusterId: 'a' },
    { title: 'apple iphone 8 64 gb silver', clusterId: 'a' },
    { title: 'iPhone 8 (64GB) grey', clusterId: 'a' },
    { title: 'Apple iPhone 8 64GB', clusterId: 'a' },
    { title: 'Bosch dishwasher SMS25', clusterId: 'b' },
    { title: '   ', clusterId: 'b' },
    { title: 'lonely offer', clusterId: 'c' },
  ];
  const pairs = titleParaphrasePairs(titles, 1, { maxPairsPerCluster: 4 });
  assert.equal(pairs.length, 4, 'cluster a: 6 ordered pairs cut to 4; b has one real title; c one offer');
  const clusterOf = new Map(titles.map((t) => [t.title, t.clusterId]));
  for (const p of pairs) {
    assert.notEqual(p.source, p.target);
    assert.equal(clusterOf.get(p.source), clusterOf.get(p.target));
  }
  assert.deepEqual(titleParaphrasePairs(titles, 1, { maxPairsPerCluster: 4 }), pairs);
  assert.equal(titleParaphrasePairs(titles, 1, { maxPairsPerCluster: 100 }).length, 6);
});

test('the embedded generator trained on PriceRunner offer pairs paraphrases unseen titles, seeded and counted', async () => {
  const set = await readProductTitles(FILE);
  const slice = set.titles.slice(0, 4000);
  // Clusters split by id: the model is fitted on some products and paraphrases titles of others.
  const heldOut = (c: string) => Number(c) % 5 === 0;
  const train = titleParaphrasePairs(slice.filter((t) => !heldOut(t.clusterId)), 0, { maxPairsPerCluster: 4 });
  const valid = titleParaphrasePairs(slice.filter((t) => heldOut(t.clusterId)), 0, { maxPairsPerCluster: 2 });
  assert.ok(train.length > 500 && valid.length > 50, `${train.length} training / ${valid.length} validation pairs`);
  const config = { vocabSize: 500, hidden: 32, blocks: 1, heads: 2, maxLen: 32, maxQueryTokens: 12, epochs: 2, patience: 2, batchSize: 128, lr: 0.005, maxPairs: 500, maxValidPairs: 60 };
  const { generator, report } = await fitTitleParaphraser({ pairs: train, validPairs: valid, config, seed: 0, outDir: join(tempFolder('samplify-paraphrase-'), 'model') });
  assert.ok(report.epochs[report.epochs.length - 1]!.loss < report.epochs[0]!.loss, 'the loss falls');

  const sources = [...new Set(valid.map((p) => p.source))].slice(0, 40);
  const r = await paraphraseTitles(generator, sources, { seed: 3, views: 2 });
  assert.equal(r.requested, 80);
  assert.equal(r.kept + Object.values(r.dropped).reduce((a, b) => a + (b ?? 0), 0), r.requested, 'every request kept or dropped with a reason');
  assert.ok(r.kept >= 40, `${r.kept} of 80 kept: ${JSON.stringify(r.dropped)}`);
  // A paraphrase is about its own title: more shared words with it than with another product's title.
  let own = 0;
  let other = 0;
  let n = 0;
  r.paraphrases.forEach((ps, i) => {
    for (const p of ps) {
      own += jaccard(p, sources[i]!);
      other += jaccard(p, sources[(i + 17) % sources.length]!);
      n++;
    }
  });
  // (A model that ignored its prompt would score both alike, at the base rate of shared words.)
  assert.ok(own / n > 1.5 * (other / n) && own / n > other / n + 0.02, `overlap with its own title ${(own / n).toFixed(3)} vs another title ${(other / n).toFixed(3)}`);
  // Seeded: the same seed gives the same paraphrases, any subset of titles the same ones; another seed others.
  assert.deepEqual((await paraphraseTitles(generator, sources, { seed: 3, views: 2 })).paraphrases, r.paraphrases);
  assert.deepEqual((await paraphraseTitles(generator, sources.slice(5, 9), { seed: 3, views: 2 })).paraphrases, r.paraphrases.slice(5, 9));
  assert.notDeepEqual((await paraphraseTitles(generator, sources, { seed: 4, views: 2 })).paraphrases, r.paraphrases);
});
