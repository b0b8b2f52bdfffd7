/**
 * One SASRec-CE training epoch on Amazon Beauty (leave-one-out training view, no validation),
 * with and without the addon's malloc tuning (SAMPLIFY_MALLOC_TUNING=1 / 0), side by side: each
 * repeat runs one child process per setting, alternating, so both see the same machine load.
 * Reports the epoch's training seconds, its loss (must be equal: the tuning only moves where
 * buffers come from) and the child's peak RSS.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/sasrec-epoch.ts [--repeats 2] [--out bench/results/sasrec-epoch-malloc.json]
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { peakRssMiB, writeJsonAtomic } from '../src/core/index.ts';
import { leaveOneOutSplit, loadDataset } from '../src/data/index.ts';
import { createRecommender } from '../src/models/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { arg, flag } from './args.ts';

const data = resolve(process.cwd(), '../shared/data/beauty/Beauty.txt');

if (flag('child')) {
  const { dataset } = await loadDataset(data, 'seqtxt');
  const split = leaveOneOutSplit(dataset);
  const model = createRecommender({ model: 'sasrec', config: { loss: 'ce' } });
  const fit = await model.fit(split.train, { seed: 0, epochs: 1 });
  const epoch = fit.epochs[0]!;
  process.stdout.write(JSON.stringify({ trainSeconds: epoch.seconds, loss: epoch.loss, peakRssMiB: peakRssMiB() }));
} else {
  const repeats = Number(arg('repeats', '2'));
  const out = arg('out', 'bench/results/sasrec-epoch-malloc.json');
  type Child = { trainSeconds: number; loss: number; peakRssMiB: number };
  const runs: Record<'tuned' | 'untuned', Child[]> = { tuned: [], untuned: [] };
  const load: number[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const setting of ['tuned', 'untuned'] as const) {
      load.push(loadavg()[0]!);
      const text = execFileSync(process.execPath, ['--import', 'tsx', 'bench/sasrec-epoch.ts', '--child'], {
        env: { ...process.env, SAMPLIFY_MALLOC_TUNING: setting === 'tuned' ? '1' : '0' },
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      const child = JSON.parse(text) as Child;
      runs[setting].push(child);
      console.error(`repeat ${r + 1}/${repeats} ${setting}: epoch ${child.trainSeconds.toFixed(1)} s, loss ${child.loss.toFixed(6)}, peak RSS ${child.peakRssMiB} MiB`);
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const summary = (xs: Child[]) => ({ medianTrainSeconds: median(xs.map((x) => x.trainSeconds)), medianPeakRssMiB: median(xs.map((x) => x.peakRssMiB)), losses: xs.map((x) => x.loss), runs: xs });
  const tuned = summary(runs.tuned);
  const untuned = summary(runs.untuned);
  const result = {
    benchmark: 'SASRec-CE epoch on Beauty, malloc tuning on vs off',
    command: `SAMPLIFY_THREADS=${process.env.SAMPLIFY_THREADS ?? ''} node --import tsx bench/sasrec-epoch.ts --repeats ${repeats}`,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadAverage1m: load, backend: backendInfo() },
    sameLoss: runs.tuned.every((t, i) => t.loss === runs.untuned[i]!.loss),
    tuned,
    untuned,
    speedup: untuned.medianTrainSeconds / tuned.medianTrainSeconds,
  };
  writeJsonAtomic(out, result);
  console.error(`tuned ${tuned.medianTrainSeconds.toFixed(1)} s vs untuned ${untuned.medianTrainSeconds.toFixed(1)} s (×${result.speedup.toFixed(2)}), same loss: ${result.sameLoss}; → ${out}`);
}
