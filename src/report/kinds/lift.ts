/** The lift experiment (`samplify experiment`): baseline vs each arm over seeds, paired significance, segments. */
import { z } from 'zod';
import { combineSeeds, defaultMetrics } from '../../eval/index.ts';
import { barSpec, binCounts, figure, histogramSpec, type Datum } from '../charts.ts';
import { fmt, fmtP, fmtPercent, html, jsonBlock, note, table, type Html, type HtmlValue } from '../html.ts';
import type { HeadlineMetric, RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import type { RunFolder } from '../run-folder.ts';
import { backendLine, curveFigures, environmentProvenance, evaluateResultsSchema, type EvaluateResults, machineLine, metricAtKFigures, metricOrder, metricsSchema, readCurves, readSeedRecords, stageSchema, timingFigure, type SeedRecord } from './common.ts';

const segmentRowSchema = z
  .object({ segment: z.string(), n: z.number(), meanA: z.number().nullable(), meanB: z.number().nullable(), diff: z.number().nullable(), lift: z.number().nullable(), pValue: z.number().nullable(), pHolm: z.number().nullable().optional(), verdict: z.string() })
  .loose();

const alignmentSchema = z
  .object({
    method: z.string(),
    augmentedSamples: z.number(),
    kept: z.number(),
    discriminatorAuc: z.number().optional(),
    effectiveSampleSize: z.number().optional(),
    before: metricsSchema,
    after: metricsSchema,
    lengths: z.object({ cap: z.number(), real: z.array(z.number()), added: z.array(z.number()), kept: z.array(z.number()) }).loose().optional(),
    popularity: z.object({ buckets: z.array(z.string()), real: z.array(z.number()), added: z.array(z.number()), kept: z.array(z.number()) }).loose().optional(),
  })
  .loose();

export const liftArmSchema = z
  .object({
    name: z.string(),
    views: z.number().optional(),
    trainSequences: z.number().optional(),
    trainInteractions: z.number().optional(),
    test: metricsSchema,
    testStd: metricsSchema.optional(),
    valid: metricsSchema.optional(),
    lift: metricsSchema.nullable().optional(),
    significance: z
      .object({
        metric: z.string(),
        tTest: z.object({ n: z.number().optional(), meanDiff: z.number(), pValue: z.number(), ci95: z.tuple([z.number(), z.number()]).optional() }).loose(),
        bootstrap: z.object({ meanDiff: z.number().optional(), lo: z.number(), hi: z.number(), pValue: z.number().optional() }).loose(),
        // Absent in results written before the seed-level test was added.
        seeds: z.object({ n: z.number(), better: z.number(), pValue: z.number().nullable() }).loose().optional(),
      })
      .loose()
      .nullable()
      .optional(),
    segments: z.record(z.string(), z.array(segmentRowSchema)).nullable().optional(),
    alignment: alignmentSchema.nullable().optional(),
    pipeline: z.unknown().optional(),
    training: z.unknown().optional(),
    synthesize: z.unknown().optional(),
  })
  .loose();
export type LiftArm = z.infer<typeof liftArmSchema>;

export const liftResultsSchema = z
  .object({
    name: z.string().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    dataset: z.object({ name: z.string().optional(), checksum: z.string().optional(), users: z.number().optional(), items: z.number().optional(), testCases: z.number().optional() }).loose().optional(),
    metric: z.string(),
    seeds: z.array(z.number()),
    arms: z.array(z.unknown()).min(1),
  })
  .loose();

/** stages.json: seconds and peak memory of the steps around the runs (kept out of results.json, which is deterministic). */
const stagesFileSchema = z.object({ stages: z.array(stageSchema), wallSeconds: z.number().optional(), environment: z.unknown().optional() }).loose();

const ALPHA = 0.05;

/** significant: the paired t-test's p < 0.05 and the bootstrap CI of Δ excludes 0 (both must agree). */
export function verdictOf(arm: LiftArm): 'better' | 'worse' | 'not significant' | null {
  const s = arm.significance;
  if (!s) return null;
  const excludesZero = s.bootstrap.lo > 0 || s.bootstrap.hi < 0;
  if (s.tTest.pValue < ALPHA && excludesZero) return s.tTest.meanDiff > 0 ? 'better' : 'worse';
  return 'not significant';
}

/** The arm validation selects: the best validation value of the experiment's metric (baseline included). */
export function selectedArm(arms: readonly LiftArm[], metric: string): string | null {
  const spec = defaultMetrics().find((m) => m.name === metric);
  const sign = spec?.direction === 'lower' ? -1 : 1;
  let best: LiftArm | null = null;
  for (const a of arms) {
    const v = a.valid?.[metric];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (best === null || sign * v > sign * best.valid![metric]!) best = a;
  }
  return best?.name ?? null;
}

function cell(value: number | undefined, text: string, field: string): Html {
  return html`<span data-field="${field}" data-value="${value === undefined ? '' : String(value)}">${text}</span>`;
}

/** The lift table; `metrics` are the test columns shown, `unit` what the paired test pairs (users, queries). */
export function liftTable(arms: readonly LiftArm[], metric: string, selected: string | null, metrics: readonly string[] = ['HR@20', 'NDCG@20', metric], unit = 'user'): Html {
  const shown = metricOrder([...metrics]).filter((m) => arms.some((a) => m in a.test));
  const header: HtmlValue[] = ['arm', ...shown.map((m) => `test ${m} (mean ± std)`), `lift (${metric})`, 'p (paired t-test)', `95 % CI of Δ${metric} (bootstrap)`, 'seeds better (p over seeds)', 'verdict', `validation ${metric}`];
  const rows = arms.map((a, i) => {
    const v = verdictOf(a);
    const s = a.significance;
    return [
      html`<span data-field="name">${a.name}</span>${i === 0 ? html` <span class="tag">baseline</span>` : ''}${a.name === selected ? html` <span class="tag sel" data-testid="selected">selected on validation</span>` : ''}`,
      ...shown.map((m) => html`${cell(a.test[m], fmt(a.test[m]), `test.${m}`)} ± ${cell(a.testStd?.[m], fmt(a.testStd?.[m]), `testStd.${m}`)}`),
      i === 0 ? '—' : cell(a.lift?.[metric], fmtPercent(a.lift?.[metric]), `lift.${metric}`),
      s ? cell(s.tTest.pValue, fmtP(s.tTest.pValue), 'significance.tTest.pValue') : '—',
      s ? html`[${cell(s.bootstrap.lo, fmt(s.bootstrap.lo), 'significance.bootstrap.lo')}, ${cell(s.bootstrap.hi, fmt(s.bootstrap.hi), 'significance.bootstrap.hi')}]` : '—',
      s?.seeds ? html`${cell(s.seeds.better, `${s.seeds.better}/${s.seeds.n}`, 'significance.seeds.better')}${s.seeds.pValue === null ? '' : html` (${cell(s.seeds.pValue, fmtP(s.seeds.pValue), 'significance.seeds.pValue')})`}` : '—',
      v === null ? '—' : html`<span class="verdict ${v === 'better' ? 'good' : v === 'worse' ? 'bad' : 'neutral'}" data-field="verdict">${v === 'better' ? '✔ significant (better)' : v === 'worse' ? '✘ significant (worse)' : '○ not significant'}</span>`,
      cell(a.valid?.[metric], fmt(a.valid?.[metric]), `valid.${metric}`),
    ];
  });
  return html`${table(header, rows.map((r) => r), { id: 'lift-table', numeric: [1, 2, 3, 4, 5] })}
${note(`Significant means p < ${ALPHA} in the paired t-test over per-${unit} ${metric} (averaged over seeds) and a bootstrap 95 % CI of the per-${unit} difference that excludes 0. The seed column counts the seeds whose run beat the baseline run of the same seed, with a paired t-test over those per-seed differences: it carries the seed-to-seed spread the per-${unit} test averages away, and with few seeds it has little power. The selected arm has the best validation ${metric}; test numbers never choose.`)}`;
}

/** Per-segment lift tables and charts of every arm that has segments. */
export async function segmentsSection(arms: readonly LiftArm[], unit = 'users'): Promise<Html> {
  const withSeg = arms.filter((a) => a.segments);
  if (withSeg.length === 0) return note('No per-segment results in results.json.');
  const kinds = [...new Set(withSeg.flatMap((a) => Object.keys(a.segments!)))];
  const parts: Html[] = [];
  const title: Record<string, string> = {
    historyLength: 'history length',
    targetPopularity: 'target popularity (head / tail)',
    targetCount: "target's training interactions (≤ 5: near-cold items)",
    queryFrequency: 'query frequency (rarest token among training queries)',
    queryLength: 'query length (tokens)',
    spelling: 'spelling (likely misspelled vs clean)',
  };
  for (const k of kinds) {
    const values: Datum[] = [];
    const rows: HtmlValue[][] = [];
    for (const a of withSeg) {
      for (const r of a.segments![k] ?? []) {
        values.push({ arm: a.name, segment: r.segment, lift: r.lift ?? 0 });
        rows.push([a.name, r.segment, r.n, fmt(r.meanA), fmt(r.meanB), fmt(r.diff, 5), fmtPercent(r.lift), fmtP(r.pValue), fmtP(r.pHolm), r.verdict]);
      }
    }
    parts.push(html`<h3>By ${title[k] ?? k}</h3>
<div class="charts">${await figure(`segments-${k}`, `Relative lift per ${title[k] ?? k} segment, per arm`, barSpec(values, { x: 'segment', y: 'lift', yTitle: 'relative lift', color: 'arm', group: 'arm' }))}</div>
${table(['arm', 'segment', unit, 'baseline', 'arm', 'Δ', 'lift', 'p', 'p (Holm)', 'verdict'], rows, { numeric: [2, 3, 4, 5, 6, 7, 8], id: `segments-${k}` })}`);
  }
  return html`${parts}`;
}

const ranksSchema = z.object({ seed: z.number().optional(), test: z.array(z.number()) }).loose();

/** Per-user values of `metric` (mean over the seeds), from arms/<name>/ranks/seedN.json; null when a seed is missing. */
function perUser(run: RunFolder, arm: string, seeds: readonly number[], metric: string): Float64Array | null {
  const spec = defaultMetrics().find((m) => m.name === metric);
  if (!spec) return null;
  const perSeed: Float64Array[] = [];
  for (const s of seeds) {
    const r = run.readJson(`arms/${arm}/ranks/seed${s}.json`, ranksSchema, `no per-user lift distribution for ${arm}`);
    if (!r) return null;
    perSeed.push(Float64Array.from(r.test, (x) => spec.fromRank(x)));
  }
  if (perSeed.length === 0 || perSeed.some((p) => p.length !== perSeed[0]!.length)) return null;
  return combineSeeds(perSeed);
}

async function perUserSection(run: RunFolder, arms: readonly LiftArm[], seeds: readonly number[], metric: string): Promise<Html> {
  const base = perUser(run, arms[0]!.name, seeds, metric);
  if (!base) return note(`The per-user ranks (arms/${arms[0]!.name}/ranks/seedN.json) are not in this folder, so the per-user lift distribution cannot be drawn.`);
  const values: Datum[] = [];
  const rows: HtmlValue[][] = [];
  const diffs: { arm: string; d: Float64Array }[] = [];
  for (const a of arms.slice(1)) {
    const v = perUser(run, a.name, seeds, metric);
    if (!v || v.length !== base.length) continue;
    const d = Float64Array.from(v, (x, i) => x - base[i]!);
    diffs.push({ arm: a.name, d });
    let better = 0;
    let worse = 0;
    for (const x of d) x > 1e-12 ? better++ : x < -1e-12 ? worse++ : 0;
    rows.push([a.name, d.length, better, worse, d.length - better - worse]);
  }
  if (diffs.length === 0) return note('No arm has per-user ranks for every seed.');
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const { d } of diffs) for (const x of d) if (Math.abs(x) > 1e-12) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
  if (!Number.isFinite(lo)) return html`${table(['arm', 'users', 'better', 'worse', 'unchanged'], rows, { numeric: [1, 2, 3, 4] })}${note('Every user has the same value in every arm.')}`;
  for (const { arm, d } of diffs) {
    for (const b of binCounts(d.filter((x) => Math.abs(x) > 1e-12), 20, lo, hi)) values.push({ arm, bin: `${b.start.toFixed(3)}`, users: b.count });
  }
  return html`<div class="charts">${await figure('per-user-lift', `Per-user Δ${metric} (arm − baseline, mean over seeds) for users whose value changed; unchanged users are counted in the table`, histogramSpec(values, { x: 'bin', xTitle: `Δ${metric} (bin start)`, y: 'users', color: 'arm' }))}</div>
${table(['arm', 'users', 'better', 'worse', 'unchanged'], rows, { numeric: [1, 2, 3, 4], id: 'per-user' })}`;
}

async function alignmentSection(arms: readonly LiftArm[]): Promise<Html | null> {
  const withAl = arms.filter((a) => a.alignment);
  if (withAl.length === 0) return null;
  const values: Datum[] = [];
  const rows: HtmlValue[][] = [];
  for (const a of withAl) {
    const al = a.alignment!;
    for (const k of Object.keys(al.before)) {
      values.push({ arm: a.name, distance: k, when: 'before alignment', value: al.before[k]! });
      values.push({ arm: a.name, distance: k, when: 'after alignment', value: al.after[k] ?? null });
    }
    rows.push([a.name, al.method, al.augmentedSamples, al.kept, fmt(al.discriminatorAuc, 3), fmt(al.effectiveSampleSize, 0), ...['itemPopularityTV', 'lengthTV', 'transitionsJS'].map((k) => `${fmt(al.before[k])} → ${fmt(al.after[k])}`)]);
  }
  const lengthFigs: Html[] = [];
  for (const [i, a] of withAl.entries()) {
    const l = a.alignment!.lengths;
    if (!l || l.real.length !== l.cap + 1 || l.added.length !== l.cap + 1 || l.kept.length !== l.cap + 1) continue;
    const keptDiffers = a.alignment!.method !== 'none';
    const lv: Datum[] = [];
    for (let len = 1; len <= l.cap; len++) {
      const bin = len === l.cap ? `≥${l.cap}` : String(len);
      lv.push({ length: bin, set: 'real training', share: l.real[len]! }, { length: bin, set: 'added', share: l.added[len]! });
      if (keptDiffers) lv.push({ length: bin, set: 'added, kept by alignment', share: l.kept[len]! });
    }
    const pop = a.alignment!.popularity;
    if (pop && pop.real.length === pop.buckets.length && pop.added.length === pop.buckets.length && pop.kept.length === pop.buckets.length) {
      const pv: Datum[] = pop.buckets.flatMap((bucket, b) => [
        { rank: bucket, set: 'real training', share: pop.real[b]! },
        { rank: bucket, set: 'added', share: pop.added[b]! },
        ...(keptDiffers ? [{ rank: bucket, set: 'added, kept by alignment', share: pop.kept[b]! }] : []),
      ]);
      lengthFigs.push(await figure(`popularity-${i}`, `${a.name}: where the interactions go — share of interactions on items by their real training popularity rank (buckets double in size), real vs added, seed 0`, histogramSpec(pv, { x: 'rank', xTitle: 'item popularity rank (real training data)', y: 'share', yTitle: 'share of interactions', color: 'set' })));
    }
    lengthFigs.push(await figure(`lengths-${i}`, `${a.name}: sequence lengths, real training vs added samples${keptDiffers ? ` (and those ${a.alignment!.method} alignment kept)` : ''}, seed 0 (share of sequences; the last bin is ≥ ${l.cap})`, histogramSpec(lv, { x: 'length', y: 'share', yTitle: 'share of sequences', color: 'set' })));
  }
  return html`<div class="charts">${await figure('alignment', 'Distance of the added samples to the real training data (item popularity / length TV, transition JS; lower is closer; coverage higher), before and after alignment, seed 0', barSpec(values, { x: 'distance', y: 'value', color: 'when', group: 'when', horizontal: false }))}${lengthFigs}</div>
${table(['arm', 'alignment', 'added', 'kept', 'discriminator AUC', 'effective size', 'item-popularity TV', 'length TV', 'transitions JS'], rows, { numeric: [2, 3, 4, 5] })}`;
}

const syntheticSchema = z.object({ fingerprint: z.unknown(), result: z.object({ histories: z.array(z.array(z.number())) }).loose() }).loose();

const augmentedSamplesSchema = z
  .object({
    seed: z.number(),
    of: z.number(),
    samples: z.array(z.object({ user: z.string(), source: z.array(z.string()), augmented: z.array(z.string()), kept: z.boolean() }).loose()),
    itemAttributes: z.record(z.string(), z.array(z.string())).optional(),
  })
  .loose();

/** Item attributes of the items that changed between a source and its augmented sample (attribute-aware pipelines). */
function attributeTable(s: z.infer<typeof augmentedSamplesSchema>): Html | '' {
  const attrs = s.itemAttributes;
  if (!attrs) return '';
  const changed = new Set<string>();
  for (const x of s.samples) {
    const src = new Set(x.source);
    const aug = new Set(x.augmented);
    for (const it of x.augmented) if (!src.has(it)) changed.add(it);
    for (const it of x.source) if (!aug.has(it)) changed.add(it);
  }
  const items = [...changed].filter((it) => attrs[it] !== undefined).sort().slice(0, 40);
  if (items.length === 0) return '';
  return html`${table(['item', 'attributes'], items.map((it) => [it, attrs[it]!.join(', ') || '—']), { id: 'augmented-item-attributes' })}${note('Attributes of the items that differ between a shown source and its augmented sample (from the pipeline\'s attribute file): a substitution that keeps a brand or category shows here.')}`;
}

function samplesSection(run: RunFolder, arms: readonly LiftArm[]): Html {
  const parts: Html[] = [];
  for (const a of arms.slice(1)) {
    if (!a.synthesize) continue;
    const files = run.list(`arms/${a.name}/synthetic`).filter((f) => /^seed\d+\.json$/.test(f));
    if (files.length === 0) continue;
    const s = run.readJson(`arms/${a.name}/synthetic/${files[0]}`, syntheticSchema, `no synthetic-user samples for ${a.name}`);
    if (!s) continue;
    const hs = s.result.histories;
    parts.push(html`<h3>${a.name}: synthetic users (${files[0]}, ${hs.length} histories; first 10, internal item indices)</h3>
${table(['#', 'length', 'items'], hs.slice(0, 10).map((h, i) => [i + 1, h.length, h.slice(0, 30).join(' ') + (h.length > 30 ? ' …' : '')]), { numeric: [0, 1] })}`);
  }
  const offline = arms.slice(1).filter((a) => a.pipeline !== null && a.pipeline !== undefined);
  for (const a of offline) {
    const s = run.readJson(`arms/${a.name}/samples.json`, augmentedSamplesSchema, `no augmented samples for ${a.name}`, { optional: true });
    if (!s) continue;
    const MAX = 30;
    const items = (xs: readonly string[], marked: (x: string) => boolean): Html => {
      const shown = xs.slice(0, MAX).map((x) => (marked(x) ? html`<span class="same">${x}</span>` : x));
      return html`${shown.map((v, k) => (k ? html` ${v}` : v))}${xs.length > MAX ? ` … (${xs.length})` : ''}`;
    };
    const rows: HtmlValue[][] = [];
    for (const x of s.samples) {
      const src = new Set(x.source);
      const aug = new Set(x.augmented);
      rows.push([x.user, 'training sequence', x.source.length, items(x.source, (it) => !aug.has(it))]);
      rows.push(['', html`augmented${x.kept ? '' : ' (dropped by alignment)'}`, x.augmented.length, items(x.augmented, (it) => !src.has(it))]);
    }
    parts.push(html`<h3>${a.name}: augmented samples next to their source (${s.samples.length} of ${s.of}, seed ${s.seed}, original item ids)</h3>
${table(['user', 'sequence', 'length', 'items (marked: not in the other sequence)'], rows, { numeric: [2], id: `augmented-samples-${offline.indexOf(a)}` })}${attributeTable(s)}`);
  }
  if (offline.length && parts.length === 0) parts.push(note(`Offline augmented sequences (${offline.map((a) => a.name).join(', ')}) are not saved in this run folder (runs before samples.json was written); \`samplify augment\` with the same pipeline and seed writes them next to their source users.`));
  return parts.length ? html`${parts}` : note('This run folder holds no samples to inspect (online and offline augmentation are recomputed from the pipeline and seed during training).');
}

function armDescription(a: LiftArm): Html {
  return jsonBlock(`${a.name}: what it adds`, { views: a.views, pipeline: a.pipeline, training: a.training, synthesize: a.synthesize, trainSequences: a.trainSequences, trainInteractions: a.trainInteractions });
}

/** Version, machine, backend and rerun command: stages.json's environment, else (older runs) the baseline arm's evaluate record. */
export function liftEnvironment(run: RunFolder, environment: unknown, baseEval: EvaluateResults | null, subcommand = 'experiment'): ReturnType<typeof environmentProvenance> {
  const env = environmentProvenance(run, 'stages.json', environment, { subcommand, template: `samplify ${subcommand} <config.yaml> --out ${run.shown}   # the config is shown above; relative paths in it are relative to the original config file` });
  const machine = env.machine ?? machineLine(baseEval?.machine);
  const backend = env.backend ?? backendLine(baseEval?.backend);
  const version = env.version ?? baseEval?.samplify;
  return { ...env, ...(version ? { version } : {}), ...(machine ? { machine } : {}), ...(backend ? { backend } : {}) };
}

/** Each arm's test metrics and relative lifts, `arm · test M` / `arm · lift M` (shared by the search and recipe pages). */
export function liftHeadline(arms: readonly { readonly name: string; readonly test: Readonly<Record<string, number>>; readonly lift?: Readonly<Record<string, number>> | null | undefined }[]): HeadlineMetric[] {
  return arms.flatMap((a) => [...Object.entries(a.test).map(([m, v]) => ({ name: `${a.name} · test ${m}`, value: v })), ...Object.entries(a.lift ?? {}).map(([m, v]) => ({ name: `${a.name} · lift ${m}`, value: v }))]);
}

export const liftKind: RunKind = {
  name: 'lift',
  description: 'lift experiment (samplify experiment): baseline vs arms over seeds',
  detect(run) {
    const r = run.peekJson('results.json') as Record<string, unknown> | undefined;
    return (r !== undefined && r !== null && Array.isArray(r['arms']) && typeof r['metric'] === 'string') || (r === undefined && run.isDir('arms/baseline'));
  },
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('results.json', liftResultsSchema, 'no lift table, segments or per-arm metrics (the experiment may still be running: results.json is written when every arm is finished)');
    const sections: ReportSection[] = [];
    const armNames = res ? [] : run.list('arms').filter((n) => run.isDir(`arms/${n}`));
    let arms: LiftArm[] = [];
    if (res) {
      res.arms.forEach((raw, i) => {
        const a = run.check('results.json', liftArmSchema, raw, `arm ${i} is left out of the report`, `arms[${i}]`);
        if (a) arms.push(a);
      });
    } else {
      // Without the aggregate, each finished arm's own evaluate results still say something.
      for (const n of armNames.sort((a, b) => (a === 'baseline' ? -1 : b === 'baseline' ? 1 : a.localeCompare(b)))) {
        const e = run.readJson(`arms/${n}/results.json`, evaluateResultsSchema, `arm ${n} is left out`);
        if (e) arms.push({ name: n, test: e.test, ...(e.testStd ? { testStd: e.testStd } : {}), valid: e.valid });
      }
    }
    const metric = res?.metric ?? 'NDCG@20';
    const seeds = res?.seeds ?? [];
    arms = arms.sort((a, b) => (a.name === 'baseline' ? -1 : b.name === 'baseline' ? 1 : 0));
    const selected = selectedArm(arms, metric);
    if (arms.length > 0) {
      const best = arms.slice(1).reduce<LiftArm | null>((acc, a) => (a.lift?.[metric] !== undefined && (acc === null || a.lift[metric]! > acc.lift![metric]!) ? a : acc), null);
      const headline = selected
        ? html`<p class="lead" data-testid="headline">Validation selects <strong>${selected}</strong>${selected !== 'baseline' ? html` (test ${metric} lift ${fmtPercent(arms.find((a) => a.name === selected)?.lift?.[metric])}, ${verdictOf(arms.find((a) => a.name === selected)!) ?? 'no test'})` : ''}.${best && best.name !== selected ? html` The largest test lift is ${best.name} (${fmtPercent(best.lift?.[metric])}), but test numbers do not choose.` : ''}</p>`
        : '';
      sections.push({ id: 'summary', title: 'Lift', body: html`${headline}${liftTable(arms, metric, selected)}${res ? '' : note('results.json is absent: the table shows each finished arm\'s own results without significance.')}` });
      sections.push({ id: 'segments', title: 'Lift per segment', body: await segmentsSection(arms) });
      const barValues: Datum[] = arms.slice(1).flatMap((a) => metricOrder(Object.keys(a.lift ?? {})).map((m) => ({ arm: a.name, metric: m, lift: a.lift![m]! })));
      const charts: Html[] = [await metricAtKFigures(arms.map((a) => ({ label: a.name, test: a.test })))];
      if (barValues.length) charts.push(html`<div class="charts">${await figure('relative-lift', 'Relative test lift over the baseline, per metric and arm', barSpec(barValues, { x: 'metric', y: 'lift', yTitle: 'relative lift', color: 'arm', group: 'arm' }))}</div>`);
      sections.push({ id: 'metrics', title: 'Metrics at K', body: html`${charts}` });
      sections.push({ id: 'per-user', title: 'Per-user lift distribution', body: seeds.length ? await perUserSection(run, arms, seeds, metric) : note('Seeds are not recorded, so per-user ranks cannot be combined.') });
      const al = await alignmentSection(arms);
      if (al) sections.push({ id: 'alignment', title: 'Distributions: real vs augmented / synthetic', body: al });
    }
    const names = arms.length ? arms.map((a) => a.name) : armNames;
    const curves = names.flatMap((n) => readCurves(run, `arms/${n}/`, n));
    sections.push({ id: 'curves', title: 'Training curves', body: await curveFigures(curves) });
    const seedRecords: { label: string; seeds: SeedRecord[] }[] = names.map((n) => ({ label: n, seeds: readSeedRecords(run, `arms/${n}/`) }));
    const stagesFile = run.readJson('stages.json', stagesFileSchema, 'the time and memory of reading, generator fitting and aggregation are not shown', { optional: true });
    const stages = stagesFile?.stages ?? [];
    sections.push({ id: 'time', title: 'Time and memory per stage', body: await timingFigure(seedRecords, stages) });
    sections.push({ id: 'samples', title: 'Samples', body: samplesSection(run, arms) });
    if (arms.length) sections.push({ id: 'arms', title: 'Arms', body: html`${arms.slice(1).map(armDescription)}` });

    const baseEval = run.readJson('arms/baseline/results.json', evaluateResultsSchema, 'the machine and backend of the run are not shown', { optional: true });
    const totalSeconds = seedRecords.flatMap((r) => r.seeds).reduce((s, r) => s + (r.fitSeconds ?? 0) + (r.evalSeconds ?? 0), 0) + stages.reduce((s, st) => s + st.seconds, 0);
    return {
      headline: liftHeadline(arms),
      title: `Lift experiment · ${res?.name ?? run.name}`,
      subtitle: `${arms.length} arm(s) incl. baseline${res?.dataset?.name ? ` on ${res.dataset.name}` : ''}${res?.dataset?.users ? ` (${res.dataset.users} users, ${res.dataset.items} items, ${res.dataset.testCases} test cases)` : ''}; metric ${metric}; ${seeds.length} seed(s).`,
      sections,
      provenance: {
        ...(res?.config ? { config: res.config } : {}),
        ...(res ? { seeds } : {}),
        ...(res?.dataset?.checksum ? { datasets: [{ name: res.dataset.name ?? 'data', checksum: res.dataset.checksum }] } : {}),
        ...liftEnvironment(run, stagesFile?.environment, baseEval),
        ...(stagesFile?.wallSeconds !== undefined
          ? { wallTime: { seconds: stagesFile.wallSeconds, how: 'recorded: from reading the data to writing results.json, in the last invocation (seeds finished before a resume are read back, not retrained)' } }
          : totalSeconds > 0
            ? { wallTime: { seconds: totalSeconds, how: stages.length ? 'sum of the recorded stages (reading, pipelines and generators, aggregation) and the fit + evaluation times of every arm and seed' : 'sum of the recorded fit + evaluation times of every arm and seed (data loading and generator fitting not recorded by this run)' } }
            : {}),
      },
    };
  },
};
