/**
 * The workbench launches every kind of run a config describes — sequence and search experiments
 * and synthesis runs — validated with the CLI's own schemas (problems at their key path), run as a
 * child process whose results land in the run folder and render as that kind's report.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { launchJob, launchKindOf, readJob, validateLaunch } from '../../src/serve/index.ts';
import { buildReport } from '../../src/report/index.ts';
import { plantedSearch } from '../models/search/fixture.ts';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(import.meta.dirname, '..', '..');

async function waitForExit(dir: string, timeoutMs = 120_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const job = readJob(dir);
    if (job && job.shown !== 'running') return job.shown;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job in ${dir} did not finish`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('launch kinds: a config is a sequence experiment, a search experiment or a synthesis run', () => {
  assert.equal(launchKindOf({ task: 'search' }), 'search-experiment');
  assert.equal(launchKindOf({ synthesizer: { name: 'gaussian-copula' } }), 'synthesize-table');
  assert.equal(launchKindOf({ synthesizer: { name: 'markov' } }), 'synthesize-sequences');
  assert.equal(launchKindOf({ name: 'x', arms: [] }), 'sequence-experiment');
  assert.equal(launchKindOf({ name: 'x', arms: [], procedure: {} }), 'recipe-experiment');
  assert.equal(launchKindOf({ data: { movielens100k: 'ml' } }), 'ctr');
  assert.equal(launchKindOf({ data: { path: 'x.csv', label: 'y', timestamp: 't' }, models: ['logistic'] }), 'ctr');
  assert.equal(launchKindOf({ data: { path: 'x.txt', attributes: 'a.json' } }), 'cold-start');
});

test('recipe, CTR and cold-start configs are checked with their own schemas, problems at the key path', () => {
  const runs = tempFolder('wb-kinds-schemas-');
  const seq = join(root, 'data/sample/beauty-sample.txt');
  const recipe = { name: 'r', data: { path: seq }, model: { model: 'pop' }, arms: [{ name: 'crop', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml') }], procedure: { screen: { seeds: 1 }, confirm: { seeds: 2 } } };
  assert.deepEqual(validateLaunch(runs, 'recipe', stringify(recipe)).problems, []);
  const badRecipe = validateLaunch(runs, 'recipe', stringify({ ...recipe, procedure: { screen: { seeds: 1, epochz: 2 } } })).problems;
  assert.ok(badRecipe.some((x) => x.field === 'procedure.screen.epochz'), JSON.stringify(badRecipe));
  const ctr = { name: 'c', data: { path: 'clicks.csv', label: 'clicked', timestamp: 'ts' }, models: ['logistic'], seeds: [0], arms: ['real'] };
  assert.deepEqual(validateLaunch(runs, 'ctr', stringify(ctr)).problems, []);
  const badCtr = validateLaunch(runs, 'ctr', stringify({ ...ctr, arms: ['real', 'fake'] })).problems;
  assert.ok(badCtr.some((x) => x.field === 'arms[1]'), JSON.stringify(badCtr));
  const cold = { name: 'k', data: { path: 'seqs.txt', attributes: 'attrs.json' }, seeds: 1, intensities: [5] };
  assert.deepEqual(validateLaunch(runs, 'cold', stringify(cold)).problems, []);
  const badCold = validateLaunch(runs, 'cold', stringify({ ...cold, intensities: [0.5] })).problems;
  assert.ok(badCold.some((x) => x.field === 'intensities[0]'), JSON.stringify(badCold));
});

test('a search experiment and a table synthesis launched from the workbench validate, run and report', async () => {
  const runs = tempFolder('wb-kinds-');
  const p = plantedSearch(60, 4);
  const rows: string[] = [];
  for (const g of [...p.train, ...p.valid, ...p.test]) g.productIds.forEach((id, i) => rows.push(JSON.stringify({ query: g.query, product: id, title: p.products.get(id)!.title, label: g.labels[i] })));
  const log = join(runs, 'log.jsonl');
  writeFileSync(log, rows.join('\n') + '\n');
  const search = {
    task: 'search',
    name: 'wb-search',
    data: { path: log, format: 'search-log', columns: { query: 'query', productId: 'product', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 } },
    split: { kind: 'query', seed: 0, train: 0.6, valid: 0.2, test: 0.2 },
    ranker: { name: 'bm25' },
    seeds: 1,
    bootstrap: { resamples: 100 },
    arms: [{ name: 'typo', pipeline: { family: 'text', steps: [{ op: 'typo', atLeastOne: true }] } }],
  };
  // A typo in a search key is refused at its key path, like the CLI does.
  const bad = validateLaunch(runs, 'bad-search', stringify({ ...search, ranker: { name: 'bm25', config: { k3: 1 } } })).problems;
  assert.ok(bad.some((x) => x.field === 'ranker.config.k3'), JSON.stringify(bad));
  assert.deepEqual(validateLaunch(runs, 'search-run', stringify(search)).problems, []);
  const synth = { name: 'events', data: { path: join(root, 'test/fixtures/data/shop-events.csv') }, synthesizer: { name: 'gaussian-copula' }, rows: 40, seed: 0, report: { holdout: 0.25 } };
  assert.deepEqual(validateLaunch(runs, 'synth-run', stringify(synth)).problems, [], 'a synthesis config need not name its outputs');
  const badSynth = validateLaunch(runs, 'synth-bad', stringify({ ...synth, rowz: 3 })).problems;
  assert.ok(badSynth.some((x) => x.field === 'rowz'), JSON.stringify(badSynth));

  // A CTR table: clicks depend on colour; `ts` is the event time.
  const clicks = ['user,color,price,ts,clicked'];
  for (let i = 0; i < 400; i++) clicks.push(`u${i % 37},${['red', 'green', 'blue'][i % 3]},${(i * 7) % 100},${1000 + i},${(i % 3 === 0 ? i % 2 : i % 5 === 0 ? 1 : 0)}`);
  writeFileSync(join(runs, 'clicks.csv'), clicks.join('\n') + '\n');
  const ctr = { name: 'wb-ctr', data: { path: join(runs, 'clicks.csv'), label: 'clicked', timestamp: 'ts', metadata: { user: 'id' } }, models: ['logistic'], seeds: [0], arms: ['real'], epochs: 2 };
  assert.deepEqual(validateLaunch(runs, 'ctr-run', stringify(ctr)).problems, []);

  launchJob(runs, 'search-run', stringify(search));
  launchJob(runs, 'synth-run', stringify(synth));
  launchJob(runs, 'ctr-run', stringify(ctr));
  const logOf = (name: string) => (existsSync(join(runs, name, 'progress.log')) ? readFileSync(join(runs, name, 'progress.log'), 'utf8').slice(-2000) : '(no log)');
  assert.equal(await waitForExit(join(runs, 'search-run')), 'finished', logOf('search-run'));
  assert.equal(await waitForExit(join(runs, 'synth-run')), 'finished', logOf('synth-run'));
  assert.equal(readJob(join(runs, 'synth-run'))?.kind, 'synthesize');
  assert.ok(existsSync(join(runs, 'synth-run', 'synthetic.csv')));
  assert.equal(await waitForExit(join(runs, 'ctr-run')), 'finished', logOf('ctr-run'));
  const synthReport = await buildReport(join(runs, 'synth-run'));
  assert.equal(synthReport.kind, 'synthesize-table');
  assert.deepEqual(synthReport.notes, []);
  // Launched through the CLI, each run records its environment: the provenance has every row and the command that ran it.
  for (const [name, kind, sub] of [['search-run', 'search-lift', 'experiment'], ['synth-run', 'synthesize-table', 'synthesize'], ['ctr-run', 'ctr', 'ctr']] as const) {
    const r = await buildReport(join(runs, name));
    assert.equal(r.kind, kind);
    const prov = r.html.slice(r.html.indexOf('data-testid="provenance"'));
    for (const row of ['datasets', 'samplify version (run)', 'machine', 'backend', 'wall time', 'rerun']) assert.match(prov, new RegExp(`<dt>${row.replace(/[()]/g, '\\$&')}</dt><dd>(?!<span class="nr">not recorded)`), `${name}: ${row}`);
    assert.match(prov, new RegExp(`<pre class="cmd">samplify ${sub} \\S*config.yaml --out `), name);
  }
  // The search page: lift per query-frequency segment, and the fit time per arm and seed from stages.json, drawn with marks.
  const searchPage = (await buildReport(join(runs, 'search-run'))).html;
  for (const chart of ['segments-queryFrequency', 'time-per-stage']) {
    const start = searchPage.indexOf(`data-chart="${chart}"`);
    assert.ok(start > 0, `search chart ${chart}`);
    assert.match(searchPage.slice(start, searchPage.indexOf('</figure>', start)), /role-mark[\s\S]*<path [^>]*d="M/, `search chart ${chart} has marks`);
  }
  assert.match(searchPage, /data-testid="segments-queryFrequency"/);
});
