/**
 * `--json` on the commands scripts call: one JSON object on stdout (progress on stderr), with the
 * same numbers the command wrote to disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
