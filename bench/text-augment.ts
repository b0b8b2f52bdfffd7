/**
 * Text augmentation on Home Depot queries: augmented queries per second of every text operator
 * (sample + apply, through a one-step pipeline, one rng split per query) and of a 4-step pipeline,
 * next to references on the same strings in the same run: a plain whitespace tokenise + join
 * (the reference the target is stated against) and the protected-span tokeniser + join (the part
 * of the work every text operator must do; cached per distinct text, and once more without the
 * cache: what a text never seen before costs). Each run passes over the training queries `--reps`
 * times, whitespace reference, protected reference, operator, back to back; each pass is timed in
 * CPU time of this process (process.cpuUsage: on a loaded machine, time spent waiting for a core
 * is not counted) and in wall time; ratios are medians over runs of the per-run ratio (CPU time). Also: the real misspellings of the training queries next to the ones the fitted `typo`
 * operator adds (same measurement, measureMisspellings), fit times, peak RSS.
 *
 *   node --import tsx bench/text-augment.ts [--data ../shared/data/homedepot-search/train.csv] [--reps 3] [--runs 7] [--out bench/results/text-augment.json]
 *
 * The split is query-disjoint (80 % of the distinct queries for training, seed 1); resources are
 * fitted on the training part only. Writes the JSON atomically.
 */
import { cpus, loadavg } from 'node:os';
import { relative, resolve } from 'node:path';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { augmentTexts, buildTextPipeline, fitTextResources, joinUnits, measureMisspellings, TEXT_OPERATORS, tokenize, trainingProducts, TYPO_KINDS, wordCounts } from '../src/augment/index.ts';
import { tokenizeUncached } from '../src/augment/text/tokens.ts';
import { querySplit, readHomeDepot } from '../src/data/index.ts';
import { arg } from './args.ts';

const dataPath = resolve(process.cwd(), arg('data', '../shared/data/homedepot-search/train.csv'));
const reps = Number(arg('reps', '3'));
const runs = Number(arg('runs', '7'));
const outPath = resolve(process.cwd(), arg('out', 'bench/results/text-augment.json'));

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

const loadavgAtStart = loadavg();
const dataset = await readHomeDepot(dataPath);
const split = querySplit(dataset, { seed: 1 });
const { train, products } = split;
const groups = [...split.train, ...split.valid, ...split.test];
const queries = train.map((g) => g.query);
const tf = performance.now();
const ctx = fitTextResources(train, products);
const fitSeconds = (performance.now() - tf) / 1000;
const tw = performance.now();
ctx.wordnet!.synonymsOf('drill'); // WordNet loads lazily: time its first lookup separately
const wordnetLoadSeconds = (performance.now() - tw) / 1000;
console.log(`Home Depot: ${groups.length} distinct queries, ${train.length} for training; resources fitted in ${fitSeconds.toFixed(2)} s (WordNet load ${wordnetLoadSeconds.toFixed(2)} s):`, ctx.stats);

type Body = (q: string, i: number) => string;
/** One pass over the queries × reps: [CPU ms, wall ms]. */
function pass(body: Body): [number, number] {
  let sink = 0;
  const t = performance.now();
  const c = process.cpuUsage();
  for (let k = 0; k < reps; k++) for (let i = 0; i < queries.length; i++) sink += body(queries[i]!, i).length;
  const cpu = process.cpuUsage(c);
  const ms = performance.now() - t;
  if (sink === -1) console.log(sink);
  return [(cpu.user + cpu.system) / 1000, ms];
}
const whitespaceJoin: Body = (q) => q.split(/\s+/).join(' ');
const protectedJoin: Body = (q) => joinUnits(tokenize(q, ctx.brands).units);
const protectedJoinCold: Body = (q) => joinUnits(tokenizeUncached(q, ctx.brands).units);

interface Row {
  name: string;
  queriesPerSec: number;
  ratioToWhitespace: number;
  ratioToProtectedTokenize: number;
  changedShare: number;
  /** CPU ms of the operator's pass, per run. */
  runsMs: number[];
  /** Wall ms of the operator's pass, per run, and the median per-run ratio on wall time. */
  runsWallMs: number[];
  ratioToWhitespaceWall: number;
}
function measure(name: string, body: Body, changed: number): Row {
  const times: number[] = [];
  const walls: number[] = [];
  const r1: number[] = [];
  const r2: number[] = [];
  const rw: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const a = pass(whitespaceJoin);
    const b = pass(protectedJoin);
    const [ms, wall] = pass(body);
    if (r === 0) continue; // run 0 warms the JIT (and the caches)
    times.push(ms);
    walls.push(wall);
    r1.push(a[0] / ms);
    r2.push(b[0] / ms);
    rw.push(a[1] / wall);
  }
  const row = {
    name,
    queriesPerSec: Math.round((queries.length * reps) / (median(times) / 1000)),
    ratioToWhitespace: round(median(r1)),
    ratioToProtectedTokenize: round(median(r2)),
    changedShare: round(changed),
    runsMs: times.map((x) => round(x, 1)),
    runsWallMs: walls.map((x) => round(x, 1)),
    ratioToWhitespaceWall: round(median(rw)),
  };
  console.log(`${name.padEnd(28)} ${String(row.queriesPerSec).padStart(9)} q/s   ×${row.ratioToWhitespace.toFixed(3)} of whitespace (wall ×${row.ratioToWhitespaceWall.toFixed(3)})   ×${row.ratioToProtectedTokenize.toFixed(3)} of protected tokenise   changed ${(changed * 100).toFixed(1)} %`);
  return row;
}

const results: Row[] = [];
results.push(measure('whitespace tokenise+join', whitespaceJoin, 0));
results.push(measure('protected tokenise+join', protectedJoin, 0));
results.push(measure('protected tokenise+join cold', protectedJoinCold, 0));
const base = new Rng(7);
const ops: [string, string, Record<string, unknown>][] = TEXT_OPERATORS.map((o) => [o.name, o.name, {}]);
// The synonym operators once per synonym source too (the default merges the mined domain table and WordNet).
ops.splice(2, 0, ['synonym_replace (wordnet)', 'synonym_replace', { source: 'wordnet' }], ['synonym_replace (domain)', 'synonym_replace', { source: 'domain' }], ['random_insert (wordnet)', 'random_insert', { source: 'wordnet' }], ['random_insert (domain)', 'random_insert', { source: 'domain' }]);
for (const [name, op, config] of ops) {
  const p = buildTextPipeline({ steps: [{ op, ...config }] });
  p.validate(ctx);
  const body: Body = (q, i) => p.augment(q, ctx, base.split(i))[0]!.output;
  const changed = queries.filter((q, i) => body(q, i) !== q).length / queries.length;
  results.push(measure(name, body, changed));
}
const pipelineSpec = {
  name: 'four-steps',
  steps: [{ op: 'synonym_replace', p: 0.5 }, { op: 'one_of', steps: [{ op: 'random_swap' }, { op: 'random_insert' }] }, { op: 'typo', rate: 0.1 }, { op: 'unit_variant', p: 0.5 }],
};
const four = buildTextPipeline(pipelineSpec);
four.validate(ctx);
const fourBody: Body = (q, i) => four.augment(q, ctx, base.split(i))[0]!.output;
results.push(measure('pipeline four-steps', fourBody, queries.filter((q, i) => fourBody(q, i) !== q).length / queries.length));

// Real misspellings vs those the fitted typo operator adds, on the same queries, against the training-title vocabulary.
const vocab = wordCounts(trainingProducts(train, products).map((p) => p.title));
const real = measureMisspellings(queries, vocab);
const views = 4;
const augmented = measureMisspellings(
  augmentTexts(queries, buildTextPipeline({ steps: [{ op: 'typo' }] }), ctx, { seed: 1, views }).map((r) => r.text),
  vocab,
);
const added = augmented.misspelled / views - real.misspelled;
const misspellings = {
  vocabulary: 'words of the titles of the training products',
  queries: queries.length,
  real: { tokens: real.tokens, misspelled: real.misspelled, ratePerToken: round(real.rate, 4), inflectionsExcluded: real.inflections, shares: Object.fromEntries(TYPO_KINDS.map((k) => [k, round(real.kinds[k] / real.misspelled)])), examples: real.examples },
  augmentedByTypo: {
    views,
    fittedRatePerEditableWord: round(ctx.typos.rate, 4),
    addedMisspelled: round(added, 1),
    ratePerToken: round(added / real.tokens, 4),
    shares: Object.fromEntries(TYPO_KINDS.map((k) => [k, round((augmented.kinds[k] / views - real.kinds[k]) / added)])),
  },
};
console.log('misspellings (real vs added by typo):', JSON.stringify(misspellings.real.shares), JSON.stringify(misspellings.augmentedByTypo.shares), misspellings.real.ratePerToken, misspellings.augmentedByTypo.ratePerToken);

const peakRssMb = round(process.resourceUsage().maxRSS / 1024, 1);
writeJsonAtomic(outPath, {
  benchmark: 'text-augment',
  data: { file: relative(process.cwd(), dataPath), distinctQueries: groups.length, trainQueries: train.length, split: 'query-disjoint, 80 % train, seed 1' },
  method: `augmented queries/second (CPU time of this process) of sample+apply through a one-step pipeline (one rng split per query) over the ${train.length} training queries × ${reps}, median of ${runs} runs after one warm-up; per run the whitespace reference, the protected reference and the operator are timed back to back; ratioTo* = median over runs of (reference pass CPU ms / operator pass CPU ms), ratioToWhitespaceWall the same on wall time; 'cold' = tokeniser without its per-text cache; changedShare = share of queries the operator changed (seed 7)`,
  fit: { seconds: round(fitSeconds), wordnetLoadSeconds: round(wordnetLoadSeconds), ...ctx.stats },
  pipeline: pipelineSpec,
  results,
  misspellings,
  peakRssMb,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavgAtStart, loadavg: loadavg(), threads: process.env.SAMPLIFY_THREADS ?? 'unset' },
});
console.log(`peak RSS ${peakRssMb} MB; wrote ${relative(process.cwd(), outPath)}`);
