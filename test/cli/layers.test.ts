/**
 * The layered config of every command: defaults < config file < command line (flags and --set);
 * unknown keys and bad values are ConfigErrors (exit 2) naming the key path, before any work;
 * settings (--threads, --backend, settings.*) are parsed with the rest; help marks what is
 * required. In-process through buildProgram (fast), plus two runs of the real executable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../src/core/index.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(import.meta.dirname, '..', '..');
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command in this process (what it prints goes to the test log). */
async function run(args: string[]): Promise<void> {
  await buildProgram().parseAsync(['node', 'samplify', ...args]);
}

async function configError(args: string[], field: string, message?: RegExp): Promise<void> {
  await assert.rejects(run(args), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.location.field, field, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const tmp = tempFolder('samplify-layers-');
const data = join(tmp, 'seqs.txt');
writeFileSync(data, Array.from({ length: 30 }, (_, u) => `${u + 1} ${Array.from({ length: 6 }, (_, k) => 1 + ((u * 3 + k * 5) % 25)).join(' ')}`).join('\n') + '\n');

test('evaluate: --set is the same layer as the flags (later wins) and reaches any key', async () => {
  const out = join(tmp, 'pop');
  await run(['evaluate', '--data', data, '--model', 'pop', '--seeds', '1', '--set', 'seeds=2', '--set', 'seed=4', '--out', out]);
  const j = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { seeds: { seed: number }[] };
  assert.deepEqual(j.seeds.map((s) => s.seed), [4, 5]);
});

test('a typo in model params, an unknown key or a bad value is a ConfigError naming the key path, before any work', async () => {
  const out = join(tmp, 'typo');
  await configError(['evaluate', '--data', data, '--model', 'sasrec', '--set', 'model.config.hiden=3', '--out', out], 'model.config.hiden', /Unrecognized key 'hiden'; allowed keys: hidden, blocks, heads/);
  await configError(['evaluate', '--data', data, '--model', 'sasrec', '--set', 'model.trainer.lr=-1', '--out', out], 'model.trainer.lr');
  await configError(['evaluate', '--data', data, '--model', 'pop', '--set', 'sedes=3', '--out', out], 'sedes', /allowed keys: data, model, seeds/);
  await configError(['evaluate', '--data', data, '--model', 'pop', '--set', 'seeds=many', '--out', out], 'seeds');
  await configError(['evaluate', '--model', 'pop', '--out', out], 'data');
  await configError(['evaluate', '--data', data, '--model', 'pop', '--set', 'seeds', '--out', out], '--set', /key\.path=value/);
  await configError(['augment', '--data', data, '--pipeline', 'p.yaml', '--set', 'veiws=2', '--out', join(tmp, 'a.jsonl')], 'veiws');
  await configError(['validate', '--data', data, '--set', 'data.colums.user=u'], 'data.colums');
  await configError(['benchmark', '--set', 'quik=true'], 'quik');
  assert.equal(existsSync(out), false, 'nothing was written');
});

test('settings: --set settings.* is validated with the config and names its key', async () => {
  const out = join(tmp, 's');
  await configError(['evaluate', '--data', data, '--model', 'pop', '--set', 'settings.threads=0', '--out', out], 'settings.threads');
  await configError(['evaluate', '--data', data, '--model', 'pop', '--set', 'settings.backend=gpu', '--out', out], 'settings.backend');
  await configError(['evaluate', '--data', data, '--model', 'pop', '--set', 'settings.thread=1', '--out', out], 'settings.thread', /allowed keys: threads, backend/);
  assert.equal(existsSync(out), false);
});

test('config-file commands: file < --set; synthesizer params typos fail at parse time naming synthesizer.params.<key>', async () => {
  const cfg = join(tmp, 'markov.yaml');
  writeFileSync(cfg, `data: { path: ${data} }\nsynthesizer: { name: markov }\nseed: 0\nhistories: 5\nout: ${join(tmp, 'users.jsonl')}\n`);
  await configError(['synthesize', cfg, '--set', 'synthesizer.params.epochs=3'], 'synthesizer.params.epochs', /Unrecognized key 'epochs'; allowed keys: noRepeat/);
  const out = join(tmp, 'users-set.jsonl');
  await run(['synthesize', cfg, '--set', `out=${out}`, '--set', 'histories=7', '--set', 'synthesizer.params.noRepeat=false']);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 7);
  assert.equal(existsSync(join(tmp, 'users.jsonl')), false, "the config file's out was overridden");
  const lift = join(root, 'examples/experiments/beauty-lift.yaml');
  await configError(['experiment', lift, '--set', 'model.config.hiden=2'], 'model.config.hiden');
  await configError(['experiment', lift, '--set', 'arms[0].veiws=2'], 'arms[0].veiws');
  await configError(['experiment', lift, '--set', 'arms[0].pipeline={steps: [{op: crop, ratoi: 0.5}]}'], 'ratoi');
  await configError(['experiment', lift, '--set', 'arms[3]={name: users, synthesize: {model: markov, config: {noRepeet: true}}}'], 'arms[3].synthesize.config.noRepeet');
  const cold = join(root, 'examples/experiments/beauty-cold-start.yaml');
  await configError(['cold-start', cold, '--set', 'model.trainer.evalEvry=2'], 'model.trainer.evalEvry');
  await configError(['ctr', join(root, 'examples/experiments/ml100k-ctr.yaml'), '--set', 'sedes=1'], 'sedes');
  await configError(['synthesize', join(root, 'examples/synth/shop-events-autoregressive.yaml'), '--set', 'synthesizer.params.network.hiden=2'], 'synthesizer.params.network.hiden');
});

test('help: required options are marked, every command takes --set/--threads/--backend, the top level lists examples and exit codes', () => {
  const program = buildProgram();
  const top = program.helpInformation() + cli(['--help']).stdout;
  assert.match(top, /Examples:/);
  assert.match(top, /--set synthesizer\.params\.epochs=/);
  for (const code of ['0', '1', '2', '3', '4', '130']) assert.match(top, new RegExp(`^\\s+${code}\\s+\\S`, 'm'), `exit code ${code} listed`);
  const evaluate = program.commands.find((c) => c.name() === 'evaluate')!.helpInformation().replace(/\n\s+/g, ' ');
  for (const flag of ['--data', '--model', '--out']) assert.match(evaluate, new RegExp(`${flag} <\\w+>[^-]*\\(required`), `${flag} marked required`);
  for (const cmd of program.commands) {
    const h = cmd.helpInformation();
    for (const flag of ['--set <key.path=value>', '--threads <n>', '--backend <name>']) assert.ok(h.includes(flag), `${cmd.name()} takes ${flag}`);
  }
});

test('the executable: a config error is exit 2 with one line naming the key', () => {
  const r = cli(['evaluate', '--data', data, '--model', 'sasrec', '--set', 'model.config.hiden=3', '--out', join(tmp, 'x')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ConfigError: field 'model\.config\.hiden': Unrecognized key 'hiden'; allowed keys: hidden/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
