/**
 * Null distribution of the TSTR harness on the ml-100k CTR table: the "synthetic" rows are the real
 * training rows with their label column shuffled, so features carry no label signal and the TSTR
 * AUC should scatter around 0.5 with either sign. It is the yardstick for a synthesizer's TSTR
 * below 0.5 (bench/synth-report.ts; same seeded 16,000 / 4,000 split).
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/tstr-null.ts [--shuffles 20] [--out bench/results/tstr-null-ml100k.json]
 */
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { MOVIELENS_LABEL, type Cell } from '../src/data/index.ts';
import { meanStd, utilityReport } from '../src/eval/index.ts';
import { loadMl100kSynthSplit } from './ml100k-synth-split.ts';
import { arg } from './args.ts';

const shuffles = Number(arg('shuffles', '20'));
const out = arg('out', 'bench/results/tstr-null-ml100k.json');
const { train, holdout, metadata } = await loadMl100kSynthSplit('bench/tstr-null');
const tstr: number[] = [];
let trtr = 0;
for (let s = 0; s < shuffles; s++) {
  const labels: Cell[] = train.data[MOVIELENS_LABEL]!.slice();
  new Rng(s).split('label-shuffle').shuffle(labels);
  const shuffled = { ...train, data: { ...train.data, [MOVIELENS_LABEL]: labels } };
  const u = utilityReport(train, shuffled, holdout, metadata, { seed: s, target: MOVIELENS_LABEL, positive: true });
  tstr.push(u.trainOnSynthetic);
  trtr = u.trainOnReal;
  console.error(`shuffle ${s}: TSTR AUC ${u.trainOnSynthetic.toFixed(3)} (TRTR ${u.trainOnReal.toFixed(3)})`);
}
writeJsonAtomic(out, {
  benchmark: 'tstr-null-ml100k',
  command: `SAMPLIFY_THREADS=1 node --import tsx bench/tstr-null.ts --shuffles ${shuffles} --out ${out}`,
  what: 'TSTR AUC of a logistic regression trained on the real training rows with shuffled labels, tested on the real holdout',
  trainRows: train.rowCount,
  holdoutRows: holdout.rowCount,
  trtrAuc: trtr,
  tstrAuc: { values: tstr, ...meanStd(tstr), min: Math.min(...tstr), max: Math.max(...tstr) },
  date: new Date().toISOString(),
});
console.log(`wrote ${out}`);
