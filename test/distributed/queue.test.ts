/**
 * The lift experiment on real queue workers: a real redis-server on loopback and `samplify worker`
 * processes. Split over two workers, after a worker is killed with SIGKILL mid-job, and across a
 * Redis restart, the run gives the results.json of the single-process run, byte for byte; a
 * malformed job fails at once with its reason, visible in `samplify status`.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Rng } from '../../src/core/index.ts';
import { setThreads } from '../../src/nn/index.ts';
import { parseExperimentConfig, runLiftExperiment } from '../../src/experiment/index.ts';
import { submitLiftExperiment, JOB_VERSION, redactRedisUrl, checkQueueUrl, parseJob } from '../../src/distributed/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { startRedis, spawnWorker, stopAll, type RedisServer } from './redis-fixture.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = tempFolder('samplify-queue-');
const data = join(tmp, 'seqs.txt');
const rng = new Rng(5);
writeFileSync(data, Array.from({ length: 60 }, (_, u) => {
  let it = 1 + rng.int(30);
  return `${u + 1} ${Array.from({ length: 4 + rng.int(8) }, () => (it = 1 + ((it + 1 + rng.int(2)) % 30))).join(' ')}`;
}).join('\n') + '\n');

const config = parseExperimentConfig({
  name: 'tiny-queue',
  data: { path: data },
  model: { model: 'sasrec', config: { hidden: 8, blocks: 1, heads: 2, maxLen: 10, loss: 'ce' }, trainer: { batchSize: 8 } },
  seeds: 2,
  epochs: 8,
  bootstrap: { resamples: 100 },
  arms: [{ name: 'crop', pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml') }],
});

let redis: RedisServer;
let reference = '';
after(stopAll);
before(async () => {
  setThreads(1); // the workers run with --threads 1 too
  redis = await startRedis(tempFolder('samplify-redis-'));
  await runLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'local') });
  reference = readFileSync(join(tmp, 'local', 'results.json'), 'utf8');
});

const results = (dir: string): string => readFileSync(join(dir, 'results.json'), 'utf8');
const seedFiles = (dir: string) =>
  ['baseline', 'crop'].flatMap((arm) => readdirSync(join(dir, 'arms', arm, 'seeds')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, 'arms', arm, 'seeds', f), 'utf8')).result as { resumed: boolean }));

test('two workers share the units; results.json is the single-process one; the submitter trains nothing', async () => {
  const workers = await Promise.all([spawnWorker(redis.url, ['--queue-name', 'split']), spawnWorker(redis.url, ['--queue-name', 'split'])]);
  const store = join(tmp, 'split');
  const lines: string[] = [];
  const r = await submitLiftExperiment({ config, baseDir: tmp, store, url: redis.url, queueName: 'split', pollMs: 200, progress: { line: (l) => void lines.push(l) } });
  assert.equal(r.pending, undefined);
  assert.equal(results(store), reference);
  assert.ok(workers.every((w) => /completed/.test(w.log())), 'both workers ran jobs');
  assert.ok(lines.some((l) => /^\[crop\/seed\d\] epoch +\d+\/8/.test(l)), 'live per-job progress reaches the submitter');
  assert.equal(lines.filter((l) => !l.startsWith('[') && /fitting/.test(l)).length, 0, 'the submitter read every result back instead of training');
  await Promise.all(workers.map((w) => w.stop()));
});

test('a malformed job fails at once with its reason, never run; samplify status shows it; the password is never printed', async () => {
  const worker = await spawnWorker(redis.url, ['--queue-name', 'poison']);
  const queue = new Queue('poison', { connection: { host: '127.0.0.1', port: redis.port } });
  try {
    await queue.add('bad', { v: JOB_VERSION, kind: 'lift-unit', experiment: 'nothex', store: 'relative/path', arm: 'x', seed: -1 }, { attempts: 3 });
    await queue.add('unknown-experiment', { v: JOB_VERSION, kind: 'lift-unit', experiment: '0123456789abcdef', store: tmp, arm: 'baseline', seed: 0 }, { attempts: 3 });
    await worker.waitForLog(/\[unknown-experiment\] failed for good/);
    const s = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), 'status', '--queue', redis.url, '--queue-name', 'poison', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(s.status, 0, s.stderr);
    const status = JSON.parse(s.stdout) as { counts: Record<string, number>; failed: { name: string; attempts: number; reason: string }[] };
    assert.equal(status.counts['failed'], 2);
    const bad = status.failed.find((f) => f.name === 'bad')!;
    assert.match(bad.reason, /malformed job: .*experiment.*store: an absolute path.*seed/);
    assert.equal(bad.attempts, 1, 'not retried');
    assert.match(status.failed.find((f) => f.name === 'unknown-experiment')!.reason, /ConfigError: .*holds no experiment 0123456789abcdef/);
  } finally {
    await queue.close();
    await worker.stop();
  }
  assert.equal(redactRedisUrl('redis://:s3cret@10.0.0.5:6379/0'), 'redis://:***@10.0.0.5:6379/0');
  assert.equal(redactRedisUrl('rediss://user:s3cret@host:6380'), 'rediss://***:***@host:6380');
  assert.throws(() => checkQueueUrl('http://:s3cret@host'), (e: unknown) => e instanceof Error && !/s3cret/.test(e.message));
  assert.equal(parseJob({ v: 1, kind: 'lift-unit', experiment: '0123456789abcdef', store: '/x', arm: 'a', seed: 0, extra: 1 }).ok, false, 'unknown keys are refused');
});

test('a worker killed with SIGKILL mid-job: the job resumes from its checkpoint on another worker; same results', async () => {
  const store = join(tmp, 'killed');
  const a = await spawnWorker(redis.url, ['--queue-name', 'kill', '--lock-duration', '1500']);
  const run = submitLiftExperiment({ config, baseDir: tmp, store, url: redis.url, queueName: 'kill', pollMs: 200 });
  await a.waitForLog(/\] epoch +[3-6]\/8/);
  await a.stop();
  const b = await spawnWorker(redis.url, ['--queue-name', 'kill', '--lock-duration', '1500']);
  await run;
  assert.equal(results(store), reference);
  assert.match(b.log(), /resuming from checkpoint after epoch [2-7]/, 'the killed job was not trained again from scratch');
  assert.ok(seedFiles(store).some((s) => s.resumed));
  await b.stop();
});

test('Redis restarted mid-run: workers reconnect and the run completes with the same results', async () => {
  const store = join(tmp, 'restart');
  const w = await spawnWorker(redis.url, ['--queue-name', 'restart']);
  const run = submitLiftExperiment({ config, baseDir: tmp, store, url: redis.url, queueName: 'restart', pollMs: 200 });
  await w.waitForLog(/\] epoch +[2-5]\/8/);
  await redis.stop();
  await new Promise((r) => setTimeout(r, 500));
  await redis.start();
  await run;
  assert.equal(results(store), reference);
  await w.stop();
});
