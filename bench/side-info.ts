/**
 * Side-information fusion on Amazon Beauty (leave-one-out, full ranking): SASRec-CE without side
 * information against SASRec-CE with the item attributes fused by sum / concat / gate.
 *
 *   node --import tsx bench/side-info.ts run <arm>    train one arm (baseline | sum | concat | gate | sum-input)
 *   node --import tsx bench/side-info.ts report       paired comparison of the finished arms
 *
 * Arms can run in separate processes (each writes runs/side-info/<arm>/, resumable). The report
 * picks the fusion arm with the best VALIDATION NDCG@20 and compares every arm with the baseline
 * on test: paired t-test and bootstrap CI over test users, segments by history length, target
 * popularity (head = top 20 % of items by training count, tail = the rest) and rare targets (items
 * with at most 5 training interactions). Writes bench/results/side-info-beauty.json.
 *   SIDE_SEEDS=1  SIDE_EPOCHS=<cap>  SIDE_PATIENCE=<n>  SIDE_OUT=bench/results/side-info-beauty.json
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { itemPopularity, leaveOneOutSplit, loadDataset } from '../src/data/index.ts';
import {
  defaultMetrics, historyLengthLabels, pairedBootstrapCI, pairedTTest, relativeLift, segmentByHistoryLength, segmentByTargetPopularity, segmentedLift,
} from '../src/eval/index.ts';
import { evaluateOnSplit, type EvaluateResult, type SeedResult } from '../src/experiment/index.ts';
import type { ModelSpec } from '../src/models/index.ts';

const data = resolve(process.cwd(), '../shared/data/beauty/Beauty.txt');
const attributes = '../shared/data/beauty/Beauty_item2attributes.json';
if (!existsSync(data)) {
  console.error(`bench/side-info: ${data} not found (it lives in ../shared/data beside the project)`);
  process.exit(2);
}
const seeds = Array.from({ length: Number(process.env.SIDE_SEEDS ?? 1) }, (_, i) => i);
const epochs = process.env.SIDE_EPOCHS ? Number(process.env.SIDE_EPOCHS) : undefined;
const patience = process.env.SIDE_PATIENCE ? Number(process.env.SIDE_PATIENCE) : undefined;
const outFile = process.env.SIDE_OUT ?? join('bench', 'results', 'side-info-beauty.json');
const RARE_MAX = 5;

const ARMS: Record<string, ModelSpec> = {
  baseline: { model: 'sasrec', config: { loss: 'ce' } },
  sum: { model: 'sasrec', config: { loss: 'ce', sideInfo: { attributes, fusion: 'sum' } } },
  concat: { model: 'sasrec', config: { loss: 'ce', sideInfo: { attributes, fusion: 'concat' } } },
  gate: { model: 'sasrec', config: { loss: 'ce', sideInfo: { attributes, fusion: 'gate' } } },
  'sum-input': { model: 'sasrec', config: { loss: 'ce', sideInfo: { attributes, fusion: 'sum', output: false } } },
};
const runDir = (arm: string): string => join('runs', 'side-info', arm);

const [command, armName] = process.argv.slice(2);
const { dataset, report } = await loadDataset(data, 'seqtxt');
const split = leaveOneOutSplit(dataset);

if (command === 'run') {
  const spec = armName !== undefined ? ARMS[armName] : undefined;
  if (!spec) {
    console.error(`bench/side-info run <arm>: arm must be one of ${Object.keys(ARMS).join(', ')}`);
    process.exit(2);
  }
  const result: EvaluateResult = await evaluateOnSplit({ dataset, report, split }, {
    model: spec, seeds, ...(epochs !== undefined ? { epochs } : {}), ...(patience !== undefined ? { patience } : {}), out: runDir(armName!), progress: stderrProgress,
  });
  console.error(`bench/side-info ${armName}: valid ${JSON.stringify(result.valid)} test ${JSON.stringify(result.test)}`);
} else if (command === 'report') {
  const specs = defaultMetrics();
  const ndcg = specs.find((s) => s.name === 'NDCG@20')!;
  const finished = Object.keys(ARMS).filter((a) => seeds.every((s) => existsSync(join(runDir(a), 'seeds', `seed${s}.json`))));
  if (!finished.includes('baseline')) {
    console.error('bench/side-info report: the baseline arm has not finished');
    process.exit(2);
  }
  // seeds/seedN.json is a run-store record: { fingerprint, result }.
  const seedResults = (arm: string): SeedResult[] => seeds.map((s) => (JSON.parse(readFileSync(join(runDir(arm), 'seeds', `seed${s}.json`), 'utf8')) as { result: SeedResult }).result);
  const mean = (rs: SeedResult[], part: 'valid' | 'test'): Record<string, number> =>
    Object.fromEntries(specs.map((m) => [m.name, rs.reduce((acc, r) => acc + r[part][m.name]!, 0) / rs.length]));
  // Per test user, the seed-mean metric value (ranks/seedN.json keeps the test rank of every user).
  const perUser = (arm: string, metric = ndcg): Float64Array => {
    const out = new Float64Array(split.test.length);
    for (const s of seeds) {
      const ranks = JSON.parse(readFileSync(join(runDir(arm), 'ranks', `seed${s}.json`), 'utf8')) as { test: number[] };
      for (let i = 0; i < out.length; i++) out[i]! += metric.fromRank(ranks.test[i]!) / seeds.length;
    }
    return out;
  };
  const counts = itemPopularity(split.train);
  const targets = Int32Array.from(split.test, (c) => c.target);
  const histLabels = segmentByHistoryLength(Int32Array.from(split.test, (c) => c.history.length));
  const popLabels = segmentByTargetPopularity(targets, counts);
  const rareLabels = Array.from(targets, (t) => ((counts[t] ?? 0) <= RARE_MAX ? `≤${RARE_MAX} training interactions` : `>${RARE_MAX}`));
  const base = perUser('baseline');
  const baseTest = mean(seedResults('baseline'), 'test');
  const fusionArms = finished.filter((a) => a !== 'baseline');
  const selected = fusionArms.reduce<string | null>((best, a) => (best === null || mean(seedResults(a), 'valid')['NDCG@20']! > mean(seedResults(best), 'valid')['NDCG@20']! ? a : best), null);
  const arms = finished.map((arm) => {
    const rs = seedResults(arm);
    const test = mean(rs, 'test');
    const entry = { arm, spec: ARMS[arm], valid: mean(rs, 'valid'), test, perSeed: rs };
    if (arm === 'baseline') return entry;
    const vec = perUser(arm);
    return {
      ...entry,
      lift: Object.fromEntries(specs.map((m) => [m.name, relativeLift(baseTest[m.name]!, test[m.name]!, m)])),
      significance: { metric: 'NDCG@20', tTest: pairedTTest(base, vec), bootstrap: pairedBootstrapCI(base, vec, { resamples: 1000, seed: 0, confidence: 0.95 }) },
      segments: {
        historyLength: segmentedLift(base, vec, histLabels, ndcg, { order: historyLengthLabels() }),
        targetPopularity: segmentedLift(base, vec, popLabels, ndcg, { order: ['head', 'tail'] }),
        rareTargets: segmentedLift(base, vec, rareLabels, ndcg, { order: [`≤${RARE_MAX} training interactions`, `>${RARE_MAX}`] }),
      },
    };
  });
  writeJsonAtomic(outFile, {
    benchmark: 'beauty side-information fusion',
    command: `SIDE_SEEDS=${seeds.length}${epochs !== undefined ? ` SIDE_EPOCHS=${epochs}` : ''}${patience !== undefined ? ` SIDE_PATIENCE=${patience}` : ''} node --import tsx bench/side-info.ts run <arm>; then … report`,
    seeds: seeds.length,
    maxEpochs: epochs ?? 'trainer default (200)',
    patience: patience ?? 'trainer default (40)',
    selection: { rule: 'fusion arm with the highest validation NDCG@20 (test never consulted)', candidates: fusionArms, selected },
    arms,
    dataset: { name: dataset.name, checksum: dataset.checksum, users: dataset.userIds.length, items: dataset.numItems, testCases: split.test.length },
  });
  for (const a of arms) {
    const lift = 'lift' in a ? ` lift ${(100 * a.lift['NDCG@20']!).toFixed(1)} % p ${a.significance.tTest.pValue.toExponential(2)}` : '';
    console.log(`${a.arm.padEnd(10)} valid NDCG@20 ${a.valid['NDCG@20']!.toFixed(4)}  test NDCG@20 ${a.test['NDCG@20']!.toFixed(4)} HR@20 ${a.test['HR@20']!.toFixed(4)}${lift}${a.arm === selected ? '  (selected on validation)' : ''}`);
  }
  console.log(`wrote ${outFile}`);
} else {
  console.error('usage: bench/side-info.ts run <arm> | report');
  process.exit(2);
}
