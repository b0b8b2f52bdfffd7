import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateInteractionLog, LOG_PRESETS, readInteractions, readPreparedDataset } from '../../src/data/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'samplify-prepare-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const columns = ['--user-col', 'user', '--item-col', 'item', '--time-col', 'timestamp'];

test('prepare: a generated log end to end — accounting, k-core, split, sharded augmentation', async () => {
  const log = generateInteractionLog(join(tmp, 'log.csv'), { preset: LOG_PRESETS.beauty, rows: 4000, seed: 2, badRowShare: 0.02 });
  const out = join(tmp, 'prepared');
  const r = cli(['prepare', log.path, ...columns, '--out', out, '--k-core', '2', '--memory-limit', '128MB', '--db-threads', '1', '--pipeline', 'examples/pipelines/crop-reorder.yaml', '--shards', '2', '--seed', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /prepare: validate/);
  const j = JSON.parse(r.stdout) as { prepared: { report: { rowsIn: number; rowsKept: number; rowsRejected: number; rejectedByCode: Record<string, number> }; users: number; split: { evaluatedUsers: number } }; augmented: { shards: number; samples: number; manifests: string[] } };
  // The same row accounting as the in-memory reader.
  const ref = await readInteractions(log.path, { format: 'csv', columns: { user: 'user', item: 'item', timestamp: 'timestamp' } });
  assert.equal(j.prepared.report.rowsIn, ref.report.rowsIn);
  assert.equal(j.prepared.report.rowsKept, ref.report.rowsKept);
  assert.deepEqual(j.prepared.report.rejectedByCode, ref.report.rejectedByCode);
  assert.ok(j.prepared.report.rowsRejected > 0);
  const rejected = readFileSync(join(out, 'rejected.jsonl'), 'utf8').trimEnd().split('\n');
  assert.equal(rejected.length, j.prepared.report.rowsRejected);
  const back = await readPreparedDataset(out);
  assert.equal(back.dataset.userIds.length, j.prepared.users);
  assert.ok(back.dataset.sequences.every((s) => s.length >= 2));
  assert.equal(j.augmented.shards, 2);
  assert.deepEqual(readdirSync(join(out, 'augmented')).filter((f) => f.startsWith('manifest')).sort(), ['manifest-0-of-2.json', 'manifest-1-of-2.json']);
  assert.equal(j.augmented.samples, j.prepared.users);
});

test('prepare: bad input exits 3 naming file, line and field, and leaves no output folder', () => {
  const bad = join(tmp, 'bad.csv');
  writeFileSync(bad, 'user,item,when\nu1,i1,1\n');
  const out = join(tmp, 'bad-out');
  const r = cli(['prepare', bad, ...columns, '--out', out]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /bad\.csv:1 field 'timestamp': missing column 'timestamp'/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('bad-out')), []);
  // Every row rejected: exit 3 with the first rejection's line and field, still no output.
  const allBad = join(tmp, 'all-bad.csv');
  writeFileSync(allBad, 'user,item,timestamp\nu1,i1,yesterday\nu2,,5\n');
  const r2 = cli(['prepare', allBad, ...columns, '--out', out]);
  assert.equal(r2.code, 3, r2.stderr);
  assert.match(r2.stderr, /all-bad\.csv:2 field 'timestamp': no usable interaction rows: all 2 rejected/);
  assert.equal(existsSync(out), false);
});

test('prepare: bad flags exit 2 before any work', () => {
  const r = cli(['prepare', join(tmp, 'whatever.csv'), '--out', join(tmp, 'x'), '--memory-limit', 'lots']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /memoryLimit/);
  const r2 = cli(['prepare', join(tmp, 'whatever.csv'), '--out', join(tmp, 'x'), '--format', 'xlsx']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /format must be one of/);
  assert.equal(existsSync(join(tmp, 'x')), false);
});
