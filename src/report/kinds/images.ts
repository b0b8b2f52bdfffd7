/**
 * Few-label classification runs: a `samplify experiment` with `task: few-label` (images or product
 * titles) and the older bench/few-label.ts result files (images). A classifier trained on k
 * labelled examples per class with no expansion, augmentation or synthetic examples from
 * generators fitted on the same k-per-class examples — accuracy per arm and k against no
 * expansion (paired test, bootstrap CI when the run has one, verdict), the arm validation selects,
 * and every PNG grid in the folder (augmented / generated images) inline. Two kinds share this
 * renderer: few-label-images (the name the bench runs always had) and few-label-titles.
 */
import { z } from 'zod';
import { barSpec, figure, type Datum } from '../charts.ts';
import { fmt, fmtP, html, jsonBlock, note, table, type Html, type HtmlValue } from '../html.ts';
import type { RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import type { RunFolder } from '../run-folder.ts';
import { backendLine, environmentProvenance, machineLine } from './common.ts';

const ALPHA = 0.05;
const MAX_GRIDS = 12;

const summaryRowSchema = z
  .object({
    k: z.number(),
    arm: z.string(),
    seeds: z.number(),
    testAccuracyMean: z.number(),
    testAccuracyStd: z.number(),
    vsNone: z.object({ meanDiff: z.number(), pValue: z.number(), n: z.number().optional(), ci95: z.tuple([z.number(), z.number()]).optional() }).loose().optional(),
    verdict: z.string().optional(),
  })
  .loose();

const fewLabelSchema = z
  .object({
    benchmark: z.string(),
    /** 'images' | 'titles' in experiment results; bench files (images) have none. */
    modality: z.string().optional(),
    name: z.string().optional(),
    complete: z.boolean().optional(),
    command: z.string().optional(),
    protocol: z.string().optional(),
    pipeline: z.unknown().optional(),
    synthetic: z.record(z.string(), z.unknown()).optional(),
    backend: z.record(z.string(), z.unknown()).optional(),
    summary: z.array(summaryRowSchema),
    selectedOnValidation: z
      .array(
        z
          .object({
            k: z.number(),
            seeds: z.number(),
            chosenArms: z.array(z.string()),
            testAccuracyMean: z.number(),
            testAccuracyStd: z.number(),
            // Experiment results (not the older bench files) test the selected procedure against none, paired per test example.
            vsNone: z.object({ meanDiff: z.number(), pValue: z.number(), ci95: z.tuple([z.number(), z.number()]).optional() }).loose().optional(),
          })
          .loose(),
      )
      .optional(),
    machine: z.record(z.string(), z.unknown()).optional(),
    date: z.string().optional(),
    seconds: z.number().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    seeds: z.array(z.number()).optional(),
    dataset: z.object({ file: z.string().optional(), trainSource: z.string().optional(), checksum: z.string().optional(), fingerprint: z.string().optional() }).loose().optional(),
  })
  .loose();

/** stages.json of a `task: few-label` experiment: its wall time and run environment (results.json stays byte-identical). */
const fewLabelStagesSchema = z.object({ wallSeconds: z.number().optional(), environment: z.unknown().optional() }).loose();

/** At most this many bytes of PNG grids are embedded in one page (the page stays a few MB). */
const MAX_GRID_BYTES = 3 << 20;

type Modality = 'images' | 'titles';

/** The modality of a few-label results.json (bench files: images), or null when it is none. */
function fewLabelModality(raw: unknown): Modality | null {
  const r = raw as Record<string, unknown> | undefined;
  if (r === undefined || r === null || typeof r['benchmark'] !== 'string' || !r['benchmark'].startsWith('few-label') || !Array.isArray(r['summary'])) return null;
  const m = r['modality'] ?? 'images';
  return m === 'images' || m === 'titles' ? m : null;
}

function verdict(row: z.infer<typeof summaryRowSchema>): string {
  if (row.verdict !== undefined) return row.verdict === 'baseline' ? '—' : row.verdict;
  const v = row.vsNone;
  if (!v) return '—';
  if (!(v.pValue < ALPHA)) return 'not significant';
  return v.meanDiff > 0 ? 'better' : 'worse';
}

/** The validation-selected procedure against always shipping none: Δ, paired p, bootstrap CI when stored. */
function selectionVsNone(v: { meanDiff: number; pValue: number; ci95?: [number, number] | undefined }): string {
  const ci = v.ci95 ? `, 95 % CI [${fmt(100 * v.ci95[0], 2)}, ${fmt(100 * v.ci95[1], 2)}] pt` : '';
  return `; against always none ${v.meanDiff >= 0 ? '+' : ''}${fmt(100 * v.meanDiff, 2)} pt, paired p ${fmtP(v.pValue)}${ci} (${v.pValue < ALPHA ? (v.meanDiff > 0 ? 'better' : 'worse') : 'not significant'})`;
}

/** PNG files at the top of the folder and under grids/, embedded as data URIs. */
function gridsSection(run: RunFolder): Html | null {
  const files = [...run.list('.').filter((f) => f.endsWith('.png')), ...run.list('grids').filter((f) => f.endsWith('.png')).map((f) => `grids/${f}`)];
  if (files.length === 0) return null;
  const shown: Html[] = [];
  let budget = MAX_GRID_BYTES;
  let left = Math.max(0, files.length - MAX_GRIDS);
  for (const f of files.slice(0, MAX_GRIDS)) {
    const bytes = run.readBytes(f, 'this image grid is not shown', 2 << 20);
    if (!bytes) continue;
    if (bytes.length > budget) {
      left++;
      continue;
    }
    budget -= bytes.length;
    shown.push(html`<figure class="grid-image"><img alt="${f}" src="data:image/png;base64,${Buffer.from(bytes).toString('base64')}" style="image-rendering:pixelated;max-width:100%"><figcaption>${f}</figcaption></figure>`);
  }
  return html`${shown}${left > 0 ? note(`${left} more PNG file(s) are in the folder and not shown (at most ${MAX_GRIDS} grids and ${MAX_GRID_BYTES >> 20} MB of them per page).`) : ''}`;
}

function fewLabelKind(modality: Modality): RunKind {
  const noun = modality === 'images' ? 'images' : 'titles';
  return {
    name: `few-label-${modality}`,
    description:
      modality === 'images'
        ? 'few-label image classification (samplify experiment, task: few-label; bench/few-label.ts): no expansion vs augmentation vs synthetic images'
        : 'few-label product-title classification (samplify experiment, task: few-label): no expansion vs text augmentation',
    detect: (run) => fewLabelModality(run.peekJson('results.json')) === modality,
    async render(run): Promise<RenderedRun> {
      const res = run.readJson('results.json', fewLabelSchema, 'no accuracy table');
      const sections: ReportSection[] = [];
      if (res) {
        const ks = [...new Set(res.summary.map((r) => r.k))].sort((a, b) => a - b);
        const withCi = res.summary.some((r) => r.vsNone?.ci95 !== undefined);
        const parts: Html[] = [];
        const values: Datum[] = [];
        for (const k of ks) {
          const rows = res.summary.filter((r) => r.k === k);
          const sel = res.selectedOnValidation?.find((s) => s.k === k);
          const tableRows: HtmlValue[][] = rows.map((r) => [
            html`<span data-field="arm">${r.arm}</span>${r.arm === 'none' ? html` <span class="tag">baseline</span>` : ''}`,
            r.seeds,
            html`<span data-field="testAccuracyMean" data-value="${String(r.testAccuracyMean)}">${fmt(100 * r.testAccuracyMean, 2)}</span> ± ${fmt(100 * r.testAccuracyStd, 2)}`,
            r.vsNone ? `${r.vsNone.meanDiff >= 0 ? '+' : ''}${fmt(100 * r.vsNone.meanDiff, 2)} pt` : '—',
            r.vsNone ? fmtP(r.vsNone.pValue) : '—',
            ...(withCi ? [r.vsNone?.ci95 ? `[${fmt(100 * r.vsNone.ci95[0], 2)}, ${fmt(100 * r.vsNone.ci95[1], 2)}]` : '—'] : []),
            verdict(r),
          ]);
          for (const r of rows) values.push({ k: `k = ${k}`, arm: r.arm, accuracy: r.testAccuracyMean });
          const header = ['arm', 'seeds', 'test accuracy % (mean ± std)', 'Δ vs none', `p (paired, per test ${modality === 'images' ? 'image' : 'title'})`, ...(withCi ? ['95 % bootstrap CI of Δ (pt)'] : []), 'verdict'];
          parts.push(html`<h3>k = ${k} labelled ${noun} per class</h3>
${table(header, tableRows, { numeric: withCi ? [1, 2, 3, 4, 5] : [1, 2, 3, 4], id: `accuracy-k${k}` })}
${sel ? note(`Validation selects per seed: ${sel.chosenArms.join(', ')} — test accuracy of the selected arms ${fmt(100 * sel.testAccuracyMean, 2)} ± ${fmt(100 * sel.testAccuracyStd, 2)} %${sel.vsNone ? selectionVsNone(sel.vsNone) : ''}.`) : ''}`);
        }
        const chart = values.length ? await figure('accuracy', 'Test accuracy per arm and k (mean over seeds)', barSpec(values, { x: 'k', y: 'accuracy', color: 'arm', group: 'arm' })) : '';
        sections.push({
          id: 'summary',
          title: 'Accuracy',
          body: html`${res.complete === false ? note('This run is not complete: some (k, arm, seed) runs are missing.') : ''}${parts}<div class="charts">${chart}</div>${note(`Significant: paired t-test p < ${ALPHA} over the per-${modality === 'images' ? 'image' : 'title'} correctness averaged over seeds. ${res.protocol ?? ''}`)}`,
        });
        const setup: Html[] = [];
        if (res.pipeline !== undefined) setup.push(jsonBlock('augmentation pipeline', res.pipeline));
        if (res.synthetic) setup.push(jsonBlock('synthetic arms', res.synthetic));
        if (Array.isArray(res['arms'])) setup.push(jsonBlock('arms', res['arms']));
        if (setup.length) sections.push({ id: 'arms', title: 'Arms', body: html`${setup}` });
      }
      if (modality === 'images') {
        const grids = gridsSection(run);
        sections.push({ id: 'images', title: 'Images', body: grids ?? note('No PNG grids in this run folder (samplify experiment writes them under grids/; bench/few-label.ts and bench/image-synth.ts under docs/images/ — copy them beside results.json to see them here).') });
      }
      const experiment = res?.modality !== undefined;
      return {
        headline: (res?.summary ?? []).flatMap((r) => [{ name: `k=${r.k} · ${r.arm} · test accuracy`, value: r.testAccuracyMean }, ...(r.vsNone ? [{ name: `k=${r.k} · ${r.arm} · Δ accuracy vs none`, value: r.vsNone.meanDiff }] : [])]),
        title: `Few-label ${noun} · ${res?.name ?? res?.benchmark ?? run.name}`,
        subtitle: res ? `${[...new Set(res.summary.map((r) => r.arm))].join(', ')} at k = ${[...new Set(res.summary.map((r) => r.k))].join(', ')}` : 'results.json is missing or unreadable',
        sections,
        provenance: {
          ...(res?.command ? { command: res.command } : { command: experiment || modality === 'titles' ? 'samplify experiment <config> (task: few-label)' : 'node --import tsx bench/few-label.ts …' }),
          ...(machineLine(res?.machine) ? { machine: machineLine(res?.machine)! } : {}),
          ...(backendLine(res?.backend) ? { backend: backendLine(res?.backend)! } : {}),
          ...(res?.seconds !== undefined ? { wallTime: { seconds: res.seconds, how: 'the benchmark’s own clock' } } : {}),
          ...(res?.config ? { config: res.config } : {}),
          ...(res?.seeds ? { seeds: res.seeds } : {}),
          ...(res?.dataset && (res.dataset.checksum ?? res.dataset.fingerprint) ? { datasets: [{ name: res.dataset.file ?? res.dataset.trainSource ?? 'data', checksum: (res.dataset.checksum ?? res.dataset.fingerprint)! }] } : {}),
          // Experiments (task: few-label) keep their wall time and environment in stages.json.
          ...(experiment ? fewLabelEnvironment(run) : {}),
        },
      };
    },
  };
}

function fewLabelEnvironment(run: RunFolder): Partial<RenderedRun['provenance']> {
  const stages = run.readJson('stages.json', fewLabelStagesSchema, 'the wall time and the machine are not shown', { optional: true });
  if (!stages) return {};
  return {
    ...(stages.wallSeconds !== undefined ? { wallTime: { seconds: stages.wallSeconds, how: 'recorded: reading, every (arm, k, seed) run of this invocation or an earlier one, and aggregation' } } : {}),
    ...environmentProvenance(run, 'stages.json', stages.environment, { subcommand: 'experiment', template: `samplify experiment <config.yaml> --out ${run.shown}   # the config is shown above` }),
  };
}

/** bench/few-label.ts runs and `task: few-label` image experiments. */
export const fewLabelImagesKind: RunKind = fewLabelKind('images');
/** `task: few-label` title experiments. */
export const fewLabelTitlesKind: RunKind = fewLabelKind('titles');
