import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { cleanText, normalizeQuery, readSearchLog, type SearchDataset } from '../../../src/data/index.ts';
import { assertAccounting, tempDir } from '../helpers.ts';

type Kind = 'good' | 'empty-query' | 'empty-title' | 'nul-byte' | 'bad-label' | 'label-out-of-scale' | 'text-too-long';
const KINDS: Kind[] = ['good', 'good', 'good', 'empty-query', 'empty-title', 'nul-byte', 'bad-label', 'label-out-of-scale', 'text-too-long'];

/** Text with the characters that stress a CSV reader: quotes, commas, newlines, emoji, RTL, combining marks. */
const textArb = fc.array(fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '🎄', 'م', '灯', 'e\u0301', '\t', ';', '\u00a0'), { maxLength: 12 }).map((cs) => cs.join(''));

const rowArb = fc.record({ kind: fc.constantFrom(...KINDS), query: textArb, title: textArb, label: fc.integer({ min: 1, max: 3 }) });

const MAX = 40;

function csvCell(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

describe('search log accounting (property)', () => {
  it('rows in = kept + rejected; each row gets the verdict its kind calls for; kept text round-trips', async () => {
    const t = tempDir();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 25 }), async (rows) => {
          // Every query is unique by construction (its index), so duplicates never interfere.
          const cells = rows.map((r, i) => {
            let query = `q${i} ${r.query}`;
            let title = `t ${r.title}`;
            let label = String(r.label);
            if (r.kind === 'empty-query') query = ' \n ';
            if (r.kind === 'empty-title') title = '   ';
            if (r.kind === 'nul-byte') title += '\u0000';
            if (r.kind === 'bad-label') label = 'n/a';
            if (r.kind === 'label-out-of-scale') label = '7';
            if (r.kind === 'text-too-long') title = 'x'.repeat(MAX + 1);
            return { query, title, label, pid: `p${i % 5}-${i}` };
          });
          const path = t.path('log.csv');
          writeFileSync(path, 'query,pid,title,label\n' + cells.map((c) => [c.query, c.pid, c.title, c.label].map(csvCell).join(',')).join('\n') + '\n');
          const opts = { format: 'csv' as const, columns: { query: 'query', productId: 'pid', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 }, maxTextLength: MAX };
          const good = rows.filter((r) => r.kind === 'good').length;
          let d: SearchDataset;
          try {
            d = await readSearchLog(path, opts);
          } catch (e) {
            // Nothing usable is a DataValidationError, and only when no row is good.
            assert.equal(good, 0, String(e));
            return;
          }
          assertAccounting(d.report);
          assert.equal(d.report.rowsIn, rows.length);
          assert.equal(d.report.rowsKept, good);
          const want: Record<string, number> = {};
          for (const r of rows) if (r.kind !== 'good') want[r.kind] = (want[r.kind] ?? 0) + 1;
          assert.deepEqual(d.report.rejectedByCode, want);
          let k = 0;
          rows.forEach((r, i) => {
            if (r.kind !== 'good') return;
            const j = d.judgements[k++]!;
            assert.equal(j.query, cleanText(cells[i]!.query));
            assert.equal(d.products.get(j.productId)!.title, cleanText(cells[i]!.title));
            assert.ok(normalizeQuery(j.query) !== '');
          });
        }),
        { numRuns: 60 },
      );
    } finally {
      t.cleanup();
    }
  });
});
