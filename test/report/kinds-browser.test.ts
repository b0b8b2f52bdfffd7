/**
 * Every run kind's page in chromium: a folder of each kind — the committed examples (the Beauty lift
 * experiment, the ml-100k table synthesis), stored bench results (search, CTR, cold-start, few-label
 * images and titles) and small runs made here (evaluate, recipe, synthetic histories) — opened from disk: it is that kind, every
 * chart the page counts is in the DOM with marks actually drawn (a mark group with a non-empty box),
 * the console is clean and nothing is fetched. Skipped, saying so, when chromium is absent.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeReport } from '../../src/report/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { CASES } from './kind-folders.ts';

const CHROMIUM = process.env.SAMPLIFY_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM} (apt-get install chromium, or set SAMPLIFY_CHROMIUM)`;

describe('every run kind in chromium', { skip }, () => {
  let browser: Browser;
  // One page for every kind (a new page costs about a second under load): each case navigates it
  // to its file and reads the errors and requests logged since.
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];
  const built = new Map<string, { path: string; charts: number; chartNames: string[] }>();
  before(async () => {
    // Chromium starts while the folders are made (both take seconds under load).
    const launching = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    launching.catch(() => {}); // a failed launch is reported where it is awaited, below
    try {
      const base = tempFolder('report-kinds-browser-');
      for (const c of CASES) {
        const dir = join(base, c.kind);
        mkdirSync(dir, { recursive: true });
        await c.make(dir);
        const r = await writeReport(dir, join(base, `${c.kind}.html`));
        assert.equal(r.kind, c.kind, `${c.kind}: the folder is detected as its kind`);
        built.set(c.kind, { path: r.path, charts: r.charts, chartNames: [...r.html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]!) });
      }
    } finally {
      browser = await launching; // closed in after(), also when a folder failed
    }
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
  });
  after(async () => {
    await browser?.close();
  });

  for (const c of CASES) {
    it(`the ${c.kind} page: its kind, every chart drawn with marks, no error, no request`, async () => {
      const b = built.get(c.kind)!;
      assert.ok(b.charts >= 1, `${c.kind} has charts`);
      for (const want of c.charts ?? []) assert.ok(b.chartNames.some((n) => n.startsWith(want)), `${c.kind}: chart ${want}* in ${b.chartNames.join(', ')}`);
      errors.length = 0;
      requests.length = 0;
      await page.goto(pathToFileURL(b.path).href);
      assert.equal(page.url(), pathToFileURL(b.path).href, `${c.kind}: the page shows this kind's file`);
      assert.equal(await page.getAttribute('body', 'data-run-kind'), c.kind);
      const charts = await page.locator('figure.chart').evaluateAll((figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          const groups = svg ? [...svg.querySelectorAll<SVGGraphicsElement>('g.role-mark')] : [];
          // Drawn: a mark group holding elements whose box is not empty (a path with a real outline, a rect with a size).
          const drawn = groups.filter((g) => {
            const r = g.getBBox();
            return g.childElementCount > 0 && (r.width > 0 || r.height > 0);
          }).length;
          return { name: f.getAttribute('data-chart'), groups: groups.length, drawn, width: box?.width ?? 0, height: box?.height ?? 0 };
        }),
      );
      assert.equal(charts.length, b.charts, `${c.kind}: the page shows the charts it counts`);
      for (const ch of charts) {
        assert.ok(ch.drawn > 0, `${c.kind}: chart ${ch.name} draws no mark (${ch.groups} mark groups)`);
        assert.ok(ch.width > 50 && ch.height > 50, `${c.kind}: chart ${ch.name} is ${ch.width}×${ch.height}`);
      }
      assert.deepEqual(errors, [], c.kind);
      assert.deepEqual(requests, [], c.kind);
    });
  }
});
