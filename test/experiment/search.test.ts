import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { textFamily, fitTextResources, buildTextPipeline } from '../../src/augment/index.ts';
import { normalizeQuery, querySplit, loadSearchDataset } from '../../src/data/index.ts';
import { armTrainingGroups, runSearchExperiment, type TextGeneratorFactory } from '../../src/experiment/index.ts';
import { ConfigError, Rng } from '../../src/core/index.ts';
import type { GenerationRequest, GenerationResult } from '../../src/llm/index.ts';
import { buildReport } from '../../src/report/index.ts';
import { plantedSearchConfig, writePlantedLog } from './search-fixture.ts';
import { tempFolder } from '../temp-folders.ts';

const config = plantedSearchConfig;

test('search experiment end to end: baseline vs an arm on a planted log, per-query paired test, segments, selection, rerun reuses finished runs', async () => {
  const dir = tempFolder('samplify-search-exp-');
  const data = writePlantedLog(dir, 150);
  const out = join(dir, 'run');
  const lines: string[] = [];
  const r = await runSearchExperiment({ config: config(data), baseDir: dir, out, progress: { line: (l) => lines.push(l) } });
  assert.deepEqual(r.arms.map((a) => a.name), ['baseline', 'typo']);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(results.kind, 'search-lift');
  assert.equal(results.split.test + results.split.valid + results.split.train, 150);
  const [base, typo] = results.arms;
  assert.ok(base.test['NDCG@10'] > 0.5 && base.test['NDCG@10'] <= 1, `baseline NDCG@10 ${base.test['NDCG@10']}`);
  assert.ok(typo.addedQueries > 0, 'the arm added augmented queries');
  assert.equal(typo.trainQueries, base.trainQueries + typo.addedQueries);
  assert.ok(typo.significance.tTest.pValue >= 0 && typo.significance.tTest.pValue <= 1);
  // Seed level: one difference per seed, whose mean is the difference of the arms' seed means.
  assert.equal(typo.significance.seeds.n, 2);
  assert.ok(Math.abs(typo.significance.seeds.meanDiff - (typo.test['NDCG@10'] - base.test['NDCG@10'])) < 1e-6);
  assert.ok(Array.isArray(typo.segments.queryFrequency) && typo.segments.spelling.length >= 1);
  assert.ok(['baseline', 'typo'].includes(results.selected));
  // A rerun finds every (arm, seed) in the run store and trains nothing.
  const again: string[] = [];
  const r2 = await runSearchExperiment({ config: config(data), baseDir: dir, out, progress: { line: (l) => again.push(l) } });
  assert.equal(again.filter((l) => l.includes('finished earlier')).length, 4);
  assert.deepEqual(r2.arms.map((a) => a.test), r.arms.map((a) => a.test));
  // The report renders it as a search run whose lift table carries the numbers of results.json.
  const report = await buildReport(out);
  assert.equal(report.kind, 'search-lift');
  assert.equal(report.notes.length, 0, JSON.stringify(report.notes));
  const cell = new RegExp(`data-field="test\\.NDCG@10" data-value="${typo.test['NDCG@10']}"`);
  assert.match(report.html, cell);
  // Same seed and data in a fresh folder ⇒ the same numbers.
  const r3 = await runSearchExperiment({ config: config(data), baseDir: dir, out: join(dir, 'run-again') });
  assert.deepEqual(r3.arms.map((a) => [a.test, a.valid]), r.arms.map((a) => [a.test, a.valid]));
  // …and a byte-identical results.json: wall-clock fit times are kept in stages.json, which the page reads.
  assert.equal(readFileSync(join(dir, 'run-again', 'results.json'), 'utf8'), readFileSync(join(out, 'results.json'), 'utf8'));
  assert.ok(!('fitSeconds' in base), 'no wall-clock time in results.json');
  const stages = JSON.parse(readFileSync(join(out, 'stages.json'), 'utf8')) as { arms: { arm: string; fitSeconds: number; perSeed: unknown[] }[] };
  assert.deepEqual(stages.arms.map((a) => a.arm), ['baseline', 'typo']);
  assert.ok(stages.arms.every((a) => a.fitSeconds > 0 && a.perSeed.length === 2));
  assert.match(report.html, /id="arms-table"[\s\S]*?<td[^>]*>\d+\.\d<\/td>/, 'the arms table shows the fit time from stages.json');
});

test('search experiment leakage guard: an augmenter that writes a held-out query never puts it into training', async () => {
  const dir = tempFolder('samplify-search-leak-');
  const data = writePlantedLog(dir, 120);
  const dataset = await loadSearchDataset(data, { format: 'search-log', columns: { query: 'query', productId: 'product', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 } });
  const split = querySplit(dataset, { seed: 0, fractions: { train: 0.6, valid: 0.2, test: 0.2 } });
  const heldOut = [...split.valid, ...split.test];
  // A deliberately leaking operator: rewrites every query into one of the held-out queries.
  const target = heldOut[0]!.query;
  if (!textFamily.operators.has('test_leak_heldout'))
    textFamily.register({
      name: 'test_leak_heldout',
      family: 'text',
      summary: 'test only: writes a fixed query',
      config: z.object({ to: z.string() }).strict(),
      labelPreserving: () => true,
      sample: () => ({}),
      apply: (_x: string, _p: unknown, _ctx: unknown) => target,
    } as never);
  const pipeline = buildTextPipeline({ family: 'text', steps: [{ op: 'test_leak_heldout', to: target }] });
  const resources = fitTextResources(split.train, split.products);
  const made = armTrainingGroups(split, pipeline, { name: 'leak', pipeline: {}, views: 1, meaningChanging: 'refuse', target: 'queries' }, resources, 0);
  assert.ok(made.droppedHeldOut >= 1, 'the leaked query was produced and dropped');
  const heldKeys = new Set(heldOut.map((g) => g.key));
  for (const g of made.groups) assert.ok(!heldKeys.has(normalizeQuery(g.query)), `training query '${g.query}' is a held-out query`);
});

test('search experiment config: unknown keys, a bad ranker key and fractions that do not sum to 1 fail at parse time, naming the key', () => {
  assert.throws(() => config('x.jsonl', { seedz: 2 }), (e: unknown) => e instanceof ConfigError && /seedz/.test(e.message));
  assert.throws(() => config('x.jsonl', { ranker: { name: 'lambdamart', config: { roundz: 3 } } }), (e: unknown) => e instanceof ConfigError && /roundz/.test(e.message));
  assert.throws(() => config('x.jsonl', { split: { kind: 'query', seed: 0, train: 0.5, valid: 0.2, test: 0.2 } }), ConfigError);
  assert.throws(() => config('x.jsonl', { data: { path: 'x', format: 'homedepot', colour: 1 } }), (e: unknown) => e instanceof ConfigError && /colour/.test(e.message));
  // A generate arm's generator block: the embedded generator's own keys (decoding included) and a provider's config.
  const generating = (generator: unknown) => config('x.jsonl', { arms: [{ name: 'g', generate: { generator } }] });
  const failsAt = (generator: unknown, field: string) =>
    assert.throws(() => generating(generator), (e: unknown) => e instanceof ConfigError && e.location.field === field, `${JSON.stringify(generator)} fails at ${field}`);
  failsAt({ name: 'embedded', config: { decoding: { copyBais: 4 } } }, 'arms[0].generate.generator.config.decoding.copyBais');
  failsAt({ name: 'embedded', config: { vocabSze: 300 } }, 'arms[0].generate.generator.config.vocabSze');
  failsAt({ name: 'embedded', config: { minLabel: 'high' } }, 'arms[0].generate.generator.config.minLabel');
  failsAt({ name: 'embedded', config: { record: { file: 'x.jsonl', modl: 'm' } } }, 'arms[0].generate.generator.config.record.modl');
  failsAt({ name: 'openai-compatible', config: { model: 'm', baseURL: 'http://127.0.0.1:1/v1', temprature: 0 } }, 'arms[0].generate.generator.config.temprature');
  generating({ name: 'embedded', config: { seed: 1, minLabel: 2.5, vocabSize: 300, decoding: { copyBias: 6, minQueryTokens: 1 } } });
});

test('search experiment title arm: training groups again over augmented title copies; held-out groups and the real catalogue untouched; deterministic', async () => {
  const dir = tempFolder('samplify-search-titles-');
  const data = writePlantedLog(dir, 80);
  const dataset = await loadSearchDataset(data, { format: 'search-log', columns: { query: 'query', productId: 'product', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 } });
  const split = querySplit(dataset, { seed: 0, fractions: { train: 0.6, valid: 0.2, test: 0.2 } });
  const resources = fitTextResources(split.train, split.products);
  const pipeline = buildTextPipeline({ family: 'text', steps: [{ op: 'typo', atLeastOne: true }] });
  const arm = { name: 'titles', pipeline: {}, views: 2, meaningChanging: 'refuse' as const, target: 'titles' as const };
  const made = armTrainingGroups(split, pipeline, arm, resources, 3);
  assert.equal(made.added, 2 * split.train.length);
  assert.equal(made.groups.length, 3 * split.train.length);
  const products = made.products!;
  for (const g of made.groups.slice(split.train.length)) {
    const source = split.train.find((t) => t.key === g.key)!;
    assert.deepEqual(Array.from(g.labels), Array.from(source.labels), 'copies keep the labels');
    for (const [i, id] of g.productIds.entries()) {
      assert.ok(!split.products.has(id), 'a copy is a new product');
      assert.notEqual(products.get(id)!.title, split.products.get(source.productIds[i]!)!.title, 'its title was rewritten');
    }
  }
  for (const g of [...split.valid, ...split.test]) for (const id of g.productIds) assert.equal(products.get(id), split.products.get(id));
  assert.equal(split.products.size, dataset.products.size, 'the real catalogue is not modified');
  const again = armTrainingGroups(split, pipeline, arm, resources, 3);
  assert.deepEqual([...again.products!.entries()], [...products.entries()]);
  // A meaning-changing title pipeline is refused.
  assert.throws(() => armTrainingGroups(split, buildTextPipeline({ family: 'text', steps: [{ op: 'reformulate', dropHead: true }] }), arm, resources, 3), ConfigError);
});

test('search experiment generate arm: synthetic pairs from a generator, counted, held-out queries dropped, resumable, deterministic', async () => {
  const dir = tempFolder('samplify-search-generate-');
  const data = writePlantedLog(dir, 120);
  const dataset = await loadSearchDataset(data, { format: 'search-log', columns: { query: 'query', productId: 'product', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 } });
  const split = querySplit(dataset, { seed: 0, fractions: { train: 0.6, valid: 0.2, test: 0.2 } });
  const leaked = split.test[0]!.query;
  const built: string[] = [];
  // Writes two title words (seeded) — and, for drills, a test query, which must never reach training.
  const generators: TextGeneratorFactory = async (spec) => {
    built.push(spec.name);
    const generate = async (r: GenerationRequest): Promise<GenerationResult> => {
      const words = r.prompt.split(' ').slice(1, 3);
      const rng = new Rng(r.seed);
      const text = r.prompt.includes(' drill') && rng.next() < 0.5 ? leaked : `${words[rng.int(words.length)]} ${words.join(' ')}`;
      return { text, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, cached: false };
    };
    return { provider: 'test', model: 'title-words', generate, generateBatch: async (rs) => Promise.all(rs.map(async (r) => ({ ok: true as const, result: await generate(r) }))), close: async () => {} };
  };
  const cfg = config(data, {
    arms: [
      { name: 'doc2query', generate: { generator: { name: 'title-words' }, pairs: { queriesPerProduct: 2, roundTripTopK: 10, negatives: 3 }, teacher: { name: 'gbdt-regression', config: { numTrees: 20 } } } },
      { name: 'doc2query+typo', pipeline: { family: 'text', steps: [{ op: 'typo', atLeastOne: true }] }, generate: { generator: { name: 'title-words' }, pairs: { queriesPerProduct: 2 } } },
    ],
  });
  const out = join(dir, 'run');
  const r = await runSearchExperiment({ config: cfg, baseDir: dir, out, generators });
  assert.deepEqual(built, ['title-words'], 'one generator per distinct spec, shared by arms and seeds');
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const [base, d2q, both] = results.arms;
  assert.ok(d2q.synthetic.kept > 0 && d2q.synthetic.kept <= d2q.synthetic.requested);
  assert.equal(d2q.addedQueries, d2q.synthetic.kept);
  assert.equal(d2q.trainQueries, base.trainQueries + d2q.addedQueries);
  assert.ok(d2q.droppedHeldOut > 0, 'the leaked test query was generated and dropped');
  assert.ok(both.addedQueries > d2q.addedQueries, 'pipeline copies and synthetic pairs together');
  const report = JSON.parse(readFileSync(join(out, d2q.synthetic.file), 'utf8'));
  assert.equal(report.kept + Object.values(report.dropped as Record<string, number>).reduce((a, b) => a + b, 0), report.requested);
  assert.ok(report.alignment.real.count > 0 && report.examples.length > 0);
  // The page shows the accounting, the alignment and examples of the generated queries.
  const page = await buildReport(out);
  assert.deepEqual(page.notes, []);
  assert.match(page.html, /id="synthetic-accounting"/);
  assert.match(page.html, /data-chart="synthetic-query-length"/);
  assert.match(page.html, /id="synthetic-examples-doc2query"/);
  // Rerun: every (arm, seed) found in the run store; the generator is not even built.
  built.length = 0;
  const again: string[] = [];
  const r2 = await runSearchExperiment({ config: cfg, baseDir: dir, out, generators, progress: { line: (l) => again.push(l) } });
  assert.equal(built.length, 0);
  assert.deepEqual(r2.arms.map((a) => a.test), r.arms.map((a) => a.test));
  // Same seed, fresh folder ⇒ same numbers.
  const r3 = await runSearchExperiment({ config: cfg, baseDir: dir, out: join(dir, 'run-again'), generators });
  assert.deepEqual(r3.arms.map((a) => a.test), r.arms.map((a) => a.test));
  // An arm with neither a pipeline nor a generate block is a ConfigError.
  assert.throws(() => config(data, { arms: [{ name: 'empty' }] }), (e: unknown) => e instanceof ConfigError && /pipeline, a generate block/.test(e.message));
  assert.throws(() => config(data, { arms: [{ name: 'bad', generate: { pairs: { queriesPerProdukt: 2 } } }] }), (e: unknown) => e instanceof ConfigError && /queriesPerProdukt/.test(e.message));
});
