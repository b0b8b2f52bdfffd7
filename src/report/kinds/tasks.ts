/** The two task experiments: CTR with synthetic rows (`samplify ctr`) and item cold-start (`samplify cold-start`). */
import { z } from 'zod';
import { pairedTTest } from '../../eval/index.ts';
import { barSpec, figure, type Datum } from '../charts.ts';
import { fmt, fmtP, fmtPercent, html, note, table, type HtmlValue } from '../html.ts';
import type { HeadlineMetric, RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import { backendLine, environmentProvenance, machineLine, metricsSchema } from './common.ts';

const meanStd = z.object({ mean: z.number(), std: z.number() }).loose();
const ctrRunSchema = z.object({ seed: z.number(), testAuc: z.number(), testLogLoss: z.number(), validAuc: z.number().optional(), seconds: z.number().optional(), trainRows: z.number().optional() }).loose();
const ctrCellSchema = z.object({ arm: z.string(), synthesizer: z.string().nullable(), model: z.string(), runs: z.array(ctrRunSchema), testAuc: meanStd, testLogLoss: meanStd, validAuc: meanStd.optional() }).loose();
const ctrResultsSchema = z
  .object({
    name: z.string().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    task: z.record(z.string(), z.unknown()).optional(),
    split: z.record(z.string(), z.unknown()).optional(),
    cells: z.array(ctrCellSchema),
    synthRuns: z.array(z.object({ synthesizer: z.string(), seed: z.number(), fitSeconds: z.number().optional(), sampleSeconds: z.number().optional(), error: z.string().optional() }).loose()).optional(),
    seconds: z.number().optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    dataset: z.object({ name: z.string(), checksum: z.string() }).loose().optional(),
    environment: z.unknown().optional(),
  })
  .loose();

type CtrCell = z.infer<typeof ctrCellSchema>;

function ctrCompare(cell: CtrCell, real: CtrCell | undefined): { p: number | null; lift: number | null } {
  if (!real || cell === real) return { p: null, lift: null };
  const bySeed = new Map(real.runs.map((r) => [r.seed, r.testAuc]));
  const pairs = cell.runs.filter((r) => bySeed.has(r.seed));
  const lift = real.testAuc.mean !== 0 ? cell.testAuc.mean / real.testAuc.mean - 1 : null;
  if (pairs.length < 2) return { p: null, lift };
  const t = pairedTTest(Float64Array.from(pairs, (r) => bySeed.get(r.seed)!), Float64Array.from(pairs, (r) => r.testAuc));
  return { p: Number.isFinite(t.pValue) ? t.pValue : null, lift };
}

export const ctrKind: RunKind = {
  name: 'ctr',
  description: 'CTR experiment (samplify ctr): real vs real + synthetic rows',
  detect(run) {
    const r = run.peekJson('results.json') as Record<string, unknown> | undefined;
    return r !== undefined && r !== null && Array.isArray(r['cells']) && 'synthRuns' in r;
  },
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('results.json', ctrResultsSchema, 'no CTR results (the per-run records under runs/ are not aggregated by the report)');
    const sections: ReportSection[] = [];
    const headline: HeadlineMetric[] = [];
    if (res) {
      const rows: HtmlValue[][] = [];
      const values: Datum[] = [];
      for (const c of res.cells) {
        const real = res.cells.find((x) => x.model === c.model && x.arm === 'real');
        const cellName = `${c.model} · ${c.synthesizer ? `${c.arm} (${c.synthesizer})` : c.arm}`;
        headline.push({ name: `${cellName} · test AUC`, value: c.testAuc.mean }, { name: `${cellName} · test log-loss`, value: c.testLogLoss.mean });
        const { p, lift } = ctrCompare(c, real);
        const label = c.synthesizer ? `${c.arm} (${c.synthesizer})` : c.arm;
        rows.push([
          c.model,
          html`<span data-field="name">${label}</span>${c.arm === 'real' ? html` <span class="tag">baseline</span>` : ''}`,
          html`<span data-field="testAuc.mean" data-value="${String(c.testAuc.mean)}">${fmt(c.testAuc.mean)}</span> ± ${fmt(c.testAuc.std)}`,
          `${fmt(c.testLogLoss.mean)} ± ${fmt(c.testLogLoss.std)}`,
          c.arm === 'real' ? '—' : fmtPercent(lift),
          p === null ? (c.arm === 'real' ? '—' : 'n/a (< 2 seeds)') : fmtP(p),
          p === null ? '—' : html`<span class="verdict ${p < 0.05 ? (lift! > 0 ? 'good' : 'bad') : 'neutral'}">${p < 0.05 ? (lift! > 0 ? '✔ significant (better)' : '✘ significant (worse)') : '○ not significant'}</span>`,
          fmt(c.validAuc?.mean),
          c.runs.length,
        ]);
        values.push({ model: c.model, arm: label, AUC: c.testAuc.mean, lo: c.testAuc.mean - c.testAuc.std, hi: c.testAuc.mean + c.testAuc.std });
      }
      sections.push({
        id: 'summary',
        title: 'Lift: test AUC against the real-only arm',
        body: html`${table(['model', 'arm', 'test AUC (mean ± std)', 'test log-loss', 'AUC lift', 'p (paired t over seeds)', 'verdict', 'valid AUC', 'seeds'], rows, { id: 'lift-table', numeric: [2, 3, 4, 5, 7, 8] })}
${note('Each arm is compared with the real-only arm of the same model; the paired t-test pairs seeds (few seeds: low power). Validation AUC is the only selection signal.')}
<div class="charts">${await figure('ctr-auc', 'Test AUC per arm and model (mean ± std over seeds)', barSpec(values, { x: 'arm', y: 'AUC', color: 'model', group: 'model', errorLow: 'lo', errorHigh: 'hi' }))}</div>`,
      });
      const timing: Datum[] = [
        ...(res.synthRuns ?? []).flatMap((s) => [
          { run: `${s.synthesizer} · seed ${s.seed}`, stage: 'synthesizer fit', seconds: s.fitSeconds ?? 0 },
          { run: `${s.synthesizer} · seed ${s.seed}`, stage: 'sampling', seconds: s.sampleSeconds ?? 0 },
        ]),
        ...res.cells.flatMap((c) => c.runs.map((r) => ({ run: `${c.model} ${c.arm}${c.synthesizer ? ` (${c.synthesizer})` : ''} · seed ${r.seed}`, stage: 'model fit', seconds: r.seconds ?? 0 }))),
      ];
      sections.push({ id: 'time', title: 'Time and memory per stage', body: html`<div class="charts">${await figure('time-per-stage', 'Seconds per stage', barSpec(timing, { x: 'run', y: 'seconds', color: 'stage', horizontal: true, height: Math.max(140, 16 * timing.length) }))}</div>${note('Memory per stage is not recorded by CTR runs.')}` });
      const errors = (res.synthRuns ?? []).filter((s) => s.error);
      if (errors.length) sections.push({ id: 'errors', title: 'Synthesizer failures', body: table(['synthesizer', 'seed', 'error'], errors.map((e) => [e.synthesizer, e.seed, e.error ?? ''])) });
      if (res.split) sections.push({ id: 'split', title: 'Split', body: html`<pre>${JSON.stringify(res.split, null, 2)}</pre>` });
    }
    const seeds = [...new Set(res?.cells.flatMap((c) => c.runs.map((r) => r.seed)) ?? [])].sort((a, b) => a - b);
    return {
      headline,
      title: `CTR experiment · ${res?.name ?? run.name}`,
      subtitle: res ? `${res.cells.length} (model, arm) cells over ${seeds.length} seed(s).` : 'results.json could not be read.',
      sections,
      provenance: {
        ...(res?.task ? { config: res.task } : res?.config ? { config: res.config } : {}),
        ...(res ? { seeds } : {}),
        ...(res?.dataset ? { datasets: [{ name: `${res.dataset.name} (rows as read)`, checksum: res.dataset.checksum }] } : {}),
        ...(res?.settings ? { backend: backendLine(res.settings)! } : {}),
        ...(res?.seconds ? { wallTime: { seconds: res.seconds, how: 'recorded' } } : {}),
        ...environmentProvenance(run, 'results.json', res?.environment, { subcommand: 'ctr', template: `samplify ctr <config.yaml> --out ${run.shown}   # the config is shown above` }),
      },
    };
  },
};

const caseSets = z.record(z.string(), metricsSchema);
const coldArmSchema = z
  .object({
    arm: z.string(),
    description: z.string().optional(),
    chosen: z.record(z.string(), z.number()).nullable().optional(),
    seeds: z.array(z.number()).optional(),
    metrics: caseSets,
    std: caseSets.optional(),
    perSeed: z.array(z.object({ seed: z.number(), info: z.object({ fitSeconds: z.number().optional(), epochs: z.number().optional() }).loose().optional() }).loose()).optional(),
  })
  .loose();
const comparisonSchema = z
  .object({ baseline: z.string(), treatment: z.string(), cases: z.string(), metric: z.string(), baselineMean: z.number(), treatmentMean: z.number(), relativeLift: z.number().nullable(), pValueT: z.number(), ci95Bootstrap: z.tuple([z.number(), z.number()]), pValueBootstrap: z.number().optional() })
  .loose();
const coldResultsSchema = z
  .object({
    experiment: z.literal('item-cold-start'),
    config: z.record(z.string(), z.unknown()).optional(),
    split: z.record(z.string(), z.unknown()).optional(),
    selection: z.record(z.string(), z.unknown()).optional(),
    arms: z.array(coldArmSchema),
    comparisons: z.array(comparisonSchema),
    backend: z.record(z.string(), z.unknown()).optional(),
    machine: z.record(z.string(), z.unknown()).optional(),
    environment: z.unknown().optional(),
    seconds: z.number().optional(),
    // Stored bench results (bench/cold-start-beauty.ts) record these instead.
    totalSeconds: z.number().optional(),
    peakRssMiB: z.number().optional(),
    command: z.string().optional(),
  })
  .loose();

export const coldStartKind: RunKind = {
  name: 'cold-start',
  description: 'item cold-start experiment (samplify cold-start)',
  detect(run) {
    const r = run.peekJson('results.json') as Record<string, unknown> | undefined;
    return r !== undefined && r !== null && r['experiment'] === 'item-cold-start';
  },
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('results.json', coldResultsSchema, 'no cold-start results');
    const sections: ReportSection[] = [];
    if (res) {
      const cmpRows = res.comparisons.map((c) => {
        const excludes = c.ci95Bootstrap[0] > 0 || c.ci95Bootstrap[1] < 0;
        const sig = c.pValueT < 0.05 && excludes;
        const better = c.treatmentMean > c.baselineMean;
        return [
          html`<span data-field="name">${c.treatment}</span>`,
          c.baseline,
          c.cases,
          c.metric,
          html`<span data-field="baselineMean" data-value="${String(c.baselineMean)}">${fmt(c.baselineMean)}</span>`,
          html`<span data-field="treatmentMean" data-value="${String(c.treatmentMean)}">${fmt(c.treatmentMean)}</span>`,
          c.relativeLift === null ? 'n/a (baseline 0)' : fmtPercent(c.relativeLift),
          fmtP(c.pValueT),
          `[${fmt(c.ci95Bootstrap[0])}, ${fmt(c.ci95Bootstrap[1])}]`,
          html`<span class="verdict ${sig ? (better ? 'good' : 'bad') : 'neutral'}">${sig ? (better ? '✔ significant (better)' : '✘ significant (worse)') : '○ not significant'}</span>`,
        ] as HtmlValue[];
      });
      sections.push({
        id: 'summary',
        title: 'Lift on cold and warm test items',
        body: html`${table(['treatment', 'baseline', 'cases', 'metric', 'baseline', 'treatment', 'lift', 'p (paired t)', '95 % CI of Δ (bootstrap)', 'verdict'], cmpRows, { id: 'lift-table', numeric: [4, 5, 6, 7] })}
${res.selection ? html`<h3>Chosen on validation</h3><pre>${JSON.stringify(res.selection, null, 2)}</pre>` : ''}`,
      });
      const sets = ['coldTest', 'warmTest', 'coldValid', 'warmValid'];
      const values: Datum[] = res.arms.flatMap((a) => sets.filter((s) => a.metrics[s]?.['NDCG@20'] !== undefined).slice(0, 2).map((s) => ({ arm: a.arm, cases: s, NDCG20: a.metrics[s]!['NDCG@20']! })));
      const rows = res.arms.map((a) => [a.arm, a.description ?? '', a.chosen ? Object.entries(a.chosen).map(([k, v]) => `${k} ${v}`).join(', ') : '—', ...['coldTest', 'warmTest'].flatMap((s) => [`${fmt(a.metrics[s]?.['NDCG@20'])} ± ${fmt(a.std?.[s]?.['NDCG@20'])}`, fmt(a.metrics[s]?.['HR@20'])])]);
      sections.push({
        id: 'arms',
        title: 'Arms',
        body: html`<div class="charts">${await figure('cold-start-arms', 'Test NDCG@20 per arm on cold and warm items', barSpec(values, { x: 'arm', y: 'NDCG20', yTitle: 'NDCG@20', color: 'cases', group: 'cases' }))}</div>
${table(['arm', 'what', 'chosen', 'cold NDCG@20', 'cold HR@20', 'warm NDCG@20', 'warm HR@20'], rows, { numeric: [3, 4, 5, 6], id: 'cold-arms' })}`,
      });
      // Model fit seconds per arm and seed (the heuristic arms fit nothing); memory is not recorded by cold-start runs.
      const timing: Datum[] = res.arms.flatMap((a) => (a.perSeed ?? []).flatMap((p) => (p.info?.fitSeconds !== undefined ? [{ run: `${a.arm} · seed ${p.seed}`, stage: 'model fit', seconds: p.info.fitSeconds }] : [])));
      sections.push({
        id: 'time',
        title: 'Time per stage',
        body: timing.length
          ? html`<div class="charts">${await figure('time-per-stage', 'Seconds to fit the model, per arm and seed (the heuristic arms fit nothing)', barSpec(timing, { x: 'run', y: 'seconds', color: 'stage', horizontal: true, height: Math.max(120, 18 * timing.length) }))}</div>${note(`Memory per stage is not recorded by cold-start runs.${res.seconds !== undefined ? ` Wall time of the whole run: ${fmt(res.seconds, 1)} s.` : ''}`)}`
          : note('No per-seed fit times in results.json (runs before they were recorded per seed).'),
      });
      if (res.split) sections.push({ id: 'split', title: 'Split', body: html`<pre>${JSON.stringify(res.split, null, 2)}</pre>` });
    }
    const seeds = [...new Set(res?.arms.flatMap((a) => a.seeds ?? []) ?? [])].sort((a, b) => a - b);
    return {
      headline: (res?.arms ?? []).flatMap((a) => ['coldTest', 'warmTest'].flatMap((set) => Object.entries(a.metrics[set] ?? {}).map(([m, v]) => ({ name: `${a.arm} · ${set === 'coldTest' ? 'cold' : 'warm'} test ${m}`, value: v })))),
      title: `Item cold-start · ${run.name}`,
      subtitle: res ? `${res.arms.length} arms, ${res.comparisons.length} paired comparisons.` : 'results.json could not be read.',
      sections,
      provenance: {
        ...(res?.config ? { config: res.config } : {}),
        ...(res ? { seeds } : {}),
        ...(typeof res?.config?.['checksum'] === 'string' ? { datasets: [{ name: String(res.config['dataset'] ?? 'data'), checksum: res.config['checksum'] }] } : {}),
        ...(machineLine(res?.machine) ? { machine: machineLine(res?.machine)! } : {}),
        ...(backendLine(res?.backend) ? { backend: backendLine(res?.backend)! } : {}),
        ...(res?.seconds !== undefined ? { wallTime: { seconds: res.seconds, how: 'recorded (this invocation; seeds finished before a resume are read back)' } } : res?.totalSeconds !== undefined ? { wallTime: { seconds: res.totalSeconds, how: 'recorded by the benchmark script' } } : {}),
        ...environmentProvenance(run, 'results.json', res?.environment, { subcommand: 'cold-start', template: res?.command ?? `samplify cold-start <config.yaml> --out ${run.shown}   # the config is shown above` }),
        ...(res?.peakRssMiB !== undefined ? { extra: [['peak memory', `${fmt(res.peakRssMiB, 0)} MiB (the whole run)`] as const] } : {}),
      },
    };
  },
};
