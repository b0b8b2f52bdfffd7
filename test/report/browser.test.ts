/**
 * The report in a real browser (Debian's chromium through playwright-core): opened from disk, its
 * lift table shows the numbers of results.json, every chart is an SVG with marks — the training
 * curves and the per-user lift distribution of a small SASRec run included — the console is
 * clean and nothing is requested from the network. Screenshots are kept in a temp folder (the
 * path is printed as a test diagnostic). Skipped, saying so, when chromium is not installed.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { writeReport } from '../../src/report/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { smallNeuralLiftRun } from './fixtures.ts';

const CHROMIUM = process.env.SAMPLIFY_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM} (apt-get install chromium, or set SAMPLIFY_CHROMIUM)`;

interface Arm {
  name: string;
  test: Record<string, number>;
  testStd: Record<string, number>;
  lift: Record<string, number> | null;
  significance: { tTest: { pValue: number }; bootstrap: { lo: number; hi: number }; seeds: { n: number; better: number; pValue: number | null } } | null;
}

/** Charts a lift page of a neural run must have: curves from the checkpoints, per-user lift, the rest. */
const LIFT_CHARTS = ['segments-historyLength', 'segments-targetPopularity', 'segments-targetCount', 'metric-at-k-ndcg', 'relative-lift', 'per-user-lift', 'curve-training-loss', 'curve-validation-NDCG-20', 'time-per-stage', 'memory-per-stage', 'lengths-0'];

let dir = '';
let built: Awaited<ReturnType<typeof writeReport>>;
let browser: Browser | undefined;
before(async () => {
  // Chromium starts while the run trains; the page is built once, for both suites.
  const launching = skip ? null : chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  launching?.catch(() => {}); // a failed launch is reported where it is awaited, below
  try {
    dir = join(tempFolder('report-browser-'), 'run');
    await smallNeuralLiftRun(dir);
    built = await writeReport(dir);
  } finally {
    browser = (await launching) ?? undefined;
  }
});
after(async () => {
  await browser?.close();
});

describe('the lift page of a neural run (no browser)', () => {
  it('draws the training curves and the per-user lift distribution, with marks, and counts every user', async () => {
    const page = built.html;
    for (const name of LIFT_CHARTS) {
      const start = page.indexOf(`data-chart="${name}"`);
      assert.ok(start > 0, `chart ${name} is missing`);
      const svg = page.slice(start, page.indexOf('</figure>', start));
      assert.match(svg, /class="mark-(?:rect|line|symbol|rule)[^"]*role-mark/, `chart ${name} has no marks`);
      assert.match(svg, /<path [^>]*d="M[-\d.]+,[-\d.]+[LHVh]/, `chart ${name} draws nothing`);
    }
    const perUser = page.slice(page.indexOf('data-testid="per-user"'), page.indexOf('</table>', page.indexOf('data-testid="per-user"')));
    const cells = [...perUser.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    assert.equal(cells.length, 4);
    const [users, better, worse, unchanged] = cells as [number, number, number, number];
    assert.equal(better + worse + unchanged, users);
    assert.ok(better + worse > 0, 'per-user values differ between the arms');
  });
});

describe('the report in chromium', { skip }, () => {
  let shots = '';
  before(() => {
    // SAMPLIFY_SCREENSHOTS=<dir> keeps them (CI artefacts); otherwise a temp folder removed after the run.
    shots = process.env.SAMPLIFY_SCREENSHOTS ? resolve(process.env.SAMPLIFY_SCREENSHOTS) : tempFolder('report-screenshots-');
    mkdirSync(shots, { recursive: true });
  });

  it('opens offline, shows results.json numbers, renders every chart, logs no error and fetches nothing', async (t) => {
    const { path } = built;
    assert.ok(browser, 'chromium started');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    const url = pathToFileURL(path).href;
    await page.goto(url);
    assert.equal(await page.getAttribute('body', 'data-run-kind'), 'lift');

    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { metric: string; arms: Arm[] };
    // The table as chromium shows it, read in one round trip: per row, each data-field cell's text and data-value.
    const rows = await page.locator('[data-testid="lift-table"] tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('[data-field]')].map((td) => [td.getAttribute('data-field')!, { text: td.textContent ?? '', value: td.getAttribute('data-value') }]))),
    );
    assert.equal(rows.length, res.arms.length);
    const cell = (i: number, field: string): { text: string; value: string | null } => {
      const c = rows[i]![field];
      assert.ok(c, `row ${i} has no cell ${field}; it has ${Object.keys(rows[i]!).join(', ')}`);
      return c;
    };
    for (let i = 0; i < res.arms.length; i++) {
      const arm = res.arms[i]!;
      assert.equal(cell(i, 'name').text, arm.name);
      for (const m of ['HR@20', 'NDCG@20']) {
        assert.equal(Number(cell(i, `test.${m}`).value), arm.test[m]);
        assert.equal(cell(i, `test.${m}`).text, arm.test[m]!.toFixed(4));
        assert.equal(cell(i, `testStd.${m}`).text, arm.testStd[m]!.toFixed(4));
      }
      if (arm.significance) {
        assert.equal(Number(cell(i, 'significance.tTest.pValue').value), arm.significance.tTest.pValue);
        assert.equal(cell(i, 'significance.bootstrap.lo').text, arm.significance.bootstrap.lo.toFixed(4));
        assert.equal(cell(i, 'significance.bootstrap.hi').text, arm.significance.bootstrap.hi.toFixed(4));
        assert.equal(cell(i, 'significance.seeds.better').text, `${arm.significance.seeds.better}/${arm.significance.seeds.n}`);
        const lift = arm.lift![res.metric]!;
        assert.equal(cell(i, `lift.${res.metric}`).text, `${lift >= 0 ? '+' : ''}${(lift * 100).toFixed(2)} %`);
        assert.match(cell(i, 'verdict').text, /significant/);
      }
    }
    assert.ok(res.arms.some((a) => a.significance !== null), 'an arm against the baseline is checked');

    const charts = await page.locator('figure.chart').evaluateAll((figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const marks = svg ? svg.querySelectorAll('g.role-mark > path, g.role-mark > line, g.role-mark > rect, g.role-mark > circle').length : 0;
        return { name: f.getAttribute('data-chart'), marks, width: box?.width ?? 0, height: box?.height ?? 0 };
      }),
    );
    assert.ok(charts.length >= 5, `${charts.length} charts`);
    for (const name of LIFT_CHARTS) assert.ok(charts.some((c) => c.name === name), `chart ${name} is in the page`);
    for (const c of charts) {
      assert.ok(c.marks > 0, `chart ${c.name} has no marks`);
      assert.ok(c.width > 50 && c.height > 50, `chart ${c.name} is ${c.width}×${c.height}`);
    }
    await page.screenshot({ path: join(shots, 'lift-report.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    t.diagnostic(`${charts.length} charts; screenshot ${join(shots, 'lift-report.png')}`);
    await page.close();
  });
});
