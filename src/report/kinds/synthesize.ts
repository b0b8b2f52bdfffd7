/**
 * Synthesis runs (`samplify synthesize`): tables (gaussian-copula, ctgan, tvae) and user histories
 * (markov, autoregressive, vae). The run folder is the one holding `<name>.provenance.json`
 * (written last, so its presence says the run finished), `<name>.report.json` (fidelity and
 * privacy, when the config asked for one) and the sampled output.
 */
import { z } from 'zod';
import { logSpacedRanks } from '../../eval/index.ts';
import { barSpec, binCounts, figure, heatmapSpec, histogramSpec, lineSpec, type Datum } from '../charts.ts';
import { fmt, html, note, table, type Html, type HtmlValue } from '../html.ts';
import type { HeadlineMetric, RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import type { RunFolder } from '../run-folder.ts';
import { environmentProvenance } from './common.ts';

const valueSchema = z.object({ value: z.number(), direction: z.string().optional(), ideal: z.number().optional() }).loose();

const provenanceSchema = z
  .object({
    kind: z.enum(['samplify-synthesis-provenance', 'samplify-sequence-synthesis-provenance']),
    name: z.string().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    seed: z.number().optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    input: z.object({ path: z.string().optional(), sha256: z.string().optional(), checksum: z.string().optional(), rowsIn: z.number().optional(), rowsKept: z.number().optional(), rowsRejected: z.number().optional() }).loose().optional(),
    synthesizer: z.object({ name: z.string(), params: z.unknown().optional() }).loose().optional(),
    fit: z.object({ seconds: z.number().optional(), losses: z.array(z.record(z.string(), z.unknown())).optional() }).loose().optional(),
    sample: z.record(z.string(), z.unknown()).optional(),
    outputs: z.record(z.string(), z.string()).optional(),
    seconds: z.record(z.string(), z.number()).optional(),
    peakRssMiB: z.record(z.string(), z.number()).optional(),
    node: z.string().optional(),
    environment: z.unknown().optional(),
  })
  .loose();
type SynthProvenance = z.infer<typeof provenanceSchema>;

const dcrSchema = z
  .object({
    syntheticToTrain: z.object({ p5: z.number(), median: z.number(), mean: z.number() }).loose(),
    holdoutToTrain: z.object({ p5: z.number(), median: z.number(), mean: z.number() }).loose(),
    shareCloserThanHoldoutP5: valueSchema.optional(),
    medianRatio: valueSchema.optional(),
    histogram: z.object({ edges: z.array(z.number()), synthetic: z.array(z.number()), holdout: z.array(z.number()) }).loose().optional(),
  })
  .loose();

const privacySchema = z
  .object({
    exactCopies: z.object({ count: z.number(), holdoutBaseline: z.object({ count: z.number() }).loose().optional() }).loose().optional(),
    dcr: dcrSchema.optional(),
    membershipInference: z.object({ auc: valueSchema, members: z.number().optional(), nonMembers: z.number().optional(), attack: z.string().optional() }).loose().optional(),
    ngrams: z.array(z.object({ n: z.number(), synthetic: valueSchema, holdoutBaseline: valueSchema }).loose()).optional(),
    distance: z.object({ name: z.string().optional(), description: z.string().optional() }).loose().optional(),
    nearestExamples: z
      .object({
        /** Table runs: the measured columns; sequence runs have none (synthetic / nearest are item lists). */
        columns: z.array(z.string()).optional(),
        rows: z.array(z.object({ why: z.string(), distance: z.number(), synthetic: z.array(z.unknown()), nearest: z.array(z.unknown()) }).loose()),
      })
      .loose()
      .optional(),
  })
  .loose();

const detectionSchema = z.object({ detectionAuc: z.object({ trees: valueSchema, linear: valueSchema }).loose().optional(), importances: z.array(z.object({ column: z.string(), share: z.number() }).loose()).optional() }).loose();

const tableReportSchema = z
  .object({
    kind: z.literal('samplify-synthesis-report'),
    rows: z.record(z.string(), z.number()).optional(),
    quality: z
      .object({
        overall: valueSchema.optional(),
        columnShapes: z.object({ score: valueSchema, columns: z.array(z.object({ column: z.string(), type: z.string().optional(), score: valueSchema }).loose()) }).loose().optional(),
        columnPairs: z.object({ score: valueSchema, pairs: z.array(z.object({ columns: z.tuple([z.string(), z.string()]), score: valueSchema }).loose()) }).loose().optional(),
        detection: detectionSchema.optional(),
        rareCategories: z.object({ score: valueSchema.nullable() }).loose().optional(),
      })
      .loose(),
    privacy: privacySchema,
  })
  .loose();

const sequenceReportSchema = z
  .object({
    kind: z.literal('samplify-sequence-synthesis-report'),
    users: z.record(z.string(), z.number()).optional(),
    quality: z
      .object({
        overall: valueSchema.optional(),
        real: z.object({ sequences: z.number(), meanLength: z.number(), medianLength: z.number() }).loose().optional(),
        synthetic: z.object({ sequences: z.number(), meanLength: z.number(), medianLength: z.number() }).loose().optional(),
        length: z.record(z.string(), valueSchema).optional(),
        itemPopularity: z.object({ tvComplement: valueSchema.optional(), headShareReal: z.number().optional(), headShareSynthetic: z.number().optional() }).loose().optional(),
        transitions: z.record(z.string(), z.unknown()).optional(),
        coverage: z.record(z.string(), z.unknown()).optional(),
        detection: detectionSchema.optional(),
        distributions: z
          .object({
            lengths: z.array(z.object({ length: z.number(), real: z.number(), synthetic: z.number() })),
            popularity: z.array(z.object({ rank: z.number(), real: z.number(), synthetic: z.number() })),
          })
          .optional(),
      })
      .loose(),
    privacy: privacySchema,
  })
  .loose();

function provenanceFile(run: RunFolder, kind: SynthProvenance['kind']): string | null {
  for (const f of run.list().filter((n) => n.endsWith('.provenance.json'))) {
    const p = run.peekJson(f) as { kind?: unknown } | undefined;
    if (p && p.kind === kind) return f;
  }
  return null;
}

/** The report file: the one the provenance names (when it is in this folder), else `<stem>.report.json`. */
function reportFile(run: RunFolder, prov: SynthProvenance | null, provFile: string): string {
  const named = prov?.outputs?.['report'];
  const local = named ? run.localPath(named) : null;
  return local ?? provFile.replace(/\.provenance\.json$/, '.report.json');
}

const v3 = (x: { value: number } | null | undefined): string => fmt(x?.value, 3);

/** The named numbers that are recorded (absent or non-numeric ones are left out). */
function headlineOf(entries: readonly (readonly [string, number | { value: number } | null | undefined])[]): HeadlineMetric[] {
  return entries.flatMap(([name, x]) => {
    const value = typeof x === 'number' ? x : x?.value;
    return typeof value === 'number' ? [{ name, value }] : [];
  });
}

/** Fidelity and privacy numbers both synthesis kinds lead with. */
function synthesisHeadline(q: { overall?: { value: number } | null | undefined; detection?: z.infer<typeof detectionSchema> | undefined } | undefined, p: z.infer<typeof privacySchema> | undefined, own: readonly (readonly [string, number | { value: number } | null | undefined])[]): HeadlineMetric[] {
  return headlineOf([['fidelity (overall)', q?.overall], ...own, ['detection AUC (trees)', q?.detection?.detectionAuc?.trees], ['membership-inference AUC', p?.membershipInference?.auc], ['exact copies', p?.exactCopies?.count]]);
}

function privacySummaryRows(p: z.infer<typeof privacySchema>): HtmlValue[][] {
  const rows: HtmlValue[][] = [];
  if (p.exactCopies) rows.push(['exact copies of a training record', p.exactCopies.count, `holdout baseline ${p.exactCopies.holdoutBaseline?.count ?? '—'}`, 'lower is safer']);
  if (p.dcr?.shareCloserThanHoldoutP5) rows.push(['share closer than the holdout’s 5th percentile (DCR)', v3(p.dcr.shareCloserThanHoldoutP5), '≈ 0.05 for unseen real records', 'lower is safer']);
  if (p.dcr?.medianRatio) rows.push(['DCR median ratio (synthetic / holdout)', v3(p.dcr.medianRatio), '1', '≥ 1 is safe']);
  if (p.membershipInference) rows.push(['membership-inference AUC', html`<span data-field="privacy.membershipInference.auc" data-value="${String(p.membershipInference.auc.value)}">${v3(p.membershipInference.auc)}</span>`, '0.5', '0.5 is safest']);
  for (const g of p.ngrams ?? []) rows.push([`${g.n}-gram overlap with training`, v3(g.synthetic), `holdout ${v3(g.holdoutBaseline)}`, 'near the holdout is safe']);
  return rows;
}

async function privacySection(p: z.infer<typeof privacySchema>): Promise<Html> {
  const parts: Html[] = [table(['measure', 'synthetic', 'reference', 'reading'], privacySummaryRows(p), { id: 'privacy-table', numeric: [1] })];
  const figs: Html[] = [];
  const hist = p.dcr?.histogram;
  if (hist && hist.edges.length === hist.synthetic.length + 1 && hist.holdout.length === hist.synthetic.length) {
    const values: Datum[] = hist.synthetic.flatMap((share, i) => [
      { bin: hist.edges[i]!.toFixed(3), from: 'synthetic → train', share },
      { bin: hist.edges[i]!.toFixed(3), from: 'holdout → train (baseline)', share: hist.holdout[i]! },
    ]);
    figs.push(await figure('dcr', `Distance to the closest training record (${p.distance?.name ?? 'distance'}), every record binned: synthetic records against real records the synthesizer never saw. Synthetic mass left of the holdout's means records closer to training rows than unseen real ones are.`, histogramSpec(values, { x: 'bin', xTitle: 'distance to the closest training record (bin start)', y: 'share', yTitle: 'share of records', color: 'from' })));
  } else if (p.dcr) {
    // Results written before the histogram was recorded carry only these summaries.
    const values: Datum[] = (['p5', 'median', 'mean'] as const).flatMap((q) => [
      { statistic: q, from: 'synthetic → train', distance: p.dcr!.syntheticToTrain[q] },
      { statistic: q, from: 'holdout → train (baseline)', distance: p.dcr!.holdoutToTrain[q] },
    ]);
    figs.push(await figure('dcr', `Distance to the closest training record (${p.distance?.name ?? 'distance'}): synthetic rows against the real holdout baseline (summaries only: this result predates the recorded histogram).`, barSpec(values, { x: 'statistic', y: 'distance', color: 'from', group: 'from' })));
  }
  if (p.membershipInference) {
    figs.push(await figure('membership-inference', 'Membership-inference AUC of a distance attack (0.5: the attacker cannot tell training records from unseen ones)', barSpec([{ attack: 'distance attack', AUC: p.membershipInference.auc.value }, { attack: 'chance (safest)', AUC: 0.5 }], { x: 'attack', y: 'AUC', color: 'attack', height: 160 })));
  }
  if (figs.length) parts.push(html`<div class="charts">${figs}</div>`);
  if (p.membershipInference?.attack) parts.push(note(p.membershipInference.attack));
  if (p.distance?.description) parts.push(note(p.distance.description));
  return html`${parts}`;
}

function detectionRows(d: z.infer<typeof detectionSchema> | undefined): HtmlValue[][] {
  if (!d?.detectionAuc) return [];
  return [
    ['detection AUC (gradient-boosted trees)', v3(d.detectionAuc.trees), '0.5 best: real and synthetic not separable'],
    ['detection AUC (logistic regression)', v3(d.detectionAuc.linear), '0.5 best'],
  ];
}

async function timingSection(prov: SynthProvenance | null): Promise<Html> {
  const s = prov?.seconds;
  if (!s) return note('Stage times not recorded.');
  const values: Datum[] = Object.entries(s).map(([stage, seconds]) => ({ stage, seconds }));
  const figs: Html[] = [await figure('time-per-stage', 'Seconds per stage', barSpec(values, { x: 'stage', y: 'seconds', height: 160 }))];
  const mem = prov?.peakRssMiB;
  if (mem) figs.push(await figure('memory-per-stage', 'Peak resident memory (MiB) at the end of each stage', barSpec(Object.entries(mem).map(([stage, mib]) => ({ stage, mib })), { x: 'stage', y: 'mib', height: 160 })));
  return html`<div class="charts">${figs}</div>${mem ? note('Memory: the process’s peak resident set size so far, read at the end of each stage — a stage that raises it is the one that needed the memory.') : note('Memory per stage was not recorded by this run (runs before peakRssMiB was added).')}`;
}

/** Synthetic rows beside their nearest training rows (table runs with a privacy report). */
function nearestSection(p: z.infer<typeof privacySchema> | undefined): Html | null {
  const ex = p?.nearestExamples;
  if (!ex?.columns || ex.rows.length === 0) return null;
  const cell = (v: unknown): string => (v === null || v === undefined ? '∅' : String(v));
  const rows: HtmlValue[][] = [];
  for (const r of ex.rows) {
    rows.push([html`<strong>synthetic</strong> (${r.why === 'closest' ? 'among the closest' : 'random'})`, fmt(r.distance, 3), ...r.synthetic.map(cell)]);
    rows.push(['nearest training row', '', ...r.nearest.map((v, i) => (cell(v) === cell(r.synthetic[i]) ? html`<span class="same">${cell(v)}</span>` : cell(v)))]);
  }
  return html`${table(['row', 'Gower distance', ...ex.columns], rows, { id: 'nearest-rows' })}${note('Each synthetic row over its nearest training row (Gower distance, 0 = identical on every measured column). The first rows are the synthetic rows closest to any training row — the ones to check for memorised records; the rest a seeded random sample.')}`;
}

/** Synthetic histories beside their nearest training history (sequence runs with a privacy report). */
function sequenceNearestSection(p: z.infer<typeof privacySchema> | undefined): Html | null {
  const ex = p?.nearestExamples;
  if (!ex || ex.columns || ex.rows.length === 0) return null;
  const MAX_ITEMS = 30;
  const items = (xs: readonly unknown[], other: ReadonlySet<string>): Html => {
    const shown = xs.slice(0, MAX_ITEMS).map((v) => (other.has(String(v)) ? html`<span class="same">${String(v)}</span>` : String(v)));
    return html`${shown.map((v, i) => (i ? html` ${v}` : v))}${xs.length > MAX_ITEMS ? ` … (${xs.length})` : ''}`;
  };
  const rows: HtmlValue[][] = [];
  for (const r of ex.rows) {
    const syn = new Set(r.synthetic.map(String));
    const near = new Set(r.nearest.map(String));
    rows.push([html`<strong>synthetic</strong> (${r.why === 'closest' ? 'among the closest' : 'random'})`, fmt(r.distance, 3), r.synthetic.length, items(r.synthetic, near)]);
    rows.push(['nearest training history', '', r.nearest.length, r.nearest.length ? items(r.nearest, syn) : '— (no shared item)']);
  }
  return html`${table(['history', 'Jaccard distance', 'length', 'items (shared items marked)'], rows, { id: 'nearest-histories', numeric: [1, 2] })}${note('Each synthetic history over the training history closest to it (Jaccard distance of the item sets, 0 = the same items). The first rows are the synthetic users closest to a real one — the ones to check for memorised users; the rest a seeded random sample.')}`;
}

async function lossSection(prov: SynthProvenance | null): Promise<Html | null> {
  const losses = prov?.fit?.losses ?? [];
  const values: Datum[] = [];
  losses.forEach((l, i) => {
    const epoch = typeof l['epoch'] === 'number' ? l['epoch'] : i + 1;
    for (const [k, v] of Object.entries(l)) if (k !== 'epoch' && k !== 'seconds' && typeof v === 'number' && Number.isFinite(v)) values.push({ epoch, series: k, value: v });
  });
  if (values.length === 0) return null;
  return html`<div class="charts">${await figure('fit-losses', 'Synthesizer training losses per epoch', lineSpec(values, { x: 'epoch', y: 'value', color: 'series' }))}</div>`;
}

function provenanceOf(run: RunFolder, prov: SynthProvenance | null, provFile: string, what: string): RenderedRun['provenance'] {
  const checksum = prov?.input?.sha256 ?? prov?.input?.checksum;
  const total = prov?.seconds ? Object.values(prov.seconds).reduce((a, b) => a + b, 0) : 0;
  const settings = prov?.settings;
  const output = (prov?.outputs?.['table'] ?? prov?.outputs?.['histories'] ?? 'out').split(/[\\/]/).pop();
  return {
    ...(prov?.config ? { config: prov.config } : {}),
    ...(prov?.seed !== undefined ? { seeds: [prov.seed] } : {}),
    ...(checksum ? { datasets: [{ name: prov?.input?.path ?? 'input', checksum }] } : {}),
    ...(prov?.node ? { machine: `node ${prov.node} (machine not recorded)` } : {}),
    ...(settings ? { backend: Object.entries(settings).map(([k, v]) => `${k} ${String(v)}`).join(', ') } : {}),
    ...(total > 0 ? { wallTime: { seconds: total, how: 'sum of the recorded read, fit, sample and write times' } } : {}),
    ...environmentProvenance(run, provFile, prov?.environment, { subcommand: 'synthesize', out: `${run.shown}/${output}`, template: `samplify synthesize <config.yaml> --out ${run.shown}/${output}   # the config is shown above; its data path is relative to the original config file` }),
    extra: [['record', html`<code>${provFile}</code> (${what})`]],
  };
}

function csvPreview(text: string, maxRows: number): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const split = (l: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < l.length; i++) {
      const c = l[i]!;
      if (q) {
        if (c === '"' && l[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === ',') out.push(cur), (cur = '');
      else cur += c;
    }
    out.push(cur);
    return out;
  };
  return { header: split(lines[0] ?? ''), rows: lines.slice(1, 1 + maxRows).map(split) };
}

export const tableSynthesisKind: RunKind = {
  name: 'synthesize-table',
  description: 'table synthesis (samplify synthesize with gaussian-copula, ctgan or tvae)',
  detect: (run) => provenanceFile(run, 'samplify-synthesis-provenance') !== null,
  async render(run): Promise<RenderedRun> {
    const provFile = provenanceFile(run, 'samplify-synthesis-provenance') ?? '<name>.provenance.json';
    const prov = run.readJson(provFile, provenanceSchema, 'no config, input checksum or timings');
    const repFile = reportFile(run, prov, provFile);
    const rep = run.readJson(repFile, tableReportSchema, 'no fidelity or privacy measures (add `report: { holdout: 0.2 }` to the config to measure them)');
    const sections: ReportSection[] = [];
    const q = rep?.quality;
    const name = prov?.synthesizer?.name ?? 'synthesizer';
    if (rep) {
      const rows: HtmlValue[][] = [
        ['fidelity (overall)', html`<span data-field="quality.overall" data-value="${String(q?.overall?.value ?? '')}">${v3(q?.overall)}</span>`, 'higher is better (0..1)'],
        ['column shapes', v3(q?.columnShapes?.score), 'higher is better'],
        ['column pair trends', v3(q?.columnPairs?.score), 'higher is better'],
        ['rare-category coverage', v3(q?.rareCategories?.score), 'higher is better'],
        ...detectionRows(q?.detection),
      ];
      sections.push({
        id: 'summary',
        title: 'Fidelity and privacy',
        body: html`<p class="lead">${name}: fidelity <strong>${v3(q?.overall)}</strong>, membership-inference AUC <strong>${v3(rep.privacy.membershipInference?.auc)}</strong> (0.5 safest), ${rep.privacy.exactCopies?.count ?? '—'} exact copies. ${rep.rows ? `${rep.rows['train']} training rows, ${rep.rows['holdout']} held out, ${rep.rows['synthetic']} synthetic.` : ''}</p>
${table(['fidelity measure', 'value', 'reading'], rows, { id: 'quality-table', numeric: [1] })}`,
      });
      const figs: Html[] = [];
      if (q?.columnShapes) figs.push(await figure('column-shapes', 'Column shapes: per-column similarity of the synthetic to the real marginal (1 = identical)', barSpec(q.columnShapes.columns.map((c) => ({ column: c.column, score: c.score.value, type: c.type ?? '' })), { x: 'column', y: 'score', color: 'type' })));
      if (q?.columnPairs && q.columnPairs.pairs.length) {
        const cells: Datum[] = [];
        for (const p of q.columnPairs.pairs) {
          cells.push({ a: p.columns[0], b: p.columns[1], score: p.score.value });
          cells.push({ a: p.columns[1], b: p.columns[0], score: p.score.value });
        }
        figs.push(await figure('pair-trends', 'Column pair trends: similarity of each pair’s joint behaviour (correlation or contingency), real vs synthetic', heatmapSpec(cells, { x: 'a', y: 'b', value: 'score', xTitle: 'column', yTitle: 'column', domain: [0, 1], width: 300, height: 300 })));
      }
      if (q?.detection?.importances?.length) figs.push(await figure('detection-importance', 'What gives synthetic rows away: the detector’s feature importance', barSpec(q.detection.importances.map((i) => ({ column: i.column, share: i.share })), { x: 'column', y: 'share', height: 160 })));
      sections.push({ id: 'columns', title: 'Columns and pairs', body: figs.length ? html`<div class="charts">${figs}</div>` : note('No column measures recorded.') });
      sections.push({ id: 'privacy', title: 'Privacy', body: await privacySection(rep.privacy) });
    }
    const loss = await lossSection(prov);
    if (loss) sections.push({ id: 'curves', title: 'Training curves', body: loss });
    const tableRel = prov?.outputs?.['table'] ? run.localPath(prov.outputs['table']) : null;
    let samples: Html = note('The sampled table is not in this run folder.');
    if (tableRel && /\.csv$/i.test(tableRel)) {
      const text = run.readText(tableRel, 'no synthetic rows to show', 1 << 16);
      if (text) {
        const { header, rows } = csvPreview(text, 12);
        samples = html`${table(header, rows)}${note(`The first ${rows.length} synthetic rows of ${tableRel}.`)}`;
      }
    } else if (tableRel) samples = note(`The sampled table is ${tableRel} (only CSV tables are previewed).`);
    const nearest = nearestSection(rep?.privacy);
    sections.push({ id: 'samples', title: 'Samples', body: nearest ? html`<h3>Synthetic rows next to their nearest real rows</h3>${nearest}<h3>The first synthetic rows</h3>${samples}` : samples });
    sections.push({ id: 'time', title: 'Time and memory per stage', body: await timingSection(prov) });
    return {
      headline: synthesisHeadline(q, rep?.privacy, [['column shapes', q?.columnShapes?.score], ['column pair trends', q?.columnPairs?.score], ['rare-category coverage', q?.rareCategories?.score]]),
      title: `Table synthesis · ${prov?.name ?? provFile.replace(/\.provenance\.json$/, '')}`,
      subtitle: `${name}${prov?.input?.rowsIn !== undefined ? ` fitted on ${prov.input.path ?? 'the input'} (${prov.input.rowsIn} rows in, ${prov.input.rowsRejected ?? 0} rejected)` : ''}; ${String(prov?.sample?.['produced'] ?? '?')} rows sampled.`,
      sections,
      provenance: provenanceOf(run, prov, provFile, 'written last: the run finished'),
    };
  },
};

const historyLineSchema = z.object({ user: z.string(), items: z.array(z.union([z.string(), z.number()])), events: z.array(z.string()).optional() }).loose();

export const sequenceSynthesisKind: RunKind = {
  name: 'synthesize-sequences',
  description: 'user-history synthesis (samplify synthesize with markov, autoregressive or vae)',
  detect: (run) => provenanceFile(run, 'samplify-sequence-synthesis-provenance') !== null,
  async render(run): Promise<RenderedRun> {
    const provFile = provenanceFile(run, 'samplify-sequence-synthesis-provenance') ?? '<name>.provenance.json';
    const prov = run.readJson(provFile, provenanceSchema, 'no config, input checksum or timings');
    const repFile = reportFile(run, prov, provFile);
    const rep = run.readJson(repFile, sequenceReportSchema, 'no fidelity or privacy measures (add `report: { holdout: 0.2 }` to the config to measure them)');
    const sections: ReportSection[] = [];
    const name = prov?.synthesizer?.name ?? 'synthesizer';
    const q = rep?.quality;
    if (rep) {
      const rows: HtmlValue[][] = [
        ['fidelity (overall)', html`<span data-field="quality.overall" data-value="${String(q?.overall?.value ?? '')}">${v3(q?.overall)}</span>`, 'higher is better (0..1)'],
        ['length (1 − TV)', v3(q?.length?.['tvComplement']), 'higher is better'],
        ['item popularity (1 − TV)', v3(q?.itemPopularity?.tvComplement), 'higher is better'],
        ['mean length real / synthetic', `${fmt(q?.real?.meanLength, 2)} / ${fmt(q?.synthetic?.meanLength, 2)}`, 'close is better'],
        ['head-item share real / synthetic', `${fmt(q?.itemPopularity?.headShareReal, 3)} / ${fmt(q?.itemPopularity?.headShareSynthetic, 3)}`, 'close is better'],
        ...detectionRows(q?.detection),
      ];
      sections.push({
        id: 'summary',
        title: 'Fidelity and privacy',
        body: html`<p class="lead">${name}: fidelity <strong>${v3(q?.overall)}</strong>, membership-inference AUC <strong>${v3(rep.privacy.membershipInference?.auc)}</strong> (0.5 safest), ${rep.privacy.exactCopies?.count ?? '—'} copies of a real history.</p>
${table(['fidelity measure', 'value', 'reading'], rows, { id: 'quality-table', numeric: [1] })}`,
      });
      sections.push({ id: 'privacy', title: 'Privacy', body: await privacySection(rep.privacy) });
    }
    const outRel = prov?.outputs?.['histories'] ? run.localPath(prov.outputs['histories']) : null;
    let samples: Html = note('The synthetic histories are not in this run folder.');
    let dist: Html = note('Length and popularity distributions need the synthetic histories, which are not in this run folder.');
    if (outRel) {
      const text = run.readText(outRel, 'no synthetic histories to show', 64 << 20);
      if (text) {
        const lines = text.split('\n').filter((l) => l.length > 0);
        const hs: { user: string; items: string[]; events?: string[] }[] = [];
        let bad = 0;
        for (const l of lines) {
          if (outRel.endsWith('.jsonl')) {
            try {
              const r = historyLineSchema.safeParse(JSON.parse(l));
              if (r.success) hs.push({ user: r.data.user, items: r.data.items.map(String), ...(r.data.events ? { events: r.data.events } : {}) });
              else bad++;
            } catch {
              bad++;
            }
          } else {
            const [user, ...items] = l.trim().split(/\s+/);
            hs.push({ user: user ?? '', items });
          }
        }
        if (bad) run.note({ file: outRel, problem: 'unexpected shape', detail: `${bad} line(s) are not {"user", "items"} objects`, consequence: 'those lines are left out of the distributions and samples' });
        const lengths = hs.map((h) => h.items.length);
        const counts = new Map<string, number>();
        for (const h of hs) for (const it of h.items) counts.set(it, (counts.get(it) ?? 0) + 1);
        const sorted = [...counts.values()].sort((a, b) => b - a);
        const maxLen = Math.min(60, Math.max(...lengths, 1));
        const lenBins = binCounts(lengths, Math.min(30, maxLen), 0, maxLen).map((b) => ({ length: `${Math.round(b.start)}`, users: b.count }));
        const popValues: Datum[] = [];
        for (const r of logSpacedRanks(sorted.length)) popValues.push({ rank: r, interactions: sorted[r - 1]! });
        const recorded = q?.distributions;
        if (recorded) dist = await realVersusSynthetic(recorded);
        else dist = html`<div class="charts">${await figure('length-distribution', `Synthetic history lengths (${hs.length} users, capped at ${maxLen}); real mean ${fmt(q?.real?.meanLength, 2)}, median ${fmt(q?.real?.medianLength, 0)} vs synthetic mean ${fmt(q?.synthetic?.meanLength, 2)}, median ${fmt(q?.synthetic?.medianLength, 0)}`, histogramSpec(lenBins, { x: 'length', y: 'users' }))}
${await figure('item-popularity', 'Interactions per item in the synthetic histories, by popularity rank (log–log)', { ...lineSpec(popValues, { x: 'rank', y: 'interactions' }), encoding: { x: { field: 'rank', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'interactions', type: 'quantitative', scale: { type: 'log' } } } } as Parameters<typeof figure>[2])}</div>
${note('The real histories are not in the run folder; the report compares with the real summaries recorded in the quality report.')}`;
        samples = html`${table(['synthetic user', 'length', 'items (original ids)'], hs.slice(0, 10).map((h) => [h.user, h.items.length, h.items.slice(0, 25).map((it, i) => (h.events ? `${it}:${h.events[i] ?? ''}` : it)).join(' ') + (h.items.length > 25 ? ' …' : '')]), { numeric: [1] })}${note(`The first 10 of ${hs.length} synthetic users in ${outRel}; exact copies of a real history were removed before writing.`)}`;
      }
    }
    sections.push({ id: 'distributions', title: 'Length and popularity distributions', body: dist });
    const loss = await lossSection(prov);
    if (loss) sections.push({ id: 'curves', title: 'Training curves', body: loss });
    sections.push({ id: 'samples', title: 'Samples', body: samples });
    const nearest = sequenceNearestSection(rep?.privacy);
    if (nearest) sections.push({ id: 'nearest', title: 'Synthetic users next to their nearest real user', body: nearest });
    sections.push({ id: 'time', title: 'Time and memory per stage', body: await timingSection(prov) });
    return {
      headline: synthesisHeadline(q, rep?.privacy, [['length (1 − TV)', q?.length?.['tvComplement'] as number | undefined], ['item popularity (1 − TV)', q?.itemPopularity?.tvComplement]]),
      title: `History synthesis · ${prov?.name ?? provFile.replace(/\.provenance\.json$/, '')}`,
      subtitle: `${name}${prov?.input?.rowsIn !== undefined ? ` fitted on ${prov.input.path ?? 'the input'} (${prov.input.rowsIn} rows in)` : ''}; ${String(prov?.sample?.['histories'] ?? '?')} synthetic users.`,
      sections,
      provenance: provenanceOf(run, prov, provFile, 'written last: the run finished'),
    };
  },
};


/**
 * Real against synthetic histories, from the distributions the quality report recorded: users per
 * history length (shares, lengths over 60 in one last bar) and interactions per item by popularity
 * rank (shares of all interactions, log–log), so the two sides compare whatever their sizes.
 */
async function realVersusSynthetic(d: { readonly lengths: readonly { length: number; real: number; synthetic: number }[]; readonly popularity: readonly { rank: number; real: number; synthetic: number }[] }): Promise<Html> {
  const CAP = 60;
  const totals = { real: 0, synthetic: 0 };
  const byLength = new Map<string, { real: number; synthetic: number }>();
  for (const l of d.lengths) {
    const key = l.length > CAP ? `>${CAP}` : String(l.length);
    const b = byLength.get(key) ?? { real: 0, synthetic: 0 };
    b.real += l.real;
    b.synthetic += l.synthetic;
    byLength.set(key, b);
    totals.real += l.real;
    totals.synthetic += l.synthetic;
  }
  const lengthValues: Datum[] = [...byLength].flatMap(([length, b]) => [
    { length, from: 'real', share: totals.real ? b.real / totals.real : 0 },
    { length, from: 'synthetic', share: totals.synthetic ? b.synthetic / totals.synthetic : 0 },
  ]);
  const sum = (side: 'real' | 'synthetic'): number => d.popularity.reduce((a, p) => a + p[side], 0) || 1;
  const realSum = sum('real');
  const syntheticSum = sum('synthetic');
  const popValues: Datum[] = d.popularity.flatMap((p) => [
    ...(p.real > 0 ? [{ rank: p.rank, from: 'real', share: p.real / realSum }] : []),
    ...(p.synthetic > 0 ? [{ rank: p.rank, from: 'synthetic', share: p.synthetic / syntheticSum }] : []),
  ]);
  return html`<div class="charts">${await figure('length-distribution', `History lengths, real (${totals.real} users) against synthetic (${totals.synthetic}): share of users per length`, histogramSpec(lengthValues, { x: 'length', y: 'share', yTitle: 'share of users', color: 'from' }))}
${await figure('item-popularity', 'Interactions per item by popularity rank, real against synthetic (share of the sampled ranks’ interactions, log–log)', { ...lineSpec(popValues, { x: 'rank', y: 'share', color: 'from' }), encoding: { x: { field: 'rank', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'share', type: 'quantitative', scale: { type: 'log' } }, color: { field: 'from', type: 'nominal' } } } as Parameters<typeof figure>[2])}</div>`;
}
