/**
 * Provenance for every run kind: each writer records its environment (samplify version, machine,
 * threads/backend, the command line) and its wall time, and the page shows every row — data set
 * checksum, config, seeds, version, machine, backend, wall time and a concrete rerun command.
 * The runs here are started in-process as the CLI would start them (process.argv names the
 * samplify entry point and the command); test/serve/launch-kinds.test.ts checks the same rows for
 * runs the workbench starts through the real CLI.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Rng, silentProgress } from '../../src/core/index.ts';
import { parseRecipeExperimentConfig, parseSequenceSynthesizeConfig, runColdStartTask, runEvaluation, runRecipeExperiment, runSequenceSynthesis } from '../../src/experiment/index.ts';
import { buildReport, samplifyVersion } from '../../src/report/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { SAMPLE, smallLiftRun } from './fixtures.ts';

const root = resolve(import.meta.dirname, '..', '..');
const ROWS = ['run kind', 'seeds', 'datasets', 'samplify version (run)', 'machine', 'backend', 'wall time', 'rerun'] as const;

/** Runs `fn` with process.argv as `samplify <args>` leaves it (what runEnvironment() records as the command line). */
async function asCli<T>(args: readonly string[], fn: () => Promise<T>): Promise<T> {
  const saved = process.argv;
  process.argv = [process.execPath, join(root, 'bin', 'samplify.mjs'), ...args];
  try {
    return await fn();
  } finally {
    process.argv = saved;
  }
}

/** The provenance rows of a page: dt → dd markup. */
function provenanceRows(page: string): Map<string, string> {
  const prov = page.slice(page.indexOf('data-testid="provenance"'));
  return new Map([...prov.matchAll(/<dt>([^<]*)<\/dt><dd>(.*?)<\/dd>/gs)].map((m) => [m[1]!, m[2]!]));
}

async function assertComplete(dir: string, kind: string, command: RegExp): Promise<void> {
  const r = await buildReport(dir);
  assert.equal(r.kind, kind);
  assert.deepEqual(r.notes, [], `${kind}: ${JSON.stringify(r.notes)}`);
  const rows = provenanceRows(r.html);
  for (const row of ROWS) {
    assert.ok(rows.has(row), `${kind}: no ${row} row`);
    assert.doesNotMatch(rows.get(row)!, /^<span class="nr">not recorded/, `${kind}: ${row} not recorded`);
  }
  assert.equal(rows.get('samplify version (run)'), samplifyVersion());
  assert.match(rows.get('machine')!, /\d+ cores/, kind);
  assert.match(rows.get('backend')!, /threads \d+/, kind);
  assert.match(rows.get('datasets')!, /<code>[0-9a-f]{16,}<\/code>/, `${kind}: a checksum`);
  assert.match(rows.get('rerun')!.replace(/^<pre class="cmd">/, ''), command, kind);
  assert.doesNotMatch(rows.get('rerun')!, /&lt;config\.yaml&gt;/, `${kind}: a template instead of the command`);
  assert.doesNotMatch(r.html, /config: <span class="nr">not recorded/, kind);
}

describe('provenance of every run kind', () => {
  it('lift experiment and recipe procedure', async () => {
    const lift = tempFolder('prov-lift-');
    await asCli(['experiment', 'lift.yaml', '--out', lift], () => smallLiftRun(lift));
    await assertComplete(lift, 'lift', /^samplify experiment lift\.yaml --out \S+/);

    const recipe = tempFolder('prov-recipe-');
    const config = parseRecipeExperimentConfig({
      name: 'prov-recipe',
      data: { path: SAMPLE, format: 'seqtxt' },
      model: { model: 'pop' },
      metric: 'NDCG@20',
      arms: [{ name: 'crop', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml'), views: 2 }],
      procedure: { screen: { seeds: 1 }, confirm: { seeds: 2 } },
    });
    await asCli(['experiment', 'recipe.yaml', '--out', recipe], () => runRecipeExperiment({ config, baseDir: root, out: recipe, progress: silentProgress }));
    await assertComplete(recipe, 'recipe', /^samplify experiment recipe\.yaml --out /);
    // The recipe page: the screen on validation only, the choice, the confirmed lift from results.json, the cost per phase.
    const res = JSON.parse(readFileSync(join(recipe, 'results.json'), 'utf8')) as { chosen: string; screen: { candidates: { valid: number }[] }; confirm: { arm: { test: Record<string, number>; significance: { tTest: { pValue: number } } } }; cost: { screenSeconds: number } };
    const { html: page } = await buildReport(recipe);
    const section = (id: string) => page.slice(page.indexOf(`data-testid="${id}"`), page.indexOf('</table>', page.indexOf(`data-testid="${id}"`)));
    assert.equal(res.chosen, 'crop');
    assert.ok(section('screen-table').includes(`data-value="${res.screen.candidates[0]!.valid}"`));
    assert.doesNotMatch(section('screen-table'), /\btest\b/i, 'the screen shows no test numbers');
    assert.ok(section('lift-table').includes(`data-value="${res.confirm.arm.test['NDCG@20']}"`));
    assert.ok(section('lift-table').includes(`data-value="${res.confirm.arm.significance.tTest.pValue}"`));
    assert.ok(section('cost-table').includes(`data-value="${res.cost.screenSeconds}"`));
    for (const chart of ['screen-validation', 'cost-per-phase']) assert.match(page, new RegExp(`data-chart="${chart}"`));
  });

  it('evaluation and history synthesis', async () => {
    const evaluation = tempFolder('prov-eval-');
    await asCli(['evaluate', '--data', SAMPLE, '--model', 'pop'], () => runEvaluation({ data: SAMPLE, format: 'seqtxt', model: { model: 'pop' }, seeds: [0], out: evaluation }));
    await assertComplete(evaluation, 'evaluate', /^samplify evaluate --data \S+ --model pop/);

    const synth = tempFolder('prov-synth-');
    const config = parseSequenceSynthesizeConfig({ name: 'users', data: { path: SAMPLE, format: 'seqtxt' }, synthesizer: { name: 'markov' }, histories: 50, seed: 0, out: join(synth, 'users.jsonl'), report: { holdout: 0.2 } });
    await asCli(['synthesize', 'markov.yaml', '--out', join(synth, 'users.jsonl')], () => runSequenceSynthesis({ config, baseDir: root }));
    await assertComplete(synth, 'synthesize-sequences', /^samplify synthesize markov\.yaml --out /);
  });

  it('item cold-start', async () => {
    const dir = tempFolder('prov-cold-');
    const rng = new Rng(9);
    const lines = Array.from({ length: 120 }, (_, u) => {
      const g = rng.int(4);
      const items = new Set<number>();
      while (items.size < 5 + rng.int(4)) items.add(rng.int(5) === 0 ? 1 + rng.int(40) : 1 + g * 10 + rng.int(10));
      return `${u + 1} ${[...items].join(' ')}`;
    });
    writeFileSync(join(dir, 'seqs.txt'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'attrs.json'), JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i + 1), [Math.floor(i / 10), 4 + (i % 3)]]))));
    const cfg = join(dir, 'cold.yaml');
    writeFileSync(cfg, ['name: tiny-cold', 'data: { path: seqs.txt, attributes: attrs.json }', 'split: { itemFraction: 0.2, minInteractions: 3 }', 'model: { model: pop }', 'seeds: 2', 'intensities: [2]', 'affinities: [0]', 'hybridShifts: [0]'].join('\n') + '\n');
    const out = join(dir, 'out');
    await asCli(['cold-start', cfg, '--out', out], () => runColdStartTask(cfg, { out }));
    await assertComplete(out, 'cold-start', /^samplify cold-start \S+cold\.yaml --out /);
    assert.match((await buildReport(out)).html, /data-chart="time-per-stage"/, 'fit seconds per arm and seed');
  });
});
