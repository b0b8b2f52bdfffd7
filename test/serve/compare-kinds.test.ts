/**
 * The workbench's compare view sets the headline numbers of any two runs of a kind side by side —
 * lift, evaluate, recipe, search, table and history synthesis, CTR, cold-start, few-label images
 * and titles, benchmark — read through the run kind: a copy of each run with one headline number raised by
 * 0.1 shows that number in both columns and Δ = +0.1000.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { createWorkbenchApp } from '../../src/serve/index.ts';
import { CASES } from '../report/kind-folders.ts';
import { tempFolder } from '../temp-folders.ts';

/** The kinds whose headline number lives at a JSON path (an augment-images folder's counts come from its manifest lines). */
const WITH_HEADLINE = CASES.filter((c) => c.headline !== undefined);

describe('compare: the headline numbers of every run kind', () => {
  const runs = tempFolder('wb-compare-kinds-');
  const app = createWorkbenchApp({ runs });
  const original = new Map<string, number>();
  before(async () => {
    for (const c of WITH_HEADLINE) {
      const a = join(runs, `${c.kind}-a`);
      mkdirSync(a, { recursive: true });
      await c.make(a);
      const b = join(runs, `${c.kind}-b`);
      cpSync(a, b, { recursive: true });
      // Raise the one headline number in b's record.
      const h = c.headline!;
      const file = join(b, h.file);
      const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      let at = doc as Record<string | number, unknown>;
      for (const k of h.path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
      const last = h.path.at(-1)!;
      assert.equal(typeof at[last], 'number', `${c.kind}: ${h.path.join('.')} is a number`);
      original.set(c.kind, at[last] as number);
      at[last] = (at[last] as number) + 0.1;
      writeFileSync(file, JSON.stringify(doc));
    }
  });

  for (const c of WITH_HEADLINE) {
    it(`${c.kind}: '${c.headline!.name}' in both columns, Δ +0.1`, async () => {
      const res = await app.request(`/compare?a=${c.kind}-a&b=${c.kind}-b`);
      assert.equal(res.status, 200);
      const page = await res.text();
      assert.match(page, new RegExp(`data-testid="compare-kinds">${c.kind}-a: ${c.kind} · ${c.kind}-b: ${c.kind}<`));
      const table = page.slice(page.indexOf('data-testid="compare-metrics"'), page.indexOf('</table>', page.indexOf('data-testid="compare-metrics"')));
      const rows = [...table.matchAll(/<tr><td>([^<]*)<\/td><td class="num">([^<]*)<\/td><td class="num">([^<]*)<\/td><td class="num">([^<]*)<\/td><\/tr>/g)].map((m) => ({ name: m[1]!.replace(/&amp;/g, '&'), a: m[2]!, b: m[3]!, delta: m[4]! }));
      const row = rows.find((r) => r.name === c.headline!.name);
      assert.ok(row, `${c.kind}: no row '${c.headline!.name}' among ${rows.map((r) => r.name).join(' | ')}`);
      const v = original.get(c.kind)!;
      assert.equal(row.a, v.toFixed(4));
      assert.equal(row.b, (v + 0.1).toFixed(4));
      assert.equal(row.delta, '0.1000');
      // Every other headline number is the same in both runs.
      for (const r of rows) if (r !== row) assert.equal(r.delta, r.a === '—' || r.b === '—' ? '—' : '0.0000', `${c.kind}: ${r.name}`);
    });
  }
});
