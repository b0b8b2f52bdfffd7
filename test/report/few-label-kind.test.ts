/**
 * The few-label report page states how the validation-selected procedure fares against always
 * shipping `none` (Δ, paired p, bootstrap CI) when results.json carries that test, and stays as it
 * was for older files that do not.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fmt, fmtP } from '../../src/report/html.ts';
import { buildReport } from '../../src/report/index.ts';
import { tempFolder } from '../temp-folders.ts';

const BENCH = resolve(import.meta.dirname, '../../bench/results');

interface Selection {
  k: number;
  chosenArms: string[];
  vsNone?: { meanDiff: number; pValue: number; ci95?: [number, number] };
}

async function render(file: string): Promise<{ html: string; selection: Selection[] }> {
  const dir = tempFolder('report-few-label-');
  copyFileSync(join(BENCH, file), join(dir, 'results.json'));
  const r = await buildReport(dir);
  assert.equal(r.kind, 'few-label-images');
  assert.deepEqual(r.notes.filter((n) => n.file === 'results.json'), []);
  const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { selectedOnValidation: Selection[] };
  return { html: r.html, selection: res.selectedOnValidation };
}

/** The note under the accuracy table of k. */
function selectionNote(html: string, k: number): string {
  const from = html.indexOf(`id="accuracy-k${k}"`);
  assert.ok(from >= 0, `a table for k = ${k}`);
  const start = html.indexOf('Validation selects per seed', from);
  assert.ok(start >= 0, `a selection note for k = ${k}`);
  return html.slice(start, html.indexOf('</p>', start));
}

describe('few-label report: the validation-selected procedure', () => {
  it('shows its Δ against none, paired p and CI per k when the results carry them', async () => {
    const { html, selection } = await render('few-label-fashion-mnist-synth-k5-k20.json');
    assert.ok(selection.length >= 2);
    for (const s of selection) {
      const v = s.vsNone!;
      const text = selectionNote(html, s.k);
      assert.ok(text.includes(s.chosenArms.join(', ')), text);
      assert.ok(text.includes(`${v.meanDiff >= 0 ? '+' : ''}${fmt(100 * v.meanDiff, 2)} pt`), text);
      assert.ok(text.includes(`paired p ${fmtP(v.pValue)}`), text);
      assert.ok(text.includes(`[${fmt(100 * v.ci95![0], 2)}, ${fmt(100 * v.ci95![1], 2)}] pt`), text);
      // Both stored selections lose to always none, significantly.
      assert.ok(text.includes('(worse)'), text);
    }
  });

  it('says nothing of a test that an older results file did not store', async () => {
    const { html, selection } = await render('few-label-fashion-mnist-synth-k50.json');
    assert.equal(selection[0]!.vsNone, undefined);
    const text = selectionNote(html, 50);
    assert.ok(!text.includes('paired p'), text);
    assert.match(text, /%\.$/);
  });
});
