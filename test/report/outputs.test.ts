/**
 * Report kinds for the output folders of `samplify benchmark` (summary.json over per-model evaluate
 * folders) and `samplify augment-images` (PNG copies, manifest.jsonl, labels.csv): the numbers on the
 * page are the recorded ones, the charts have marks, and a corrupt manifest line is a note, not a crash.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildReport } from '../../src/report/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { augmentedImageFolder, CASES } from './kind-folders.ts';

const marks = (page: string, chart: string): void => {
  const start = page.indexOf(`data-chart="${chart}"`);
  assert.ok(start > 0, `chart ${chart}`);
  assert.match(page.slice(start, page.indexOf('</figure>', start)), /role-mark[\s\S]*<path [^>]*d="M/, `chart ${chart} has marks`);
};

describe('benchmark and augment-images folders', () => {
  const base = tempFolder('report-outputs-');
  const bench = join(base, 'bench');
  const images = join(base, 'images');
  before(async () => {
    await CASES.find((c) => c.kind === 'benchmark')!.make(bench);
    await augmentedImageFolder(images);
  });

  it('a benchmark folder: every model with the test numbers of summary.json, metric@K and per-model charts', async () => {
    const r = await buildReport(bench);
    assert.equal(r.kind, 'benchmark');
    assert.deepEqual(r.notes, []);
    const summary = JSON.parse(readFileSync(join(bench, 'summary.json'), 'utf8')) as { results: Record<string, { test: Record<string, number> }> };
    assert.deepEqual(Object.keys(summary.results), ['pop', 'itemknn']);
    for (const [model, res] of Object.entries(summary.results)) {
      const row = r.html.slice(r.html.indexOf(`<span data-field="name">${model}</span>`));
      assert.ok(row.length < r.html.length, model);
      assert.match(row.slice(0, 2000), new RegExp(`data-field="test.NDCG@20" data-value="${res.test['NDCG@20']}"`), model);
      assert.ok(r.headline.some((h) => h.name === `${model} · test NDCG@20` && h.value === res.test['NDCG@20']));
    }
    marks(r.html, 'benchmark-models');
    assert.match(r.html, /data-testid="benchmark-folders"/);
    assert.match(r.html, /<pre class="cmd">samplify /);
  });

  it('an augment-images folder: the manifest counted per label, operators charted, images inline', async () => {
    const r = await buildReport(images);
    assert.equal(r.kind, 'augment-images');
    assert.deepEqual(r.notes, []);
    const rows = readFileSync(join(images, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { label: string });
    assert.equal(rows.length, 12);
    assert.match(r.html, new RegExp(`data-field="written" data-value="${rows.length}"`));
    assert.deepEqual(r.headline.find((h) => h.name === 'images · cat')?.value, rows.filter((x) => x.label === 'cat').length);
    marks(r.html, 'images-per-label');
    marks(r.html, 'operators');
    assert.equal((r.html.match(/data-testid="augmented-image"/g) ?? []).length, 12);
    // A torn manifest line costs that line, said in a note.
    appendFileSync(join(images, 'manifest.jsonl'), '{"file": "cat/x__v0.png", "sour\n');
    const torn = await buildReport(images);
    assert.equal(torn.kind, 'augment-images');
    assert.ok(torn.notes.some((n) => n.file === 'manifest.jsonl' && /line 13/.test(n.detail)), JSON.stringify(torn.notes));
    assert.match(torn.html, /data-field="written" data-value="12"/);
  });
});
