/**
 * Issue 15 §4: the same doc2query arm of the search experiment run twice — once with the embedded
 * generator while its answers are recorded, once through the OpenAI-compatible HTTP provider
 * against the loopback replay server serving that recording — gives the same experiment outputs:
 * results.json (but for the run's own config and timings), results.csv and the synthetic pairs'
 * accounting, byte for byte.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/core/index.ts';
import { runSearchExperiment, type SearchExperimentConfig } from '../../src/experiment/index.ts';
import { readRecording } from '../../src/llm/index.ts';
import { plantedSearchConfig, writePlantedLog } from '../experiment/search-fixture.ts';
import { tempFolder } from '../temp-folders.ts';

/** A tiny embedded generator: enough to write varied queries, seconds to fit. */
const EMBEDDED = { vocabSize: 300, hidden: 16, blocks: 1, heads: 1, maxLen: 24, maxQueryTokens: 6, epochs: 2, batchSize: 64, lr: 0.01, maxTitles: 200 };

function armConfig(data: string, generator: Record<string, unknown>): SearchExperimentConfig {
  return plantedSearchConfig(data, {
    seeds: 2,
    arms: [{ name: 'doc2query', generate: { generator, pairs: { queriesPerProduct: 2, maxProducts: 80, roundTripTopK: 10, negatives: 3 }, teacher: { name: 'gbdt-regression', config: { numTrees: 20 } } } }],
  });
}

/** results.json without what legitimately differs between the two runs: the config that names the generator, and fit times. */
function comparable(file: string): unknown {
  const r = JSON.parse(readFileSync(file, 'utf8')) as { config?: unknown; arms: { fitSeconds?: number }[] };
  delete r.config;
  for (const a of r.arms) delete a.fitSeconds;
  return r;
}

test('the doc2query arm through the embedded generator and through the HTTP provider replaying its answers: identical outputs', async () => {
  const dir = tempFolder('samplify-replay-arm-');
  const data = writePlantedLog(dir, 120);
  const recording = join(dir, 'doc2query.jsonl');

  const direct = join(dir, 'embedded');
  await runSearchExperiment({ config: armConfig(data, { name: 'embedded', config: { ...EMBEDDED, record: { file: 'doc2query.jsonl', model: 'samplify-embedded' } } }), baseDir: dir, out: direct });
  const exchanges = readRecording(recording);
  assert.ok(exchanges.length > 100, `${exchanges.length} answers recorded`);
  assert.ok(exchanges.every((e) => e.request.model === 'samplify-embedded' && e.request.messages.length === 1));

  const lines: string[] = [];
  const viaHttp = join(dir, 'http');
  await runSearchExperiment({ config: armConfig(data, { name: 'replay', config: { recording: 'doc2query.jsonl', model: 'samplify-embedded', concurrency: 4 } }), baseDir: dir, out: viaHttp, progress: { line: (l) => lines.push(l) } });
  assert.ok(lines.some((l) => /generating queries with openai-compatible \(samplify-embedded\)/.test(l)), 'the second run went through the HTTP provider');

  assert.deepEqual(comparable(join(viaHttp, 'results.json')), comparable(join(direct, 'results.json')));
  assert.equal(readFileSync(join(viaHttp, 'results.csv'), 'utf8'), readFileSync(join(direct, 'results.csv'), 'utf8'));
  for (const seed of [0, 1]) {
    const file = join('arms', 'doc2query', `synthetic-seed${seed}.json`);
    const a = readFileSync(join(direct, file), 'utf8');
    assert.equal(readFileSync(join(viaHttp, file), 'utf8'), a, `${file} byte-identical`);
    const report = JSON.parse(a) as { requested: number; kept: number };
    assert.ok(report.kept > 0 && report.kept < report.requested, `a real filter: ${report.kept} of ${report.requested} kept`);
  }
  // Every answer came over HTTP from the cache-wrapped provider and was written to its cache.
  assert.ok(existsSync(join(viaHttp, 'generators', 'cache')));

  // A replay without its recording or with a baseURL of its own, a misspelt record key: ConfigErrors naming the problem.
  await assert.rejects(runSearchExperiment({ config: armConfig(data, { name: 'replay', config: { recording: 'missing.jsonl' } }), baseDir: dir, out: join(dir, 'bad') }), (e: unknown) => e instanceof ConfigError && /no recording/.test(e.message));
  await assert.rejects(runSearchExperiment({ config: armConfig(data, { name: 'replay', config: { recording: 'doc2query.jsonl', baseURL: 'http://example.com/v1' } }), baseDir: dir, out: join(dir, 'bad2') }), (e: unknown) => e instanceof ConfigError && /baseURL/.test(e.message));
  // …the last one when the config is parsed, before anything runs.
  assert.throws(() => armConfig(data, { name: 'embedded', config: { ...EMBEDDED, record: { fiel: 'x.jsonl' } } }), (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].generate.generator.config.record.file');
});
