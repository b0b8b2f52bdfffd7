/**
 * Markov vs autoregressive (SASRec) synthetic histories on Beauty: distance to the real training
 * data (length, item popularity, transitions, coverage; src/align distributionReport), exact
 * copies of real histories, and generation speed; plus the cost of pseudo-prior generation per
 * sequence. Short by design (a few epochs).
 *
 *   SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/sequence-synth.ts [--epochs 5] [--n 22363] [--ar-n 3000]
 *   SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/sequence-synth.ts --cost-only
 *   SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/sequence-synth.ts --markov-only --data ../shared/data/taobao/Taobao.txt
 *
 * Writes bench/results/sequence-synth-beauty.json (--cost-only replaces only its pseudoPriorCost:
 * the cost depends on the architecture, not the weights, so a 1-epoch model on 1,000 users serves).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng, stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { leaveOneOutSplit, loadDataset } from '../src/data/index.ts';
import { distributionReport } from '../src/align/index.ts';
import { generateItems, prefetchGreedy, type NextItemSampler } from '../src/augment/index.ts';
import { makeTrainView } from '../src/data/index.ts';
import { AutoregressiveSequenceSynthesizer, MarkovSequenceSynthesizer } from '../src/synth/index.ts';
import { backendInfo } from '../src/nn/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { epochs: { type: 'string', default: '5' }, n: { type: 'string' }, 'ar-n': { type: 'string', default: '3000' }, data: { type: 'string' }, 'cost-only': { type: 'boolean', default: false }, 'markov-only': { type: 'boolean', default: false } } });
const dataPath = resolve(root, values.data ?? '../shared/data/beauty/Beauty.txt');
if (!existsSync(dataPath)) throw new Error(`no data at ${dataPath}`);

const { dataset } = await loadDataset(dataPath, 'seqtxt');
const split = leaveOneOutSplit(dataset);
const train = split.train;
const real = train.users().map((u) => train.sequence(u));
const n = values.n !== undefined ? Number(values.n) : real.length;
const arN = Number(values['ar-n']);

const key = (s: Int32Array) => s.join(' ');
const realKeys = new Set(real.map(key));
function summary(samples: Int32Array[]) {
  const r = distributionReport(train, samples);
  return {
    sequences: samples.length,
    lengthTV: r.length.tv,
    popularityTV: r.itemPopularity.tv,
    transitionTV: r.transitions.tv,
    coverage: r.coverage,
    meanLength: samples.reduce((a, s) => a + s.length, 0) / samples.length,
    exactCopiesOfRealHistories: samples.filter((s) => realKeys.has(key(s))).length,
    withRepeatedItem: samples.filter((s) => new Set(s).size < s.length).length,
  };
}
/** The noise floor: a bootstrap resample of the real histories, same size. */
function bootstrap(m: number, seed: number): Int32Array[] {
  const r = new Rng(seed);
  return Array.from({ length: m }, () => real[r.int(real.length)]!);
}

const log = (t: string) => stderrProgress.line(t);
const out = join(root, values['markov-only'] ? `bench/results/sequence-synth-markov-${dataset.name.toLowerCase().replace(/\.txt$/, '')}.json` : 'bench/results/sequence-synth-beauty.json');

/**
 * Pseudo-prior generation on Beauty's short training sequences (< 18 items, ≤ 15 greedy items each,
 * never past 18): one history at a time, as a pipeline step runs, vs prefetchGreedy's batches of 256.
 */
async function pseudoPriorCost(sampler: NextItemSampler, m: number) {
  const shortOnes = real.filter((s) => s.length < 18);
  const subset = shortOnes.slice(0, m);
  const reverse: NextItemSampler = { ...sampler, direction: 'reverse', scoreNext: (h) => sampler.scoreNext(h) };
  let t = performance.now();
  for (const [i, s] of subset.slice(0, 200).entries()) generateItems(reverse, [s.slice().reverse()], [Math.min(15, 18 - s.length)], { temperature: 0, topK: 0, noRepeat: true }, [new Rng(i)]);
  const single = (performance.now() - t) / 1000 / 200;
  t = performance.now();
  prefetchGreedy('pseudo_prior', { threshold: 18, k: 15, temperature: 0 }, subset, { numItems: train.numItems, generators: { reverse } });
  const batched = (performance.now() - t) / 1000 / subset.length;
  return {
    beautyShortSequences: shortOnes.length,
    oneAtATime: { sequences: 200, secondsPerSequence: single, estimatedSecondsForAll: single * shortOnes.length },
    batched256: { sequences: subset.length, secondsPerSequence: batched, estimatedSecondsForAll: batched * shortOnes.length },
  };
}

if (values['cost-only']) {
  const ar = new AutoregressiveSequenceSynthesizer({ epochs: 1 });
  await ar.fit(makeTrainView(train.numItems, real.slice(0, 1000)), { seed: 0 });
  const cost = await pseudoPriorCost(ar.sampler, 2000);
  const prev = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  writeJsonAtomic(out, { ...prev, pseudoPriorCost: { ...cost, model: 'sasrec (hidden 64, 2 blocks, 2 heads, maxLen 50)', date: new Date().toISOString() } });
  console.log(JSON.stringify(cost, null, 2));
  process.exit(0);
}
log(`Beauty: ${real.length} training histories, ${train.interactionCount} interactions, ${train.numItems} items; backend ${backendInfo().name}`);

const markov = new MarkovSequenceSynthesizer();
let t = performance.now();
await markov.fit(train, { seed: 0 });
const markovFit = (performance.now() - t) / 1000;
t = performance.now();
const markovSamples = markov.sample(n, { seed: 1 });
const markovSample = (performance.now() - t) / 1000;
log(`markov: fit ${markovFit.toFixed(2)} s, ${n} histories in ${markovSample.toFixed(2)} s`);
if (values['markov-only']) {
  const realRepeats = real.filter((s) => new Set(s).size < s.length).length;
  const res = {
    data: relative(root, dataPath),
    trainHistories: real.length,
    trainHistoriesWithRepeatedItem: realRepeats,
    directions: 'TV: lower is closer to the real training histories; coverage: share of training items that appear, higher is closer',
    noiseFloor: { [`bootstrap-${n}`]: summary(bootstrap(n, 7)) },
    markov: { fitSeconds: markovFit, sampleSeconds: markovSample, sequencesPerSecond: n / markovSample, noRepeat: markov.noRepeat, [`n-${n}`]: summary(markovSamples) },
    date: new Date().toISOString(),
  };
  writeJsonAtomic(out, res);
  console.log(JSON.stringify(res, null, 2));
  process.exit(0);
}

const ar = new AutoregressiveSequenceSynthesizer({ epochs: Number(values.epochs) });
t = performance.now();
const fitReport = await ar.fit(train, { seed: 0, progress: stderrProgress });
const arFit = (performance.now() - t) / 1000;
t = performance.now();
const arSamples = ar.sample(arN, { seed: 1 });
const arSample = (performance.now() - t) / 1000;
log(`autoregressive: fit ${arFit.toFixed(1)} s, ${arN} histories in ${arSample.toFixed(1)} s`);

// A reverse model is the same network as the forward one, so the forward model times pseudo-prior generation.
const cost = await pseudoPriorCost(ar.sampler, 2000);

const result = {
  data: relative(root, dataPath),
  trainHistories: real.length,
  backend: backendInfo().name,
  threads: process.env.SAMPLIFY_THREADS ?? null,
  directions: 'TV: lower is closer to the real training histories; coverage: share of training items that appear, higher is closer',
  noiseFloor: { [`bootstrap-${n}`]: summary(bootstrap(n, 7)), [`bootstrap-${arN}`]: summary(bootstrap(arN, 8)) },
  markov: { fitSeconds: markovFit, sampleSeconds: markovSample, sequencesPerSecond: n / markovSample, noRepeat: markov.noRepeat, [`n-${n}`]: summary(markovSamples), [`n-${arN}`]: summary(markovSamples.slice(0, arN)) },
  autoregressive: {
    model: 'sasrec-ce (hidden 64, 2 blocks, 2 heads, maxLen 50), temperature 1, topK 0',
    epochs: Number(values.epochs),
    lossPerEpoch: fitReport.losses.map((l) => Number(l.loss.toFixed(4))),
    fitSeconds: arFit,
    sampleSeconds: arSample,
    sequencesPerSecond: arN / arSample,
    [`n-${arN}`]: summary(arSamples),
  },
  pseudoPriorCost: cost,
  date: new Date().toISOString(),
};
writeJsonAtomic(out, result);
console.log(JSON.stringify(result, null, 2));
