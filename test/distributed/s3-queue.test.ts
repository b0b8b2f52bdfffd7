/**
 * The queue with object storage as the shared store: a real redis-server, our loopback
 * S3-compatible server and two real `samplify worker` processes that share no folder — each runs
 * its jobs in a mirror of its own and meets the others' files (the shared generator, the unit
 * results) only through the store. results.json, written to the store, is the single-process
 * run's byte for byte; the shared generator is fitted once; the secret never reaches a log.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/core/index.ts';
import { setThreads } from '../../src/nn/index.ts';
import { parseExperimentConfig, runLiftExperiment } from '../../src/experiment/index.ts';
import { submitLiftExperiment } from '../../src/distributed/index.ts';
import { tempFolder } from '../temp-folders.ts';
import { startRedis, spawnWorker, stopAll, type RedisServer } from './redis-fixture.ts';
import { startLoopbackS3, type LoopbackS3 } from './s3-server.ts';

const SECRET = 'loopback-secret-never-logged';
const tmp = tempFolder('samplify-s3-queue-');
/** A seeded `user item item …` log: each user walks the item ring in small steps. */
function writeLog(path: string, o: { seed: number; users: number; items: number; minLength: number; extraLength: number; maxStep: number }): string {
  const rng = new Rng(o.seed);
  writeFileSync(path, Array.from({ length: o.users }, (_, u) => {
    let it = 1 + rng.int(o.items);
    return `${u + 1} ${Array.from({ length: o.minLength + rng.int(o.extraLength) }, () => (it = 1 + ((it + 1 + rng.int(o.maxStep)) % o.items))).join(' ')}`;
  }).join('\n') + '\n');
  return path;
}
const data = writeLog(join(tmp, 'seqs.txt'), { seed: 11, users: 50, items: 25, minLength: 3, extraLength: 7, maxStep: 2 });

const prior = (threshold: number) => ({
  version: 1,
  name: `prior-${threshold}`,
  resources: { generators: { reverse: { model: 'sasrec', epochs: 2, seed: 0, config: { hidden: 8, blocks: 1, heads: 2, maxLen: 10, loss: 'ce' } } } },
  steps: [{ op: 'pseudo_prior', threshold, k: 2, fill: true, temperature: 0, noRepeat: true }],
});
const config = parseExperimentConfig({
  name: 's3-queue',
  data: { path: data },
  model: { model: 'sasrec', config: { hidden: 8, blocks: 1, heads: 2, maxLen: 10, loss: 'ce' }, trainer: { batchSize: 8 } },
  seeds: 1,
  epochs: 3,
  bootstrap: { resamples: 100 },
  arms: [
    { name: 'prior6', pipeline: prior(6) },
    { name: 'prior8', pipeline: prior(8) },
  ],
});

let redis: RedisServer;
let s3: LoopbackS3;
after(async () => {
  await stopAll();
  await s3?.close();
});
before(async () => {
  setThreads(1);
  redis = await startRedis(tempFolder('samplify-redis-'));
  s3 = await startLoopbackS3({ accessKeyId: 'QUEUEKEY', buckets: ['runs'] });
  // The workers inherit this environment: the store's endpoint and credentials, and where their mirrors go.
  Object.assign(process.env, { SAMPLIFY_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: 'QUEUEKEY', AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'eu-west-1', SAMPLIFY_MIRROR_ROOT: join(tmp, 'mirrors') });
});

test('units and a shared fit on two workers over an S3 store: the single-process results.json, in the store', async () => {
  await runLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'local') });
  const reference = readFileSync(join(tmp, 'local', 'results.json'), 'utf8');
  const workers = await Promise.all([spawnWorker(redis.url, ['--queue-name', 's3']), spawnWorker(redis.url, ['--queue-name', 's3'])]);
  const lines: string[] = [];
  const r = await submitLiftExperiment({ config, baseDir: tmp, store: 's3://runs/beauty/lift', url: redis.url, queueName: 's3', pollMs: 200, progress: { line: (l) => void lines.push(l) } });
  assert.equal(r.pending, undefined);
  const stored = s3.objects.get('runs/beauty/lift/results.json');
  assert.ok(stored, `results.json in the store; objects: ${[...s3.objects.keys()].join(', ')}`);
  assert.equal(stored.bytes.toString('utf8'), reference);
  assert.ok([...s3.objects.keys()].some((k) => /^runs\/beauty\/lift\/generators\/reverse-[0-9a-f]+\/generator\.json$/.test(k)), 'the fitted generator is in the store');
  assert.ok([...s3.objects.keys()].some((k) => /^runs\/beauty\/lift\/arms\/prior8\/seeds\//.test(k)), 'unit records are in the store');
  const fits = workers.map((w) => w.log().split('\n').filter((l) => /generator \(reverse\): epoch +1\//.test(l)).length);
  assert.equal(fits[0]! + fits[1]!, 1, 'one fit over both workers');
  assert.ok(workers.every((w) => /completed/.test(w.log())), 'both workers ran jobs');
  // Every worker had a mirror of its own; each unit's worker loaded the generator another may have fitted.
  const [mirrors] = readdirSync(join(tmp, 'mirrors'));
  assert.deepEqual(readdirSync(join(tmp, 'mirrors', mirrors!)).filter((f) => !f.endsWith('.lock')).sort(), ['slot0', 'slot1', 'slot2'], 'two workers and the submitter');
  for (const text of [...workers.map((w) => w.log()), ...lines]) assert.ok(!text.includes(SECRET));
  const ops = new Set(s3.requests.map((q) => q.op));
  assert.ok([...ops].every((op) => ['PUT', 'GET', 'HEAD', 'LIST', 'DELETE'].includes(op)), [...ops].join(', '));
  await Promise.all(workers.map((w) => w.stop()));
});

test('a worker killed with SIGKILL mid-job over an S3 store: another worker resumes from the checkpoint it had pushed; same results', async () => {
  // Large enough that a job outlasts the 0.5 s store sync on a quiet machine (on the 50-user log a
  // whole 40-epoch job took 0.4 s, so the first push came after it had finished).
  const killData = writeLog(join(tmp, 'seqs-kill.txt'), { seed: 12, users: 600, items: 60, minLength: 5, extraLength: 12, maxStep: 3 });
  const killConfig = parseExperimentConfig({
    name: 's3-kill',
    data: { path: killData },
    model: { model: 'sasrec', config: { hidden: 16, blocks: 1, heads: 2, maxLen: 16, loss: 'ce' }, trainer: { batchSize: 8 } },
    seeds: 1,
    epochs: 40,
    patience: 40,
    bootstrap: { resamples: 100 },
    arms: [{ name: 'crop', pipeline: join(import.meta.dirname, '..', '..', 'examples', 'pipelines', 'crop-reorder.yaml') }],
  });
  await runLiftExperiment({ config: killConfig, baseDir: tmp, out: join(tmp, 'local-kill') });
  const reference = readFileSync(join(tmp, 'local-kill', 'results.json'), 'utf8');
  process.env['SAMPLIFY_STORE_SYNC_SECONDS'] = '0.5';
  try {
    const a = await spawnWorker(redis.url, ['--queue-name', 's3-kill', '--lock-duration', '1500']);
    const run = submitLiftExperiment({ config: killConfig, baseDir: tmp, store: 's3://runs/kill', url: redis.url, queueName: 's3-kill', pollMs: 200 });
    // Killed as soon as one of its checkpoints has reached the store (its job still running).
    const pushed = (): boolean => s3.requests.some((q) => q.op === 'PUT' && /^kill\/arms\/[a-z]+\/checkpoints\/seed0\//.test(q.key));
    while (!pushed()) await new Promise((r) => setTimeout(r, 20));
    await a.stop();
    assert.doesNotMatch(a.log(), /\] completed/, 'killed mid-job');
    // Another machine: a mirror root of its own, so the checkpoint can only come from the store.
    process.env['SAMPLIFY_MIRROR_ROOT'] = join(tmp, 'mirrors-b');
    const b = await spawnWorker(redis.url, ['--queue-name', 's3-kill', '--lock-duration', '1500']);
    await run;
    assert.equal(s3.objects.get('runs/kill/results.json')?.bytes.toString('utf8'), reference);
    const checkpoints = s3.requests.filter((q) => /^kill\/.*checkpoints/.test(q.key)).map((q) => `${q.op} ${q.key}`);
    assert.match(b.log(), /resuming from checkpoint after epoch \d+/, `the killed job resumed from the checkpoint in the store, on a worker with a mirror of its own\n--- A:\n${a.log()}\n--- store:\n${checkpoints.join('\n')}`);
    await b.stop();
  } finally {
    delete process.env['SAMPLIFY_STORE_SYNC_SECONDS'];
    process.env['SAMPLIFY_MIRROR_ROOT'] = join(tmp, 'mirrors');
  }
});
