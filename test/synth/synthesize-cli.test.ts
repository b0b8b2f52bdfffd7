import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../../src/core/index.ts';
import { readTable } from '../../src/data/index.ts';
import { ConfigError, DataValidationError } from '../../src/core/index.ts';
import { readSynthesizeConfig, runSynthesis } from '../../src/experiment/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'samplify-synth-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rng = new Rng(1);
const lines = ['user_id,age,gender,spend,joined'];
for (let i = 0; i < 120; i++) lines.push(`${i + 1},${18 + rng.int(50)},${rng.next() < 0.4 ? 'F' : 'M'},${(rng.next() * 100).toFixed(2)},2020-0${1 + rng.int(9)}-1${rng.int(10)}`);
lines.push('121,30,F,oops-not-a-number');   // bad row: column count
writeFileSync(join(tmp, 'users.csv'), lines.join('\n') + '\n');

function config(extra: string, out = 'out/users.csv'): string {
  const p = join(tmp, `c${Math.abs(extra.length * 7919 + out.length)}.yaml`);
  writeFileSync(
    p,
    `name: t
data: { path: users.csv }
synthesizer: { name: gaussian-copula }
seed: 3
rows: 200
constraints:
  - { kind: range, column: age, min: 18, max: 67 }
out: ${out}
${extra}`,
  );
  return p;
}

test('synthesize CLI: exit 0, table + model + provenance written, conditions met', async () => {
  const cfg = config('conditions: { gender: F }\n');
  const a = cli(['synthesize', cfg]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /^reading users\.csv/m);
  assert.match(a.stderr, /121 rows in = 120 kept \+ 1 rejected/);
  assert.match(a.stderr, /sampled 200\/200 rows \(conditions: native/);
  const out = join(tmp, 'out/users.csv');
  const t = await readTable(out);
  assert.equal(t.table.rowCount, 200);
  assert.ok(t.table.data.gender!.every((g) => g === 'F'));
  assert.ok((t.table.data.age as number[]).every((v) => v >= 18 && v <= 67 && Number.isInteger(v)));
  assert.ok(t.table.data.joined!.every((d) => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d)), 'ISO dates written back as dates');
  const prov = JSON.parse(readFileSync(join(tmp, 'out/users.provenance.json'), 'utf8'));
  assert.equal(prov.seed, 3);
  assert.match(prov.input.sha256, /^[0-9a-f]{64}$/);
  assert.equal(prov.input.rowsRejected, 1);
  assert.equal(prov.metadata.columns.user_id.type, 'id');
  assert.equal(prov.sample.produced, 200);
  assert.ok(Array.isArray(prov.synthesizer.marginals));
  assert.ok(existsSync(join(tmp, 'out/users.model.json')));
});

test('synthesize CLI: bad config key exits 2 naming it, without a stack trace', () => {
  const bad = cli(['synthesize', config('colour: red\n')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /ConfigError.*colour/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});

async function run(extra: string, out: string) {
  const { config: c, baseDir } = readSynthesizeConfig(config(extra, join(tmp, out)));
  return runSynthesis({ config: c, baseDir });
}

async function configError(p: Promise<unknown>, field: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && field.test(e.location.field ?? ''));
}

test('synthesize: same seed gives identical bytes; Parquet output; config errors name the key', async () => {
  await run('', 'det/a.csv');
  await run('', 'det/b.csv');
  assert.equal(readFileSync(join(tmp, 'det/a.csv'), 'utf8'), readFileSync(join(tmp, 'det/b.csv'), 'utf8'));
  const r = await run('maxTriesPerRow: 50\n', 'det/c.parquet');
  assert.equal((await readTable(r.out)).table.rowCount, 200);
  await configError(run('conditions: { gender: X }\n', 'e/1.csv'), /conditions\.gender/);
  await configError(Promise.resolve().then(() => readSynthesizeConfig(config('', 'out/users.xlsx'))), /^out$/);
  const unknown = join(tmp, 'unknown.yaml');
  writeFileSync(unknown, 'data: { path: users.csv }\nsynthesizer: { name: gan9000 }\nrows: 5\nout: out/u.csv\n');
  // An unknown synthesizer is a config error at parse time, before any data is read.
  await configError(Promise.resolve().then(() => runSynthesis(readSynthesizeConfig(unknown))), /synthesizer\.name/);
  await configError(run('metadata: { agee: numerical }\n', 'e/2.csv'), /metadata\.agee/);
  assert.equal(existsSync(join(tmp, 'e/1.csv')), false);
  const p = join(tmp, 'missing.yaml');
  writeFileSync(p, 'data: { path: nope.csv }\nsynthesizer: { name: gaussian-copula }\nrows: 5\nout: out/m.csv\n');
  await assert.rejects(runSynthesis(readSynthesizeConfig(p)), (e: unknown) => e instanceof DataValidationError && e.exitCode === 3 && /nope\.csv/.test(e.location.file ?? ''));
});

test('synthesize with report: fits on the non-held-out rows and writes fidelity + privacy with directions', async () => {
  const { config: c, baseDir } = readSynthesizeConfig(config('report: { holdout: 0.25 }\n', 'rep/users.csv'));
  const r = await runSynthesis({ config: { ...c, out: join(tmp, 'rep', 'users.csv') }, baseDir });
  assert.ok(r.qualityReport && existsSync(r.qualityReport));
  const rep = JSON.parse(readFileSync(r.qualityReport, 'utf8'));
  assert.deepEqual(rep.rows, { train: 90, holdout: 30, synthetic: 200 });
  assert.equal(rep.quality.overall.direction, 'higher');
  assert.equal(rep.privacy.membershipInference.auc.direction, 'lower');
  assert.ok(rep.privacy.exactCopies.count === 0, 'exact copies are removed by default');
  const prov = JSON.parse(readFileSync(r.provenance, 'utf8'));
  assert.equal(prov.outputs.report, r.qualityReport);
});

test('synthesize CLI: a rare category is held to its training rate and said so; --set rareCategoryShare=0 turns it off', () => {
  const r = new Rng(5);
  const rows = ['tier,spend'];
  // 'founder' in 1 of 150 rows (0.67 %): 400 sampled rows owe it 2 or 3.
  for (let i = 0; i < 150; i++) rows.push(`${i === 0 ? 'founder' : r.next() < 0.5 ? 'basic' : 'plus'},${(r.next() * 100).toFixed(2)}`);
  writeFileSync(join(tmp, 'tiers.csv'), rows.join('\n') + '\n');
  const cfg = join(tmp, 'tiers.yaml');
  writeFileSync(cfg, 'name: tiers\ndata: { path: tiers.csv }\nsynthesizer: { name: gaussian-copula }\nseed: 1\nrows: 400\nout: out/tiers.csv\n');
  const held = cli(['synthesize', cfg]);
  assert.equal(held.code, 0, held.stderr);
  assert.match(held.stderr, /rare categories \(under 1\.0 % of training rows\) held to their training rate: 1;/);
  const founders = readFileSync(join(tmp, 'out/tiers.csv'), 'utf8').split('\n').filter((l) => l.startsWith('founder,')).length;
  assert.ok(founders === 2 || founders === 3, `founder rows: ${founders}`);
  const off = cli(['synthesize', cfg, '--set', 'rareCategoryShare=0', '--out', 'out/tiers-off.csv']);
  assert.equal(off.code, 0, off.stderr);
  assert.doesNotMatch(off.stderr, /rare categories/);
});
