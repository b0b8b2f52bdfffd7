import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../src/core/index.ts';
import { claimRun, readRunResult, sameFingerprint, writeRunResult } from '../../src/experiment/run-store.ts';

const tmp = mkdtempSync(join(tmpdir(), 'samplify-runstore-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('canonical fingerprints: key order and JSON-string encoding do not matter, values do', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: undefined }], c: null } }), '{"a":{"c":null,"d":[1,{"z":0}]},"b":1}');
  assert.ok(sameFingerprint({ seed: 1, model: { model: 'pop', config: {} } }, { model: { config: {}, model: 'pop' }, seed: 1 }));
  assert.ok(sameFingerprint(JSON.stringify({ seed: 1, epochs: 3 }), { epochs: 3, seed: 1 }), 'a record written as a JSON string still matches');
  assert.ok(!sameFingerprint({ seed: 1 }, { seed: 2 }));
  assert.ok(!sameFingerprint({ seed: 1 }, { seed: 1, extra: 0 }));
});

test('records: read back only with a matching fingerprint; written atomically; older shapes mapped', () => {
  const path = join(tmp, 'rec', 'seed0.json');
  assert.equal(readRunResult(path, { seed: 0 }), null, 'absent');
  writeRunResult(path, { seed: 0, model: 'pop' }, { score: 0.5 });
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { fingerprint: { seed: 0, model: 'pop' }, result: { score: 0.5 } });
  assert.deepEqual(readRunResult(path, { model: 'pop', seed: 0 }), { result: { score: 0.5 }, fingerprint: { seed: 0, model: 'pop' }, exact: true });
  assert.equal(readRunResult(path, { model: 'pop', seed: 1 }), null, 'another run');
  // A reuse rule may accept a different fingerprint; it sees both as parsed values.
  const seen: unknown[] = [];
  const reused = readRunResult<{ score: number }>(path, { model: 'pop', seed: 9 }, { reuse: (saved, now, r) => (seen.push(saved, now), r.score > 0.4) });
  assert.equal(reused?.exact, false);
  assert.deepEqual(seen, [{ seed: 0, model: 'pop' }, { model: 'pop', seed: 9 }]);
  // A result of the wrong shape is not used.
  assert.equal(readRunResult(path, { seed: 0, model: 'pop' }, { valid: (r): r is { other: number } => typeof (r as { other?: unknown }).other === 'number' }), null);
  // Older shapes: { key, histories } via a legacy mapping; broken JSON is a miss (rerun), not a crash.
  const old = join(tmp, 'rec', 'old.json');
  writeFileSync(old, JSON.stringify({ key: JSON.stringify({ n: 3, seed: 1 }), histories: [[1, 2]] }));
  assert.equal(readRunResult(old, { seed: 1, n: 3 }), null, 'without a mapping an unknown shape is a miss');
  const mapped = readRunResult<{ histories: number[][] }>(old, { seed: 1, n: 3 }, { legacy: (raw) => ({ fingerprint: raw['key'], result: { histories: raw['histories'] as number[][] } }) });
  assert.deepEqual(mapped?.result.histories, [[1, 2]]);
  writeFileSync(old, '{"fingerprint": ');
  assert.equal(readRunResult(old, { seed: 1 }), null);
});

test('locks: one live holder; a dead holder\'s lock is taken over; release removes it once', () => {
  const dir = join(tmp, 'locks');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'seed0.lock');
  const lock = claimRun(path);
  assert.ok(lock);
  assert.equal(readFileSync(path, 'utf8'), String(process.pid));
  lock.release();
  assert.ok(!existsSync(path));
  writeFileSync(path, String(process.ppid)); // a live process that is not us
  assert.equal(claimRun(path), null);
  assert.equal(readFileSync(path, 'utf8'), String(process.ppid), 'a live holder\'s lock is left alone');
  writeFileSync(path, String(2 ** 22 + 99)); // no such process
  const taken = claimRun(path);
  assert.ok(taken);
  assert.equal(readFileSync(path, 'utf8'), String(process.pid));
  taken.release();
  writeFileSync(path, 'other');
  taken.release();
  assert.equal(readFileSync(path, 'utf8'), 'other', 'a second release does not remove a lock someone else took');
});

/**
 * Runs `n` child processes of `body` (ES module code with `claimRun`, `join`, `existsSync`,
 * `readdirSync`, `readFileSync` and `dir` in scope) and returns what each wrote to stdout. They all
 * start `body` together, once every child has loaded (a cold compile cache on a loaded machine can
 * take seconds), on a signal file in `dir`.
 */
async function raceChildren(dir: string, n: number, body: string): Promise<string[]> {
  const { spawn } = await import('node:child_process');
  const script = `
    import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
    import { join } from 'node:path';
    import { claimRun } from ${JSON.stringify(new URL('../../src/experiment/run-store.ts', import.meta.url).href)};
    const dir = process.argv[1];
    writeFileSync(join(dir, 'ready-' + process.pid), '');
    while (!existsSync(join(dir, 'go'))) await new Promise((r) => setTimeout(r, 1));
    ${body}`;
  const children = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    return new Promise<string>((res, rej) => child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`child exited ${code}`)))));
  });
  for (const deadline = Date.now() + 60_000; readdirSync(dir).filter((f) => f.startsWith('ready-')).length < n; ) {
    if (Date.now() > deadline) throw new Error('children did not start within a minute');
    await new Promise((r) => setTimeout(r, 20));
  }
  writeFileSync(join(dir, 'go'), '');
  return Promise.all(children);
}

test('claimRun: processes claiming the first free slot at once each get a slot of their own, and a lock file is never seen without its pid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samplify-claim-race-'));
  try {
    // Each child claims slot0, slot1, … (as a worker claims its store mirror), reads every lock
    // file it can see, holds its slot for a while and prints both.
    const got = (
      await raceChildren(
        dir,
        10,
        `let lock = null, slot = 0;
        for (; lock === null; slot++) lock = claimRun(join(dir, 'slot' + slot + '.lock'));
        const seen = readdirSync(dir).filter((f) => f.endsWith('.lock')).map((f) => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return 'gone'; } });
        await new Promise((r) => setTimeout(r, 400));
        process.stdout.write(JSON.stringify({ slot: slot - 1, emptySeen: seen.filter((t) => t === '').length }));
        lock.release();`,
      )
    ).map((o) => JSON.parse(o) as { slot: number; emptySeen: number });
    assert.equal(new Set(got.map((g) => g.slot)).size, got.length, `slots: ${got.map((g) => g.slot).join(', ')}`);
    assert.equal(got.reduce((a, g) => a + g.emptySeen, 0), 0, 'a lock file was seen empty');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('claimRun: processes taking over a dead holder\'s lock at once: exactly one gets it', async () => {
  for (let round = 0; round < 6; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'samplify-takeover-race-'));
    try {
      writeFileSync(join(dir, 'run.lock'), String(2 ** 22 + 99)); // a holder that no longer exists
      const got = await raceChildren(
        dir,
        10,
        `const lock = claimRun(join(dir, 'run.lock'));
        await new Promise((r) => setTimeout(r, 300));
        process.stdout.write(lock === null ? 'no' : 'yes');`,
      );
      assert.equal(got.filter((g) => g === 'yes').length, 1, `round ${round}: ${got.join(', ')}`);
      assert.ok(!readdirSync(dir).some((f) => f.endsWith('.takeover')), 'no takeover guard is left behind');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a wait for other workers stops when Ctrl-C comes during its sleep, not one step later', async () => {
  const { CancelToken, InterruptedError } = await import('../../src/core/index.ts');
  const { pauseForOtherWorkers } = await import('../../src/experiment/run-store.ts');
  const cancel = new CancelToken();
  setTimeout(() => cancel.cancel(), 10);
  await assert.rejects(pauseForOtherWorkers({ pollMs: 50, cancel }, 'a held run'), (e: unknown) => e instanceof InterruptedError && /a held run/.test(e.message));
  await pauseForOtherWorkers({ pollMs: 1, cancel: new CancelToken() }, 'nothing'); // not cancelled: returns
});
