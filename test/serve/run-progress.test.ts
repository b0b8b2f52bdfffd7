/**
 * Whole-run progress in the workbench: a launched child writes a step event line per bar update
 * (SAMPLIFY_STEP_EVENTS=1) into its progress.log — the one channel its epoch lines already take —
 * the server parses them into progress events, and the run page shows the whole run's bar with an
 * ETA. Checked on the reporter (throttle, ETA, end), the parser, the failure reason (step lines are
 * never "the last line"), and in chromium: on a scripted child whose step events the page must show
 * one by one (ETA changing, then done), and on a launched non-neural (Popularity) run.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { streamProgress } from '../../src/core/index.ts';
import { lastLogLine } from '../../src/serve/jobs.ts';
import { parseProgressLine, startWorkbench, type Workbench } from '../../src/serve/index.ts';
import { SAMPLE } from '../report/fixtures.ts';
import { tempFolder } from '../temp-folders.ts';

const CHROMIUM = process.env.SAMPLIFY_CHROMIUM ?? '/usr/bin/chromium';
/** Retries an assertion on the page until it holds or 20 s pass (server-sent events arrive every 250 ms). */
async function assertEventually(check: () => Promise<void>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

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

  it('a running run’s page shows each step event the child writes — the whole run’s bar, its ETA changing, then done', async () => {
    // The child is scripted here (its progress.log written by the test, its pid this process's) so
    // the states the page must show do not depend on how fast the machine runs a real experiment.
    const dir = join(runs, 'scripted');
    mkdirSync(dir);
    const job = { kind: 'experiment', command: ['samplify', 'experiment', 'config.yaml'], pid: process.pid, status: 'running', exitCode: null, startedAt: new Date().toISOString(), endedAt: null, attempts: 1 };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    writeFileSync(join(dir, 'progress.log'), 'seed 0: fitting pop\n');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${wb.origin}/runs/scripted`);
    const whole = page.locator('[data-testid=run-progress]');
    const label = 'experiment: (arm, seed) runs';
    const states: Array<[string, RegExp]> = [
      [`{"step":"${label}","done":0,"total":4,"etaSeconds":null}`, /^whole run — experiment: \(arm, seed\) runs: 0\/4 \(0 %\)$/],
      [`{"step":"${label}","done":1,"total":4,"etaSeconds":150}`, /: 1\/4 \(25 %\) — ETA 3 min$/],
      [`{"step":"ranking","done":10,"total":100,"etaSeconds":null}`, /: 1\/4 \(25 %\) — ETA 3 min$/], // an inner bar does not take the whole-run line
      [`{"step":"${label}","done":3,"total":4,"etaSeconds":20}`, /: 3\/4 \(75 %\) — ETA 20 s$/],
      [`{"step":"${label}","done":4,"total":4,"etaSeconds":null}`, /: 4\/4 \(100 %\) — done$/],
    ];
    for (const [line, shown] of states) {
      appendFileSync(join(dir, 'progress.log'), `${line}\n`);
      await assertEventually(async () => assert.match((await whole.textContent()) ?? '', shown));
    }
    await assertEventually(async () => assert.deepEqual(await page.locator('[data-testid=bars] li').allTextContents(), ['ranking: 10/100 (10 %)']));
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ ...job, status: 'finished', exitCode: 0, endedAt: new Date().toISOString() }));
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'finished', null, { timeout: 20_000 });
    assert.equal((await page.locator('[data-testid=log]').textContent())?.trim(), 'seed 0: fitting pop', 'step events become bars, never log lines');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a launched Popularity lift run (no training loop) writes the whole run’s step events, and its page ends on the bar done', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${wb.origin}/new`);
    await page.fill('input[name="name"]', 'pop-steps');
    await page.fill('textarea[name="config"]', `name: pop-steps\ndata: { path: ${SAMPLE}, format: seqtxt }\nmodel: { model: pop }\nseeds: 5\narms: [{ name: crop, pipeline: { version: 1, steps: [{ op: crop, ratio: 0.8 }] } }]\n`);
    await page.locator('[data-testid="launch-button"]').click();
    await page.waitForURL(/\/runs\/pop-steps$/);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'finished', null, { timeout: 120_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\nprogress.log:\n${readFileSync(join(runs, 'pop-steps', 'progress.log'), 'utf8').slice(-3000)}`);
    });
    // How many events fall between the first and the last depends on the machine's speed (one a
    // second at most); the first and the last are always written, each with a valid ETA field.
    const events = readFileSync(join(runs, 'pop-steps', 'progress.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"step":"experiment: (arm, seed) runs"'))
      .map((l) => JSON.parse(l) as { done: number; total: number; etaSeconds: number | null });
    assert.ok(events.length >= 2, JSON.stringify(events));
    assert.deepEqual([events[0]!.done, events.at(-1)!.done, events.at(-1)!.total], [0, 10, 10]);
    assert.ok(events.every((e) => e.etaSeconds === null || (Number.isFinite(e.etaSeconds) && e.etaSeconds >= 0)), JSON.stringify(events));
    await assertEventually(async () => assert.match((await page.locator('[data-testid=run-progress]').textContent()) ?? '', /^whole run — experiment: \(arm, seed\) runs: 10\/10 \(100 %\) — done$/));
    const log = (await page.locator('[data-testid=log]').textContent()) ?? '';
    assert.match(log, /seed 2: test HR@10/);
    assert.doesNotMatch(log, /"step"/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
