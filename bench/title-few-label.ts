/**
 * Few-label product-title classification on PriceRunner (10 categories): a title classifier
 * trained on k labelled titles per class, with and without text augmentation of those titles.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/title-few-label.ts [--ks 5,10,20] [--seeds 3] [--views 4]
 *     [--out bench/results/title-few-label-pricerunner.json]
 *
 * Protocol. Offers of one product cluster are paraphrases of each other, so the split is by
 * cluster: 20 % of the clusters (seeded once) are the test set; per seed, k titles per class are
 * drawn from the rest, and 20 per class from other clusters of the rest are the validation set.
 * Each arm augments the k labelled titles only (views per title, the label of its source) with a
 * context fitted on those titles (brands mined from them, WordNet) — nothing else is seen. Arms are
 * compared on the same test titles with a paired t-test on per-title correctness (averaged over
 * seeds); validation picks the arm per k.
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { readProductTitles, type LabelledTitle } from '../src/data/index.ts';
import { augmentTexts, brandList, buildTextPipeline, loadWordNet, mineBrands, type TextContext } from '../src/augment/index.ts';
import { TitleClassifier } from '../src/models/index.ts';
import { combineSeeds, meanStd, pairedTTest } from '../src/eval/index.ts';
import { arg } from './args.ts';

const ks = arg('ks', '5,10,20').split(',').map(Number);
const seeds = Array.from({ length: Number(arg('seeds', '3')) }, (_, i) => i);
const views = Number(arg('views', '4'));
const out = arg('out', 'bench/results/title-few-label-pricerunner.json');
const t0 = performance.now();

const data = await readProductTitles(resolve('../shared/data/pricerunner-products/pricerunner_aggregate.csv'));
const clusters = [...new Set(data.titles.map((t) => t.clusterId))].sort();
new Rng(12345).split('title-few-label-test-clusters').shuffle(clusters);
const testClusters = new Set(clusters.slice(0, Math.round(clusters.length * 0.2)));
const test = data.titles.filter((t) => testClusters.has(t.clusterId));
const pool = data.titles.filter((t) => !testClusters.has(t.clusterId));
console.error(`PriceRunner: ${data.titles.length} titles, ${data.categories.length} classes; test ${test.length} titles (${testClusters.size} clusters), pool ${pool.length}`);

const ARMS: Record<string, object | null> = {
  none: null,
  eda: { family: 'text', steps: [{ op: 'one_of', steps: [{ op: 'random_swap' }, { op: 'random_insert' }, { op: 'random_delete', ratio: 0.2 }, { op: 'synonym_replace', ratio: 0.2 }] }] },
  synonyms: { family: 'text', steps: [{ op: 'synonym_replace', ratio: 0.2, source: 'wordnet' }] },
  'char-noise': { family: 'text', steps: [{ op: 'one_of', steps: [{ op: 'keyboard_typo', rate: 0.15 }, { op: 'transpose_chars', rate: 0.15 }, { op: 'drop_char', rate: 0.15 }, { op: 'double_char', rate: 0.15 }] }] },
  'units+reformulate': { family: 'text', steps: [{ op: 'one_of', steps: [{ op: 'unit_variant' }, { op: 'abbreviate' }, { op: 'reformulate', mode: 'drop' }] }] },
};

/** k titles per class from `from`, drawn with `rng`; classes in sorted order. */
function drawPerClass(from: readonly LabelledTitle[], k: number, rng: Rng): LabelledTitle[] {
  const out: LabelledTitle[] = [];
  for (const c of data.categories) {
    const members = from.filter((t) => t.category === c);
    const idx = Int32Array.from(members.keys());
    rng.split(c).shuffle(idx);
    for (let i = 0; i < Math.min(k, idx.length); i++) out.push(members[idx[i]!]!);
  }
  return out;
}

const wordnet = loadWordNet();
interface ArmRun { valid: number; test: number; correct: Float64Array; added: number; fitSeconds: number }
const results: Record<string, Record<string, ArmRun[]>> = {};
for (const k of ks) {
  results[k] = Object.fromEntries(Object.keys(ARMS).map((a) => [a, [] as ArmRun[]]));
  for (const seed of seeds) {
    const rng = new Rng(seed).split('title-few-label').split(k);
    const labelled = drawPerClass(pool, k, rng.split('labelled'));
    const usedClusters = new Set(labelled.map((t) => t.clusterId));
    const valid = drawPerClass(pool.filter((t) => !usedClusters.has(t.clusterId)), 20, rng.split('valid'));
    const ctx: TextContext = { brands: brandList(mineBrands(labelled.map((t) => ({ id: t.productId, title: t.title })), { minTitles: 2 })), wordnet };
    for (const [arm, spec] of Object.entries(ARMS)) {
      let titles = labelled.map((t) => t.title);
      let labels = labelled.map((t) => t.category);
      let added = 0;
      if (spec) {
        const aug = augmentTexts(titles, buildTextPipeline(spec), ctx, { seed, views });
        const fresh = aug.filter((a) => a.text !== a.source);
        added = fresh.length;
        const labelOf = new Map(labelled.map((t) => [t.title, t.category]));
        titles = [...titles, ...fresh.map((a) => a.text)];
        labels = [...labels, ...fresh.map((a) => labelOf.get(a.source)!)];
      }
      const t1 = performance.now();
      const model = new TitleClassifier();
      model.fit(titles, labels);
      const fitSeconds = (performance.now() - t1) / 1000;
      const acc = (xs: readonly LabelledTitle[]) => {
        const pred = model.predict(xs.map((t) => t.title));
        return Float64Array.from(xs, (t, i) => (pred[i] === t.category ? 1 : 0));
      };
      const correct = acc(test);
      const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
      const run = { valid: mean(acc(valid)), test: mean(correct), correct, added, fitSeconds };
      results[k]![arm]!.push(run);
      console.error(`k=${k} seed ${seed} ${arm.padEnd(18)} +${String(added).padStart(4)} titles  valid ${run.valid.toFixed(4)}  test ${run.test.toFixed(4)}  (fit ${fitSeconds.toFixed(2)} s)`);
    }
  }
}

const summary = ks.map((k) => {
  const arms = results[k]!;
  const base = combineSeeds(arms.none!.map((r) => r.correct));
  const rows = Object.entries(arms).map(([arm, runs]) => {
    const vec = combineSeeds(runs.map((r) => r.correct));
    const t = pairedTTest(base, vec);
    return {
      arm,
      testAccuracy: meanStd(runs.map((r) => r.test)),
      validAccuracy: meanStd(runs.map((r) => r.valid)),
      addedTitles: meanStd(runs.map((r) => r.added)),
      ...(arm === 'none' ? {} : { deltaVsNone: t.meanDiff, pValue: t.pValue }),
    };
  });
  const selected = rows.reduce((best, r) => (r.validAccuracy.mean > best.validAccuracy.mean ? r : best), rows[0]!).arm;
  return { k, selected, arms: rows };
});
for (const s of summary) {
  console.log(`k = ${s.k} (validation selects ${s.selected})`);
  for (const r of s.arms) console.log(`  ${r.arm.padEnd(18)} test ${r.testAccuracy.mean.toFixed(4)} ± ${r.testAccuracy.std.toFixed(4)}  valid ${r.validAccuracy.mean.toFixed(4)}${'pValue' in r ? `  Δ ${(r.deltaVsNone! * 100).toFixed(2)} pts, p ${r.pValue!.toExponential(2)}` : ''}`);
}
writeJsonAtomic(out, {
  benchmark: 'title-few-label-pricerunner',
  command: `SAMPLIFY_THREADS=1 node --import tsx bench/title-few-label.ts --ks ${ks.join(',')} --seeds ${seeds.length} --views ${views} --out ${out}`,
  protocol: 'cluster-disjoint test (20 % of clusters, fixed); per seed k labelled titles per class from the rest and 20 per class for validation from clusters not labelled; classifier: TitleClassifier (hashed n-gram tf-idf, multinomial logistic); paired t-test on per-title correctness averaged over seeds',
  data: { titles: data.titles.length, classes: data.categories.length, test: test.length, pool: pool.length },
  arms: ARMS,
  views,
  summary,
  machine: { cpus: cpus().length, node: process.version },
  seconds: (performance.now() - t0) / 1000,
  date: new Date().toISOString(),
});
console.log(`wrote ${out}`);
