/**
 * Full-ranking evaluation time: the validation ranking of a SASRec-CE over every user and item, with
 * the per-item count done by the backend kernel (nn.rankAmong, what fullRankingRanks runs) against
 * the same ranking counted by a JavaScript loop over each score row (what fullRankingRanks ran
 * before the kernel, with the score matrix copied once more as SASRec's scoreNext used to). The two
 * run alternately in one process, `--repeats` times, so both see the same machine load; the ranks
 * must be identical. The model is randomly initialised (seed 0): the timing depends on the catalogue
 * size and the number of users, not on the weights.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/eval-ranking.ts [--data ../shared/data/beauty/Beauty.txt] [--repeats 3] [--out bench/results/eval-ranking-beauty.json]
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { leaveOneOutSplit, loadDataset } from '../src/data/index.ts';
import { fullRankingRanks } from '../src/eval/index.ts';
import { createSasrec } from '../src/models/sasrec.ts';
import { backendInfo } from '../src/nn/index.ts';
import { arg, threadsPrefix } from './args.ts';

const dataArg = arg('data', '../shared/data/beauty/Beauty.txt');
const repeats = Number(arg('repeats', '3'));
const out = arg('out', 'bench/results/eval-ranking-beauty.json');

const { dataset } = await loadDataset(resolve(process.cwd(), dataArg), 'seqtxt');
const split = leaveOneOutSplit(dataset);
const net = createSasrec(dataset.numItems, { loss: 'ce' }, new Rng(0));
const scorer = { scoreAll: (h: readonly Int32Array[]) => net.scoreNext(h) };
const width = dataset.numItems + 1;

/** The JavaScript reference: per row, history items set to -Infinity, then one loop over every item. */
function loopRanks(): Int32Array {
  const ranks = new Int32Array(split.valid.length);
  for (let start = 0; start < split.valid.length; start += 256) {
    const batch = split.valid.slice(start, start + 256);
    const scores = Float32Array.from(scorer.scoreAll(batch.map((c) => c.history)));
    for (let b = 0; b < batch.length; b++) {
      const c = batch[b]!;
      const o = b * width;
      for (const h of c.history) scores[o + h] = Number.NEGATIVE_INFINITY;
      const t = scores[o + c.target]!;
      let rank = 0;
      for (let i = 1; i < width; i++) {
        const s = scores[o + i]!;
        if (s > t || (s === t && i < c.target)) rank++;
      }
      ranks[start + b] = rank;
    }
  }
  return ranks;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const kernelSeconds: number[] = [];
const loopSeconds: number[] = [];
const load: number[] = [];
let identical = true;
for (let r = 0; r < repeats; r++) {
  load.push(loadavg()[0]!);
  let t = performance.now();
  const a = loopRanks();
  loopSeconds.push((performance.now() - t) / 1000);
  t = performance.now();
  const b = fullRankingRanks(scorer, split.valid, dataset.numItems);
  kernelSeconds.push((performance.now() - t) / 1000);
  identical &&= a.length === b.length && a.every((x, i) => x === b[i]);
  console.error(`repeat ${r + 1}/${repeats}: loop ${loopSeconds.at(-1)!.toFixed(2)} s, kernel ${kernelSeconds.at(-1)!.toFixed(2)} s`);
}
const result = {
  benchmark: 'validation full ranking of a SASRec-CE (every user, every item): backend rank kernel vs a JavaScript loop',
  command: `${threadsPrefix()}node --import tsx bench/eval-ranking.ts --data ${dataArg} --repeats ${repeats} --out ${out}`,
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadAverage1m: load, backend: backendInfo() },
  data: { file: dataArg, users: split.valid.length, items: dataset.numItems },
  identicalRanks: identical,
  kernel: { medianSeconds: median(kernelSeconds), seconds: kernelSeconds },
  loop: { medianSeconds: median(loopSeconds), seconds: loopSeconds },
  speedup: median(loopSeconds.map((l, i) => l / kernelSeconds[i]!)),
};
writeJsonAtomic(out, result);
console.log(JSON.stringify({ identicalRanks: identical, kernel: result.kernel.medianSeconds, loop: result.loop.medianSeconds, speedup: result.speedup }));
