/**
 * A config with several problems shows every one, each at its key path: on the terminal (the CLI's
 * error lines) and in the workbench's launch check — not the first one and "and N more". The
 * launch form in chromium lists the same three problems: test/serve/workbench.test.ts (it shares
 * that file's browser and server).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseWithSchema } from '../../src/core/index.ts';
import { validateLaunch } from '../../src/serve/index.ts';
import { SAMPLE } from '../report/fixtures.ts';
import { tempFolder } from '../temp-folders.ts';
import { z } from 'zod';

const root = resolve(import.meta.dirname, '..', '..');

/** Three problems: a value out of range, one inside a list, an unknown key. */
const BAD = `name: bad\ndata: { path: ${SAMPLE}, format: seqtxt }\nmodel: { model: pop }\nseeds: 0\nepochz: 3\narms: [{ name: a, views: -1, pipeline: { version: 1, steps: [{ op: crop, ratio: 0.8 }] } }]\n`;
const FIELDS = ['seeds', 'arms[0].views', 'epochz'];

describe('every config problem, with its key path', () => {
  it('a ConfigError from a schema carries every problem; a plain one is its own single problem', () => {
    const e = (() => {
      try {
        parseWithSchema(z.object({ a: z.number(), b: z.object({ c: z.string() }) }).strict(), { a: 'x', b: { c: 1 }, d: 0 }, { prefix: ['top'] });
      } catch (x) {
        return x as ConfigError;
      }
      throw new Error('no error');
    })();
    assert.deepEqual(e.problems.map((p) => p.field), ['top.a', 'top.b.c', 'top.d']);
    assert.ok(!e.describe().includes('\n'), 'describe() stays one line');
    const lines = e.describeAll().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /field 'top\.a'.*\(and 2 more problems\)$/);
    assert.match(lines[1]!, /^ {2}field 'top\.b\.c': /);
    assert.match(lines[2]!, /^ {2}field 'top\.d': Unrecognized key 'd'/);
    const single = new ConfigError('bad seed', { field: 'seed' });
    assert.deepEqual(single.problems, [{ field: 'seed', message: 'bad seed' }]);
    assert.equal(single.describeAll(), "ConfigError: field 'seed': bad seed");
  });

  it('the terminal shows each problem on its own line (samplify experiment, exit 2)', () => {
    const dir = tempFolder('config-problems-cli-');
    writeFileSync(join(dir, 'bad.yaml'), BAD);
    const r = spawnSync(process.execPath, [join(root, 'scripts/samplify-src.mjs'), 'experiment', join(dir, 'bad.yaml'), '--out', join(dir, 'run')], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    for (const f of FIELDS) assert.match(r.stderr, new RegExp(`field '${f.replace(/[[\].]/g, '\\$&')}': `), `${f} in:\n${r.stderr}`);
    assert.ok(!existsSync(join(dir, 'run', 'results.json')));
  });

  it('a launch is refused for a run name that would leave the runs folder or exists, and for text that is not YAML; the form says so and nothing is written', async () => {
    const { createWorkbenchApp } = await import('../../src/serve/index.ts');
    const { mkdirSync, readdirSync } = await import('node:fs');
    const runs = tempFolder('config-problems-names-');
    mkdirSync(join(runs, 'taken'));
    const good = BAD.replace('seeds: 0\nepochz: 3\n', 'seeds: 1\n').replace('views: -1, ', '');
    assert.deepEqual(validateLaunch(runs, 'fine', good).problems, [], 'the config itself is valid');
    for (const name of ['../escape', 'a/b', '', '.hidden', '..', 'x'.repeat(101), 'taken']) {
      const problems = validateLaunch(runs, name, good).problems;
      assert.deepEqual(problems.map((p) => p.field), ['name'], `${JSON.stringify(name)}: ${JSON.stringify(problems)}`);
    }
    assert.match(validateLaunch(runs, 'taken', good).problems[0]!.message, /exists already/);
    const yaml = validateLaunch(runs, 'fine', 'name: [unclosed').problems;
    assert.equal(yaml.length, 1);
    assert.match(yaml[0]!.message, /^not valid YAML/);
    // Through the form: the page again with the problem, no folder made anywhere.
    const app = createWorkbenchApp({ runs });
    const res = await app.request('/new', { method: 'POST', body: new URLSearchParams({ name: '../escape', config: good }) });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /data-testid="errors"><li><code>name<\/code>: letters, digits/);
    assert.deepEqual(readdirSync(runs), ['taken']);
    assert.ok(!existsSync(join(runs, '..', 'escape')));
  });

  it('the launch check returns every problem at its key path', () => {
    const problems = validateLaunch(tempFolder('config-problems-launch-'), 'bad', BAD).problems;
    assert.deepEqual(problems.map((p) => p.field).sort(), [...FIELDS].sort());
    assert.ok(problems.every((p) => !/more problem/.test(p.message)), JSON.stringify(problems));
  });
});
