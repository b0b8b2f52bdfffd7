/**
 * The committed example reports (docs/examples/) rebuild from their folders with the current code:
 * each is a known run kind and renders without a crash (not byte equality: the page names the
 * report's own samplify version, and renderers improve).
 */
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { it } from 'node:test';
import { buildReport } from '../../src/report/index.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../docs/examples');

it('every committed example rebuilds as a known run kind, with its charts', async () => {
  const folders = readdirSync(EXAMPLES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.ok(folders.length >= 2, folders.join(', '));
  for (const name of folders) {
    const r = await buildReport(join(EXAMPLES, name));
    assert.notEqual(r.kind, 'unknown', name);
    assert.doesNotMatch(r.html, /renderer failed/, name);
    assert.ok(r.charts >= 3, `${name}: ${r.charts} charts`);
    // Only what is not committed with the examples may be missing (bench results carry no per-user ranks).
    for (const n of r.notes) assert.match(n.file, /\/ranks\//, `${name}: ${JSON.stringify(n)}`);
  }
});
