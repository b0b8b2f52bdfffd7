/**
 * The self-teacher path of a generate arm: a teacher that does not predict labels grades through a
 * calibration, and with `sees: train` nothing it is fitted or calibrated on comes from validation or
 * test. A spy teacher (a registered ranker wrapping LambdaMART, whose scores are not labels) records
 * every group it is fitted on and every query it scores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Rng } from '../../src/core/index.ts';
import { loadSearchDataset, normalizeQuery, querySplit, type Product } from '../../src/data/index.ts';
import { runSearchExperiment, type TextGeneratorFactory } from '../../src/experiment/index.ts';
import type { GenerationRequest, GenerationResult } from '../../src/llm/index.ts';
import { createRanker, searchRankers, type RankerFitInput, type RankerQuery, type SearchRanker } from '../../src/models/search/index.ts';
import { plantedSearchConfig, writePlantedLog } from './search-fixture.ts';
import { tempFolder } from '../temp-folders.ts';

interface SpyLog {
  fits: { train: string[]; valid: string[] }[];
  scored: string[];
}
const log: SpyLog = { fits: [], scored: [] };

class SpyTeacher implements SearchRanker {
  readonly name = 'spy-teacher';
  readonly predictsLabels = false;
  private readonly inner = createRanker('lambdamart', { numTrees: 10, minSamplesLeaf: 5 });
  async fit(input: RankerFitInput): Promise<void> {
    log.fits.push({ train: input.train.map((g) => g.key), valid: (input.valid ?? []).map((g) => g.key) });
    await this.inner.fit(input);
  }
  score(q: RankerQuery, products: ReadonlyMap<string, Product>): Float64Array {
    log.scored.push(normalizeQuery(q.query));
    return this.inner.score(q, products);
  }
  save(): string {
    return this.inner.save();
  }
}
searchRankers.add({ name: 'spy-teacher', description: 'test spy', schema: z.object({}).strict(), defaults: {}, create: () => new SpyTeacher(), restore: () => new SpyTeacher() });

test('self-teacher: fitted and calibrated on the training pairs only (never a validation or test pair), its calibrated grades on the scale', async () => {
  const dir = tempFolder('samplify-search-selfteacher-');
  const data = writePlantedLog(dir, 120);
  const dataset = await loadSearchDataset(data, { format: 'search-log', columns: { query: 'query', productId: 'product', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 } });
  const split = querySplit(dataset, { seed: 0, fractions: { train: 0.6, valid: 0.2, test: 0.2 } });
  const trainKeys = new Set(split.train.map((g) => g.key));
  const heldOutKeys = new Set([...split.valid, ...split.test].map((g) => g.key));
  const leaked = split.valid[0]!.query;
  // Two title words — and, now and then, a validation query, which the teacher must never see.
  const generators: TextGeneratorFactory = async () => {
    const generate = async (r: GenerationRequest): Promise<GenerationResult> => {
      const words = r.prompt.split(' ').slice(1, 3);
      const rng = new Rng(r.seed);
      const text = rng.next() < 0.1 ? leaked : `${words[rng.int(words.length)]} ${words.join(' ')}`;
      return { text, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, cached: false };
    };
    return { provider: 'test', model: 'title-words', generate, generateBatch: async (rs) => Promise.all(rs.map(async (r) => ({ ok: true as const, result: await generate(r) }))), close: async () => {} };
  };
  const arm = (sees: Record<string, unknown>) => ({
    name: 'self',
    generate: { generator: { name: 'title-words' }, pairs: { queriesPerProduct: 2, roundTripTopK: 20, teacherTopK: 2, teacherPool: 5, negatives: 3 }, teacher: { name: 'spy-teacher', calibration: 'isotonic', ...sees } },
  });
  const out = join(dir, 'run');
  await runSearchExperiment({ config: plantedSearchConfig(data, { seeds: 1, arms: [arm({ sees: 'train' })] }), baseDir: dir, out, generators });
  assert.equal(log.fits.length, 1);
  assert.deepEqual(log.fits[0]!.valid, [], 'no validation groups for early stopping');
  assert.deepEqual(new Set(log.fits[0]!.train), trainKeys);
  assert.ok(log.scored.length > split.train.length);
  // The calibration scores the training groups first, in order; then only generated queries are scored.
  assert.deepEqual(log.scored.slice(0, split.train.length), split.train.map((g) => g.key));
  for (const q of log.scored) assert.ok(!heldOutKeys.has(q), `the teacher scored held-out query '${q}'`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const self = results.arms[1];
  const report = JSON.parse(readFileSync(join(out, self.synthetic.file), 'utf8'));
  assert.ok(report.kept > 0 && (report.dropped['equals-held-out-query'] ?? 0) > 0);
  assert.equal(report.calibration.kind, 'isotonic');
  assert.equal(report.calibration.pairs, split.train.reduce((s, g) => s + g.productIds.length, 0));
  assert.ok(report.meanPositiveLabel >= 1 && report.meanPositiveLabel <= 3);

  // Control (the check can fail): without `sees: train` the teacher early-stops on validation, as before.
  log.fits.length = 0;
  await runSearchExperiment({ config: plantedSearchConfig(data, { seeds: 1, arms: [arm({})] }), baseDir: dir, out: join(dir, 'run-default'), generators });
  assert.deepEqual(new Set(log.fits[0]!.valid), new Set(split.valid.map((g) => g.key)));
  // And a teacher that does not predict labels, with no calibration, is refused with a pointer to it.
  await assert.rejects(
    runSearchExperiment({ config: plantedSearchConfig(data, { seeds: 1, arms: [{ name: 'raw', generate: { generator: { name: 'title-words' }, teacher: { name: 'spy-teacher' } } }] }), baseDir: dir, out: join(dir, 'run-raw'), generators }),
    /calibration/,
  );
});
