/**
 * `--json` on the commands scripts call: one JSON object on stdout (progress on stderr), with the
 * same numbers the command wrote to disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(import.meta.dirname, '..', '..');
function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const dir = tempFolder('samplify-json-');
writeFileSync(join(dir, 'seqs.txt'), Array.from({ length: 40 }, (_, u) => `${u + 1} ${Array.from({ length: 6 }, (_, k) => 1 + ((u * 5 + k * 3) % 30)).join(' ')}`).join('\n') + '\n');

test('augment --json: counts and path', () => {
  const j = cli(['augment', '--data', 'seqs.txt', '--pipeline', join(root, 'examples/pipelines/crop-reorder.yaml'), '--views', '2', '--out', 'aug.jsonl', '--json'], dir);
  const lines = readFileSync(join(dir, 'aug.jsonl'), 'utf8').trim().split('\n');
  assert.equal(j['samples'], lines.length);
  assert.equal(j['users'], 40);
});

test('experiment --json: the results.json it wrote', () => {
  writeFileSync(join(dir, 'exp.yaml'), stringify({ name: 'j', data: { path: 'seqs.txt', format: 'seqtxt' }, model: { model: 'pop' }, seeds: 1, arms: [{ name: 'crop', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml') }] }));
  const j = cli(['experiment', 'exp.yaml', '--out', 'run', '--json'], dir);
  assert.deepEqual(j, JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8')));
});

test('synthesize --json: rows, paths', () => {
  writeFileSync(
    join(dir, 'synth.yaml'),
    stringify({ name: 'events', data: { path: join(root, 'test/fixtures/data/shop-events.csv') }, synthesizer: { name: 'gaussian-copula' }, rows: 50, seed: 1, out: 'events.csv' }),
  );
  const j = cli(['synthesize', 'synth.yaml', '--json'], dir);
  assert.equal(j['kind'], 'table');
  assert.equal(j['rows'], 50);
  assert.equal(readFileSync(join(dir, 'events.csv'), 'utf8').trim().split('\n').length, 51);
});

test('report --json: the page it wrote, its kind, charts and notes', () => {
  const j = cli(['report', 'run', '--json'], dir);
  assert.equal(j['kind'], 'lift');
  assert.equal(j['path'], join(dir, 'run', 'report.html'));
  assert.equal(j['bytes'], readFileSync(join(dir, 'run', 'report.html')).length);
  assert.ok((j['charts'] as number) >= 3);
  assert.deepEqual(j['notes'], []);
});

test('benchmark --json: the summary.json it wrote', () => {
  const j = cli(['benchmark', '--data', 'seqs.txt', '--models', 'pop', '--seeds', '1', '--out', 'bench', '--json'], dir);
  assert.deepEqual(j, JSON.parse(readFileSync(join(dir, 'bench', 'summary.json'), 'utf8')));
  assert.equal(typeof (j['results'] as Record<string, { test: Record<string, number> }>)['pop']?.test['NDCG@20'], 'number');
});

/** A samplify process from the sources, its stdout collected; resolves on exit. */
function cliAsync(args: string[], cwd: string): { child: ChildProcess; stdout: () => string; stderr: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, stdout: () => out, stderr: () => err.slice(-2000), done };
}

async function until(what: string, f: () => boolean, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('serve --json: the URL, origin and token as one JSON line', async () => {
  const s = cliAsync(['serve', '--runs', dir, '--port', '0', '--host', '0.0.0.0', '--json'], dir);
  try {
    await until('the serve line', () => s.stdout().includes('\n'));
    const j = JSON.parse(s.stdout().split('\n')[0]!) as { url: string; origin: string; token: string };
    assert.ok(j.token.length >= 16);
    assert.equal(j.url, `${j.origin}/?token=${j.token}`);
    assert.equal((await fetch(`${j.origin}/`)).status, 401);
    assert.equal((await fetch(`${j.origin}/`, { headers: { authorization: `Bearer ${j.token}` } })).status, 200);
  } finally {
    s.child.kill('SIGKILL');
    await s.done;
  }
});

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

test('experiment --queue --json prints results.json; worker --json prints one JSON line per event', { skip: hasRedis ? false : 'redis-server is not installed' }, async () => {
  const { startRedis, stopAll } = await import('../distributed/redis-fixture.ts');
  const redis = await startRedis();
  const worker = cliAsync(['worker', '--queue', redis.url, '--queue-name', 'json', '--threads', '1', '--json'], dir);
  try {
    await until('the worker to connect', () => /"event":"worker"/.test(worker.stdout()));
    const exp = cliAsync(['experiment', 'exp.yaml', '--out', 'queued', '--queue', redis.url, '--queue-name', 'json', '--json'], dir);
    assert.equal(await exp.done, 0, exp.stderr());
    assert.deepEqual(JSON.parse(exp.stdout()), JSON.parse(readFileSync(join(dir, 'queued', 'results.json'), 'utf8')));
    await until('the completed events', () => (worker.stdout().match(/"event":"completed"/g) ?? []).length >= 2);
    const events = worker
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { job?: string; event?: string; text?: string });
    assert.ok(events.length >= 3);
    assert.deepEqual(new Set(events.filter((e) => e.event === 'completed').map((e) => e.job)), new Set(['baseline/seed0', 'crop/seed0']));
  } finally {
    worker.child.kill('SIGKILL');
    await worker.done;
    await stopAll();
  }
});

test('cold-start --json: the results.json it wrote; with --dry-run, the plan', () => {
  // 40 items in 4 attribute groups; each user mostly stays inside one group (as in test/experiment/cold-start.test.ts).
  const lines = Array.from({ length: 120 }, (_, u) => `${u + 1} ${Array.from({ length: 6 }, (_, k) => 1 + (u % 4) * 10 + ((u * 7 + k * 3) % 10)).join(' ')}`);
  writeFileSync(join(dir, 'cold-seqs.txt'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'cold-attrs.json'), JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i + 1), [Math.floor(i / 10), 4 + (i % 3)]]))));
  writeFileSync(
    join(dir, 'cold.yaml'),
    stringify({
      name: 'cold',
      data: { path: 'cold-seqs.txt', format: 'seqtxt', attributes: 'cold-attrs.json' },
      split: { itemFraction: 0.2, seed: 0, minInteractions: 3 },
      model: { model: 'sasrec', config: { hidden: 8, blocks: 1, heads: 2, maxLen: 8, loss: 'bce' }, trainer: { batchSize: 32 } },
      seeds: 1,
      epochs: 1,
      intensities: [2],
    }),
  );
  const plan = cli(['cold-start', 'cold.yaml', '--dry-run', '--json'], dir) as { kind: string; data: { rowsIn: number; rowsKept: number }; split: { coldTestItems: number }; runs: number };
  assert.equal(plan.kind, 'cold-start');
  assert.deepEqual([plan.data.rowsIn, plan.data.rowsKept], [120, 120]);
  assert.ok(plan.split.coldTestItems > 0);
  assert.equal(plan.runs, 3, 'none, synthesis ×2, context control; one seed');
  assert.ok(!existsSync(join(dir, 'cold-run')), 'a dry run writes nothing');
  const j = cli(['cold-start', 'cold.yaml', '--out', 'cold-run', '--json'], dir);
  const written = JSON.parse(readFileSync(join(dir, 'cold-run', 'results.json'), 'utf8')) as { arms: { arm: string }[] };
  assert.deepEqual(j, written);
  assert.ok(written.arms.some((a) => a.arm === 'synth') && written.arms.some((a) => a.arm === 'none'), 'the synthesis arm and its baseline');
});
