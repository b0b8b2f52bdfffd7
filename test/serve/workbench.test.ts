/**
 * The workbench end to end in chromium: list runs, open a report (its lift table equals
 * results.json), compare two runs, refuse an invalid config with every problem listed at its key
 * path next to the editor, launch a small
 * experiment on the shipped sample, watch its progress arrive, cancel it (checkpoint kept), resume
 * it to the end and open its report. Off loopback every request needs the token; run names cannot
 * leave the runs folder. Screenshots go to a temp folder (printed as diagnostics).
 */
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseProgressLine, runPath, startWorkbench, type Workbench } from '../../src/serve/index.ts';
import { SAMPLE, smallLiftRun } from '../report/fixtures.ts';
import { tempFolder } from '../temp-folders.ts';

const CHROMIUM = process.env.SAMPLIFY_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM} (apt-get install chromium, or set SAMPLIFY_CHROMIUM)`;

describe('workbench paths and progress lines', () => {
  it('a run name never leaves the runs folder', () => {
    const runs = tempFolder('wb-paths-');
    for (const bad of ['..', '../x', 'a/b', '', '.hidden', '%2e%2e', 'a\\b', '/etc']) assert.equal(runPath(runs, bad), null, bad);
    assert.equal(runPath(runs, 'lift-a'), join(runs, 'lift-a'));
  });

  it('reads epoch, loss, validation metric and ETA from progress lines', () => {
    assert.deepEqual(parseProgressLine('epoch   2/3 loss 8.9709 NDCG@20 0.0015 HR@20 0.0040 * train 4.3s total 4.6s'), { text: 'epoch   2/3 loss 8.9709 NDCG@20 0.0015 HR@20 0.0040 * train 4.3s total 4.6s', epoch: 2, epochs: 3, loss: 8.9709, metric: 'NDCG@20', value: 0.0015 });
    assert.equal(parseProgressLine('1 epoch took 5.5 s; the remaining 2 take up to ~11 s (early stopping may end sooner)').eta, '11 s');
  });
});

describe('the workbench in chromium', { skip }, () => {
  let browser: Browser;
  let runs = '';
  let shots = '';
  let wb: Workbench;
  // One page for the whole file (a new page costs about a second under load); each test reads the
  // errors logged since it started.
  let shared: Page;
  const errors: string[] = [];
  before(async () => {
    // Chromium starts while the runs are made.
    const launching = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    launching.catch(() => {}); // a failed launch is reported where it is awaited, below
    try {
      runs = tempFolder('wb-runs-');
      // SAMPLIFY_SCREENSHOTS=<dir> keeps them (CI artefacts); otherwise a temp folder removed after the run.
      shots = process.env.SAMPLIFY_SCREENSHOTS ? resolve(process.env.SAMPLIFY_SCREENSHOTS) : tempFolder('wb-screenshots-');
      mkdirSync(shots, { recursive: true });
      await smallLiftRun(join(runs, 'lift-a'));
      cpSync(join(runs, 'lift-a'), join(runs, 'lift-b'), { recursive: true });
      wb = await startWorkbench({ runs, port: 0 });
    } finally {
      browser = await launching; // closed in after(), also when a run failed
    }
    shared = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    shared.on('pageerror', (e) => errors.push(e.message));
    shared.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await wb?.close();
  });

  function newPage(): { page: Page; errors: string[] } {
    errors.length = 0;
    return { page: shared, errors };
  }

  it('lists runs, opens a report with the numbers of results.json, compares two runs', async () => {
    const { page, errors } = newPage();
    // Loopback by default, and there no token.
    assert.match(wb.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(wb.token, null);
    await page.goto(wb.url);
    assert.equal(await page.locator('[data-testid="runs"] tbody tr').count(), 2);
    await page.locator('tr[data-run="lift-a"] a', { hasText: 'report' }).click();
    assert.equal(await page.getAttribute('body', 'data-run-kind'), 'lift');
    const res = JSON.parse(readFileSync(join(runs, 'lift-a', 'results.json'), 'utf8')) as { arms: { test: Record<string, number> }[] };
    const cells = page.locator('[data-testid="lift-table"] [data-field="test.NDCG@20"]');
    assert.deepEqual(await cells.allTextContents(), res.arms.map((a) => a.test['NDCG@20']!.toFixed(4)));
    assert.ok((await page.locator('figure.chart svg').count()) >= 5);
    await page.goto(`${wb.origin}/`);
    await page.selectOption('select[name="a"]', 'lift-a');
    await page.selectOption('select[name="b"]', 'lift-b');
    await page.locator('form.compare button').click();
    assert.ok((await page.locator('[data-testid="compare-metrics"] tbody tr').count()) > 5);
    await page.screenshot({ path: join(shots, 'compare.png') });
    assert.deepEqual(errors, []);
  });

  it('refuses an invalid config next to its field, launches a valid one, shows progress, cancels and resumes it', async (t) => {
    const { page, errors } = newPage();
    await page.goto(`${wb.origin}/new`);
    await page.fill('input[name="name"]', 'launched');
    // Three problems (a value out of range, one inside a list, an unknown key): each listed at its key path.
    await page.fill('textarea[name="config"]', `name: bad\ndata: { path: ${SAMPLE}, format: seqtxt }\nmodel: { model: pop }\nseeds: 0\nepochz: 3\narms: [{ name: a, views: -1, pipeline: { version: 1, steps: [{ op: crop, ratio: 0.8 }] } }]\n`);
    await page.locator('[data-testid="launch-button"]').click();
    const problems = await page.locator('[data-testid="errors"] li').allTextContents();
    assert.equal(problems.length, 3, JSON.stringify(problems));
    for (const f of ['seeds', 'arms[0].views', 'epochz']) assert.ok(problems.some((p) => p.startsWith(`${f}: `)), `${f} in ${JSON.stringify(problems)}`);
    assert.ok(!existsSync(join(runs, 'launched')), 'nothing launched');

    // The first 400 users of the sample and 5 epochs (about a second each): launch → cancel → resume takes
    // seconds, and the run is still training when the cancel arrives after its first epoch.
    const tiny = join(tempFolder('wb-data-'), 'tiny.txt');
    writeFileSync(tiny, readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 400).join('\n') + '\n');
    const config = `name: launched\ndata: { path: ${tiny}, format: seqtxt }\nmodel: { model: sasrec, config: { loss: ce, hidden: 8, maxLen: 10 } }\nseeds: 1\nepochs: 5\npatience: 5\nmetric: NDCG@20\narms: [{ name: crop, pipeline: { version: 1, steps: [{ op: crop, ratio: 0.8 }] } }]\n`;
    await page.fill('textarea[name="config"]', config);
    await page.locator('[data-testid="launch-button"]').click();
    await page.waitForURL(/\/runs\/launched$/);
    await page.waitForFunction(() => /epoch 1\/5/.test(document.querySelector('[data-testid=latest]')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'progress.png') });
    await page.locator('[data-testid="cancel"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'interrupted', null, { timeout: 60_000 });
    assert.ok(existsSync(join(runs, 'launched', 'arms', 'baseline', 'checkpoints', 'seed0', 'checkpoint.bin')), 'checkpoint kept');
    assert.match(readFileSync(join(runs, 'launched', 'progress.log'), 'utf8'), /interrupt/);

    await page.locator('[data-testid="resume"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'finished', null, { timeout: 150_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\nprogress.log:\n${readFileSync(join(runs, 'launched', 'progress.log'), 'utf8')}\njob.json: ${readFileSync(join(runs, 'launched', 'job.json'), 'utf8')}`);
    });
    const log = readFileSync(join(runs, 'launched', 'progress.log'), 'utf8');
    assert.match(log, /resuming from checkpoint after epoch \d/);
    await page.locator('[data-testid="report-link"]').click();
    assert.equal(await page.getAttribute('body', 'data-run-kind'), 'lift');
    await page.screenshot({ path: join(shots, 'launched-report.png') });
    assert.deepEqual(errors, []);
    t.diagnostic(`screenshots in ${shots}`);
  });

  it('off loopback every request needs the token, and run paths cannot escape', async () => {
    const open = await startWorkbench({ runs, host: '0.0.0.0', port: 0 });
    try {
      assert.ok(open.token && open.token.length >= 16);
      assert.equal((await fetch(`${open.origin}/`)).status, 401);
      assert.equal((await fetch(`${open.origin}/runs/lift-a/report`)).status, 401);
      assert.equal((await fetch(`${open.origin}/new`, { method: 'POST', body: new URLSearchParams({ name: 'x', config: 'name: x' }) })).status, 401);
      assert.equal((await fetch(`${open.origin}/`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
      const ok = await fetch(`${open.origin}/runs/lift-a/report`, { headers: { authorization: `Bearer ${open.token}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /data-run-kind="lift"/);
      for (const p of ['/runs/..%2F..%2Fetc/report', '/runs/%2e%2e/report', '/runs/..%2f/events']) {
        assert.equal((await fetch(`${open.origin}${p}`, { headers: { authorization: `Bearer ${open.token}` } })).status, 404, p);
      }
      const cross = await fetch(`${open.origin}/runs/lift-a/cancel`, { method: 'POST', headers: { authorization: `Bearer ${open.token}`, origin: 'http://evil.example' } });
      assert.equal(cross.status, 403);
      const { page } = newPage();
      await page.goto(open.url); // ?token= once: a cookie, then the address without it
      assert.ok(!page.url().includes('token='));
      assert.equal(await page.locator('[data-testid="runs"] tbody tr').count(), 3);
    } finally {
      await open.close();
    }
  });
});

describe('job state on disk', () => {
  it('a run whose process vanished shows as finished when it wrote results.json after starting, else as lost', async () => {
    const { readJob } = await import('../../src/serve/index.ts');
    const dir = tempFolder('wb-job-');
    const job = { kind: 'experiment', command: ['x'], pid: 2 ** 22 + 12345, status: 'running', exitCode: null, startedAt: new Date(Date.now() - 60_000).toISOString(), endedAt: null, attempts: 1 };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    assert.equal(readJob(dir)?.shown, 'lost');
    writeFileSync(join(dir, 'results.json'), '{}');
    assert.equal(readJob(dir)?.shown, 'finished');
    writeFileSync(join(dir, 'job.json'), '{"status": "running"');
    assert.equal(readJob(dir), null);
  });
});
