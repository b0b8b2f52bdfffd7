/**
 * Shared generator fits as BullMQ flows, on a real redis-server and two real `samplify worker`
 * processes: two arms whose pipelines declare the same reverse generator get one fit job; it runs
 * once (on one of the workers), its dependents are enqueued only after it finished, and
 * results.json is the single-process run's, byte for byte. A fit that fails for good fails each of
 * its dependents with its reason, visible in `samplify status`.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { Rng } from '../../src/core/index.ts';
import { setThreads } from '../../src/nn/index.ts';
import { parseExperimentConfig, runLiftExperiment, runSearchExperiment, type ExperimentConfig } from '../../src/experiment/index.ts';
import { submitLiftExperiment, submitSearchExperiment, QueueJobsFailedError } from '../../src/distributed/index.ts';
import { plantedSearchConfig, writePlantedLog } from '../experiment/search-fixture.ts';
import { tempFolder } from '../temp-folders.ts';
import { startRedis, spawnWorker, stopAll, type RedisServer } from './redis-fixture.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = tempFolder('samplify-flows-');
const data = join(tmp, 'seqs.txt');
const rng = new Rng(7);
writeFileSync(data, Array.from({ length: 60 }, (_, u) => {
  let it = 1 + rng.int(30);
  return `${u + 1} ${Array.from({ length: 3 + rng.int(8) }, () => (it = 1 + ((it + 1 + rng.int(2)) % 30))).join(' ')}`;
}).join('\n') + '\n');

/** A pseudo-prior pipeline on a tiny reverse SASRec generator; `generator` overrides its config; `forward` declares a forward generator too. */
const priorPipeline = (threshold: number, generator: Record<string, unknown> = {}, forward = false) => ({
  version: 1,
  name: `prior-${threshold}`,
  resources: {
    generators: {
      reverse: { model: 'sasrec', epochs: 3, seed: 0, config: { hidden: 8, blocks: 1, heads: 2, maxLen: 10, loss: 'ce', ...generator } },
      ...(forward ? { forward: { model: 'sasrec', epochs: 2, seed: 1, config: { hidden: 8, blocks: 1, heads: 2, maxLen: 10, loss: 'ce' } } } : {}),
    },
  },
  steps: [{ op: 'pseudo_prior', threshold, k: 2, fill: true, temperature: 0, noRepeat: true }],
});

const experiment = (name: string, generator: Record<string, unknown> = {}, forward = false): ExperimentConfig =>
  parseExperimentConfig({
    name,
    data: { path: data },
    model: { model: 'sasrec', config: { hidden: 8, blocks: 1, heads: 2, maxLen: 10, loss: 'ce' }, trainer: { batchSize: 8 } },
    seeds: 2,
    epochs: 4,
    bootstrap: { resamples: 100 },
    // Both arms declare the same reverse generator: one shared fit (prior8's units also wait on its forward one).
    arms: [
      { name: 'prior6', pipeline: priorPipeline(6, generator) },
      { name: 'prior8', pipeline: priorPipeline(8, generator, forward) },
    ],
  });

let redis: RedisServer;
after(stopAll);
before(async () => {
  setThreads(1); // the workers run with --threads 1 too
  redis = await startRedis(tempFolder('samplify-redis-'));
});

/** A search run's results.json as bytes (its fit times live in stages.json). */
const searchResults = (dir: string): string => readFileSync(join(dir, 'results.json'), 'utf8');

const fitLines = (log: string, direction = 'reverse'): number => log.split('\n').filter((l) => new RegExp(`generator \\(${direction}\\): epoch +1/`).test(l)).length;

test('a generator two arms share is one fit job: it runs once, its dependents start after it, results.json is the single-process one', async () => {
  const config = experiment('flows', {}, true);
  await runLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'local') });
  const reference = readFileSync(join(tmp, 'local', 'results.json'), 'utf8');
  const workers = await Promise.all([spawnWorker(redis.url, ['--queue-name', 'flows']), spawnWorker(redis.url, ['--queue-name', 'flows'])]);
  const store = join(tmp, 'queued');
  const lines: string[] = [];
  const r = await submitLiftExperiment({ config, baseDir: tmp, store, url: redis.url, queueName: 'flows', pollMs: 200, progress: { line: (l) => void lines.push(l) } });
  assert.equal(r.pending, undefined);
  assert.equal(readFileSync(join(store, 'results.json'), 'utf8'), reference);
  assert.ok(lines.some((l) => /2 shared fit\(s\) first/.test(l)), lines.join('\n'));
  // Each fit ran exactly once over both workers, and never in the submitter.
  for (const direction of ['reverse', 'forward']) assert.equal(workers.map((w) => fitLines(w.log(), direction)).reduce((a, b) => a + b, 0), 1, `${direction}: ${workers.map((w) => w.log()).join('\n----\n')}`);
  assert.equal(lines.filter((l) => !l.startsWith('[') && /generator \(reverse\): epoch/.test(l)).length, 0, 'the submitter fitted nothing');
  assert.ok(workers.every((w) => /completed/.test(w.log())), 'both workers ran jobs');
  // Every dependent was enqueued, and started, after the fit had finished.
  const queue = new Queue('flows', { connection: { host: '127.0.0.1', port: redis.port } });
  try {
    const done: Job[] = await queue.getCompleted(0, 100);
    const fits = done.filter((j) => j.name.startsWith('fit '));
    assert.equal(fits.length, 2);
    const reverse = fits.find((j) => j.name.includes('reverse-'))!;
    const forward = fits.find((j) => j.name.includes('forward-'))!;
    const dependents = done.filter((j) => /^prior\d\/seed\d$/.test(j.name));
    assert.equal(dependents.length, 4);
    for (const d of dependents) {
      for (const fit of d.name.startsWith('prior8') ? [reverse, forward] : [reverse]) {
        assert.ok(d.timestamp >= fit.finishedOn!, `${d.name} enqueued before ${fit.name} finished`);
        assert.ok(d.processedOn! >= fit.finishedOn!, `${d.name} started before ${fit.name} finished`);
      }
    }
    assert.equal(done.filter((j) => /^baseline\/seed\d$/.test(j.name)).length, 2);
  } finally {
    await queue.close();
  }
  // Submitting again adds nothing and trains nothing: every job is found done.
  const again = await submitLiftExperiment({ config, baseDir: tmp, store, url: redis.url, queueName: 'flows', pollMs: 200 });
  assert.equal(again.pending, undefined);
  assert.equal(workers.map((w) => fitLines(w.log())).reduce((a, b) => a + b, 0), 1);
  await Promise.all(workers.map((w) => w.stop()));
});

test('a shared fit that fails for good fails each of its dependents with its reason; the other units still run', async () => {
  const config = experiment('flows-bad', { hidden: 'wide' });
  const worker = await spawnWorker(redis.url, ['--queue-name', 'flows-bad']);
  const store = join(tmp, 'bad');
  try {
    await assert.rejects(submitLiftExperiment({ config, baseDir: tmp, store, url: redis.url, queueName: 'flows-bad', pollMs: 200 }), (e: unknown) => {
      assert.ok(e instanceof QueueJobsFailedError, String(e));
      const failed = e.failures.filter((f) => /^prior\d\/seed\d$/.test(f.job));
      assert.equal(failed.length, 4, JSON.stringify(e.failures));
      for (const f of failed) assert.match(f.reason, /its shared fit fit generator reverse-[0-9a-f]+ failed: ConfigError: .*hidden/);
      return true;
    });
    const s = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), 'status', '--queue', redis.url, '--queue-name', 'flows-bad', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(s.status, 0, s.stderr);
    const status = JSON.parse(s.stdout) as { counts: Record<string, number>; failed: { name: string; attempts: number; reason: string }[] };
    assert.equal(status.counts['failed'], 5, 'the fit and its four dependents');
    assert.equal(status.counts['completed'], 3, 'the baseline units and the release job');
    assert.equal(status.failed.find((f) => f.name.startsWith('fit '))!.attempts, 1, 'a deterministic failure is not retried');
    assert.equal(fitLines(worker.log()), 0);
  } finally {
    await worker.stop();
  }
});

test('search: an embedded text generator two generate arms share is fitted once, on a worker; the single-process results', async () => {
  const dir = tempFolder('samplify-flows-search-');
  const log = writePlantedLog(dir, 120);
  const generate = { generator: { name: 'embedded', config: { vocabSize: 300, hidden: 8, blocks: 1, epochs: 2, maxPairs: 200, maxTitles: 50, maxValidPairs: 20 } }, pairs: { queriesPerProduct: 1, maxProducts: 15 }, teacher: { name: 'gbdt-regression', config: { numTrees: 10 } } };
  const config = plantedSearchConfig(log, {
    name: 'flows-search',
    ranker: { name: 'lambdamart', config: { numTrees: 20, minSamplesLeaf: 5, learningRate: 0.1, patience: 10 } },
    arms: [
      { name: 'd2q', generate },
      { name: 'd2q+typo', pipeline: { family: 'text', steps: [{ op: 'typo', atLeastOne: true }] }, generate },
    ],
  });
  await runSearchExperiment({ config, baseDir: dir, out: join(dir, 'local') });
  const workers = await Promise.all([spawnWorker(redis.url, ['--queue-name', 'flows-search']), spawnWorker(redis.url, ['--queue-name', 'flows-search'])]);
  const store = join(dir, 'queued');
  const lines: string[] = [];
  const r = await submitSearchExperiment({ config, baseDir: dir, store, url: redis.url, queueName: 'flows-search', pollMs: 200, progress: { line: (l) => void lines.push(l) } });
  assert.equal(r.pending, undefined);
  assert.equal(searchResults(store), searchResults(join(dir, 'local')));
  const fitted = (text: string): number => text.split('\n').filter((l) => /query generator: \d+ \(title, query\) pairs/.test(l)).length;
  assert.equal(workers.map((w) => fitted(w.log())).reduce((a, b) => a + b, 0), 1, 'one fit over both workers');
  assert.equal(fitted(lines.filter((l) => !l.startsWith('[')).join('\n')), 0, 'the submitter fitted nothing');
  await Promise.all(workers.map((w) => w.stop()));
});
