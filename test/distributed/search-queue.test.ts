/**
 * The search experiment on real queue workers (a real redis-server on loopback, two `samplify
 * worker` processes): every (arm, seed) unit runs on a worker, the submitter trains nothing, and
 * results.json equals the single-process run's (fit times aside: they are wall-clock readings).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSearchExperiment } from '../../src/experiment/index.ts';
import { submitSearchExperiment } from '../../src/distributed/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { plantedSearchConfig, writePlantedLog } from '../experiment/search-fixture.ts';
import { startRedis, spawnWorker, stopAll, type RedisServer } from './redis-fixture.ts';

const tmp = tempFolder('samplify-search-queue-');
const data = writePlantedLog(tmp, 120);
const config = plantedSearchConfig(data, { name: 'planted-queue', ranker: { name: 'lambdamart', config: { numTrees: 30, minSamplesLeaf: 5, learningRate: 0.1, patience: 10 } } });

/** results.json as bytes: the fit times live in stages.json, so the queue run must equal the local one byte for byte. */
const results = (dir: string): string => readFileSync(join(dir, 'results.json'), 'utf8');

let redis: RedisServer;
after(stopAll);
before(async () => {
  redis = await startRedis(tempFolder('samplify-redis-'));
  await runSearchExperiment({ config, baseDir: tmp, out: join(tmp, 'local') });
});

test('search units on two workers: the single-process results; the submitter trains nothing', async () => {
  const workers = await Promise.all([spawnWorker(redis.url, ['--queue-name', 'search']), spawnWorker(redis.url, ['--queue-name', 'search'])]);
  const store = join(tmp, 'queued');
  const lines: string[] = [];
  const r = await submitSearchExperiment({ config, baseDir: tmp, store, url: redis.url, queueName: 'search', pollMs: 200, progress: { line: (l) => void lines.push(l) } });
  assert.equal(r.pending, undefined);
  assert.deepEqual(r.arms.map((a) => a.name), ['baseline', 'typo']);
  assert.deepEqual(results(store), results(join(tmp, 'local')));
  assert.ok(workers.every((w) => /completed/.test(w.log())), 'both workers ran jobs');
  assert.equal(lines.filter((l) => !l.startsWith('[') && /training query groups/.test(l)).length, 0, 'the submitter read every result back instead of training');
  await Promise.all(workers.map((w) => w.stop()));
});
