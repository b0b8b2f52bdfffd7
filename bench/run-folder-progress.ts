/**
 * Where a lift experiment folder (or one phase of a recipe folder) stands while its runs are still
 * going or after a session stopped them: per arm and seed, a finished run's validation and test
 * metrics, best epoch and time (its seed record), or an unfinished run's last checkpoint (epochs
 * done, best validation score so far, at which epoch). Reads only; trains and changes nothing.
 * Test metrics are listed for finished runs as the folder stores them: in a screen they play no part
 * in any choice.
 *
 *   node --import tsx bench/run-folder-progress.ts --folder runs/auto-recipe-taobao/screen --out bench/results/auto-recipe-taobao-screen-progress.json
 *
 * With `--paired <arm>` it also compares that arm with the baseline on the TEST set over the seeds
 * both have finished (per-user metric averaged over those seeds, paired t-test and bootstrap CI,
 * as the experiment does over all seeds): an interim read of a confirmation a session could not
 * finish, labelled with the seeds it covers. It is never a selection: validation chose the arm.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../src/core/index.ts';
import { defaultMetrics, pairedBootstrapCI, pairedTTest, relativeLift } from '../src/eval/index.ts';
import { readCheckpoint } from '../src/nn/index.ts';
import { perUserTestMetric } from '../src/experiment/index.ts';
import { arg } from './args.ts';

const folder = arg('folder', '');
const out = arg('out', '');
const pairedArm = arg('paired', '');
const metricName = arg('metric', 'NDCG@20');
if (folder === '' || !existsSync(join(folder, 'arms'))) {
  console.error('usage: bench/run-folder-progress.ts --folder <experiment folder with arms/> [--out file.json]');
  process.exit(2);
}

type Metrics = Record<string, number>;
interface SeedRecord { result: { valid: Metrics; test: Metrics; bestEpoch: number; epochs: number; fitSeconds: number; secondsPerEpoch: number } }
interface CheckpointMeta { epoch: number; bestScore: number; bestEpoch: number; stopped: boolean; logs: { epoch: number; seconds: number; valid?: Metrics }[] }

const runs = readdirSync(join(folder, 'arms')).sort().flatMap((arm) => {
  const dir = join(folder, 'arms', arm);
  const seeds = new Set<number>();
  for (const f of existsSync(join(dir, 'seeds')) ? readdirSync(join(dir, 'seeds')) : []) if (/^seed\d+\.json$/.test(f)) seeds.add(Number(f.slice(4, -5)));
  for (const d of existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')) : []) if (/^seed\d+$/.test(d)) seeds.add(Number(d.slice(4)));
  return [...seeds].sort((a, b) => a - b).map((seed) => {
    const record = join(dir, 'seeds', `seed${seed}.json`);
    if (existsSync(record)) {
      const r = (JSON.parse(readFileSync(record, 'utf8')) as SeedRecord).result;
      return { arm, seed, finished: true, valid: r.valid, test: r.test, bestEpoch: r.bestEpoch, epochsRun: r.epochs, fitSeconds: Math.round(r.fitSeconds), secondsPerEpoch: Math.round(r.secondsPerEpoch) };
    }
    const meta = readCheckpoint(join(dir, 'checkpoints', `seed${seed}`, 'checkpoint.bin'))!.meta as unknown as CheckpointMeta;
    return {
      arm, seed, finished: false, epochsDone: meta.epoch, bestValidSoFar: meta.bestScore, atEpoch: meta.bestEpoch,
      trainedSeconds: Math.round(meta.logs.reduce((s, l) => s + l.seconds, 0)), validCurve: meta.logs.map((l) => l.valid ?? null),
    };
  });
});
/** Test metric of each user averaged over `seeds` (the experiment's per-user vector), from the stored ranks. */
const perUserTest = (arm: string, seeds: readonly number[]): Float64Array => {
  const spec = defaultMetrics().find((m) => m.name === metricName);
  if (!spec) throw new Error(`unknown metric ${metricName}`);
  return perUserTestMetric(join(folder, 'arms', arm), seeds, spec);
};
const finishedSeeds = (arm: string): number[] => runs.filter((r) => r.arm === arm && r.finished).map((r) => r.seed);
let paired: null | { arm: string; metric: string; seeds: number[]; baseline: number; treated: number; lift: number; tTest: ReturnType<typeof pairedTTest>; bootstrap: ReturnType<typeof pairedBootstrapCI> } = null;
if (pairedArm !== '') {
  const seeds = finishedSeeds('baseline').filter((s) => finishedSeeds(pairedArm).includes(s));
  if (seeds.length === 0) throw new Error(`no seed is finished for both baseline and ${pairedArm}`);
  const base = perUserTest('baseline', seeds);
  const arm = perUserTest(pairedArm, seeds);
  const mean = (v: Float64Array): number => v.reduce((a, b) => a + b, 0) / v.length;
  paired = {
    arm: pairedArm, metric: metricName, seeds, baseline: mean(base), treated: mean(arm), lift: relativeLift(mean(base), mean(arm)),
    tTest: pairedTTest(base, arm), bootstrap: pairedBootstrapCI(base, arm, { resamples: 1000, seed: 0, confidence: 0.95 }),
  };
}
const command = `node --import tsx bench/run-folder-progress.ts --folder ${folder}${pairedArm ? ` --paired ${pairedArm}` : ''}${out ? ` --out ${out}` : ''}`;
const result = { folder, command, readAt: new Date().toISOString(), runs, ...(paired ? { paired } : {}) };
if (out) writeJsonAtomic(out, result);
for (const r of runs) {
  console.log(r.finished
    ? `${r.arm} seed ${r.seed}: finished, valid ${Object.entries(r.valid!).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}, best epoch ${r.bestEpoch} of ${r.epochsRun}`
    : `${r.arm} seed ${r.seed}: ${r.epochsDone} epochs done, best validation so far ${r.bestValidSoFar!.toFixed(4)} at epoch ${r.atEpoch}`);
}
if (paired) {
  console.log(`test ${paired.metric}, seeds ${paired.seeds.join(', ')} (interim): baseline ${paired.baseline.toFixed(4)}, ${paired.arm} ${paired.treated.toFixed(4)} (${(paired.lift * 100).toFixed(2)} %), paired p ${paired.tTest.pValue.toExponential(2)}, 95 % CI of the difference [${paired.bootstrap.lo.toFixed(4)}, ${paired.bootstrap.hi.toFixed(4)}]`);
}
