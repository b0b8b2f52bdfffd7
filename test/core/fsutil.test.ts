import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openAtomicWrite, removeStaleTemps, tempPathFor, writeFileAtomic, writeViaTempPath } from '../../src/core/index.ts';
import { augmentFile } from '../../src/experiment/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'samplify-fsutil-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** A pid no process has: above Linux's pid_max (2^22). */
const DEAD_PID = 2 ** 22 + 4321;
const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test('temp paths: beside the target, one recognisable naming scheme with our pid, never twice the same', () => {
  const a = tempPathFor(join(tmp, 'x', 'out.jsonl'));
  const b = tempPathFor(join(tmp, 'x', 'out.jsonl'));
  assert.notEqual(a, b);
  assert.match(a, new RegExp(`/x/out\\.jsonl\\.samplify-${process.pid}-[0-9a-f]+\\.tmp$`));
});

test('atomic writer: chunks appear only on commit; abort leaves the old file and no temp', () => {
  const dir = join(tmp, 'writer');
  const path = join(dir, 'a.txt');
  writeFileAtomic(path, 'old\n');
  const w = openAtomicWrite(path);
  w.write('new ');
  w.write(Buffer.from('bytes\n'));
  assert.equal(readFileSync(path, 'utf8'), 'old\n', 'not visible before commit');
  assert.equal(temps(dir).length, 1);
  w.commit();
  assert.equal(readFileSync(path, 'utf8'), 'new bytes\n');
  assert.equal(w.bytes, 10);
  assert.deepEqual(temps(dir), []);
  const v = openAtomicWrite(path);
  v.write('half');
  v.abort();
  v.abort();
  assert.equal(readFileSync(path, 'utf8'), 'new bytes\n');
  assert.deepEqual(temps(dir), []);
  assert.throws(() => v.write('x'), /after commit or abort/);
});

test('writeViaTempPath: a path-taking writer commits atomically; a failure removes its temp', async () => {
  const dir = join(tmp, 'via');
  const path = join(dir, 'b.bin');
  await writeViaTempPath(path, (t) => writeFileSync(t, 'ok'));
  assert.equal(readFileSync(path, 'utf8'), 'ok');
  await assert.rejects(writeViaTempPath(path, (t) => {
    writeFileSync(t, 'partial');
    throw new Error('boom');
  }), /boom/);
  assert.equal(readFileSync(path, 'utf8'), 'ok');
  assert.deepEqual(temps(dir), []);
});

test('removeStaleTemps: removes temps of dead owners (ours and the older naming), keeps live ones and foreign files', () => {
  const dir = join(tmp, 'stale');
  writeFileAtomic(join(dir, 'out.jsonl'), 'x');
  const dead = join(dir, `out.jsonl.samplify-${DEAD_PID}-ab12.tmp`);
  const deadNested = join(dir, `out.jsonl.samplify-${DEAD_PID}-ab12.tmp.samplify-${DEAD_PID}-cd34.tmp`);
  const legacy = join(dir, `out.jsonl.${DEAD_PID}.9f3e.tmp`);
  const mine = join(dir, `out.jsonl.samplify-${process.pid}-77.tmp`);
  const live = join(dir, `out.jsonl.samplify-${process.ppid}-78.tmp`);
  const other = join(dir, `other.csv.samplify-${DEAD_PID}-1.tmp`);
  const foreign = join(dir, 'notes.tmp');
  for (const p of [dead, deadNested, legacy, mine, live, other, foreign]) writeFileSync(p, 'x');
  // For one target: only that target's temps.
  assert.deepEqual(removeStaleTemps(join(dir, 'out.jsonl')).sort(), [dead, deadNested, legacy].sort());
  assert.ok(existsSync(other) && existsSync(mine) && existsSync(live) && existsSync(foreign));
  // For a folder: every temp of our naming with a dead owner (the older naming needs its target).
  assert.deepEqual(removeStaleTemps(dir), [other]);
  assert.ok(existsSync(mine) && existsSync(live) && existsSync(foreign));
  // An atomic write cleans its folder: a dead owner's temp of another file goes too.
  const other2 = join(dir, `other.csv.samplify-${DEAD_PID}-2.tmp`);
  const legacyOther = join(dir, `other.csv.${DEAD_PID}.tmp`);
  writeFileSync(other2, 'x');
  writeFileSync(legacyOther, 'x');
  writeFileAtomic(join(dir, 'out.jsonl'), 'y');
  assert.ok(!existsSync(other2));
  assert.ok(existsSync(legacyOther), "the older naming is recognised beside its own target only");
  assert.ok(existsSync(mine) && existsSync(live) && existsSync(foreign));
});

/** Starts a process that opens an atomic write of `path`, writes `bytes`, says so, and waits to be killed. */
async function killedMidWrite(path: string, bytes: number): Promise<string> {
  const script = `import { openAtomicWrite } from ${JSON.stringify(join(root, 'src', 'core', 'fsutil.ts'))};
const w = openAtomicWrite(process.argv[1]);
w.write('x'.repeat(${bytes}));
w.write(new Uint8Array(0));
process.stdout.write(w.tempPath + '\\n');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const tempPath = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) res(out.trim());
    });
    child.on('exit', (code) => rej(new Error(`writer exited early (${code})`)));
  });
  const exited = new Promise((res) => child.on('exit', res));
  child.kill('SIGKILL');
  await exited;
  return tempPath;
}

test('kill -9 during a write leaves its temp; the next run writing there removes it (samplify augment)', async () => {
  const dir = join(tmp, 'killed');
  const data = join(tmp, 'seqs.txt');
  writeFileSync(data, Array.from({ length: 30 }, (_, u) => `${u + 1} ${Array.from({ length: 6 }, (_, k) => `${1 + ((u * 7 + k * 3) % 25)}`).join(' ')}`).join('\n') + '\n');
  const out = join(dir, 'aug.jsonl');
  const stale = await killedMidWrite(out, 1 << 20);
  assert.ok(existsSync(stale), 'kill -9 leaves the temp behind');
  assert.equal(statSync(stale).size, 1 << 20);
  assert.deepEqual(temps(dir), [stale.slice(dir.length + 1)]);
  const r = await augmentFile({ data, format: 'seqtxt', pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml'), views: 1, seed: 1, out });
  assert.equal(r.samples, 30);
  assert.ok(existsSync(out));
  assert.deepEqual(temps(dir), [], 'the stale temp is gone');
  // A whole-file write cleans too.
  const json = join(dir, 'r.json');
  const stale2 = await killedMidWrite(json, 10);
  writeFileAtomic(json, '{}\n');
  assert.ok(!existsSync(stale2));
});
