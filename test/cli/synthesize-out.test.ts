/**
 * `samplify synthesize --out X` writes everything of the run beside X; the config's own `model:`
 * path (relative to the config file) is neither written nor overwritten. Without --out, the
 * config's paths are relative to the config file, from any working directory.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(join(tmpdir(), 'samplify-synth-out-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (args: string[], cwd: string) => spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { cwd, encoding: 'utf8' });

function writeConfig(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const rows = ['age,gender,city', ...Array.from({ length: 60 }, (_, i) => `${20 + (i % 40)},${i % 3 ? 'F' : 'M'},c${i % 5}`)];
  writeFileSync(join(dir, 'people.csv'), rows.join('\n') + '\n');
  const config = join(dir, 'synth.yaml');
  writeFileSync(config, ['name: people', 'data: { path: people.csv, format: csv }', 'synthesizer: { name: gaussian-copula }', 'seed: 0', 'rows: 20', 'out: made/people.csv', 'model: made/people.model.json', ''].join('\n'));
  return config;
}

test('paths written in the config resolve against the config file, whatever the working directory', () => {
  const config = writeConfig(join(tmp, 'a', 'conf'));
  const r = cli(['synthesize', config], tmp);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(tmp, 'a', 'conf', 'made', 'people.csv')));
  assert.ok(existsSync(join(tmp, 'a', 'conf', 'made', 'people.model.json')));
  assert.ok(!existsSync(join(tmp, 'made')), 'nothing is written relative to the working directory');
});

test('--out puts the table, model and provenance beside it and leaves the config\'s model path alone', () => {
  const config = writeConfig(join(tmp, 'b', 'conf'));
  const out = join(tmp, 'b', 'run1', 'people.csv');
  const r = cli(['synthesize', config, '--out', out], tmp);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(out));
  assert.ok(existsSync(join(tmp, 'b', 'run1', 'people.model.json')), r.stdout);
  assert.ok(!existsSync(join(tmp, 'b', 'conf', 'made')), 'the config\'s model path is not written by a run with --out');
});
