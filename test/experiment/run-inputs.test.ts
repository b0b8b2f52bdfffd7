import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ConfigError, DataValidationError } from '../../src/core/index.ts';
import { augmentFile, readAnySynthesizeConfig, runEvaluation, runSynthesis, validateData } from '../../src/experiment/index.ts';
import { synthesizeConfigWithOutput } from '../../src/experiment/synthesize.ts';
import { resolveConfigPath, runOutputDir } from '../../src/experiment/paths.ts';
import { rejectionSummary } from '../../src/experiment/read-summary.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'samplify-run-inputs-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const pop = { model: 'pop' as const };

test('evaluate on data that leaves no evaluable user: a DataValidationError saying why, and no results written', async () => {
  // A CSV log whose rows were all rejected but one: one user with one interaction.
  const csv = join(tmp, 'log.csv');
  writeFileSync(csv, ['user,item,ts', 'u1,i1,1', 'u2,i2', 'u3,i3', 'u4', 'u1,i2,2,extra', '', 'u5,i5'].join('\n') + '\n');
  const out = join(tmp, 'eval-none');
  const lines: string[] = [];
  await assert.rejects(
    runEvaluation({ data: csv, format: 'csv', load: { columns: { user: 'user', item: 'item', timestamp: 'ts' }, rejectedPath: join(out, 'rejected.jsonl') }, model: pop, seeds: [0], out, progress: { line: (l) => void lines.push(l) } }),
    (e: unknown) => {
      assert.ok(e instanceof DataValidationError, String(e));
      assert.match(e.message, /no evaluable users/);
      assert.match(e.message, /at least 3 interactions/);
      assert.match(e.message, /6 of 7 rows were rejected \(column-count: 5, empty-line: 1\)/);
      assert.equal(e.location.file, csv);
      return true;
    },
  );
  assert.ok(!existsSync(join(out, 'results.json')), 'no results.json');
  assert.ok(!existsSync(join(out, 'seeds')), 'no seed results');
  // The rejection summary was printed before: counts per reason and where the rows are.
  assert.ok(lines.includes('6 of 7 rows rejected, by reason:'), lines.join('\n'));
  assert.ok(lines.includes('  column-count: 5'));
  assert.ok(lines.includes('  empty-line: 1'));
  assert.ok(lines.some((l) => /^ {2}e\.g\. column-count: line 3, field '\*': expected 3 fields/.test(l)), lines.join('\n'));
  assert.ok(lines.includes(`rejected rows written to ${join(out, 'rejected.jsonl')}`));
});

test('the rejection summary: nothing when nothing was rejected; how to keep the rows when they were not written', () => {
  const base = { file: 'f.csv', rowsIn: 10, rowsKept: 10, rowsRejected: 0, rejectedByCode: {}, sample: [] };
  assert.deepEqual(rejectionSummary(base), []);
  const some = { ...base, rowsKept: 7, rowsRejected: 3, rejectedByCode: { 'invalid-utf8': 2, 'bad-id': 1 }, sample: [{ file: 'f.csv', line: 4, field: '*', code: 'invalid-utf8', reason: 'line is not valid UTF-8' }] };
  assert.deepEqual(rejectionSummary(some), [
    '3 of 10 rows rejected, by reason:',
    '  invalid-utf8: 2',
    '  bad-id: 1',
    "  e.g. invalid-utf8: line 4, field '*': line is not valid UTF-8",
    'invalid-utf8 rows usually mean the file is in another text encoding (latin-1): the csv/tsv/jsonl readers take encoding latin1',
    'rejected rows were not kept; --rejected <file> (data.rejected in a config) writes them with line, field and reason',
  ]);
});

test('evaluate and validate print per-reason counts when some rows of a usable file are rejected', async () => {
  const seqs = join(tmp, 'mixed.txt');
  const good = Array.from({ length: 12 }, (_, u) => `${u + 1} ${[1, 2, 3, 4, 5].map((k) => 1 + ((u + k * 3) % 9)).join(' ')}`);
  writeFileSync(seqs, [...good, 'x 1 2', '13', ''].join('\n') + '\n');
  const lines: string[] = [];
  await runEvaluation({ data: seqs, format: 'seqtxt', model: pop, seeds: [0], out: join(tmp, 'eval-mixed'), progress: { line: (l) => void lines.push(l) } });
  assert.ok(lines.includes('3 of 15 rows rejected, by reason:'), lines.join('\n'));
  assert.ok(lines.some((l) => /^ {2}bad-id: 1$/.test(l)) && lines.some((l) => /^ {2}too-few-tokens: 1$/.test(l)) && lines.some((l) => /^ {2}empty-line: 1$/.test(l)), lines.join('\n'));
  const v = await validateData(seqs, 'seqtxt');
  assert.match(v.text, /3 of 15 rows rejected, by reason:\n {2}bad-id: 1\n {2}empty-line: 1\n {2}too-few-tokens: 1/);
});

test('results.json dataset.interactions counts interactions, not lines, for sequence text', async () => {
  const seqs = join(tmp, 'lines.txt');
  writeFileSync(seqs, Array.from({ length: 10 }, (_, u) => `${u + 1} ${Array.from({ length: 4 + (u % 3) }, (_, k) => 1 + ((u * 5 + k) % 20)).join(' ')}`).join('\n') + '\n');
  const r = await runEvaluation({ data: seqs, format: 'seqtxt', model: pop, seeds: [0], out: join(tmp, 'eval-count') });
  const total = Array.from({ length: 10 }, (_, u) => 4 + (u % 3)).reduce((a, b) => a + b, 0);
  assert.equal(r.dataset['interactions'], total);
  assert.equal(r.dataset['rowsIn'], 10);
  assert.equal(JSON.parse(readFileSync(join(tmp, 'eval-count', 'results.json'), 'utf8')).dataset.interactions, total);
});

test('augment reports a missing pipeline file before reading any data', async () => {
  const lines: string[] = [];
  await assert.rejects(
    augmentFile({ data: join(tmp, 'no-such-data.txt'), format: 'seqtxt', pipeline: join(tmp, 'no-such-pipeline.yaml'), views: 1, seed: 0, out: join(tmp, 'aug', 'x.jsonl'), progress: { line: (l) => void lines.push(l) } }),
    (e: unknown) => e instanceof ConfigError && /pipeline file not found/.test(e.message),
  );
  assert.deepEqual(lines, [], 'nothing was read');
  // A pipeline naming an attributes file that does not exist: a ConfigError too, before the data.
  const p = join(tmp, 'attr-pipeline.yaml');
  writeFileSync(p, 'version: 1\nresources: { attributes: missing-attrs.json }\nsteps:\n  - op: crop\n    ratio: 0.5\n');
  await assert.rejects(
    augmentFile({ data: join(tmp, 'no-such-data.txt'), format: 'seqtxt', pipeline: p, views: 1, seed: 0, out: join(tmp, 'aug', 'y.jsonl') }),
    (e: unknown) => e instanceof ConfigError && e.location.field === 'resources.attributes',
  );
});

test('synthesize: config paths are relative to the config file; --out puts the model beside the new output', async () => {
  const dir = join(tmp, 'cfgdir');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'rows.csv'), ['a,c,b', ...Array.from({ length: 60 }, (_, i) => `${((i * 37) % 101) / 7},${(i * 13) % 29},${i % 2 ? 'x' : 'y'}`)].join('\n') + '\n');
  const cfg = join(dir, 'synth.yaml');
  writeFileSync(cfg, 'data: { path: rows.csv }\nsynthesizer: { name: gaussian-copula }\nrows: 20\nout: out/rows.csv\nmodel: models/fitted.json\n');
  const { config, baseDir } = readAnySynthesizeConfig(cfg);
  assert.equal(config.kind, 'table');
  assert.equal(resolve(config.config.out), join(dir, 'out', 'rows.csv'), 'out is relative to the config file');
  assert.equal(resolve(config.config.model!), join(dir, 'models', 'fitted.json'));
  // As written by the config: its model path.
  const a = await runSynthesis({ config: config.kind === 'table' ? config.config : (undefined as never), baseDir });
  assert.ok(existsSync(join(dir, 'out', 'rows.csv')) && existsSync(join(dir, 'models', 'fitted.json')));
  rmSync(join(dir, 'models'), { recursive: true });
  // With an output from the command line: every file beside it, the config's model path untouched.
  const other = join(tmp, 'elsewhere', 'copy.csv');
  const moved = synthesizeConfigWithOutput(config, other);
  assert.equal(moved.kind, 'table');
  const b = await runSynthesis({ config: moved.kind === 'table' ? moved.config : (undefined as never), baseDir });
  assert.equal(b.model, join(tmp, 'elsewhere', 'copy.model.json'));
  assert.equal(b.provenance, join(tmp, 'elsewhere', 'copy.provenance.json'));
  assert.ok(existsSync(b.model) && existsSync(other));
  assert.ok(!existsSync(join(dir, 'models')), "the config's model path is not written");
  assert.equal(readFileSync(other, 'utf8'), readFileSync(a.out, 'utf8'), 'same seed, same rows');
});

test('resolveConfigPath: absolute paths kept; relative ones against the config folder, short when under the working directory', () => {
  assert.equal(resolveConfigPath('/somewhere', '/abs/x.json'), '/abs/x.json');
  assert.equal(resolveConfigPath(process.cwd(), 'out/x.csv'), join('out', 'x.csv'));
  assert.equal(resolveConfigPath(join(process.cwd(), 'examples'), 'runs/a'), join('examples', 'runs', 'a'));
  const outside = resolveConfigPath(tmp, 'o.csv');
  assert.equal(resolve(outside), join(tmp, 'o.csv'));
  assert.ok(relative(root, outside) !== 'o.csv');
});

test('seed results written before the run store (fingerprint as a JSON string) are still reused', async () => {
  const seqs = join(tmp, 'legacy.txt');
  writeFileSync(seqs, Array.from({ length: 12 }, (_, u) => `${u + 1} ${Array.from({ length: 5 }, (_, k) => 1 + ((u * 3 + k) % 11)).join(' ')}`).join('\n') + '\n');
  const out = join(tmp, 'eval-legacy');
  const first = await runEvaluation({ data: seqs, format: 'seqtxt', model: pop, seeds: [0], out });
  const file = join(out, 'seeds', 'seed0.json');
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { fingerprint: Record<string, unknown>; result: unknown };
  assert.equal(typeof saved.fingerprint, 'object', 'new records keep the fingerprint readable');
  // The older shape: the same fields, as a JSON string.
  writeFileSync(file, JSON.stringify({ fingerprint: JSON.stringify(saved.fingerprint), result: { ...(saved.result as object), fitSeconds: 12345 } }));
  const lines: string[] = [];
  const again = await runEvaluation({ data: seqs, format: 'seqtxt', model: pop, seeds: [0], out, progress: { line: (l) => void lines.push(l) } });
  assert.ok(lines.some((l) => l.startsWith('seed 0: already done')), lines.join('\n'));
  assert.equal(again.seeds[0]!.fitSeconds, 12345, 'the saved result, not a rerun');
  assert.deepEqual(again.test, first.test);
});

test('evaluate reports a bad model spec before reading the data', async () => {
  const lines: string[] = [];
  await assert.rejects(
    runEvaluation({ data: join(tmp, 'no-such-data.txt'), format: 'seqtxt', model: { model: 'no-such-model' } as never, seeds: [0], out: join(tmp, 'eval-bad-model'), progress: { line: (l) => void lines.push(l) } }),
    (e: unknown) => e instanceof ConfigError && /no-such-model/.test(e.message),
  );
  assert.deepEqual(lines, []);
});

test('runOutputDir: --out as given, else the config\'s out against the config folder, else runs/<name>', () => {
  const baseDir = join(tmp, 'configs');
  assert.equal(runOutputDir({ cliOut: 'here', configOut: 'there', baseDir, name: 'n' }), 'here');
  assert.equal(resolve(runOutputDir({ configOut: 'there', baseDir, name: 'n' })), join(baseDir, 'there'));
  assert.equal(runOutputDir({ baseDir, name: 'n' }), join('runs', 'n'));
});
