/**
 * Cost of the fidelity, utility and privacy reports at realistic size, and what they say about
 * simple stand-in "synthesizers" (no model): the MovieLens-100K CTR table (28 columns) and the
 * plain ratings table (user, item, rating, timestamp), split 80 k train / 20 k real holdout, and
 *   - bootstrap: 20 k training rows drawn with replacement (a pure copier: worst privacy),
 *   - shuffled: 20 k rows with every column drawn independently from the training marginals
 *     (perfect shapes, no dependence; nothing close to a real row: the hard case for the search),
 *   - copula: the Gaussian copula synthesizer (src/synth), 20 k rows (when available).
 * Then Beauty sequences (80 % of users train, 20 % holdout, bootstrap of training users).
 *
 *   SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/quality.ts [--out bench/results/quality.json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { loadMovieLensCtr, selectRows, tableFromRows, type Cell, type Table, type TableMetadata } from '../src/data/index.ts';
import { privacyReport, qualityReport, sequencePrivacyReport, sequenceQualityReport, utilityReport } from '../src/eval/index.ts';
import { createSynthesizer } from '../src/synth/index.ts';
import { arg } from './args.ts';

const outPath = resolve(process.cwd(), arg('out', 'bench/results/quality.json'));
const ML_DIR = '../shared/data/ml-100k';
const BEAUTY = '../shared/data/beauty/Beauty.txt';
const SEED = 0;

const secs = (t0: number): number => Math.round((performance.now() - t0) / 10) / 100;
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(p);
  return p;
}

function bootstrap(t: Table, n: number, rng: Rng): Table {
  return selectRows(t, Int32Array.from({ length: n }, () => rng.int(t.rowCount)));
}

function independentColumns(t: Table, n: number, rng: Rng): Table {
  const data: Record<string, Cell[]> = {};
  for (const c of t.columns) {
    const src = t.data[c]!;
    const r = rng.split(c);
    data[c] = Array.from({ length: n }, () => src[r.int(t.rowCount)] ?? null);
  }
  return { columns: [...t.columns], rowCount: n, data };
}

/** The ratings file as a 4-column table (RecBole atomic: `name:type` headers, tab-separated). */
function ratingsTable(): { table: Table; metadata: TableMetadata } {
  const lines = readFileSync(`${ML_DIR}/ml-100k.inter`, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0]!.split('\t').map((h) => h.replace(/:.*$/, ''));
  const rows = lines.slice(1).map((l) => {
    const f = l.split('\t');
    return [f[0]!, f[1]!, Number(f[2]), Number(f[3])] as Cell[];
  });
  return {
    table: tableFromRows(header, rows),
    metadata: { columns: { user_id: { type: 'id' }, item_id: { type: 'id' }, rating: { type: 'numerical', integer: true }, timestamp: { type: 'datetime', datetimeFormat: 'unix-seconds' } } },
  };
}

interface Case {
  readonly name: string;
  readonly synthetic: Table;
  readonly fitSeconds?: number;
}

async function tableBench(label: string, all: Table, metadata: TableMetadata, utilityTarget?: { target: string }): Promise<unknown> {
  const rng = new Rng(SEED).split(label);
  const perm = permutation(all.rowCount, rng.split('split'));
  const nTrain = Math.round(all.rowCount * 0.8);
  const train = selectRows(all, perm.subarray(0, nTrain));
  const holdout = selectRows(all, perm.subarray(nTrain));
  const nSyn = holdout.rowCount;
  const cases: Case[] = [
    { name: 'bootstrap', synthetic: bootstrap(train, nSyn, rng.split('bootstrap')) },
    { name: 'shuffled', synthetic: independentColumns(train, nSyn, rng.split('shuffled')) },
  ];
  try {
    const t0 = performance.now();
    const copula = createSynthesizer('gaussian-copula');
    await copula.fit(train, metadata, { seed: SEED });
    const fitSeconds = secs(t0);
    cases.push({ name: 'gaussian-copula', synthetic: copula.sample(nSyn).table, fitSeconds });
  } catch (e) {
    console.error(`[${label}] copula stand-in skipped: ${(e as Error).message}`);
  }
  const out: Record<string, unknown> = {};
  for (const c of cases) {
    let t = performance.now();
    const q = qualityReport(train, c.synthetic, metadata, { seed: SEED, includeTimings: true });
    const qualitySeconds = secs(t);
    t = performance.now();
    const p = privacyReport(train, holdout, c.synthetic, metadata, { seed: SEED, includeTimings: true });
    const privacySeconds = secs(t);
    let utility: unknown;
    if (utilityTarget) {
      t = performance.now();
      const u = utilityReport(train, c.synthetic, holdout, metadata, { seed: SEED, target: utilityTarget.target });
      utility = { seconds: secs(t), trainOnReal: r4(u.trainOnReal), trainOnSynthetic: r4(u.trainOnSynthetic), fraction: r4(u.fraction.value), fractionAboveChance: r4(u.fractionAboveChance!.value), task: u.task };
    }
    const det = 'skipped' in q.detection ? null : r4(q.detection.detectionAuc.linear.value);
    const summary = {
      fitSeconds: c.fitSeconds,
      qualitySeconds,
      qualityParts: q.seconds,
      privacySeconds,
      privacyParts: p.seconds,
      columnShapes: r4(q.columnShapes.score.value),
      columnPairs: q.columnPairs.score ? r4(q.columnPairs.score.value) : null,
      overall: r4(q.overall.value),
      detectionAUC: det,
      exactCopyShare: r4(p.exactCopies.share.value),
      dcrMedianSynthetic: r4(p.dcr.syntheticToTrain.median),
      dcrMedianHoldout: r4(p.dcr.holdoutToTrain.median),
      shareCloserThanHoldoutP5: r4(p.dcr.shareCloserThanHoldoutP5.value),
      membershipInferenceAUC: r4(p.membershipInference.auc.value),
      utility,
    };
    console.log(`[${label}] ${c.name}: ${JSON.stringify(summary)}`);
    out[c.name] = summary;
  }
  return { rows: { train: train.rowCount, holdout: holdout.rowCount, synthetic: nSyn }, columns: all.columns.length, cases: out };
}

function readSequences(path: string): Int32Array[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => Int32Array.from(l.trim().split(/\s+/).slice(1), Number));
}

function sequenceBench(): unknown {
  const all = readSequences(BEAUTY);
  const rng = new Rng(SEED).split('beauty');
  const perm = permutation(all.length, rng.split('split'));
  const nTrain = Math.round(all.length * 0.8);
  const train = Array.from(perm.subarray(0, nTrain), (i) => all[i]!);
  const holdout = Array.from(perm.subarray(nTrain), (i) => all[i]!);
  const r = rng.split('bootstrap');
  const synthetic = Array.from({ length: holdout.length }, () => train[r.int(train.length)]!);
  let t = performance.now();
  const q = sequenceQualityReport(train, synthetic, { seed: SEED, includeTimings: true });
  const qualitySeconds = secs(t);
  const fresh = sequenceQualityReport(train, holdout, { seed: SEED });
  t = performance.now();
  const p = sequencePrivacyReport(train, holdout, synthetic, { seed: SEED, includeTimings: true });
  const privacySeconds = secs(t);
  const summary = {
    sequences: { train: train.length, holdout: holdout.length, synthetic: synthetic.length },
    qualitySeconds,
    qualityParts: q.seconds,
    privacySeconds,
    privacyParts: p.seconds,
    bootstrap: {
      overall: r4(q.overall.value),
      detectionAUC: 'skipped' in q.detection ? null : r4(q.detection.detectionAuc.linear.value),
      exactCopyShare: r4(p.exactCopies.share.value),
      ngram3: r4(p.ngrams[0]!.synthetic.value),
      ngram3Holdout: r4(p.ngrams[0]!.holdoutBaseline.value),
      membershipInferenceAUC: r4(p.membershipInference.auc.value),
    },
    holdoutAsSynthetic: { overall: r4(fresh.overall.value), detectionAUC: 'skipped' in fresh.detection ? null : r4(fresh.detection.detectionAuc.linear.value) },
  };
  console.log(`[beauty] ${JSON.stringify(summary)}`);
  return summary;
}

const started = new Date().toISOString();
const t0 = performance.now();
const ctr = await loadMovieLensCtr(ML_DIR);
const ratings = ratingsTable();
const results = {
  bench: 'quality',
  started,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverageAtStart: loadavg().map(r4), node: process.version },
  command: 'SAMPLIFY_THREADS=1 nice -n 10 node --import tsx bench/quality.ts',
  note: 'stand-in synthetic sets (bootstrap copies, independent columns, Gaussian copula); seconds are wall-clock on a shared 2-core VM',
  ml100kCtr: await tableBench('ml100k-ctr', ctr.table, ctr.metadata, { target: 'label' }),
  ml100kRatings: await tableBench('ml100k-ratings', ratings.table, ratings.metadata),
  beauty: existsSync(BEAUTY) ? sequenceBench() : { skipped: `${BEAUTY} not found` },
  totalSeconds: 0,
};
results.totalSeconds = secs(t0);
writeJsonAtomic(outPath, results);
console.log(`wrote ${outPath} (${results.totalSeconds} s)`);
