/**
 * Augmentation throughput on Amazon Beauty: sequences per second of every sequence operator
 * (sample + apply) and of a 4-step pipeline run the way expandSequences runs it (one rng split per
 * sample), next to a plain copy of the same sequences (the bandwidth reference). Each run passes
 * over the training sequences `--reps` times, once copying and once augmenting, side by side, so a
 * ratio is taken under the same load; the ratio reported is the median of the per-run ratios.
 *
 *   node --import tsx bench/augment.ts [--data ../shared/data/beauty/Beauty.txt] [--reps 20] [--runs 7] [--out bench/results/augment.json]
 *
 * The data path is resolved relative to the current directory. Writes the JSON atomically.
 */
import { cpus, loadavg } from 'node:os';
import { relative, resolve } from 'node:path';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { leaveOneOutSplit, readSequenceText } from '../src/data/index.ts';
import { buildPipeline, expandSequences, fitItemSimilarity, getOperator, type AugmentContext } from '../src/augment/index.ts';
import { arg } from './args.ts';

const dataPath = resolve(process.cwd(), arg('data', '../shared/data/beauty/Beauty.txt'));
const reps = Number(arg('reps', '20'));
const runs = Number(arg('runs', '7'));
const outPath = resolve(process.cwd(), arg('out', 'bench/results/augment.json'));

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const t0 = performance.now();
const { dataset } = await readSequenceText(dataPath);
const split = leaveOneOutSplit(dataset);
const train = split.train;
const seqs = train.users().map((u) => train.sequence(u));
const items = seqs.reduce((a, s) => a + s.length, 0);
const tf = performance.now();
const similarity = fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 20 });
const fitSeconds = (performance.now() - tf) / 1000;
const ctx: AugmentContext = { numItems: train.numItems, similarity };
console.log(`${dataset.name}: ${seqs.length} training sequences, ${items} items (mean length ${(items / seqs.length).toFixed(2)}); ItemCF-IUF top-20 fitted in ${fitSeconds.toFixed(2)} s`);

/** One timed pass of `body` over all sequences × reps, in ms. */
function pass(body: (s: Int32Array, rng: Rng) => unknown, rng: Rng): number {
  let sink = 0;
  const t = performance.now();
  for (let k = 0; k < reps; k++) for (let i = 0; i < seqs.length; i++) sink ^= (body(seqs[i]!, rng) as { length?: number })?.length ?? 1;
  const ms = performance.now() - t;
  if (sink === 0.5) console.log(sink);
  return ms;
}

const copyBody = (s: Int32Array): Int32Array => s.slice();
const copyTimes: number[] = [];

/**
 * Sequences per second of `body` (median of `runs`) and its throughput as a share of copying the
 * same sequences: the median over runs of copy-ms / body-ms, each pair timed back to back.
 */
function measure(body: (s: Int32Array, rng: Rng) => unknown): { seqPerSec: number; ratioToCopy: number; runsMs: number[] } {
  const times: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const c = pass(copyBody, new Rng(r));
    const ms = pass(body, new Rng(r));
    if (r === 0) continue; // run 0 warms the JIT
    times.push(ms);
    copyTimes.push(c);
    ratios.push(c / ms);
  }
  return { seqPerSec: (seqs.length * reps) / (median(times) / 1000), ratioToCopy: median(ratios), runsMs: times.map((x) => Math.round(x * 100) / 100) };
}

const configs: [string, Record<string, unknown>][] = [
  ['crop', { ratio: 0.6 }],
  ['mask', { ratio: 0.3 }],
  ['reorder', { ratio: 0.2 }],
  ['reverse', { ratio: 1 }],
  ['delete', { ratio: 0.1 }],
  ['duplicate', { ratio: 0.1 }],
  ['insert', { ratio: 0.4 }],
  ['substitute', { ratio: 0.1 }],
];
const rows: Record<string, unknown>[] = [];
for (const [name, c] of configs) {
  const op = getOperator(name);
  const config = op.config.parse(c);
  const m = measure((s, rng) => op.apply(s, op.sample(s, config, ctx, rng), ctx));
  rows.push({ name, config, seqPerSec: Math.round(m.seqPerSec), ratioToCopy: Math.round(m.ratioToCopy * 1000) / 1000, runsMs: m.runsMs });
  console.log(`${name.padEnd(12)} ${(m.seqPerSec / 1e6).toFixed(2)} M seq/s  ${(m.ratioToCopy * 100).toFixed(1)} % of copy`);
}
const prefixes = getOperator('prefixes');
{
  const config = prefixes.config.parse({ maxOutputs: 50 });
  let outputs = 0;
  const m = measure((s, rng) => {
    const ps = prefixes.sampleMany!(s, config, ctx, rng);
    for (const p of ps) prefixes.apply(s, p, ctx);
    outputs += ps.length;
    return ps;
  });
  rows.push({ name: 'prefixes', config, seqPerSec: Math.round(m.seqPerSec), ratioToCopy: Math.round(m.ratioToCopy * 1000) / 1000, outputsPerInput: outputs / (seqs.length * reps * (runs + 1)), runsMs: m.runsMs });
  console.log(`${'prefixes'.padEnd(12)} ${(m.seqPerSec / 1e6).toFixed(2)} M input seq/s (multi-output)`);
}

const spec = { steps: [{ op: 'crop', ratio: 0.8 }, { op: 'reorder', ratio: 0.2 }, { op: 'mask', ratio: 0.2 }, { op: 'substitute', ratio: 0.1 }] };
const pipeline = buildPipeline(spec);
pipeline.validate(ctx);
const root = new Rng(0);
let counter = 0;
const pm = measure((s) => pipeline.run(s, ctx, root.split(`${counter++}:0`))[0]!.items);
rows.push({ name: 'pipeline-4', spec, seqPerSec: Math.round(pm.seqPerSec), ratioToCopy: Math.round(pm.ratioToCopy * 1000) / 1000, runsMs: pm.runsMs });
console.log(`pipeline-4   ${(pm.seqPerSec / 1e6).toFixed(2)} M seq/s  ${(pm.ratioToCopy * 100).toFixed(1)} % of copy (crop→reorder→mask→substitute, rng split per sample)`);
const copySeqPerSec = (seqs.length * reps) / (median(copyTimes) / 1000);
rows.unshift({ name: 'copy', seqPerSec: Math.round(copySeqPerSec), ratioToCopy: 1, runsMs: copyTimes.map((x) => Math.round(x * 100) / 100) });
console.log(`copy         ${(copySeqPerSec / 1e6).toFixed(2)} M seq/s (median of every copy pass)`);

// End to end: expandSequences (sequence copy out of the TrainView + pipeline), one view.
const te = performance.now();
let n = 0;
for (const _ of expandSequences(train, pipeline, { views: 1, seed: 0, similarity })) n++;
const expandPerSec = n / ((performance.now() - te) / 1000);
console.log(`expandSequences: ${(expandPerSec / 1e6).toFixed(2)} M samples/s`);

writeJsonAtomic(outPath, {
  benchmark: 'augment',
  data: { file: relative(process.cwd(), dataPath), checksum: dataset.checksum, trainSequences: seqs.length, trainItems: items, meanLength: items / seqs.length },
  method: `sequences/second of sample+apply over all training sequences × ${reps}, median of ${runs} runs after one warm-up; ratioToCopy = median over runs of (copy pass ms / operator pass ms), the two passes timed back to back`,
  itemcfFitSeconds: fitSeconds,
  expandSequencesPerSec: Math.round(expandPerSec),
  results: rows,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
  date: new Date().toISOString(),
  seconds: (performance.now() - t0) / 1000,
});
console.log(`wrote ${outPath}`);
