/**
 * The HTML report: each run kind is detected and rendered; numbers come from the run's files;
 * strings from data are escaped; missing or corrupt files give a page that lists them, never a crash.
 */
import { strict as assert } from 'node:assert';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildReport, escapeHtml, writeReport } from '../../src/report/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { smallLiftRun } from './fixtures.ts';

const ARM = 'crop <b>&"x"';

describe('report of a lift experiment', () => {
  let dir = '';
  before(async () => {
    dir = tempFolder('report-lift-');
    await smallLiftRun(dir, ARM);
  });

  it('is detected as a lift run, reads every file it needs, and writes report.html atomically', async () => {
    const r = await writeReport(dir);
    assert.equal(r.kind, 'lift');
    assert.deepEqual(r.notes, []);
    assert.equal(r.path, join(dir, 'report.html'));
    assert.equal(readFileSync(r.path, 'utf8'), r.html);
    assert.ok(r.charts >= 5, `${r.charts} charts`);
    assert.ok(Buffer.byteLength(r.html) < 2e6);
    assert.equal((await writeReport(dir)).html, r.html, 'writing the page does not change the next one');
  });

  it('shows the lift table with the numbers of results.json', async () => {
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { arms: { name: string; test: Record<string, number>; lift: Record<string, number> | null; significance: { tTest: { pValue: number } } | null }[] };
    const { html: page } = await buildReport(dir);
    const table = page.slice(page.indexOf('data-testid="lift-table"'), page.indexOf('</table>', page.indexOf('data-testid="lift-table"')));
    for (const arm of res.arms) {
      assert.ok(table.includes(`data-field="test.NDCG@20" data-value="${arm.test['NDCG@20']}">${arm.test['NDCG@20']!.toFixed(4)}<`), arm.name);
      if (arm.significance) assert.ok(table.includes(`data-value="${arm.significance.tTest.pValue}"`));
    }
    assert.match(table, /selected on validation/);
    // Summary first: the lift table comes before every chart and the segments, provenance last.
    const at = (needle: string): number => {
      const i = page.indexOf(needle);
      assert.ok(i > 0, `${needle} is on the page`);
      return i;
    };
    const lift = at('data-testid="lift-table"');
    assert.ok(lift < at('<figure class="chart"'), 'the lift table before the first chart');
    assert.ok(lift < at('data-chart="segments-historyLength"'), 'the lift table before the segments');
    assert.ok(at('data-testid="provenance"') > at('data-chart="time-per-stage"'), 'provenance after the details');
  });

  it('shows time and memory per stage and the real vs added length distribution of the offline arm', async () => {
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      arms: { alignment?: { lengths: { cap: number; real: number[]; added: number[]; kept: number[] } } | null }[];
      stages?: unknown;
    };
    assert.equal(res.stages, undefined, 'timings stay out of the deterministic results.json');
    const { stages } = JSON.parse(readFileSync(join(dir, 'stages.json'), 'utf8')) as { stages: { stage: string; seconds: number; peakRssMiB: number }[] };
    assert.deepEqual(stages.map((s) => s.stage), ['read and split', 'pipelines and generators', 'aggregate']);
    for (const s of stages) assert.ok(s.seconds >= 0 && s.peakRssMiB > 0, JSON.stringify(s));
    const seed = JSON.parse(readFileSync(join(dir, 'arms', 'baseline', 'seeds', 'seed0.json'), 'utf8')) as { result: { peakRssMiB: number } };
    assert.ok(seed.result.peakRssMiB >= stages[0]!.peakRssMiB, 'peak so far never falls');
    const l = res.arms[1]!.alignment!.lengths;
    for (const shares of [l.real, l.added, l.kept]) {
      assert.equal(shares.length, l.cap + 1);
      assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    }
    assert.notDeepEqual(l.added, l.real, 'crop shortens the added sequences');
    const { html: page } = await buildReport(dir);
    for (const chart of ['memory-per-stage', 'time-per-stage', 'lengths-0', 'popularity-0']) assert.match(page, new RegExp(`data-chart="${chart}"`));
    assert.match(page, /id="stages"/);
    // Augmented samples next to their source, in the dataset's ids: every augmented item comes from the source (crop + reorder).
    const armDir = readdirSync(join(dir, 'arms')).find((n) => n !== 'baseline')!;
    const samples = JSON.parse(readFileSync(join(dir, 'arms', armDir, 'samples.json'), 'utf8')) as { of: number; samples: { source: string[]; augmented: string[] }[] };
    assert.equal(samples.samples.length, 12);
    for (const x of samples.samples) assert.ok(x.augmented.every((it) => x.source.includes(it)), JSON.stringify(x));
    assert.match(page, /id="augmented-samples-0"/);
  });

  it('lists the item attributes of the items a shown sample changed, when the arm recorded them', async () => {
    // An attribute-aware arm writes itemAttributes into samples.json (test/experiment/lift.test.ts);
    // here a copy of the crop arm's samples gets them: every shown item, two attributes each.
    const copy = tempFolder('report-attributes-');
    cpSync(dir, copy, { recursive: true });
    const armDir = readdirSync(join(copy, 'arms')).find((n) => n !== 'baseline')!;
    const file = join(copy, 'arms', armDir, 'samples.json');
    const samples = JSON.parse(readFileSync(file, 'utf8')) as { samples: { source: string[]; augmented: string[] }[]; itemAttributes?: Record<string, string[]> };
    const attrs = (it: string): string[] => [`brand <${Number(it) % 3}>`, `cat${Number(it) % 5}`];
    samples.itemAttributes = Object.fromEntries(samples.samples.flatMap((x) => [...x.source, ...x.augmented]).map((it) => [it, attrs(it)]));
    writeFileSync(file, JSON.stringify(samples));
    const changed = [...new Set(samples.samples.flatMap((x) => x.source.filter((it) => !x.augmented.includes(it)).concat(x.augmented.filter((it) => !x.source.includes(it)))))].sort().slice(0, 40);
    assert.ok(changed.length > 0, 'crop drops items from some shown sources');
    const { html: page, notes } = await buildReport(copy);
    assert.deepEqual(notes, []);
    const start = page.indexOf('data-testid="augmented-item-attributes"');
    assert.ok(start > 0, 'the attribute table is on the page');
    const rows = [...page.slice(start, page.indexOf('</table>', start)).matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(rows, changed.map((it) => [it, escapeHtml(attrs(it).join(', '))]));
    // Without attributes (the crop arm as written) there is no table.
    assert.ok(!(await buildReport(dir)).html.includes('data-testid="augmented-item-attributes"'));
  });

  it('escapes strings from the data (an arm name with markup stays text)', async () => {
    const { html: page } = await buildReport(dir);
    assert.ok(!page.includes('<b>&"x"'), 'raw arm name in the page');
    assert.ok(page.includes(escapeHtml(ARM)));
    assert.ok(!/<script/i.test(page), 'the page has no script');
    assert.ok(!/(src|href)="https?:/i.test(page), 'the page loads nothing');
  });

  it('is byte-identical when built twice', async () => {
    assert.equal((await buildReport(dir)).html, (await buildReport(dir)).html);
  });

  it('says what is missing when ranks are corrupt and results.json is absent, and still renders the arms', async () => {
    const copy = tempFolder('report-broken-');
    cpSync(dir, copy, { recursive: true });
    writeFileSync(join(copy, 'arms', 'baseline', 'ranks', 'seed0.json'), '{"seed": 0, "test": [1, 2');
    let r = await buildReport(copy);
    assert.ok(r.notes.some((n) => n.file === 'arms/baseline/ranks/seed0.json' && n.problem === 'unreadable'), JSON.stringify(r.notes));
    assert.match(r.html, /Missing or unreadable \(1\)/);
    rmSync(join(copy, 'results.json'));
    r = await buildReport(copy);
    assert.equal(r.kind, 'lift');
    assert.ok(r.notes.some((n) => n.file === 'results.json' && n.problem === 'missing'));
    assert.ok(r.html.includes('data-testid="lift-table"'), 'arms from their own results.json');
    writeFileSync(join(copy, 'results.json'), '{"metric": "NDCG@20", "seeds": [0], "arms": [{"name": 3}]}');
    r = await buildReport(copy);
    assert.ok(r.notes.some((n) => n.file === 'results.json' && n.problem === 'unexpected shape' && n.detail.startsWith('arms[0].name')), JSON.stringify(r.notes));
  });
});
