import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'samplify-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const data = join(tmp, 'seqs.txt');
writeFileSync(data, Array.from({ length: 40 }, (_, u) => `${u + 1} ${Array.from({ length: 6 }, (_, k) => 1 + ((u * 3 + k * 5) % 30)).join(' ')}`).join('\n') + '\n');

test('evaluate --json prints test and valid metrics and writes results.json', () => {
  const out = join(tmp, 'pop');
  const r = cli(['evaluate', '--data', data, '--model', 'pop', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { test: Record<string, number>; valid: Record<string, number> };
  for (const k of ['HR@10', 'NDCG@20', 'MRR', 'HR@5', 'NDCG@10']) {
    assert.equal(typeof j.test[k], 'number');
    assert.equal(typeof j.valid[k], 'number');
  }
  const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { test: Record<string, number> };
  assert.deepEqual(saved.test, j.test);
});

test('same seed gives byte-identical metrics for itemknn', () => {
  const a = cli(['evaluate', '--data', data, '--model', 'itemknn', '--out', join(tmp, 'k1'), '--json', '--seeds', '2']);
  const b = cli(['evaluate', '--data', data, '--model', 'itemknn', '--out', join(tmp, 'k2'), '--json', '--seeds', '2']);
  assert.equal(a.code, 0, a.stderr);
  const pick = (s: string) => { const j = JSON.parse(s); return JSON.stringify([j.test, j.valid, j.seeds.map((x: { test: unknown }) => x.test)]); };
  assert.equal(pick(a.stdout), pick(b.stdout));
});

test('usage errors exit 2 with a message and no stack trace', () => {
  const r = cli(['evaluate', '--data', data, '--model', 'nope', '--out', join(tmp, 'x')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /model must be one of/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const r2 = cli(['evaluate', '--data', data, '--model', 'pop', '--loss', 'ce', '--out', join(tmp, 'y')]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /ConfigError.*loss/);
});

test('bad data exits 3 naming the file, and writes no results', () => {
  const missing = join(tmp, 'missing.txt');
  const r = cli(['evaluate', '--data', missing, '--model', 'pop', '--out', join(tmp, 'm')]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /missing\.txt/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(existsSync(join(tmp, 'm', 'results.json')), false);
  const dir = join(tmp, 'adir');
  mkdirSync(dir);
  const r2 = cli(['evaluate', '--data', dir, '--model', 'pop', '--out', join(tmp, 'd')]);
  assert.equal(r2.code, 3);
});

test('--help lists commands and examples', () => {
  const r = cli(['evaluate', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /--loss/);
});

test('validate a CSV with declared columns: rows in = kept + rejected, rejected rows written with line and field', () => {
  const csv = join(tmp, 'events.csv');
  writeFileSync(csv, 'uid,iid,ts,ev\n1,10,100,view\n1,11,abc,view\n2,10,200,buy\n2,12,300,cart\n');
  const rejected = join(tmp, 'rejected.jsonl');
  const r = cli(['validate', '--data', csv, '--format', 'csv', '--user-col', 'uid', '--item-col', 'iid', '--time-col', 'ts', '--event-col', 'ev', '--event-types', 'view,cart', '--rejected', rejected, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { report: { rowsIn: number; rowsKept: number; rowsRejected: number } };
  assert.equal(j.report.rowsIn, 4);
  assert.equal(j.report.rowsKept + j.report.rowsRejected, j.report.rowsIn);
  const rows = readFileSync(rejected, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; field: string; code: string });
  assert.deepEqual(rows.map((x) => [x.line, x.field, x.code]), [[3, 'ts', 'bad-timestamp'], [4, 'ev', 'unknown-event-type']]);
  const bad = cli(['validate', '--data', csv, '--format', 'csv']);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /events\.csv:1 field 'user_id': missing columns/);
});

test('Ctrl-C stops cleanly with exit 130, and the same command resumes from the last checkpoint', async () => {
  const { spawn } = await import('node:child_process');
  const out = join(tmp, 'sigint');
  const args = [join(root, 'scripts', 'samplify-src.mjs'), 'evaluate', '--data', join(root, 'data', 'sample', 'beauty-sample.txt'), '--model', 'sasrec', '--loss', 'bce', '--hidden', '16', '--epochs', '200', '--out', out];
  const child = spawn(process.execPath, args, { cwd: root });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && /epoch\s+2\//.test(stderr)) { sent = true; child.kill('SIGINT'); }
  });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /InterruptedError: .*run the same command again to resume/);
  assert.doesNotMatch(stderr, /\n\s+at /);
  assert.equal(existsSync(join(out, 'results.json')), false);
  const again = cli([...args.slice(1, -4), '--epochs', '3', '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming from checkpoint after epoch [23]/);
});
