/**
 * `samplify report <run-dir>`: one self-contained HTML page per run folder — the run's kind is
 * detected (kinds.ts), its module renders the sections, and this file wraps them in the page: the
 * summary first, a box listing every missing or corrupt file and what it costs, provenance last.
 * Same folder ⇒ byte-identical page (no timestamps, charts rendered deterministically).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataValidationError, writeFileAtomic } from '../core/index.ts';
import { facts, fmtSeconds, html, jsonBlock, note, table, trusted, type Html, type HtmlValue } from './html.ts';
import { detectRunKind, type HeadlineMetric, type Provenance, type RenderedRun, type ReportSection } from './kinds.ts';
import { RunFolder, type ReportNote } from './run-folder.ts';
import './kinds/index.ts';

export interface BuiltReport {
  readonly html: string;
  /** The run kind's name, or 'unknown'. */
  readonly kind: string;
  readonly notes: readonly ReportNote[];
  /** Charts in the page. */
  readonly charts: number;
  /** The run's headline numbers (finite values only), for comparing runs. */
  readonly headline: readonly HeadlineMetric[];
}

/** The samplify version writing the report (package.json two folders up, in src/ and in dist/). */
export function samplifyVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function buildReport(runDir: string): Promise<BuiltReport> {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new DataValidationError('run folder not found', { file: runDir });
  if (!statSync(dir).isDirectory()) throw new DataValidationError('not a folder: give the run folder (the one holding results.json or the *.provenance.json record)', { file: runDir });
  const run = new RunFolder(runDir);
  const kind = detectRunKind(run);
  let rendered: RenderedRun;
  if (kind) {
    try {
      rendered = await kind.render(run);
    } catch (e) {
      // A renderer bug must still leave the user a page saying what happened.
      run.note({ file: '(report)', problem: 'unreadable', detail: `the ${kind.name} renderer failed: ${(e as Error).message}`, consequence: 'the sections after the failure are missing; please report this' });
      rendered = { title: `${kind.description}`, sections: [], provenance: {} };
    }
  } else {
    rendered = unknownRun(run);
  }
  const page = pageHtml(rendered, run, kind?.name ?? 'unknown');
  const headline = (rendered.headline ?? []).filter((m) => Number.isFinite(m.value));
  return { html: page, kind: kind?.name ?? 'unknown', notes: [...run.notes], charts: (page.match(/<figure class="chart"/g) ?? []).length, headline };
}

/** Builds the report and writes it atomically (default `<run-dir>/report.html`); returns the path and the build. */
export async function writeReport(runDir: string, out?: string): Promise<BuiltReport & { readonly path: string }> {
  const built = await buildReport(runDir);
  const path = resolve(out ?? resolve(runDir, 'report.html'));
  writeFileAtomic(path, built.html);
  return { ...built, path };
}

function unknownRun(run: RunFolder): RenderedRun {
  const results = run.has('results.json');
  run.note({
    file: results ? 'results.json' : 'results.json or *.provenance.json',
    problem: results ? 'unexpected shape' : 'missing',
    detail: results ? 'not a results file of any run kind samplify knows (or not valid JSON)' : 'no run record in this folder',
    consequence: 'the run kind is unknown, so only the folder listing is shown',
  });
  return { title: `Unknown run · ${run.name}`, subtitle: 'No run of a known kind was recognised in this folder.', sections: [], provenance: {} };
}

function notesBox(notes: readonly ReportNote[]): Html {
  if (notes.length === 0) return html`<div class="ok" data-testid="complete">Every file this report reads was present and well-formed.</div>`;
  return html`<div class="missing" data-testid="missing"><strong>Missing or unreadable (${notes.length})</strong> — the report shows what the remaining files allow:
<ul>${notes.map((n) => html`<li><code>${n.file}</code> — ${n.problem}: ${n.detail}. <em>${n.consequence}.</em></li>`)}</ul></div>`;
}

const NOT_RECORDED = html`<span class="nr">not recorded</span>`;

function provenanceSection(p: Provenance, run: RunFolder, kind: string): ReportSection {
  const items: [HtmlValue, HtmlValue][] = [
    ['run folder', html`<code>${run.shown}</code>`],
    ['run kind', kind],
    ['seeds', p.seeds ? (p.seeds.length ? p.seeds.join(', ') : 'none finished') : NOT_RECORDED],
    ['datasets', p.datasets?.length ? html`${p.datasets.map((d) => html`<div>${d.name}: <code>${d.checksum}</code></div>`)}` : NOT_RECORDED],
    ['samplify version (run)', p.version ?? NOT_RECORDED],
    ['samplify version (report)', samplifyVersion()],
    ['machine', p.machine ?? NOT_RECORDED],
    ['backend', p.backend ?? NOT_RECORDED],
    ['wall time', p.wallTime ? html`${fmtSeconds(p.wallTime.seconds)} <span class="nr">(${p.wallTime.how})</span>` : NOT_RECORDED],
    ['rerun', p.command ? html`<pre class="cmd">${p.command}</pre>` : NOT_RECORDED],
    ...(p.extra ?? []).map(([k, v]): [HtmlValue, HtmlValue] => [k, v]),
  ];
  // The page itself is left out, so writing it does not change the next build.
  const files = run.files().filter((f) => f !== 'report.html');
  return {
    id: 'provenance',
    title: 'Provenance',
    body: html`${facts(items, 'provenance')}
${p.config !== undefined ? jsonBlock('config', p.config) : html`<p>config: ${NOT_RECORDED}</p>`}
<details><summary>files in the run folder (${files.length}${files.length >= 400 ? '+' : ''})</summary>${table(['file'], files.map((f) => [html`<code>${f}</code>`]))}</details>`,
  };
}

function slug(id: string): string {
  return id.replace(/[^A-Za-z0-9-]/g, '-');
}

function pageHtml(r: RenderedRun, run: RunFolder, kind: string): string {
  const sections = [...r.sections, provenanceSection(r.provenance, run, kind)];
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="samplify ${samplifyVersion()} report">
<title>${r.title}</title>
<style>${trusted(CSS)}</style>
</head>
<body data-run-kind="${kind}">
<header><h1>${r.title}</h1>${r.subtitle ? html`<p class="sub">${r.subtitle}</p>` : ''}
<nav>${sections.map((s) => html`<a href="#${slug(s.id)}">${s.title}</a>`)}</nav></header>
<main>
${notesBox(run.notes)}
${sections.map((s) => html`<section id="${slug(s.id)}"><h2>${s.title}</h2>${s.body}</section>`)}
</main>
<footer>${note(html`Generated by <code>samplify report</code>. Self-contained: charts are inline SVG rendered with Vega-Lite when the report was written; the page loads nothing.`)}</footer>
</body>
</html>
`;
  return body.text;
}

const CSS = `
:root{--fg:#1d232b;--muted:#5b6570;--line:#dde2e7;--good:#137333;--bad:#b3261e;--accent:#2457a6}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:#fafbfc}
header{background:#fff;border-bottom:1px solid var(--line);padding:16px 24px;position:sticky;top:0;z-index:1}
h1{font-size:20px;margin:0}.sub{margin:4px 0 8px;color:var(--muted)}nav a{margin-right:14px;color:var(--accent);text-decoration:none;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:8px 24px 24px}section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 18px;margin:16px 0}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:14px;margin:16px 0 6px}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;color:var(--muted);padding:4px 0}
.tag{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#eef1f4;color:var(--muted)}.tag.sel{background:#e6f0ff;color:var(--accent)}
.verdict.good{color:var(--good);font-weight:600}.verdict.bad{color:var(--bad);font-weight:600}.verdict.neutral{color:var(--muted)}
.lead{font-size:15px}.note{color:var(--muted);font-size:13px}.warn{color:var(--bad)}.nr{color:var(--muted);font-style:italic}
.missing{border:1px solid #f0c36d;background:#fff8e6;border-radius:6px;padding:10px 14px;margin:16px 0}.ok{color:var(--good);margin:12px 0;font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:14px}figure.chart{margin:6px 0;background:#fff}figure.chart svg{max-width:100%;height:auto}figcaption{font-size:12px;color:var(--muted);max-width:520px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
pre{background:#f3f5f7;padding:8px;border-radius:4px;overflow-x:auto;font-size:12px;max-height:420px}pre.cmd{margin:0;white-space:pre-wrap}code{font-size:12px}
details{margin:6px 0}summary{cursor:pointer;color:var(--accent)}footer{max-width:1180px;margin:0 auto;padding:0 24px 24px}
.pair td.diff{background:#fff3c4}
`;
