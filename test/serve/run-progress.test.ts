/**
 * Whole-run progress in the workbench: a launched child writes a step event line per bar update
 * (SAMPLIFY_STEP_EVENTS=1) into its progress.log — the one channel its epoch lines already take —
 * the server parses them into progress events, and the run page shows the whole run's bar with an
 * ETA. Checked on the reporter (throttle, ETA, end), the parser, the failure reason (step lines are
 * never "the last line"), and in chromium on a non-neural (Popularity) run, whose ETA must change
 * while it runs.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { streamProgress } from '../../src/core/index.ts';
import { lastLogLine } from '../../src/serve/jobs.ts';
import { parseProgressLine, startWorkbench, type Workbench } from '../../src/serve/index.ts';
import { SAMPLE } from '../report/fixtures.ts';
import { tempFolder } from '../temp-folders.ts';

const CHROMIUM = process.env.SAMPLIFY_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM} (apt-get install chromium, or set SAMPLIFY_CHROMIUM)`;

describe('step events on a stream a program reads', () => {
  it('writes the first update, at most one a second per label, and the end, each with the bar’s ETA', () => {
    const out: string[] = [];
    let t = 0;
    const p = streamProgress({ isTTY: false, write: (s: string) => out.push(s) > 0 }, () => t, { stepEvents: true });
    p.step!('runs', 0, 4);
    t = 400;
    p.step!('runs', 1, 4); // within the second: not written
    t = 1000;
    p.step!('runs', 2, 4); // 2 units in 1 s → 2 left take 1 s
    t = 1500;
    p.step!('other', 5, 10); // its own clock: no pace yet
    t = 1600;
    p.step!('runs', 4, 4); // the end is always written
    p.line('a message');
    const events = out.map((s) => s.trimEnd());
    assert.deepEqual(events, [
      '{"step":"runs","done":0,"total":4,"etaSeconds":null}',
      '{"step":"runs","done":2,"total":4,"etaSeconds":1}',
      '{"step":"other","done":5,"total":10,"etaSeconds":null}',
      '{"step":"runs","done":4,"total":4,"etaSeconds":null}',
      'a message',
    ]);
    assert.ok(out.every((s) => s.endsWith('\n') && !s.includes('\r')), 'whole lines, no bar redraws');
  });

  it('without stepEvents a non-terminal stream gets the lines only, as before', () => {
    const out: string[] = [];
    const p = streamProgress({ isTTY: false, write: (s: string) => out.push(s) > 0 }, () => 0);
    p.step!('runs', 1, 4);
    p.line('x');
    assert.deepEqual(out, ['x\n']);
  });

  it('the server parses a step event into label, done, total and ETA; anything else stays a message', () => {
    assert.deepEqual(parseProgressLine('{"step":"experiment: (arm, seed) runs","done":2,"total":6,"etaSeconds":125}'), { text: '{"step":"experiment: (arm, seed) runs","done":2,"total":6,"etaSeconds":125}', step: 'experiment: (arm, seed) runs', done: 2, total: 6, etaSeconds: 125, eta: '2 min' });
    assert.equal(parseProgressLine('{"step":"x","done":0,"total":3,"etaSeconds":null}').eta, undefined);
    for (const torn of ['{"step":"x","done":1', '{"step":"x","done":1,"total":0,"etaSeconds":null}']) assert.deepEqual(parseProgressLine(torn), { text: torn });
  });

  it('a failed run’s reason is its last message, never a step event', () => {
    const dir = tempFolder('wb-steps-reason-');
    writeFileSync(join(dir, 'progress.log'), 'seed 0: fitting pop\nerror: data.csv row 3 field "x": not a number\n{"step":"ranking","done":256,"total":2000,"etaSeconds":null}\n');
    assert.equal(lastLogLine(dir), 'error: data.csv row 3 field "x": not a number');
  });
});

describe('whole-run progress in chromium', { skip }, () => {
  let browser: Browser;
  let wb: Workbench;
  let runs = '';
  before(async () => {
    runs = tempFolder('wb-steps-runs-');
    wb = await startWorkbench({ runs, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await wb?.close();
  });

  it('a Popularity lift run (no training loop) shows the whole run’s bar, its ETA changing as runs finish', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${wb.origin}/new`);
    await page.fill('input[name="name"]', 'pop-steps');
    await page.fill('textarea[name="config"]', `name: pop-steps\ndata: { path: ${SAMPLE}, format: seqtxt }\nmodel: { model: pop }\nseeds: 5\narms: [{ name: crop, pipeline: { version: 1, steps: [{ op: crop, ratio: 0.8 }] } }]\n`);
    await page.locator('[data-testid="launch-button"]').click();
    await page.waitForURL(/\/runs\/pop-steps$/);
    // Every state the whole-run line goes through (each server-sent event is its own task, so each change is seen).
    await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('[data-testid=run-progress]')!;
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => seen.push(`${el.dataset.label}|${el.dataset.done}/${el.dataset.total}|${el.dataset.eta}`)).observe(el, { attributes: true, attributeFilter: ['data-done', 'data-eta'] });
    });
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'finished', null, { timeout: 120_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\nprogress.log:\n${readFileSync(join(runs, 'pop-steps', 'progress.log'), 'utf8').slice(-3000)}`);
    });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    const whole = seen.filter((s) => s.startsWith('experiment: (arm, seed) runs|'));
    const etas = [...new Set(whole.map((s) => s.split('|')[2]).filter(Boolean))];
    assert.ok(etas.length >= 2, `the whole run's ETA changes while it runs: ${JSON.stringify(seen)}`);
    assert.ok(etas.every((e) => /^\d+ (?:s|min)$/.test(e!)), JSON.stringify(etas));
    assert.match((await page.locator('[data-testid=run-progress]').textContent()) ?? '', /^whole run — experiment: \(arm, seed\) runs: 10\/10 \(100 %\) — done$/);
    // The log shows messages only; step events became bars.
    const log = (await page.locator('[data-testid=log]').textContent()) ?? '';
    assert.match(log, /seed 2: test HR@10/);
    assert.doesNotMatch(log, /"step"/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
