/**
 * The HTML report for every run kind: stored CTR / cold-start / lift results, a small evaluation and
 * table synthesis, and the contract every registered kind keeps (an empty or corrupt folder renders
 * with notes, never an exception).
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { ZodType } from 'zod';
import { DataValidationError } from '../../src/core/index.ts';
import { buildReport, html, RunFolder, runKinds } from '../../src/report/index.ts';
import { tempFolder } from '../temp-folders.ts';

const BENCH = resolve(import.meta.dirname, '../../bench/results');

function benchRun(file: string): string {
  const dir = tempFolder('report-bench-');
  copyFileSync(join(BENCH, file), join(dir, 'results.json'));
  return dir;
}

/** Any JSON value. */
const anyJson = { safeParse: (v: unknown) => ({ success: true as const, data: v }) } as unknown as ZodType;

describe('report of other run kinds', () => {
  it('renders the stored CTR, cold-start and lift results as their kinds', async () => {
    for (const [file, kind] of [['ctr-ml100k.json', 'ctr'], ['cold-start-beauty.json', 'cold-start'], ['lift-diginetica.json', 'lift']] as const) {
      const r = await buildReport(benchRun(file));
      assert.equal(r.kind, kind, file);
      assert.ok(r.charts >= 1, file);
      assert.ok(r.html.includes('data-testid="lift-table"'), file);
      // Only the per-user ranks (not stored with bench results) may be missing.
      assert.ok(r.notes.every((n) => n.file.includes('/ranks/')), `${file}: ${JSON.stringify(r.notes)}`);
    }
  });

  it('renders an evaluation run with its training curves from the checkpoints', async (t) => {
    const { runEvaluation } = await import('../../src/experiment/index.ts');
    const { SAMPLE } = await import('./fixtures.ts');
    const dir = tempFolder('report-eval-');
    await runEvaluation({ data: SAMPLE, format: 'seqtxt', model: { model: 'sasrec', config: { loss: 'ce', hidden: 8, maxLen: 10 } }, seeds: [0], epochs: 2, out: dir });
    const r = await buildReport(dir);
    assert.equal(r.kind, 'evaluate');
    assert.deepEqual(r.notes, []);
    assert.match(r.html, /data-chart="curve-training-loss"/);
    assert.match(r.html, /data-chart="curve-validation-NDCG-20"/);
    t.diagnostic(`${r.charts} charts, ${r.html.length} bytes`);
  });

  it('renders a history synthesis run with real against synthetic lengths and popularity (from the recorded distributions)', async () => {
    const { CASES } = await import('./kind-folders.ts');
    const dir = tempFolder('report-synth-seq-');
    await CASES.find((c) => c.kind === 'synthesize-sequences')!.make(dir);
    const rep = JSON.parse(readFileSync(join(dir, 'users.report.json'), 'utf8')) as { quality: { distributions: { lengths: { real: number; synthetic: number }[] } } };
    const realUsers = rep.quality.distributions.lengths.reduce((a, l) => a + l.real, 0);
    const syntheticUsers = rep.quality.distributions.lengths.reduce((a, l) => a + l.synthetic, 0);
    assert.ok(realUsers > 0 && syntheticUsers > 0);
    const r = await buildReport(dir);
    assert.equal(r.kind, 'synthesize-sequences');
    assert.match(r.html, new RegExp(`History lengths, real \\(${realUsers} users\\) against synthetic \\(${syntheticUsers}\\)`));
    assert.match(r.html, /Interactions per item by popularity rank, real against synthetic/);
    for (const chart of ['length-distribution', 'item-popularity']) {
      const svg = r.html.slice(r.html.indexOf(`data-chart="${chart}"`), r.html.indexOf('</svg>', r.html.indexOf(`data-chart="${chart}"`)));
      for (const side of ['real', 'synthetic']) assert.match(svg, new RegExp(`>${side}<`), `${chart} has a ${side} series`);
    }
  });

  it('renders a table synthesis run (fidelity, pair trends, privacy)', async (t) => {
    const config = resolve(import.meta.dirname, '../../examples/synth/ml100k-copula.yaml');
    const data = resolve(import.meta.dirname, '../../../shared/data/ml-100k/ml-100k.user');
    if (!existsSync(data)) return t.skip(`${data} is absent`);
    const { readAnySynthesizeConfig, runSynthesis, synthesizeConfigWithOutput } = await import('../../src/experiment/index.ts');
    const dir = tempFolder('report-synth-');
    const { config: any, baseDir } = readAnySynthesizeConfig(config);
    const c = synthesizeConfigWithOutput(any, join(dir, 'users.csv'));
    assert.equal(c.kind, 'table');
    if (c.kind !== 'table') return;
    await runSynthesis({ config: { ...c.config, rows: 500 }, baseDir });
    const r = await buildReport(dir);
    assert.equal(r.kind, 'synthesize-table');
    assert.deepEqual(r.notes, []);
    for (const chart of ['column-shapes', 'pair-trends', 'dcr', 'membership-inference', 'time-per-stage', 'memory-per-stage']) assert.match(r.html, new RegExp(`data-chart="${chart}"`));
    const rep = JSON.parse(readFileSync(join(dir, 'users.report.json'), 'utf8')) as {
      privacy: { membershipInference: { auc: { value: number } }; nearestExamples: { columns: string[]; rows: { why: string; distance: number; synthetic: unknown[]; nearest: unknown[] }[] }; dcr: { syntheticToTrain: { p5: number } } };
    };
    assert.ok(r.html.includes(`data-value="${rep.privacy.membershipInference.auc.value}"`));
    // Synthetic rows next to their nearest real rows: the closest first (their distance is the minimum DCR), then a random sample.
    const ex = rep.privacy.nearestExamples;
    assert.equal(ex.rows.length, 10);
    assert.deepEqual(ex.rows.map((x) => x.why), [...Array(5).fill('closest'), ...Array(5).fill('random')]);
    for (const x of ex.rows) {
      assert.equal(x.synthetic.length, ex.columns.length);
      assert.equal(x.nearest.length, ex.columns.length);
    }
    for (const x of ex.rows.slice(5)) assert.ok(x.distance >= ex.rows[4]!.distance);
    assert.match(r.html, /id="nearest-rows"/);
    const prov = JSON.parse(readFileSync(join(dir, 'users.provenance.json'), 'utf8')) as { peakRssMiB: Record<string, number> };
    assert.deepEqual(Object.keys(prov.peakRssMiB), ['read', 'fit', 'sample', 'write', 'report']);
    assert.ok(prov.peakRssMiB['fit']! >= prov.peakRssMiB['read']!, 'peak so far never falls');
    rmSync(join(dir, 'users.report.json'));
    const missing = await buildReport(dir);
    assert.ok(missing.notes.some((n) => n.file === 'users.report.json' && n.problem === 'missing'));
  });

  it('renders a few-label image run: the accuracy table per k from results.json, and the PNG grids inline', async () => {
    const dir = benchRun('few-label-fashion-mnist.json');
    copyFileSync(resolve(import.meta.dirname, '../../docs/images/fashion-mnist-augmented.png'), join(dir, 'augmented.png'));
    const r = await buildReport(dir);
    assert.equal(r.kind, 'few-label-images');
    assert.deepEqual(r.notes, []);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { summary: { k: number; arm: string; testAccuracyMean: number }[] };
    for (const row of res.summary) {
      const t = r.html.slice(r.html.indexOf(`id="accuracy-k${row.k}"`));
      assert.ok(t.slice(0, t.indexOf('</table>')).includes(`data-value="${row.testAccuracyMean}"`), `k ${row.k} ${row.arm}`);
    }
    assert.match(r.html, /<img alt="augmented.png" src="data:image\/png;base64,/);
    assert.match(r.html, /data-chart="accuracy"/);
    assert.match(r.html, /worse/, 'classical augmentation hurts here, and the page says so');
  });

  it('an empty folder is an unknown run with a note; a folder that does not exist is a DataValidationError', async () => {
    const r = await buildReport(tempFolder('report-empty-'));
    assert.equal(r.kind, 'unknown');
    assert.equal(r.notes.length, 1);
    await assert.rejects(buildReport(join(tempFolder('report-none-'), 'nope')), DataValidationError);
  });

  it('every registered run kind renders an empty or corrupt folder without throwing and says what is missing', async () => {
    for (const name of ['evaluate', 'lift', 'search-lift', 'recipe', 'ctr', 'cold-start', 'synthesize-table', 'synthesize-sequences']) assert.ok(runKinds.has(name), `${name} is a registered run kind`);
    for (const kind of runKinds.values()) {
      for (const content of [null, '{not json', '{"arms": 1, "cells": 2, "seeds": 3}']) {
        const dir = tempFolder(`report-contract-${kind.name}-`);
        if (content !== null) writeFileSync(join(dir, 'results.json'), content);
        mkdirSync(join(dir, 'x.provenance.json.d'), { recursive: true });
        const run = new RunFolder(dir);
        const rendered = await kind.render(run).catch((e: Error) => assert.fail(`${kind.name} threw on ${content}: ${e.message}`));
        assert.ok(rendered.title.length > 0, kind.name);
        assert.ok(run.notes.length > 0, `${kind.name} noted nothing for ${content}`);
      }
    }
  });

  it('a recipe results.json of the wrong shape is detected as a recipe and names the bad field', async () => {
    const dir = tempFolder('report-recipe-bad-');
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ kind: 'recipe', metric: 'NDCG@20', chosen: null, screen: { seconds: 1, baselineValid: 0.1, candidates: [{ name: 'a', valid: 'high', validLift: 0 }] }, confirm: null }));
    const r = await buildReport(dir);
    assert.equal(r.kind, 'recipe');
    assert.ok(r.notes.some((n) => n.file === 'results.json' && n.problem === 'unexpected shape' && n.detail.startsWith('screen.candidates[0].valid')), JSON.stringify(r.notes));
  });

  it('html escapes every interpolated value and keeps fragments', () => {
    assert.equal(html`<td>${'<img src=x onerror=alert(1)>'}</td>`.text, '<td>&lt;img src=x onerror=alert(1)&gt;</td>');
    assert.equal(html`<p>${html`<b>${'&'}</b>`}</p>`.text, '<p><b>&amp;</b></p>');
    assert.equal(html`${['a', '"', null, 2]}`.text, 'a&quot;2');
  });

  it('RunFolder never reads outside the folder', () => {
    const run = new RunFolder(tempFolder('report-paths-'));
    assert.equal(run.path('../etc/passwd'), null);
    assert.equal(run.readJson('../../etc/passwd', anyJson, 'nothing'), null);
    assert.equal(run.notes[0]?.problem, 'unreadable');
  });
});
