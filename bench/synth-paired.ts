/**
 * Paired comparison of two synthesizer configurations over the same seeds, from synth-report result
 * files: a paired t-test (and 95 % CI) of one run metric, B − A, seed by seed.
 *
 *   node --import tsx bench/synth-paired.ts --metric tstrAuc \
 *     --a bench/results/a-seed0.json,bench/results/a-seed1.json --b bench/results/b-seed0.json,bench/results/b-seed1.json [--out bench/results/….json]
 *
 * Each file contributes the runs it holds; runs are paired by seed (a seed missing on either side is an error).
 */
import { readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../src/core/index.ts';
import { pairedTTest } from '../src/eval/index.ts';
import { arg } from './args.ts';

const metric = arg('metric', 'tstrAuc');
const filesA = arg('a', '').split(',').filter(Boolean);
const filesB = arg('b', '').split(',').filter(Boolean);
const out = arg('out', '');
if (filesA.length === 0 || filesB.length === 0) {
  console.error('bench/synth-paired: --a and --b (comma-separated synth-report result files) are required');
  process.exit(2);
}
function bySeed(files: string[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const f of files) {
    const runs = (JSON.parse(readFileSync(f, 'utf8')) as { runs: Record<string, unknown>[] }).runs;
    for (const r of runs) {
      const v = r[metric];
      if (typeof v !== 'number') throw new Error(`${f}: run of seed ${String(r.seed)} has no numeric ${metric}`);
      m.set(r.seed as number, v);
    }
  }
  return m;
}
const a = bySeed(filesA);
const b = bySeed(filesB);
const seeds = [...b.keys()].sort((x, y) => x - y);
for (const s of seeds) if (!a.has(s)) throw new Error(`seed ${s} is in --b but not in --a`);
const va = Float64Array.from(seeds.map((s) => a.get(s)!));
const vb = Float64Array.from(seeds.map((s) => b.get(s)!));
// pairedTTest(x, y) reports y − x.
const t = pairedTTest(va, vb);
const perSeed = seeds.map((s, i) => ({ seed: s, a: va[i]!, b: vb[i]!, diff: vb[i]! - va[i]! }));
for (const p of perSeed) console.log(`seed ${p.seed}: A ${p.a.toFixed(4)}  B ${p.b.toFixed(4)}  B − A ${p.diff >= 0 ? '+' : ''}${p.diff.toFixed(4)}`);
console.log(`${metric}, B − A over ${t.n} seeds: ${t.meanDiff >= 0 ? '+' : ''}${t.meanDiff.toFixed(4)} (95 % CI ${t.ci95[0].toFixed(4)} … ${t.ci95[1].toFixed(4)}), paired t ${t.t.toFixed(2)}, p ${t.pValue.toFixed(4)}`);
if (out !== '') {
  writeJsonAtomic(out, {
    benchmark: 'synth-paired',
    command: `node --import tsx bench/synth-paired.ts --metric ${metric} --a ${filesA.join(',')} --b ${filesB.join(',')} --out ${out}`,
    metric,
    direction: 'meanDiff = B − A, paired by seed',
    perSeed,
    test: t,
    date: new Date().toISOString(),
  });
}
