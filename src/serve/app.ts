/**
 * The workbench's HTTP routes (Hono): list runs, open their reports, compare two runs, launch an
 * experiment from a config validated with the CLI's own schema, follow its progress (server-sent
 * events), cancel and resume it. Every run path is a single checked name under the runs folder;
 * off loopback every request needs the token; a POST from another origin is refused.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Hono, type Context, type Next } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatEta } from '../core/index.ts';
import { buildReport, detectRunKind, html, RunFolder, type BuiltReport, type Html, type HtmlValue } from '../report/index.ts';
import { cancelJob, isStepEvent, launchJob, readJob, RUN_NAME, startJob, validateLaunch, type LaunchProblem } from './jobs.ts';

export interface WorkbenchOptions {
  /** Folder whose sub-folders are runs. */
  readonly runs: string;
  /** When set, every request must carry it (header `Authorization: Bearer …`, cookie, or `?token=` once). */
  readonly token?: string | undefined;
}

const COOKIE = 'samplify_token';

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The run folder `name` under `runs`, or null when the name is not a plain run name (no separators, no '..'). */
export function runPath(runs: string, name: string): string | null {
  if (!RUN_NAME.test(name)) return null;
  const p = resolve(runs, name);
  return p.startsWith(resolve(runs) + '/') ? p : null;
}

export function createWorkbenchApp(o: WorkbenchOptions): Hono {
  const runs = resolve(o.runs);
  const app = new Hono();

  app.use('*', async (c: Context, next: Next) => {
    if (o.token) {
      const q = c.req.query('token');
      const header = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
      const given = header ?? getCookie(c, COOKIE) ?? q;
      if (!given || !sameToken(given, o.token)) return c.text('a token is required (start page: the URL printed by `samplify serve`)', 401);
      if (q && c.req.method === 'GET') {
        setCookie(c, COOKIE, o.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
        const url = new URL(c.req.url);
        url.searchParams.delete('token');
        return c.redirect(url.pathname + url.search, 303);
      }
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      // A browser says where a POST comes from (Sec-Fetch-Site, Origin); only our own pages may launch or cancel.
      const origin = c.req.header('origin');
      const site = c.req.header('sec-fetch-site');
      if ((origin && origin !== 'null' && origin !== new URL(c.req.url).origin) || (site !== undefined && site !== 'same-origin' && site !== 'none')) return c.text('cross-origin request refused', 403);
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
  });

  const run = (c: Context): string | null => runPath(runs, c.req.param('name') ?? '');

  app.get('/', (c) => c.html(page('Runs', listRuns(runs))));

  app.get('/favicon.ico', (c) => c.body(null, 204));

  app.get('/app.js', (c) => c.body(CLIENT_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));

  app.get('/runs/:name', (c) => {
    const dir = run(c);
    if (!dir || !existsSync(dir)) return c.html(page('Not found', html`<p>No such run.</p>`), 404);
    return c.html(page(`Run ${c.req.param('name')}`, runPage(dir, c.req.param('name'))));
  });

  app.get('/runs/:name/report', async (c) => {
    const dir = run(c);
    if (!dir || !existsSync(dir)) return c.html(page('Not found', html`<p>No such run.</p>`), 404);
    return c.html((await cachedReport(dir)).html);
  });

  app.get('/runs/:name/events', (c) => {
    const dir = run(c);
    if (!dir || !existsSync(dir)) return c.text('no such run', 404);
    const from = Number(c.req.header('last-event-id') ?? 0);
    return streamSSE(c, async (stream) => {
      let offset = Number.isFinite(from) && from > 0 ? from : 0;
      let lastStatus = '';
      let rest = '';
      // Where `rest` (the line not yet complete) starts in the log: each line's id is the byte offset
      // just after it, so a client reconnecting with Last-Event-ID continues at the next line, not
      // at the end of the read that brought it.
      let restStart = offset;
      let decoder = new StringDecoder('utf8'); // a read may end inside a multi-byte character
      const logPath = join(dir, 'progress.log');
      const sendNewLines = async (): Promise<void> => {
        const size = existsSync(logPath) ? statSync(logPath).size : 0;
        if (size < offset) {
          // a new launch rewrote the log
          offset = restStart = 0;
          rest = '';
          decoder = new StringDecoder('utf8');
        }
        if (size <= offset) return;
        const buf = readFrom(logPath, offset, size - offset);
        offset += buf.length;
        rest += decoder.write(buf);
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          restStart += Buffer.byteLength(line) + 1;
          const text = line.trimEnd(); // the child's stderr is a file, not a TTY: plain lines, no bar
          if (text) await stream.writeSSE({ event: 'progress', id: String(restStart), data: JSON.stringify(parseProgressLine(text)) });
        }
      };
      for (;;) {
        await sendNewLines();
        const job = readJob(dir);
        const status = job?.shown ?? 'none';
        if (status !== lastStatus) {
          await stream.writeSSE({ event: 'status', data: JSON.stringify({ status, exitCode: job?.exitCode ?? null }) });
          lastStatus = status;
        }
        if (status !== 'running') {
          await sendNewLines(); // the lines written just before the exit
          await stream.writeSSE({ event: 'end', data: JSON.stringify({ status }) });
          return;
        }
        if (stream.aborted) return;
        await stream.sleep(250);
      }
    });
  });

  app.post('/runs/:name/cancel', (c) => {
    const dir = run(c);
    if (!dir || !existsSync(dir)) return c.text('no such run', 404);
    cancelJob(dir);
    return c.redirect(`/runs/${c.req.param('name')}`, 303);
  });

  app.post('/runs/:name/resume', (c) => {
    const dir = run(c);
    if (!dir || !existsSync(join(dir, 'config.yaml'))) return c.text('no such launched run', 404);
    const job = readJob(dir);
    if (job?.shown === 'running') return c.text('the run is still running', 409);
    startJob(dir, { resume: true });
    return c.redirect(`/runs/${c.req.param('name')}`, 303);
  });

  app.get('/new', (c) => c.html(page('New experiment', launchForm('', DEFAULT_CONFIG, []))));

  app.post('/new', async (c) => {
    const body = await c.req.parseBody();
    const name = typeof body['name'] === 'string' ? body['name'].trim() : '';
    const config = typeof body['config'] === 'string' ? body['config'] : '';
    const { problems } = validateLaunch(runs, name, config);
    // The form again with each problem next to its field (200: a page for a person; the browser logs any 4xx as an error).
    if (problems.length) return c.html(page('New experiment', launchForm(name, config, problems)));
    launchJob(runs, name, config);
    return c.redirect(`/runs/${name}`, 303);
  });

  app.get('/compare', async (c) => {
    const a = runPath(runs, c.req.query('a') ?? '');
    const b = runPath(runs, c.req.query('b') ?? '');
    if (!a || !b || !existsSync(a) || !existsSync(b)) return c.html(page('Compare', html`<p>Choose two runs.</p>`), 400);
    return c.html(page('Compare', await compareRuns(a, b, c.req.query('a')!, c.req.query('b')!)));
  });

  app.onError((e, c) => c.html(page('Error', html`<p class="warn">${e.message}</p>`), 500));
  return app;
}

/** `length` bytes of a file from `offset` (a growing log is read from where the stream stopped). */
function readFrom(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const reportCache = new Map<string, { stamp: string; report: BuiltReport }>();

/**
 * A run's report, rebuilt only when a file in its folder changed (name, size, mtime of every file
 * the report could read), so many viewers of one report cost one build.
 */
async function cachedReport(dir: string): Promise<BuiltReport> {
  const run = new RunFolder(dir);
  const stamp = run
    .files()
    .filter((f) => f !== 'report.html')
    .map((f) => {
      const st = statSync(join(dir, f));
      return `${f}:${st.size}:${st.mtimeMs}`;
    })
    .join('|');
  const hit = reportCache.get(dir);
  if (hit && hit.stamp === stamp) return hit.report;
  const report = await buildReport(dir);
  reportCache.set(dir, { stamp, report });
  if (reportCache.size > 64) reportCache.delete(reportCache.keys().next().value!);
  return report;
}

/** What a progress line says: a message (epoch, loss, validation metric, ETA parsed out), or a step event of one bar. */
export interface ProgressEvent {
  readonly text: string;
  readonly epoch?: number;
  readonly epochs?: number;
  readonly loss?: number;
  readonly metric?: string;
  readonly value?: number;
  /** Time left, as the terminal shows it ("12 s", "4 min"). */
  readonly eta?: string;
  /** A step event: the bar's label, units done of total, and seconds left at its pace (null before it has one). */
  readonly step?: string;
  readonly done?: number;
  readonly total?: number;
  readonly etaSeconds?: number | null;
}

const stepEventSchema = z.object({ step: z.string(), done: z.number().finite(), total: z.number().finite().positive(), etaSeconds: z.number().finite().nonnegative().nullable() });

/** Fields of a progress line a client can chart: epoch, loss, validation metric, ETA; or a bar's step event. */
export function parseProgressLine(text: string): ProgressEvent {
  if (isStepEvent(text)) {
    try {
      const e = stepEventSchema.parse(JSON.parse(text));
      return { text, step: e.step, done: e.done, total: e.total, etaSeconds: e.etaSeconds, ...(e.etaSeconds !== null ? { eta: formatEta(e.etaSeconds) } : {}) };
    } catch {
      return { text }; // a torn or foreign line stays a message
    }
  }
  const out: { -readonly [K in keyof ProgressEvent]: ProgressEvent[K] } = { text };
  const ep = /epoch\s+(\d+)\/(\d+)/.exec(text);
  if (ep) Object.assign(out, { epoch: Number(ep[1]), epochs: Number(ep[2]) });
  const loss = /\bloss ([-\d.eE+]+)/.exec(text);
  if (loss) out.loss = Number(loss[1]);
  const m = /\b((?:NDCG|HR)@\d+|valid AUC) ([-\d.eE+]+)/.exec(text);
  if (m) Object.assign(out, { metric: m[1], value: Number(m[2]) });
  const eta = /take (?:up to )?~([^(;]+)/.exec(text);
  if (eta) out.eta = eta[1]!.trim();
  return out;
}

interface RunRow {
  name: string;
  kind: string;
  status: string;
  /** Why a failed or lost run ended, when known. */
  reason: string | null;
  modified: number;
}

function runRows(runs: string): RunRow[] {
  if (!existsSync(runs)) return [];
  return readdirSync(runs, { withFileTypes: true })
    .filter((e) => e.isDirectory() && RUN_NAME.test(e.name))
    .map((e) => {
      const dir = join(runs, e.name);
      const kind = detectRunKind(new RunFolder(dir))?.name ?? (existsSync(join(dir, 'config.yaml')) ? 'experiment (no results yet)' : 'unknown');
      const job = readJob(dir);
      return { name: e.name, kind, status: job?.shown ?? (kind === 'unknown' ? '—' : 'finished'), reason: job?.reason ?? null, modified: statSync(dir).mtimeMs };
    })
    .sort((a, b) => b.modified - a.modified || a.name.localeCompare(b.name));
}

function listRuns(runs: string): Html {
  const rows = runRows(runs);
  const options = rows.map((r) => html`<option value="${r.name}">${r.name}</option>`);
  return html`<p><a class="button" href="/new">New experiment</a></p>
<table data-testid="runs"><thead><tr><th>run</th><th>kind</th><th>status</th><th></th></tr></thead><tbody>
${rows.map((r) => html`<tr data-run="${r.name}"><td><a href="/runs/${encodeURIComponent(r.name)}">${r.name}</a></td><td>${r.kind}</td><td class="status-${r.status}" data-testid="run-status">${r.status}${r.reason ? html`<div class="reason" data-testid="run-reason">${r.reason}</div>` : ''}</td><td><a href="/runs/${encodeURIComponent(r.name)}/report">report</a></td></tr>`)}
</tbody></table>
${rows.length === 0 ? html`<p>No runs in this folder yet.</p>` : ''}
<form method="get" action="/compare" class="compare"><label>compare <select name="a">${options}</select></label> <label>with <select name="b">${options}</select></label> <button>compare</button></form>`;
}

function runPage(dir: string, name: string): Html {
  const job = readJob(dir);
  const enc = encodeURIComponent(name);
  return html`<p>status: <strong data-testid="status">${job?.shown ?? 'finished (not launched here)'}</strong>${job?.exitCode !== null && job?.exitCode !== undefined ? ` (exit ${job.exitCode})` : ''}${job ? `, attempt ${job.attempts}` : ''}</p>
${job?.reason ? html`<p class="warn" data-testid="reason">${job.reason}</p>` : ''}
<p><a href="/runs/${enc}/report" data-testid="report-link">open the report</a></p>
${job ? html`<form method="post" action="/runs/${enc}/cancel" style="display:inline"><button data-testid="cancel">cancel (Ctrl-C: the checkpoint is kept)</button></form>
<form method="post" action="/runs/${enc}/resume" style="display:inline"><button data-testid="resume">resume</button></form>
<h2>Progress</h2><p data-testid="run-progress" class="latest"></p><ul data-testid="bars" class="bars"></ul><p data-testid="latest" class="latest"></p><pre id="log" data-testid="log" data-events="/runs/${enc}/events"></pre>
<script src="/app.js"></script>` : ''}`;
}

const DEFAULT_CONFIG = `# Relative paths are relative to the run's folder (runs/<name>/); absolute paths are safest.
name: small-lift
data:
  path: /path/to/Beauty.txt
  format: seqtxt
model:
  model: sasrec
  config: { loss: ce }
seeds: 1
epochs: 5
patience: 2
metric: NDCG@20
arms:
  - name: crop-reorder
    pipeline: { version: 1, steps: [{ op: crop, ratio: 0.8 }] }
`;

function launchForm(name: string, config: string, problems: readonly LaunchProblem[]): Html {
  const at = (f: (p: LaunchProblem) => boolean): Html => {
    const ps = problems.filter(f);
    return ps.length ? html`<ul class="errors" data-testid="errors">${ps.map((p) => html`<li>${p.field ? html`<code>${p.field}</code>: ` : ''}${p.message}</li>`)}</ul>` : html``;
  };
  return html`<form method="post" action="/new" data-testid="launch">
<label>run name <input name="name" value="${name}" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*"></label>${at((p) => p.field === 'name')}
<label>config (YAML): a <code>samplify experiment</code> config — sequences, or <code>task: search</code> — or a <code>samplify synthesize</code> config (its outputs go into the run folder)</label>${at((p) => p.field !== 'name')}
<textarea name="config" rows="24" cols="100" spellcheck="false">${config}</textarea>
<p><button data-testid="launch-button">validate and launch</button></p></form>`;
}

function flatten(v: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(v));
  return out;
}

/**
 * The config and the headline numbers of a run folder: what its kind's report leads with (each arm's
 * test metrics and lift for lift and search experiments, the screen and confirmation of a recipe,
 * accuracy per k and arm for few-label runs, fidelity and privacy for syntheses, AUC per model and
 * arm for CTR, cold / warm metrics per arm for cold-start), read through the same run kind.
 */
async function runSummary(dir: string): Promise<{ kind: string; config: unknown; metrics: Map<string, number> }> {
  const report = await cachedReport(dir);
  const metrics = new Map(report.headline.map((m) => [m.name, m.value]));
  let config: unknown;
  try {
    const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;
    config = r['config'] ?? r['task'];
  } catch {
    /* no results yet, or a synthesis run (its config is the saved config.yaml) */
  }
  if (config === undefined && existsSync(join(dir, 'config.yaml'))) {
    try {
      config = parseYaml(readFileSync(join(dir, 'config.yaml'), 'utf8')) as unknown;
    } catch {
      /* shown as absent */
    }
  }
  return { kind: report.kind, config, metrics };
}

async function compareRuns(a: string, b: string, nameA: string, nameB: string): Promise<Html> {
  const A = await runSummary(a);
  const B = await runSummary(b);
  const keys = [...new Set([...A.metrics.keys(), ...B.metrics.keys()])];
  const fa = flatten(A.config);
  const fb = flatten(B.config);
  const diff = [...new Set([...fa.keys(), ...fb.keys()])].filter((k) => fa.get(k) !== fb.get(k)).sort();
  const f = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(4));
  return html`<h2>Metrics</h2>
<p data-testid="compare-kinds">${nameA}: ${A.kind} · ${nameB}: ${B.kind}${A.kind !== B.kind ? ' — different kinds of run: only the numbers both record line up' : ''}</p>
<table data-testid="compare-metrics"><thead><tr><th>metric</th><th>${nameA}</th><th>${nameB}</th><th>Δ (${nameB} − ${nameA})</th></tr></thead><tbody>
${keys.map((k) => {
  const x = A.metrics.get(k);
  const y = B.metrics.get(k);
  return html`<tr><td>${k}</td><td class="num">${f(x)}</td><td class="num">${f(y)}</td><td class="num">${x !== undefined && y !== undefined ? (y - x).toFixed(4) : '—'}</td></tr>`;
})}</tbody></table>
<h2>Config differences (${diff.length})</h2>
<table data-testid="compare-config"><thead><tr><th>key</th><th>${nameA}</th><th>${nameB}</th></tr></thead><tbody>
${diff.map((k) => html`<tr><td><code>${k}</code></td><td>${fa.get(k) ?? '—'}</td><td>${fb.get(k) ?? '—'}</td></tr>`)}</tbody></table>
<p><a href="/runs/${encodeURIComponent(nameA)}/report">${nameA} report</a> · <a href="/runs/${encodeURIComponent(nameB)}/report">${nameB} report</a></p>`;
}

function page(title: string, body: HtmlValue): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'">
<title>${title} · samplify workbench</title><style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1d232b;background:#fafbfc}header{background:#fff;border-bottom:1px solid #dde2e7;padding:10px 24px}header a{color:#2457a6;text-decoration:none;font-weight:600}
main{max-width:1100px;margin:0 auto;padding:12px 24px}table{border-collapse:collapse}th,td{border-bottom:1px solid #dde2e7;padding:4px 10px;text-align:left}td.num{text-align:right}
.errors{color:#b3261e}.warn{color:#b3261e}pre{background:#f3f5f7;padding:8px;max-height:420px;overflow:auto;font-size:12px}textarea{font:12px monospace;width:100%}label{display:block;margin:8px 0 2px}
.reason{font-size:12px;max-width:520px}.status-running{color:#2457a6}.status-failed,.status-lost{color:#b3261e}.status-interrupted{color:#a15c00}.latest{font-weight:600}
</style></head><body><header><a href="/">samplify workbench</a> · ${title}</header><main>${body}</main></body></html>`.text;
}

/**
 * The run page's script: follows the run's server-sent events into the log, the latest-progress
 * line, one line per bar (step events) and the whole-run line: the experiment's bar over its
 * (arm, seed) runs once it has one (kept, marked done, after it ends), else the earliest-started bar still open (a synthesis run's
 * stage: copula columns, then the quality report's pairs, then the privacy stages).
 */
const CLIENT_JS = `(() => {
  const log = document.getElementById('log');
  if (!log) return;
  const latest = document.querySelector('[data-testid=latest]');
  const status = document.querySelector('[data-testid=status]');
  const whole = document.querySelector('[data-testid=run-progress]');
  const list = document.querySelector('[data-testid=bars]');
  const bars = new Map(); // label → its latest state, in the order the bars (re)started
  let shown = null;
  let experiment = null; // the latest state of the experiment's own bar: once it exists, it is the whole run
  const describe = (b) => b.label + ': ' + b.done + '/' + b.total + ' (' + Math.floor((100 * b.done) / b.total) + ' %)' + (b.eta ? ' — ETA ' + b.eta : b.done >= b.total ? ' — done' : '');
  const showBars = () => {
    const open = [...bars.values()].filter((b) => b.done < b.total);
    const top = open.find((b) => b.label.startsWith('experiment:')) || experiment || open[0] || shown;
    if (top) {
      shown = top;
      whole.textContent = 'whole run — ' + describe(top);
      whole.dataset.label = top.label;
      whole.dataset.done = String(top.done);
      whole.dataset.total = String(top.total);
      whole.dataset.eta = top.eta || '';
    }
    list.replaceChildren(...open.map((b) => { const li = document.createElement('li'); li.dataset.label = b.label; li.textContent = describe(b); return li; }));
  };
  const es = new EventSource(log.dataset.events);
  es.addEventListener('progress', (e) => {
    const p = JSON.parse(e.data);
    if (p.step !== undefined) {
      const bar = { label: p.step, done: p.done, total: p.total, eta: p.eta };
      const before = bars.get(p.step);
      if (before && p.done < before.done) bars.delete(p.step); // a new pass of the bar: now the latest started
      if (p.done < p.total) bars.set(p.step, bar);
      else bars.delete(p.step); // a finished bar leaves the list (the whole-run line keeps it, marked done, until another opens)
      if (shown && shown.label === p.step) shown = bar;
      if (p.step.startsWith('experiment:')) experiment = bar;
      showBars();
      return;
    }
    log.textContent += p.text + '\\n';
    log.scrollTop = log.scrollHeight;
    if (p.epoch !== undefined) latest.textContent = 'epoch ' + p.epoch + '/' + p.epochs + (p.loss !== undefined ? ', loss ' + p.loss.toFixed(4) : '') + (p.metric ? ', ' + p.metric + ' ' + p.value.toFixed(4) : '');
    if (p.eta) latest.textContent += ' — ETA ' + p.eta;
  });
  es.addEventListener('status', (e) => { status.textContent = JSON.parse(e.data).status; });
  es.addEventListener('end', () => es.close());
})();
`;
