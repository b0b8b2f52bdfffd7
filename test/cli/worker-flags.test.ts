import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'samplify-worker-flags-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

test('worker --sync-seconds takes an integer >= 1 (exit 2 otherwise, before connecting)', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), 'worker', '--queue', 'redis://127.0.0.1:1/0', '--sync-seconds', '0'], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /sync-seconds must be an integer >= 1/);
});

test('worker --mirror-root and --sync-seconds reach the worker (its first line states them)', { skip: hasRedis ? false : 'redis-server is not installed' }, async () => {
  const { startRedis, spawnWorker, stopAll } = await import('../distributed/redis-fixture.ts');
  try {
    const redis = await startRedis();
    const mirrors = join(tmp, 'mirrors');
    const w = await spawnWorker(redis.url, ['--mirror-root', mirrors, '--sync-seconds', '7']);
    assert.match(w.log(), new RegExp(`object-storage mirrors in ${mirrors.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, checkpoints pushed every 7 s`));
    // Without the flags: the defaults (environment, else 30 s).
    const d = await spawnWorker(redis.url);
    assert.match(d.log(), /checkpoints pushed every (30|\d+) s/);
    assert.doesNotMatch(d.log(), new RegExp(mirrors.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  } finally {
    await stopAll();
  }
});
