/**
 * Output folders of two commands that are not experiments: `samplify benchmark` (one evaluate run
 * per model under `<out>/<model>/` and `summary.json` over them) and `samplify augment-images` (the
 * augmented PNG copies, `manifest.jsonl` with one row per written image, `labels.csv`).
 */
import { z } from 'zod';
import { barSpec, figure, type Datum } from '../charts.ts';
import { fmt, html, note, table, type Html } from '../html.ts';
import type { HeadlineMetric, RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import type { RunFolder } from '../run-folder.ts';
import { backendLine, evaluateResultsSchema, machineLine, metricAtKFigures, metricOrder, metricsSchema, rerunCommand } from './common.ts';

const benchmarkSummarySchema = z
  .object({
    data: z.string().optional(),
    quick: z.boolean().optional(),
    seeds: z.number().int().optional(),
    epochs: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    anchors: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.string()]))).optional(),
    results: z.record(z.string(), z.object({ test: metricsSchema, testStd: metricsSchema.optional(), valid: metricsSchema }).loose()),
  })
  .loose();

const TABLE_METRICS = ['HR@10', 'NDCG@10', 'HR@20', 'NDCG@20'] as const;

export const benchmarkKind: RunKind = {
  name: 'benchmark',
  description: 'model benchmark (samplify benchmark): one evaluation per model against published anchors',
  detect(run) {
    const r = run.peekJson('summary.json') as Record<string, unknown> | undefined;
    return r !== undefined && r !== null && typeof r['results'] === 'object' && r['results'] !== null && 'anchors' in r && !run.has('results.json');
  },
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('summary.json', benchmarkSummarySchema, 'no model table (summary.json is written when every model is finished; each model folder has its own report)');
    const sections: ReportSection[] = [];
    const models = Object.keys(res?.results ?? {});
    const headline: HeadlineMetric[] = [];
    if (res) {
      const rows = models.map((m) => {
        const r = res.results[m]!;
        const anchor = res.anchors?.[m];
        for (const k of TABLE_METRICS) if (r.test[k] !== undefined) headline.push({ name: `${m} · test ${k}`, value: r.test[k]! });
        return [
          html`<span data-field="name">${m}</span>`,
          ...TABLE_METRICS.map((k) => html`<span data-field="test.${k}" data-value="${String(r.test[k] ?? '')}">${fmt(r.test[k])}</span>${r.testStd?.[k] !== undefined ? ` ± ${fmt(r.testStd[k])}` : ''}`),
          anchor ? `${fmt(anchor['HR@10'] as number | undefined)} / ${fmt(anchor['NDCG@20'] as number | undefined)}` : '—',
          String(res.epochs?.[m] ?? '—'),
        ];
      });
      sections.push({
        id: 'summary',
        title: 'Models',
        body: html`<p class="lead">${models.length} model(s) on ${res.data ?? 'the data'}, ${res.seeds ?? '?'} seed(s)${res.quick ? ' — a quick run: neural models are far from converged' : ''}.</p>
${table(['model', ...TABLE_METRICS.map((k) => `test ${k} (mean ± std)`), 'published HR@10 / NDCG@20', 'epochs'], rows, { id: 'benchmark-table', numeric: [1, 2, 3, 4, 5] })}
${note('Published numbers are anchors from the papers (their own splits and protocols): a sanity check of the order of magnitude, not a target.')}`,
      });
      const bars: Datum[] = models.flatMap((m) => metricOrder(Object.keys(res.results[m]!.test)).filter((k) => k.endsWith('@20')).map((k) => ({ model: m, metric: k, value: res.results[m]!.test[k]! })));
      const charts: Html[] = [await metricAtKFigures(models.map((m) => ({ label: m, test: res.results[m]!.test })))];
      if (bars.length) charts.push(html`<div class="charts">${await figure('benchmark-models', 'Test metrics @20 per model (mean over seeds)', barSpec(bars, { x: 'model', y: 'value', yTitle: 'test value', color: 'metric', group: 'metric' }))}</div>`);
      sections.push({ id: 'metrics', title: 'Metrics at K', body: html`${charts}` });
    }
    const folders = run.list('.').filter((n) => run.isDir(n));
    sections.push({
      id: 'models',
      title: 'Per-model runs',
      body: folders.length
        ? html`${table(['folder', 'has results.json'], folders.map((f) => [f, run.has(`${f}/results.json`) ? 'yes' : 'no (not finished)']), { id: 'benchmark-folders' })}${note('Each folder is an evaluate run with its own report (samplify report <folder>/<model>): training curves, per seed, time per stage.')}`
        : note('No per-model folders beside summary.json.'),
    });
    // The machine and version of the run, from the first model's own results.
    const first = folders.find((f) => run.has(`${f}/results.json`));
    const ev = first ? run.readJson(`${first}/results.json`, evaluateResultsSchema, 'the machine and version of the benchmark are not shown', { optional: true }) : null;
    const machine = machineLine(ev?.machine);
    const backend = backendLine(ev?.backend);
    return {
      headline,
      title: `Benchmark · ${run.name}`,
      subtitle: res ? `${models.join(', ')}; ${res.seeds ?? '?'} seed(s).` : 'summary.json could not be read.',
      sections,
      provenance: {
        ...(res?.seeds !== undefined ? { seeds: Array.from({ length: res.seeds }, (_, i) => i) } : {}),
        ...(ev?.samplify ? { version: ev.samplify } : {}),
        ...(machine ? { machine } : {}),
        ...(backend ? { backend } : {}),
        command: rerunCommand(run, ev?.command ?? null, 'benchmark', `samplify benchmark --out ${run.shown}${res?.quick ? ' --quick' : ''}${models.length ? ` --models ${models.join(',')}` : ''}`),
        ...(res?.epochs ? { config: { data: res.data, quick: res.quick, seeds: res.seeds, epochs: res.epochs } } : {}),
      },
    };
  },
};

const manifestRowSchema = z.object({ file: z.string(), source: z.string(), label: z.string().nullable(), view: z.number().int(), seed: z.number().int(), chain: z.array(z.object({ op: z.string(), params: z.unknown() }).loose()) }).loose();
type ManifestRow = z.infer<typeof manifestRowSchema>;

/** At most this many augmented images, and this many bytes of them, inline in the page. */
const MAX_IMAGES = 24;
const MAX_IMAGE_BYTES = 1 << 20;

/** The manifest's rows; a malformed line is a note (its line number) and left out. */
function readManifest(run: RunFolder): ManifestRow[] | null {
  const text = run.readText('manifest.jsonl', 'no list of written images', 64 << 20);
  if (text === null) return null;
  const rows: ManifestRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      run.note({ file: 'manifest.jsonl', problem: 'unreadable', detail: `line ${i + 1} is not JSON`, consequence: 'that image is left out of the counts' });
      return;
    }
    const row = run.check('manifest.jsonl', manifestRowSchema, raw, 'that image is left out of the counts', `line ${i + 1}`);
    if (row) rows.push(row);
  });
  return rows;
}

function imagesSection(run: RunFolder, rows: readonly ManifestRow[]): Html {
  const shown: Html[] = [];
  let budget = MAX_IMAGE_BYTES;
  // One image per source first (view 0), so the page shows many sources rather than many views of one.
  const order = [...rows].sort((a, b) => a.view - b.view || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const r of order) {
    if (shown.length >= MAX_IMAGES) break;
    if (!/\.png$/i.test(r.file)) continue;
    const bytes = run.readBytes(r.file, 'this augmented image is not shown', 1 << 20);
    if (!bytes || bytes.length > budget) continue;
    budget -= bytes.length;
    shown.push(html`<figure class="grid-image" data-testid="augmented-image"><img alt="${r.file}" src="data:image/png;base64,${Buffer.from(bytes).toString('base64')}" style="max-width:128px;max-height:128px"><figcaption>${r.file}<br>${r.chain.map((c) => c.op).join(' → ') || 'no operator applied'}</figcaption></figure>`);
  }
  return shown.length ? html`<div class="charts">${shown}</div>${rows.length > shown.length ? note(`${shown.length} of ${rows.length} images shown (at most ${MAX_IMAGES}, ${MAX_IMAGE_BYTES >> 20} MB per page).`) : ''}` : note('None of the written images could be read.');
}

export const augmentImagesKind: RunKind = {
  name: 'augment-images',
  description: 'augmented image folder (samplify augment-images): PNG copies, manifest.jsonl, labels.csv',
  detect(run) {
    return run.has('manifest.jsonl') && !run.has('results.json') && !run.list('.').some((f) => f.endsWith('.provenance.json'));
  },
  async render(run): Promise<RenderedRun> {
    const rows = readManifest(run) ?? [];
    const sections: ReportSection[] = [];
    const sources = new Set(rows.map((r) => r.source));
    const views = new Set(rows.map((r) => r.view));
    const seeds = [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b);
    const byLabel = new Map<string, number>();
    for (const r of rows) byLabel.set(r.label ?? '(no label)', (byLabel.get(r.label ?? '(no label)') ?? 0) + 1);
    const ops = new Map<string, number>();
    for (const r of rows) for (const c of r.chain) ops.set(c.op, (ops.get(c.op) ?? 0) + 1);
    const labels = [...byLabel.keys()].sort();
    const opNames = [...ops.keys()].sort();
    sections.push({
      id: 'summary',
      title: 'Written images',
      body: html`<p class="lead" data-testid="headline"><span data-field="written" data-value="${String(rows.length)}">${rows.length}</span> augmented images from ${sources.size} source images (${views.size} view(s) each), seed ${seeds.join(', ') || '—'}, ${labels.length} label(s).</p>
${table(['label', 'images'], labels.map((l) => [l, byLabel.get(l)!]), { id: 'labels-table', numeric: [1] })}
${note('Skipped source files (unreadable, too large, unlabelled) and the pipeline file are printed by the command and returned by --json; the output folder records only what was written.')}`,
    });
    const charts: Html[] = [];
    if (labels.length) charts.push(await figure('images-per-label', 'Augmented images per label', barSpec(labels.map((l) => ({ label: l, images: byLabel.get(l)! })), { x: 'label', y: 'images' })));
    if (opNames.length) charts.push(await figure('operators', 'How often each operator was applied (over all written images)', barSpec(opNames.map((o) => ({ operator: o, applied: ops.get(o)! })), { x: 'operator', y: 'applied' })));
    sections.push({ id: 'charts', title: 'Labels and operators', body: charts.length ? html`<div class="charts">${charts}</div>` : note('No images in the manifest.') });
    sections.push({ id: 'images', title: 'Images', body: rows.length ? imagesSection(run, rows) : note('No images to show.') });
    if (!run.has('labels.csv') && labels.some((l) => l !== '(no label)')) run.note({ file: 'labels.csv', problem: 'missing', detail: 'the manifest has labels but labels.csv is absent', consequence: 'nothing on this page; readers of the folder that use labels.csv find none' });
    return {
      headline: [{ name: 'images written', value: rows.length }, { name: 'source images', value: sources.size }, ...labels.map((l) => ({ name: `images · ${l}`, value: byLabel.get(l)! }))],
      title: `Augmented images · ${run.name}`,
      subtitle: `${rows.length} images, ${sources.size} sources, ${views.size} view(s).`,
      sections,
      provenance: {
        ...(seeds.length ? { seeds } : {}),
        command: `samplify augment-images --images <source folder> --pipeline <pipeline.yaml> --views ${views.size || '<n>'} --seed ${seeds[0] ?? '<seed>'} --out ${run.shown}   # the source folder and pipeline are not recorded in the output folder`,
      },
    };
  },
};
