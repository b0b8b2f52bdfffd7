/**
 * Where a synthesizer's label signal goes, column by column: for each column of the anchor table,
 * the AUC on the real holdout of the label rate by the column's value (numbers by deciles of the
 * real train rows), the rates estimated once on the real train rows and once on a synthetic sample
 * of each saved model. A column whose synthetic AUC falls towards 0.5 is one whose link to the label
 * the synthesizer did not learn.
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/label-signal.ts --seed 0 --model DIR/ctgan-seed0.json [--model …] [--out bench/results/….json]
 */
import { writeJsonAtomic } from '../src/core/index.ts';
import { cellToNumber, MOVIELENS_LABEL, type Cell, type Table, type TableMetadata } from '../src/data/index.ts';
import { rocAuc } from '../src/eval/index.ts';
import { loadMl100kAnchor9Split } from './ml100k-anchor9.ts';
import { arg, threadsPrefix } from './args.ts';
import { loadSavedSynthesizer } from './saved-model.ts';

const seed = Number(arg('seed', '0'));
const out = arg('out', '');
const models = process.argv.flatMap((a, i) => (a === '--model' ? [process.argv[i + 1]!] : []));
if (models.length === 0) {
  console.error('bench/label-signal: at least one --model FILE (saved by synth-report --save-models) is required');
  process.exit(2);
}

const { train, holdout, metadata } = await loadMl100kAnchor9Split('bench/label-signal', 100000);
const columns = train.columns.filter((c) => c !== MOVIELENS_LABEL);

/** Bucket of a cell: the value itself, or for numbers and times its decile among the real train rows. */
function bucketer(c: string, md: TableMetadata): (x: Cell) => string {
  const meta = md.columns[c]!;
  if (meta.type !== 'numerical' && meta.type !== 'datetime') return (x) => String(x);
  const sorted = train.data[c]!.map((x) => cellToNumber(x, meta)!).sort((a, b) => a - b);
  const edges = Array.from({ length: 9 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / 10)]!);
  return (x) => {
    const v = cellToNumber(x, meta)!;
    let k = 0;
    while (k < edges.length && v >= edges[k]!) k++;
    return String(k);
  };
}
/** One bucketer per column: the deciles come from the real train rows, whichever rows are counted. */
const buckets = new Map(columns.map((c) => [c, bucketer(c, metadata)]));
const holdoutLabels = holdout.data[MOVIELENS_LABEL]!.map((x) => (x === true ? 1 : 0));

/** AUC on the holdout of the label rate per bucket of column c, the rates counted on `rows`. */
function signal(rows: Table, c: string): number {
  const bucket = buckets.get(c)!;
  const rate = new Map<string, { pos: number; all: number }>();
  rows.data[c]!.forEach((x, i) => {
    const b = bucket(x);
    const r = rate.get(b) ?? { pos: 0, all: 0 };
    if (rows.data[MOVIELENS_LABEL]![i] === true) r.pos++;
    r.all++;
    rate.set(b, r);
  });
  const scores = holdout.data[c]!.map((x) => {
    const r = rate.get(bucket(x));
    return r === undefined ? 0.5 : r.pos / r.all;
  });
  return rocAuc(scores, holdoutLabels);
}

const samples = models.map((m) => loadSavedSynthesizer(m, train, metadata).sample(train.rowCount, { seed }).table);
const result = columns.map((c) => ({ column: c, real: signal(train, c), synthetic: samples.map((s) => signal(s, c)) }));
for (const r of result) console.log(`${r.column.padEnd(14)} real ${r.real.toFixed(4)}  ${r.synthetic.map((v) => v.toFixed(4)).join('  ')}`);
if (out !== '') {
  writeJsonAtomic(out, {
    benchmark: 'label-signal-ml100k-anchor9',
    command: `${threadsPrefix()}node --import tsx bench/label-signal.ts --seed ${seed}${models.map((m) => ` --model ${m}`).join('')} --out ${out}`,
    direction: 'per column: AUC on the real holdout of the label rate by value (deciles for numbers), the rates from the real train rows (real) or from each model\'s sample (synthetic, in --model order); 0.5 = no signal',
    models,
    columns: result,
    date: new Date().toISOString(),
  });
}
