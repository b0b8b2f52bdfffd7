/**
 * The embedded doc2query generator on Home Depot, trained as the search experiment trains it: the
 * query-disjoint split (seed 0, 80/10/10, as examples/experiments/homedepot-search-lift.yaml), the
 * training queries' relevant (title → query) pairs (label in the top quarter of the scale, ≥ 2.5),
 * the validation queries' pairs for perplexity and early stopping, the training part's catalogue
 * titles as extra language-model data; test queries are never read. Then:
 *   - training time per epoch and validation perplexity (from the fit's report);
 *   - generation speed (completion tokens per second, greedy and sampled);
 *   - the BM25 round trip: for each validation (product, relevant query) pair, does BM25 over every
 *     catalogue title rank the product in the top 10 for (a) its real validation query, (b) a query
 *     generated from its title?
 *   - `--max-train-queries N`: the scarce-label setting of the search experiments (the training part
 *     cut to N queries exactly as `split.maxTrainQueries` cuts it; the titles stay the whole training
 *     part's, as the experiment's `products: catalogue` generator sees them);
 *   - `--copy-bias a,b,…` / `--min-tokens k`: the decodings compared (the `decoding` block of the
 *     generator config), each greedy and sampled, on the same fitted model.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/query-generator.ts [--epochs 3] [--products 500] [--seed 0] [--max-train-queries 50] [--copy-bias 0,2,4] [--min-tokens 1] [--model-dir runs/query-generator-homedepot] [--out bench/results/query-generator-homedepot.json]
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { loadSearchDataset } from '../src/data/search/index.ts';
import { searchSplitOf, searchSplitSchema } from '../src/experiment/index.ts';
import { relevantPairs } from '../src/experiment/text-generators.ts';
import { Bm25Index, EmbeddedGenerator, fitQueryGenerator, type GenerationParams } from '../src/llm/index.ts';
import { arg } from './args.ts';

const seed = Number(arg('seed', '0'));
const epochs = Number(arg('epochs', '3'));
const nProducts = Number(arg('products', '500'));
const modelDir = arg('model-dir', 'runs/query-generator-homedepot');
const outPath = arg('out', 'bench/results/query-generator-homedepot.json');
const maxTrainQueries = arg('max-train-queries', '');
const copyBiases = arg('copy-bias', '0').split(',').map(Number);
const minTokens = Number(arg('min-tokens', '0'));
const load0 = loadavg();

const dataPath = '../shared/data/homedepot-search/train.csv';
const dataset = await loadSearchDataset(resolve(dataPath), { format: 'homedepot' });
// The split of examples/experiments/homedepot-search-lift.yaml, cut as `split.maxTrainQueries` cuts it.
const { full, split } = searchSplitOf(searchSplitSchema.parse(maxTrainQueries ? { maxTrainQueries: Number(maxTrainQueries) } : {}), dataset);
const scale = split.labelScale;
const threshold = scale.min + 0.75 * (scale.max - scale.min);
const train = relevantPairs(split.train, split, threshold);
const valid = relevantPairs(split.valid, split, threshold);
const titles = [...new Set(full.train.flatMap((g) => g.productIds))].map((id) => split.products.get(id)!.title);
console.error(`${train.length} training pairs, ${valid.length} validation pairs (label ≥ ${threshold}), ${titles.length} training-part titles, ${split.products.size} products`);

const config = { epochs, patience: epochs };
const { generator, report } = await fitQueryGenerator({ pairs: train, validPairs: valid, titles, config, seed, outDir: modelDir, progress: stderrProgress });

// Validation (product, query) pairs, one per product (its first relevant validation query), a sorted sample.
const realQuery = new Map<string, string>();
for (const g of split.valid) g.productIds.forEach((id, i) => g.labels[i]! >= threshold && !realQuery.has(id) && realQuery.set(id, g.query));
const productIds = [...realQuery.keys()].sort().slice(0, nProducts);
const index = new Bm25Index([...split.products.values()]);
const inTop10 = (query: string, id: string): boolean => index.search(query, 10).includes(id);
const realTop10 = productIds.filter((id) => inTop10(realQuery.get(id)!, id)).length / productIds.length;
// Words per query, and the share of a query's words found in its product's title: copying too
// little misses the product, copying everything writes the title back.
const words = (text: string): string[] => text.toLowerCase().split(/\s+/).filter(Boolean);
function shape(queries: readonly { id: string; text: string }[]): { words: number; inTitle: number } {
  let n = 0;
  let inTitle = 0;
  for (const q of queries) {
    const title = new Set(words(split.products.get(q.id)!.title));
    const w = words(q.text);
    n += w.length;
    inTitle += w.filter((x) => title.has(x)).length;
  }
  return { words: Number((n / Math.max(1, queries.length)).toFixed(2)), inTitle: Number((inTitle / Math.max(1, n)).toFixed(3)) };
}
const realShape = shape(productIds.map((id) => ({ id, text: realQuery.get(id)! })));

const modes: { name: string; params: Partial<GenerationParams>; copyBias: number }[] = copyBiases.flatMap((copyBias) => {
  const decoding = copyBias > 0 || minTokens > 0 ? `, copy bias ${copyBias}, min ${minTokens} token(s)` : '';
  return [
    { name: `greedy${decoding}`, params: { temperature: 0, maxTokens: 24 }, copyBias },
    // The search experiment's generate-arm defaults (src/llm/synthetic-pairs.ts).
    { name: `sampled (T 0.8, top-p 0.95)${decoding}`, params: { temperature: 0.8, topP: 0.95, maxTokens: 24 }, copyBias },
  ];
});
const generation: Record<string, unknown>[] = [];
const samples = productIds.slice(0, 15).map((id) => ({ title: split.products.get(id)!.title, real: realQuery.get(id)!, generated: {} as Record<string, string> }));
// One generator per decoding (greedy and sampled share it): the fitted model is read from disk once per copy bias.
const decoders = new Map(copyBiases.map((copyBias) => [copyBias, copyBias === 0 && minTokens === 0 ? generator : EmbeddedGenerator.load(modelDir, { copyBias, minQueryTokens: minTokens })]));
for (const m of modes) {
  const decoder = decoders.get(m.copyBias)!;
  const t = performance.now();
  const outcomes = await decoder.generateBatch(productIds.map((id, i) => ({ prompt: split.products.get(id)!.title, seed: seed * 100_003 + i, params: m.params })));
  const seconds = (performance.now() - t) / 1000;
  let tokens = 0;
  let hits = 0;
  let failed = 0;
  const texts: { id: string; text: string }[] = [];
  outcomes.forEach((o, i) => {
    if (!o.ok) {
      failed++;
      return;
    }
    tokens += o.result.usage.completionTokens;
    texts.push({ id: productIds[i]!, text: o.result.text });
    if (inTop10(o.result.text, productIds[i]!)) hits++;
    if (i < samples.length) samples[i]!.generated[m.name] = o.result.text;
  });
  generation.push({ mode: m.name, params: m.params, decoding: { copyBias: m.copyBias, minQueryTokens: minTokens }, requests: outcomes.length, failed, completionTokens: tokens, seconds: Number(seconds.toFixed(2)), tokensPerSecond: Number((tokens / seconds).toFixed(1)), top10RoundTrip: hits / productIds.length, shape: shape(texts) });
}

const result = {
  command: `SAMPLIFY_THREADS=${process.env['SAMPLIFY_THREADS'] ?? '(unset)'} node --import tsx bench/query-generator.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  note: `a short run: ${epochs} epoch(s) at most (the default config has 6 with patience 2); test queries never read`,
  data: '../shared/data/homedepot-search/train.csv',
  split: { kind: 'query', seed: 0, fractions: '0.8/0.1/0.1', trainQueries: split.train.length, ...(split !== full ? { maxTrainQueries: split.train.length, fullTrainQueries: full.train.length } : {}), validQueries: split.valid.length },
  pairs: { minLabel: threshold, train: train.length, validation: valid.length, titles: titles.length },
  machine: { loadavgBefore: load0.map((x) => Number(x.toFixed(2))), loadavgAfter: loadavg().map((x) => Number(x.toFixed(2))), note: 'load averages before and after the run, on a 2-core machine; timings are under that load' },
  fit: { ...report, secondsPerEpoch: report.epochs.length ? report.epochs.reduce((s, e) => s + e.seconds, 0) / report.epochs.length : null },
  roundTrip: { products: productIds.length, catalogue: split.products.size, realQueryTop10: realTop10, realShape, generation },
  samples,
};
writeJsonAtomic(outPath, result);
console.error(JSON.stringify({ validPerplexity: report.validPerplexity, secondsPerEpoch: result.fit.secondsPerEpoch, realTop10, realShape, generation }, null, 1));
await generator.close();
