/** The search lift experiment (`samplify experiment` with `task: search`): rankers on real vs expanded training queries. */
import { z } from 'zod';
import { combineSeeds } from '../../eval/index.ts';
import { barSpec, binCounts, figure, histogramSpec, type Datum } from '../charts.ts';
import { fmt, fmtPercent, html, jsonBlock, note, table, type Html, type HtmlValue } from '../html.ts';
import type { RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import type { RunFolder } from '../run-folder.ts';
import { environmentProvenance } from './common.ts';
import { liftArmSchema, liftHeadline, liftTable, segmentsSection, verdictOf, type LiftArm } from './lift.ts';

const searchResultsSchema = z
  .object({
    kind: z.literal('search-lift'),
    name: z.string().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    dataset: z.object({ name: z.string().optional(), file: z.string().optional(), rowsIn: z.number().optional(), rowsKept: z.number().optional(), rowsRejected: z.number().optional(), fingerprint: z.string().optional() }).loose().optional(),
    split: z.object({ kind: z.string(), seed: z.number(), train: z.number(), valid: z.number(), test: z.number(), evaluatedTest: z.number().optional() }).loose().optional(),
    metric: z.string(),
    seeds: z.array(z.number()),
    selected: z.string().optional(),
    arms: z.array(z.unknown()).min(1),
  })
  .loose();

const syntheticSummarySchema = z.object({ requested: z.number(), kept: z.number(), pairs: z.number().optional(), dropped: z.record(z.string(), z.number()), file: z.string() }).loose();
const searchArmExtra = z
  .object({ trainQueries: z.number().optional(), addedQueries: z.number().optional(), droppedHeldOut: z.number().optional(), fitSeconds: z.number().optional(), synthetic: syntheticSummarySchema.nullable().optional() })
  .loose();
/** stages.json of a search experiment: wall-clock fit time per arm (kept out of results.json, which is deterministic). */
const searchStagesSchema = z
  .object({
    arms: z.array(z.object({ arm: z.string(), fitSeconds: z.number(), perSeed: z.array(z.object({ seed: z.number(), fitSeconds: z.number() }).loose()).optional() }).loose()),
    wallSeconds: z.number().optional(),
    environment: z.unknown().optional(),
  })
  .loose();
const queryStatsSchema = z.object({ count: z.number(), meanTokens: z.number(), lengthShare: z.array(z.number()), withDigits: z.number() }).loose();
const syntheticReportSchema = z
  .object({
    alignment: z
      .object({ real: queryStatsSchema, generated: queryStatsSchema, kept: queryStatsSchema, lengthTvd: z.object({ generated: z.number(), kept: z.number() }), tokenJs: z.object({ generated: z.number(), kept: z.number() }) })
      .loose()
      .optional(),
    examples: z.array(z.object({ title: z.string(), query: z.string(), kept: z.boolean(), reason: z.string().optional(), label: z.number().optional() }).loose()).optional(),
    meanPositiveLabel: z.number().optional(),
    meanNegativeLabel: z.number().optional(),
  })
  .loose();

/** Generate arms: what the generator wrote, what the filters kept and why, and how generated queries compare with real ones. */
async function syntheticSection(run: RunFolder, arms: readonly (LiftArm & z.infer<typeof searchArmExtra>)[]): Promise<Html | null> {
  const gen = arms.filter((a) => a.synthetic);
  if (gen.length === 0) return null;
  const parts: Html[] = [];
  const reasons = [...new Set(gen.flatMap((a) => Object.keys(a.synthetic!.dropped)))].sort();
  parts.push(table(['arm', 'requested', 'kept', ...reasons.map((r) => `dropped: ${r}`)], gen.map((a) => [a.name, a.synthetic!.requested, a.synthetic!.kept, ...reasons.map((r) => a.synthetic!.dropped[r] ?? 0)]), { numeric: [1, 2, ...reasons.map((_, i) => 3 + i)], id: 'synthetic-accounting' }));
  const lengthBars: Datum[] = [];
  for (const a of gen) {
    const rep = run.readJson(a.synthetic!.file, syntheticReportSchema, `no alignment or examples for ${a.name}`);
    const al = rep?.alignment;
    if (al) {
      parts.push(html`<h3>${a.name}: generated vs real queries</h3>`);
      parts.push(
        table(
          ['queries', 'count', 'mean tokens', 'with digits', 'length TV vs real', 'token JS vs real (bits)'],
          [
            ['real training', al.real.count, fmt(al.real.meanTokens, 2), fmtPercent(al.real.withDigits, 1), '—', '—'],
            ['generated', al.generated.count, fmt(al.generated.meanTokens, 2), fmtPercent(al.generated.withDigits, 1), fmt(al.lengthTvd.generated, 3), fmt(al.tokenJs.generated, 3)],
            ['kept (after filters)', al.kept.count, fmt(al.kept.meanTokens, 2), fmtPercent(al.kept.withDigits, 1), fmt(al.lengthTvd.kept, 3), fmt(al.tokenJs.kept, 3)],
          ],
          { numeric: [1, 2, 3, 4, 5] },
        ),
      );
      const bins = ['1', '2', '3', '4+'];
      for (const [who, st] of [['real', al.real], ['generated', al.generated], ['kept', al.kept]] as const) st.lengthShare.forEach((v, i) => lengthBars.push({ arm: a.name, queries: who, tokens: bins[i]!, share: v }));
    }
    if (rep?.examples?.length) parts.push(table(['title', 'generated query', 'kept', 'why dropped / teacher label'], rep.examples.map((e) => [e.title, e.query, e.kept ? 'yes' : 'no', e.kept ? fmt(e.label, 2) : (e.reason ?? '')]), { id: `synthetic-examples-${a.name}` }));
  }
  if (lengthBars.length) parts.push(html`<div class="charts">${await figure('synthetic-query-length', 'Query length (tokens): real vs generated vs kept', barSpec(lengthBars, { x: 'tokens', y: 'share', color: 'queries', group: 'queries' }))}</div>`);
  parts.push(note('Generated queries are written for training products only; a query equal to a validation or test query is dropped and counted. The round-trip filter keeps a query only if BM25 finds its product in the top k; the teacher (a ranker fitted on the real training pairs) grades the product and its BM25 hard negatives. Counts are for the first seed.'));
  return html`${parts}`;
}
const seedRunSchema = z.object({ result: z.object({ perQuery: z.record(z.string(), z.array(z.number())) }).loose() }).loose();

const SEARCH_METRICS = ['NDCG@5', 'NDCG@10', 'MRR', 'RMSE'];

/** Per-query values of `metric` (mean over seeds) from arms/<arm>/seedN.json; null when a seed is missing. */
function perQuery(run: RunFolder, arm: string, seeds: readonly number[], metric: string): Float64Array | null {
  const perSeed: Float64Array[] = [];
  for (const s of seeds) {
    const r = run.readJson(`arms/${arm}/seed${s}.json`, seedRunSchema, `no per-query lift distribution for ${arm}`);
    const v = r?.result.perQuery[metric];
    if (!v) return null;
    perSeed.push(Float64Array.from(v));
  }
  if (perSeed.length === 0 || perSeed.some((p) => p.length !== perSeed[0]!.length)) return null;
  return combineSeeds(perSeed);
}

async function perQuerySection(run: RunFolder, arms: readonly LiftArm[], seeds: readonly number[], metric: string): Promise<Html> {
  const base = perQuery(run, 'baseline', seeds, metric);
  if (!base) return note('The per-query results (arms/baseline/seedN.json) are not in this folder, so the per-query lift distribution cannot be drawn.');
  const values: Datum[] = [];
  const rows: HtmlValue[][] = [];
  for (const a of arms.slice(1)) {
    const v = perQuery(run, a.name, seeds, metric);
    if (!v || v.length !== base.length) continue;
    const d = Float64Array.from(v, (x, i) => x - base[i]!);
    let better = 0;
    let worse = 0;
    for (const x of d) x > 1e-12 ? better++ : x < -1e-12 ? worse++ : 0;
    rows.push([a.name, d.length, better, worse, d.length - better - worse]);
    for (const b of binCounts(d.filter((x) => Math.abs(x) > 1e-12), 20, -0.5, 0.5)) values.push({ arm: a.name, bin: b.start.toFixed(2), queries: b.count });
  }
  if (rows.length === 0) return note('No arm has per-query results for every seed.');
  return html`<div class="charts">${await figure('per-query-lift', `Per-query Δ${metric} (arm − baseline, mean over seeds) for queries whose value changed`, histogramSpec(values, { x: 'bin', xTitle: `Δ${metric} (bin start)`, y: 'queries', color: 'arm' }))}</div>
${table(['arm', 'queries', 'better', 'worse', 'unchanged'], rows, { numeric: [1, 2, 3, 4], id: 'per-query' })}`;
}

export const searchLiftKind: RunKind = {
  name: 'search-lift',
  description: 'search lift experiment (samplify experiment, task: search): a ranker on real vs expanded training queries',
  detect(run) {
    const r = run.peekJson('results.json') as Record<string, unknown> | undefined;
    return r !== undefined && r !== null && r['kind'] === 'search-lift';
  },
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('results.json', searchResultsSchema, 'no lift table (results.json is written when every arm and seed is finished)');
    const sections: ReportSection[] = [];
    const arms: (LiftArm & z.infer<typeof searchArmExtra>)[] = [];
    res?.arms.forEach((raw, i) => {
      const a = run.check('results.json', liftArmSchema.and(searchArmExtra), raw, `arm ${i} is left out of the report`, `arms[${i}]`);
      if (a) arms.push(a);
    });
    const metric = res?.metric ?? 'NDCG@10';
    const seeds = res?.seeds ?? [];
    const selected = res?.selected ?? null;
    // Fit times, wall time and the run environment live in stages.json (results.json stays byte-identical across reruns).
    const stages = run.readJson('stages.json', searchStagesSchema, 'the fit time per arm, the wall time and the machine are not shown', { optional: true });
    if (arms.length > 0) {
      const sel = arms.find((a) => a.name === selected);
      const headline = sel
        ? html`<p class="lead" data-testid="headline">Validation selects <strong>${sel.name}</strong>${sel.name !== 'baseline' ? html` (test ${metric} lift ${fmtPercent(sel.lift?.[metric])}, ${verdictOf(sel) ?? 'no test'})` : ''} on ${res?.split?.evaluatedTest ?? '?'} unseen test queries.</p>`
        : '';
      sections.push({ id: 'summary', title: 'Lift on unseen queries', body: html`${headline}${liftTable(arms, metric, selected, SEARCH_METRICS, 'query')}` });
      sections.push({ id: 'segments', title: 'Lift per segment', body: await segmentsSection(arms, 'queries') });
      const barValues: Datum[] = arms.slice(1).flatMap((a) => SEARCH_METRICS.filter((m) => a.lift?.[m] !== undefined).map((m) => ({ arm: a.name, metric: m, lift: a.lift![m]! })));
      if (barValues.length) sections.push({ id: 'metrics', title: 'Relative lift per metric', body: html`<div class="charts">${await figure('relative-lift', 'Relative test lift over the baseline, per metric and arm', barSpec(barValues, { x: 'metric', y: 'lift', yTitle: 'relative lift', color: 'arm', group: 'arm' }))}</div>` });
      sections.push({ id: 'per-query', title: 'Per-query lift distribution', body: seeds.length ? await perQuerySection(run, arms, seeds, metric) : note('Seeds are not recorded.') });
      const synthetic = await syntheticSection(run, arms);
      if (synthetic) sections.push({ id: 'synthetic', title: 'Synthetic query–product pairs', body: synthetic });
      const fitSeconds = new Map((stages?.arms ?? []).map((a) => [a.arm, a.fitSeconds] as const));
      sections.push({
        id: 'arms',
        title: 'Arms',
        body: html`${table(
          ['arm', 'training queries', 'added', 'dropped (equal to a held-out query)', 'fit seconds (mean)'],
          arms.map((a) => [a.name, a.trainQueries ?? '—', a.addedQueries ?? '—', a.droppedHeldOut ?? '—', fmt(fitSeconds.get(a.name) ?? a.fitSeconds, 1)]),
          { numeric: [1, 2, 3, 4], id: 'arms-table' },
        )}${arms.slice(1).map((a) => jsonBlock(`${a.name}: pipeline`, { views: a.views, pipeline: a.pipeline }))}`,
      });
      const timing: Datum[] = (stages?.arms ?? []).flatMap((a) => (a.perSeed ?? [{ seed: -1, fitSeconds: a.fitSeconds }]).map((p) => ({ run: p.seed < 0 ? `${a.arm} (mean)` : `${a.arm} · seed ${p.seed}`, stage: 'ranker fit (incl. expansion)', seconds: p.fitSeconds })));
      sections.push({
        id: 'time',
        title: 'Time per stage',
        body: timing.length
          ? html`<div class="charts">${await figure('time-per-stage', 'Seconds to expand the training queries and fit the ranker, per arm and seed (stages.json)', barSpec(timing, { x: 'run', y: 'seconds', color: 'stage', horizontal: true, height: Math.max(120, 22 * timing.length) }))}</div>${note('Memory per stage is not recorded by search experiments.')}`
          : note('stages.json is absent: the fit times are not recorded in this folder.'),
      });
    }
    const d = res?.dataset;
    return {
      headline: liftHeadline(arms),
      title: `Search lift experiment · ${res?.name ?? run.name}`,
      subtitle: `${arms.length} arm(s) incl. baseline; ${res?.split ? `${res.split.kind} split (seed ${res.split.seed}): ${res.split.train} / ${res.split.valid} / ${res.split.test} queries` : 'split not recorded'}; metric ${metric}; ${seeds.length} seed(s).`,
      sections,
      provenance: {
        ...(res?.config ? { config: res.config } : {}),
        ...(res ? { seeds } : {}),
        ...(d?.fingerprint ? { datasets: [{ name: d.name ?? d.file ?? 'data', checksum: d.fingerprint }] } : {}),
        ...(d?.rowsIn !== undefined ? { extra: [['rows', `${d.rowsIn} in = ${d.rowsKept} kept + ${d.rowsRejected} rejected`] as const] } : {}),
        ...(stages?.wallSeconds !== undefined ? { wallTime: { seconds: stages.wallSeconds, how: 'recorded: from reading the data to writing results.json, in the last invocation' } } : {}),
        ...environmentProvenance(run, 'stages.json', stages?.environment, { subcommand: 'experiment', template: `samplify experiment <config.yaml> --out ${run.shown}   # the config is shown above` }),
      },
    };
  },
};
