/**
 * Fidelity, utility and privacy of the sequence synthesizers side by side, several seeds, on
 * Beauty's user histories.
 *
 *   SAMPLIFY_THREADS=1 nice node --import tsx bench/sequence-synth-report.ts [--seeds 3]
 *     [--models markov,vae,autoregressive] [--epochs autoregressive:5,vae:10] [--vae-params '{"wordDropout":0}']
 *     [--out bench/results/sequence-synth-report-beauty.json]
 *
 * Users are split once (seeded) into members (70 %), reference (10 %) and holdout (20 %). Every
 * synthesizer fits on the members' whole histories and samples as many histories as the reference
 * has users; then
 * - fidelity: sequenceQualityReport(members, synthetic) — length, item popularity, transitions,
 *   coverage, and detection AUC (0.5 = indistinguishable);
 * - utility (TSTR): an ItemKNN recommender trained on the synthetic histories vs on the members'
 *   histories, both tested on the holdout users (last item from the rest, full ranking, NDCG@20);
 *   reported with a popularity floor, so "share of lift over popularity kept" reads directly;
 * - privacy: sequencePrivacyReport(members, holdout, synthetic) — exact copies, n-gram overlap, DCR
 *   and membership inference, each against the holdout baseline.
 * Every metric keeps its direction. The row "real-unseen" scores the reference users' real histories
 * the same way: what fresh real users from the same population look like (a synthesizer at that
 * row would be as good as more real data, and leak no more than a stranger). Results land in the output
 * after every (model, seed), and a rerun skips what is there (delete the file to start over).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Rng, stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { loadDataset, makeTrainView, type EvalCase } from '../src/data/index.ts';
import { fullRankingRanks, meanStd, metricsFromRanks, ndcgAtK, hitRateAtK, sequenceQualityReport, sequencePrivacyReport } from '../src/eval/index.ts';
import { ItemKnnRecommender, PopularityRecommender, type Recommender } from '../src/models/index.ts';
import { createSequenceSynthesizer } from '../src/synth/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { arg } from './args.ts';

const seeds = Array.from({ length: Number(arg('seeds', '3')) }, (_, i) => i);
const models = arg('models', 'markov,vae,autoregressive').split(',');
const epochs = Object.fromEntries(arg('epochs', 'autoregressive:5,vae:10').split(',').map((kv) => [kv.split(':')[0]!, Number(kv.split(':')[1])]));
const out = arg('out', 'bench/results/sequence-synth-report-beauty.json');
const dataPath = resolve(process.cwd(), arg('data', '../shared/data/beauty/Beauty.txt'));
if (!existsSync(dataPath)) {
  console.error(`bench/sequence-synth-report: ${dataPath} not found (it lives in ../shared/data beside the project)`);
  process.exit(2);
}
const log = (t: string) => stderrProgress.line(t);

const { dataset } = await loadDataset(dataPath, 'seqtxt');
const numItems = dataset.numItems;
const order = Int32Array.from({ length: dataset.sequences.length }, (_, i) => i);
new Rng(0).split('user-split').shuffle(order);
const cut1 = Math.floor(order.length * 0.7);
const cut2 = Math.floor(order.length * 0.8);
const members = Array.from(order.subarray(0, cut1), (u) => dataset.sequences[u]!);
const reference = Array.from(order.subarray(cut1, cut2), (u) => dataset.sequences[u]!);
const holdout = Array.from(order.subarray(cut2), (u) => dataset.sequences[u]!);
const n = reference.length;
const vaeParams = JSON.parse(arg('vae-params', '{}')) as Record<string, unknown>;
const memberView = makeTrainView(numItems, members);
// Holdout users with ≥ 2 items: predict the last from the rest.
const cases: EvalCase[] = holdout.flatMap((s, i) => (s.length >= 2 ? [{ user: i, history: s.subarray(0, s.length - 1), target: s[s.length - 1]! }] : []));
const specs = [ndcgAtK(20), hitRateAtK(20)];

async function rankingScore(model: Recommender, histories: readonly Int32Array[]): Promise<Record<string, number>> {
  await model.fit(makeTrainView(numItems, histories), { seed: 0 });
  return metricsFromRanks(fullRankingRanks(model, cases, numItems), specs).means;
}

type Row = Record<string, number | string | null>;
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { runs?: Row[] }) : {};
const runs: Row[] = previous.runs ?? [];
const done = new Set(runs.map((r) => `${r.model}/${r.seed}`));

log(`Beauty: ${members.length} member histories, ${reference.length} reference, ${holdout.length} holdout (${cases.length} test cases), ${numItems} items; ${n} synthetic histories per run`);
const trtr = await rankingScore(new ItemKnnRecommender(), members);
const popularity = await rankingScore(new PopularityRecommender(), members);
log(`ItemKNN trained on real members: NDCG@20 ${trtr['NDCG@20']!.toFixed(4)}; popularity ${popularity['NDCG@20']!.toFixed(4)}`);

async function measure(model: string, seed: number, synthetic: Int32Array[], extra: Row): Promise<Row> {
  const q = sequenceQualityReport(members, synthetic, { seed, numItems });
  const p = sequencePrivacyReport(members, holdout, synthetic, { seed, numItems });
  const tstr = await rankingScore(new ItemKnnRecommender(), synthetic);
  return {
    model, seed, ...extra,
    fidelityOverall: q.overall.value,
    lengthTvComplement: q.length.tvComplement.value,
    popularityTvComplement: q.itemPopularity.tvComplement.value,
    transitionTvComplement: q.transitions.tvComplement.value,
    transitionPrecision: q.transitions.precision.value,
    itemCoverage: q.coverage.itemCoverage.value,
    detectionAUC: 'detectionAuc' in q.detection ? q.detection.detectionAuc.linear.value : null,
    tstrNdcg20: tstr['NDCG@20']!,
    tstrHr20: tstr['HR@20']!,
    tstrShareOfReal: tstr['NDCG@20']! / trtr['NDCG@20']!,
    tstrShareOfLiftOverPopularity: (tstr['NDCG@20']! - popularity['NDCG@20']!) / (trtr['NDCG@20']! - popularity['NDCG@20']!),
    exactCopyShare: p.exactCopies.share.value,
    trigramOverlap: p.ngrams.find((g) => g.n === 3)!.synthetic.value,
    trigramOverlapHoldout: p.ngrams.find((g) => g.n === 3)!.holdoutBaseline.value,
    dcrMedian: p.dcr.syntheticMedian.value,
    dcrMedianRatio: p.dcr.medianRatio.value,
    membershipInferenceAUC: p.membershipInference.auc.value,
  };
}

function save(): void {
  const metrics = Object.keys(runs[0] ?? {}).filter((k) => typeof runs[0]![k] === 'number' && k !== 'seed');
  const summary: Record<string, Record<string, { mean: number; std: number }>> = {};
  for (const m of ['real-unseen', ...models]) {
    const rs = runs.filter((r) => r.model === m);
    if (rs.length === 0) continue;
    summary[m] = Object.fromEntries(metrics.flatMap((k) => {
      const xs = rs.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
      return xs.length ? [[k, meanStd(xs)]] : [];
    }));
  }
  writeJsonAtomic(out, {
    data: '../shared/data/beauty/Beauty.txt',
    protocol: 'users split 70/10/20 (seed 0) into members, reference, holdout; synthesizers fit on members and sample as many histories as the reference has; TSTR: ItemKNN trained on synthetic vs members, tested on holdout users (last item, full ranking); real-unseen = the reference users scored like a synthesizer',
    members: members.length, referenceUsers: reference.length, holdoutUsers: holdout.length, testCases: cases.length, syntheticPerRun: n, epochs, vaeParams,
    backend: backendInfo().name, threads: backendInfo().threads,
    reference: { itemknnOnRealNdcg20: trtr['NDCG@20'], itemknnOnRealHr20: trtr['HR@20'], popularityNdcg20: popularity['NDCG@20'] },
    directions: {
      higherIsBetter: ['fidelityOverall', 'lengthTvComplement', 'popularityTvComplement', 'transitionTvComplement', 'transitionPrecision', 'itemCoverage', 'tstrNdcg20', 'tstrHr20', 'tstrShareOfReal', 'tstrShareOfLiftOverPopularity', 'dcrMedian', 'dcrMedianRatio'],
      closerToHalfIsBetter: ['detectionAUC', 'membershipInferenceAUC'],
      lowerIsBetterForPrivacy: ['exactCopyShare', 'trigramOverlap (compare trigramOverlapHoldout)'],
    },
    summary,
    runs,
    date: new Date().toISOString(),
  });
}

for (const seed of seeds) {
  if (!done.has(`real-unseen/${seed}`)) {
    runs.push(await measure('real-unseen', seed, reference, { fitSeconds: 0, sampleSeconds: 0 }));
    save();
  }
  for (const model of models) {
    if (done.has(`${model}/${seed}`)) continue;
    const config: Record<string, unknown> = model === 'autoregressive' ? { epochs: epochs.autoregressive ?? 5 } : model === 'vae' ? { ...vaeParams, epochs: epochs.vae ?? 10 } : {};
    const synth = createSequenceSynthesizer(model, config);
    const fit = await synth.fit(memberView, { seed, progress: stderrProgress });
    const t = performance.now();
    const synthetic = synth.sample(n, { seed: seed + 1000 });
    const sampleSeconds = (performance.now() - t) / 1000;
    const row = await measure(model, seed, synthetic, { fitSeconds: fit.seconds, sampleSeconds, finalLoss: fit.losses.at(-1)?.loss ?? null });
    runs.push(row);
    log(`${model} seed ${seed}: fidelity ${(row.fidelityOverall as number).toFixed(3)}, detection ${(row.detectionAUC as number).toFixed(3)}, TSTR ${(row.tstrNdcg20 as number).toFixed(4)} (${((row.tstrShareOfReal as number) * 100).toFixed(0)} % of real), MIA ${(row.membershipInferenceAUC as number).toFixed(3)}, fit ${fit.seconds.toFixed(0)} s`);
    save();
  }
}
log(`wrote ${out}`);
