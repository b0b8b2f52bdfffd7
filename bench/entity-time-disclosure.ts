/**
 * What synthetic rows of the ml-100k anchor table (bench/ml100k-anchor9.ts) disclose about the
 * real users' activity in time — the disclosure that row-level privacy metrics (exact copies, DCR,
 * membership inference) do not measure. On this table (age, gender, occupation, zip_region) nearly
 * identify a user (841 combinations in the 80k train rows, for 943 users), so a synthetic row that
 * puts a real combination at a time close to that combination's real ratings tells whoever knows a
 * person's four attributes when that person was rating.
 *
 *   SAMPLIFY_THREADS=1 nice node --import tsx bench/entity-time-disclosure.ts [--seeds 1] [--models gaussian-copula,…]
 *     [--variant 'label=model:{json}' …] [--out bench/results/entity-time-disclosure-ml100k-anchor9.json]
 *
 * Per synthesizer and seed (fit on the 80k train rows, 80k rows sampled):
 * - realCombinationShare: synthetic rows whose (age, gender, occupation, zip_region) is a train combination;
 * - timeLinkedRows[Δ]: synthetic rows with a train row of the same combination within Δ in time
 *   (Δ = 0 s, 10 min, 1 day), beside the same share for the 20k real holdout rows (ratings the
 *   model never saw, by the same users, so they share sessions with the train rows: what a fresh
 *   real sample of the same people shows);
 * - sessionsRecovered[Δ]: real train sessions (a combination's ratings cut where two are more than
 *   30 min apart) with a synthetic row of that combination within Δ of the session's start — the
 *   share of the real users' activity times an attacker can read off the synthetic table.
 */
import { cpus, loadavg } from 'node:os';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { cellKey, cellToNumber, type Table, type TableMetadata } from '../src/data/index.ts';
import { meanStd } from '../src/eval/index.ts';
import { createSynthesizer } from '../src/synth/index.ts';
import { loadMl100kAnchor9Split } from './ml100k-anchor9.ts';
import { arg } from './args.ts';

const KEY = ['age', 'gender', 'occupation', 'zip_region'] as const;
const SESSION_GAP = 1800;
const DELTAS = [0, 600, 86400] as const;

const seeds = Array.from({ length: Number(arg('seeds', '1')) }, (_, i) => i);
const variants = new Map<string, { model: string; config: Record<string, unknown> }>();
process.argv.forEach((a, i) => {
  if (a !== '--variant') return;
  const m = /^([\w.-]+)=([\w-]+):(\{.*\})$/s.exec(process.argv[i + 1] ?? '');
  if (!m) {
    console.error(`bench/entity-time-disclosure: --variant must be label=model:{json config}, got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  variants.set(m[1]!, { model: m[2]!, config: JSON.parse(m[3]!) as Record<string, unknown> });
});
const models = arg('models', ['gaussian-copula', ...variants.keys()].join(',')).split(',');
const out = arg('out', 'bench/results/entity-time-disclosure-ml100k-anchor9.json');

const { train, holdout, metadata } = await loadMl100kAnchor9Split('bench/entity-time-disclosure');
stderrProgress.line(`anchor table: ${train.rowCount} train + ${holdout.rowCount} holdout rows`);

const combo = (t: Table, r: number): string => KEY.map((c) => cellKey(t.data[c]![r] ?? null)).join('|');
const seconds = (t: Table, r: number, meta: TableMetadata): number => (cellToNumber(t.data.timestamp![r] ?? null, meta.columns.timestamp) ?? Number.NaN) / 1000;

/** Per combination: its times (seconds), ascending. */
function timesByCombo(t: Table): Map<string, Float64Array> {
  const lists = new Map<string, number[]>();
  for (let r = 0; r < t.rowCount; r++) {
    const k = combo(t, r);
    const x = seconds(t, r, metadata);
    if (!Number.isFinite(x)) continue;
    const l = lists.get(k);
    if (l) l.push(x);
    else lists.set(k, [x]);
  }
  return new Map([...lists].map(([k, l]) => [k, Float64Array.from(l).sort()]));
}

/** Distance from x to the nearest value of a sorted array (Infinity when empty or absent). */
function nearest(sorted: Float64Array | undefined, x: number): number {
  if (!sorted || sorted.length === 0) return Infinity;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  let d = Infinity;
  if (lo < sorted.length) d = sorted[lo]! - x;
  if (lo > 0) d = Math.min(d, x - sorted[lo - 1]!);
  return d;
}

const trainTimes = timesByCombo(train);
const sessions: { combo: string; start: number }[] = [];
for (const [k, ts] of trainTimes) ts.forEach((x, i) => (i === 0 || x - ts[i - 1]! > SESSION_GAP ? sessions.push({ combo: k, start: x }) : undefined));

/** Shares of rows of `t` with a train row of the same combination within each Δ. */
function timeLinked(t: Table): Record<string, number> {
  const hits = DELTAS.map(() => 0);
  for (let r = 0; r < t.rowCount; r++) {
    const d = nearest(trainTimes.get(combo(t, r)), seconds(t, r, metadata));
    DELTAS.forEach((delta, j) => {
      if (d <= delta) hits[j]!++;
    });
  }
  return Object.fromEntries(DELTAS.map((delta, j) => [`${delta}s`, hits[j]! / t.rowCount]));
}

function sessionsRecovered(t: Table): Record<string, number> {
  const times = timesByCombo(t);
  const hits = DELTAS.map(() => 0);
  for (const s of sessions) {
    const d = nearest(times.get(s.combo), s.start);
    DELTAS.forEach((delta, j) => {
      if (d <= delta) hits[j]!++;
    });
  }
  return Object.fromEntries(DELTAS.map((delta, j) => [`${delta}s`, hits[j]! / sessions.length]));
}

const holdoutLinked = timeLinked(holdout);
stderrProgress.line(`${sessions.length} real train sessions; holdout rows time-linked: ${JSON.stringify(holdoutLinked)}`);
const runs: { model: string; seed: number; realCombinationShare: number; timeLinkedRows: Record<string, number>; sessionsRecovered: Record<string, number> }[] = [];
for (const model of models) {
  for (const seed of seeds) {
    const v = variants.get(model);
    const synth = createSynthesizer(v?.model ?? model, v?.config ?? {});
    await synth.fit(train, metadata, { seed });
    const sample = synth.sample(train.rowCount, { seed }).table;
    let real = 0;
    for (let r = 0; r < sample.rowCount; r++) if (trainTimes.has(combo(sample, r))) real++;
    const run = { model, seed, realCombinationShare: real / sample.rowCount, timeLinkedRows: timeLinked(sample), sessionsRecovered: sessionsRecovered(sample) };
    runs.push(run);
    stderrProgress.line(`${model} seed ${seed}: ${JSON.stringify(run)}`);
  }
}

writeJsonAtomic(out, {
  benchmark: 'entity-time-disclosure-ml100k-anchor9',
  command: `SAMPLIFY_THREADS=1 node --import tsx bench/entity-time-disclosure.ts --seeds ${seeds.length} --models ${models.join(',')}${[...variants].map(([l, v]) => ` --variant '${l}=${v.model}:${JSON.stringify(v.config)}'`).join('')} --out ${out}`,
  data: { trainRows: train.rowCount, holdoutRows: holdout.rowCount, combinations: trainTimes.size, trainSessions: sessions.length, sessionGapSeconds: SESSION_GAP },
  directions: {
    realCombinationShare: 'share of synthetic rows whose (age, gender, occupation, zip_region) is a real train combination (each nearly one user)',
    timeLinkedRows: 'share of rows with a train row of the same combination within Δ seconds; lower discloses less (the holdout line is what unseen real rows of the same users give)',
    sessionsRecovered: "share of the real train sessions with a synthetic row of the same combination within Δ of the session's start; lower discloses less",
  },
  holdout: { timeLinkedRows: holdoutLinked },
  summary: models.map((model) => {
    const rs = runs.filter((r) => r.model === model);
    const per = (f: (r: (typeof rs)[number]) => Record<string, number>) => Object.fromEntries(DELTAS.map((d) => [`${d}s`, meanStd(rs.map((r) => f(r)[`${d}s`]!))]));
    return { model, ...(variants.get(model) ? { synthesizer: variants.get(model)!.model, config: variants.get(model)!.config } : {}), realCombinationShare: meanStd(rs.map((r) => r.realCombinationShare)), timeLinkedRows: per((r) => r.timeLinkedRows), sessionsRecovered: per((r) => r.sessionsRecovered) };
  }),
  runs,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
  date: new Date().toISOString(),
});
console.log(`wrote ${out}`);
