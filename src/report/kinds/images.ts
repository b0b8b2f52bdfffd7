/**
 * Few-label image classification runs (bench/few-label.ts): a small CNN trained on k labelled
 * images per class with no expansion, classical augmentation or synthetic images from generators
 * fitted on the same k-per-class images — accuracy per arm and k against no expansion, the arm
 * validation selects, and every PNG grid in the folder (augmented / generated images) inline.
 */
import { z } from 'zod';
import { barSpec, figure, type Datum } from '../charts.ts';
import { fmt, fmtP, html, jsonBlock, note, table, type Html, type HtmlValue } from '../html.ts';
import type { RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import type { RunFolder } from '../run-folder.ts';
import { backendLine, machineLine } from './common.ts';

const ALPHA = 0.05;
const MAX_GRIDS = 12;

const summaryRowSchema = z
  .object({
    k: z.number(),
    arm: z.string(),
    seeds: z.number(),
    testAccuracyMean: z.number(),
    testAccuracyStd: z.number(),
    vsNone: z.object({ meanDiff: z.number(), pValue: z.number(), n: z.number().optional() }).loose().optional(),
  })
  .loose();

const fewLabelSchema = z
  .object({
    benchmark: z.string(),
    complete: z.boolean().optional(),
    command: z.string().optional(),
    protocol: z.string().optional(),
    pipeline: z.unknown().optional(),
    synthetic: z.record(z.string(), z.unknown()).optional(),
    backend: z.record(z.string(), z.unknown()).optional(),
    summary: z.array(summaryRowSchema),
    selectedOnValidation: z.array(z.object({ k: z.number(), seeds: z.number(), chosenArms: z.array(z.string()), testAccuracyMean: z.number(), testAccuracyStd: z.number() }).loose()).optional(),
    machine: z.record(z.string(), z.unknown()).optional(),
    date: z.string().optional(),
    seconds: z.number().optional(),
  })
  .loose();

function isFewLabel(raw: unknown): boolean {
  const r = raw as Record<string, unknown> | undefined;
  return r !== undefined && r !== null && typeof r['benchmark'] === 'string' && r['benchmark'].startsWith('few-label') && Array.isArray(r['summary']);
}

function verdict(row: z.infer<typeof summaryRowSchema>): string {
  const v = row.vsNone;
  if (!v) return '—';
  if (!(v.pValue < ALPHA)) return 'not significant';
  return v.meanDiff > 0 ? 'better' : 'worse';
}

/** PNG files at the top of the folder and under grids/, embedded as data URIs. */
function gridsSection(run: RunFolder): Html | null {
  const files = [...run.list('.').filter((f) => f.endsWith('.png')), ...run.list('grids').filter((f) => f.endsWith('.png')).map((f) => `grids/${f}`)];
  if (files.length === 0) return null;
  const shown: Html[] = [];
  for (const f of files.slice(0, MAX_GRIDS)) {
    const bytes = run.readBytes(f, 'this image grid is not shown', 2 << 20);
    if (!bytes) continue;
    shown.push(html`<figure class="grid-image"><img alt="${f}" src="data:image/png;base64,${Buffer.from(bytes).toString('base64')}" style="image-rendering:pixelated;max-width:100%"><figcaption>${f}</figcaption></figure>`);
  }
  return html`${shown}${files.length > MAX_GRIDS ? note(`${files.length - MAX_GRIDS} more PNG files are in the folder and not shown.`) : ''}`;
}

export const fewLabelImagesKind: RunKind = {
  name: 'few-label-images',
  description: 'few-label image classification (bench/few-label.ts): no expansion vs augmentation vs synthetic images',
  detect: (run) => isFewLabel(run.peekJson('results.json')),
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('results.json', fewLabelSchema, 'no accuracy table');
    const sections: ReportSection[] = [];
    if (res) {
      const ks = [...new Set(res.summary.map((r) => r.k))].sort((a, b) => a - b);
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
          verdict(r),
        ]);
        for (const r of rows) values.push({ k: `k = ${k}`, arm: r.arm, accuracy: r.testAccuracyMean });
        parts.push(html`<h3>k = ${k} labelled images per class</h3>
${table(['arm', 'seeds', 'test accuracy % (mean ± std)', 'Δ vs none', 'p (paired, per test image)', 'verdict'], tableRows, { numeric: [1, 2, 3, 4], id: `accuracy-k${k}` })}
${sel ? note(`Validation selects per seed: ${sel.chosenArms.join(', ')} — test accuracy of the selected arms ${fmt(100 * sel.testAccuracyMean, 2)} ± ${fmt(100 * sel.testAccuracyStd, 2)} %.`) : ''}`);
      }
      const chart = values.length ? await figure('accuracy', 'Test accuracy per arm and k (mean over seeds)', barSpec(values, { x: 'k', y: 'accuracy', color: 'arm', group: 'arm' })) : '';
      sections.push({
        id: 'summary',
        title: 'Accuracy',
        body: html`${res.complete === false ? note('This run is not complete: some (k, arm, seed) runs are missing.') : ''}${parts}<div class="charts">${chart}</div>${note(`Significant: paired t-test p < ${ALPHA} over the per-image correctness averaged over seeds. ${res.protocol ?? ''}`)}`,
      });
      const setup: Html[] = [];
      if (res.pipeline !== undefined) setup.push(jsonBlock('augmentation pipeline', res.pipeline));
      if (res.synthetic) setup.push(jsonBlock('synthetic arms', res.synthetic));
      if (setup.length) sections.push({ id: 'arms', title: 'Arms', body: html`${setup}` });
    }
    const grids = gridsSection(run);
    sections.push({ id: 'images', title: 'Images', body: grids ?? note('No PNG grids in this run folder (bench/few-label.ts and bench/image-synth.ts write them under docs/images/; copy them beside results.json to see them here).') });
    return {
      title: `Few-label images · ${res?.benchmark ?? run.name}`,
      subtitle: res ? `${[...new Set(res.summary.map((r) => r.arm))].join(', ')} at k = ${[...new Set(res.summary.map((r) => r.k))].join(', ')}` : 'results.json is missing or unreadable',
      sections,
      provenance: {
        ...(res?.command ? { command: res.command } : { command: 'node --import tsx bench/few-label.ts …' }),
        ...(machineLine(res?.machine) ? { machine: machineLine(res?.machine)! } : {}),
        ...(backendLine(res?.backend) ? { backend: backendLine(res?.backend)! } : {}),
        ...(res?.seconds !== undefined ? { wallTime: { seconds: res.seconds, how: 'the benchmark’s own clock' } } : {}),
      },
    };
  },
};
