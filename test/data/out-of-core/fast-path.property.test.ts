import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { RejectionSink } from '../../../src/data/rejections.ts';
import { ChunkWriter, RepeatFilter, stageRows, type StageOptions } from '../../../src/data/out-of-core/stage.ts';
import type { ColumnNames } from '../../../src/data/index.ts';
import { tempDir } from '../helpers.ts';

const t = tempDir();
after(() => t.cleanup());
let n = 0;

/** Stages `content` with and without the byte-level fast path; returns what each wrote. */
async function both(content: string, o: Omit<StageOptions, 'fastPath'>, filterBitsLog2 = 6) {
  const p = t.path(`in${++n}.txt`);
  writeFileSync(p, content);
  const run = async (fastPath: boolean) => {
    const rejected = t.path(`rej${n}-${fastPath}.jsonl`);
    const stage = t.path(`stage${n}-${fastPath}.tsv`);
    const suspects = t.path(`suspects${n}-${fastPath}.tsv`);
    const sink = new RejectionSink(p, rejected);
    // By default a 64-bit repeated-key filter: most repeated keys and many others become suspects, so both paths' suspects files are compared too.
    const r = await stageRows(p, { ...o, fastPath, filterBitsLog2 }, sink, stage, suspects).catch((e: Error) => e.message);
    sink.finish();
    const suspected = typeof r !== 'string' && o.columns.timestamp !== undefined ? readFileSync(suspects, 'utf-8') : '';
    return { r, staged: readFileSync(stage, 'utf-8'), rejected: typeof r === 'string' ? '' : readFileSync(rejected, 'utf-8'), suspected };
  };
  return { fast: await run(true), general: await run(false) };
}

// Values chosen to sit on either side of every fast-path condition: leading zeros, 15/16 and 18/19 digits,
// quotes, spaces, CR, tabs, backslashes, non-ASCII, control characters, empty fields, the header.
const plain = fc.constantFrom('7', '12', 'a', 'B-9', 'click', 'buy', '1428964621');
const edgy = fc.constantFrom('0', '007', '00', '123456789012345', '1234567890123456', '123456789012345678', '1234567890123456789', '', 'L'.repeat(512), 'L'.repeat(513), 'user', 'item', 'ts', 'ev');
const odd = fc.constantFrom('x y', ' z', '"q"', '"a,b"', '"', 'é', '\\', '\t', '\r', '\u0001', '', '1.5', '-3', '1e3', 'NaN', '2016-01-01');
const piece = fc.oneof({ weight: 5, arbitrary: plain }, { weight: 2, arbitrary: edgy }, { weight: 2, arbitrary: odd });
const field = fc.array(piece, { minLength: 1, maxLength: 2 }).map((p) => p.join(''));

function lines(sep: string, header: string[]) {
  const width = header.length;
  const row = fc.oneof(
    { weight: 10, arbitrary: fc.array(field, { minLength: width, maxLength: width }).map((f) => f.join(sep)) },
    { weight: 1, arbitrary: fc.array(field, { minLength: 0, maxLength: width + 1 }).map((f) => f.join(sep)) },
    { weight: 1, arbitrary: fc.constant(header.join(sep)) },
  );
  return fc.array(row, { minLength: 1, maxLength: 30 });
}

describe('the CSV/TSV fast path writes exactly what the general path writes', () => {
  const cases: { name: string; sep: string; format: 'csv' | 'tsv'; header: string[]; columns: ColumnNames; extra?: Partial<StageOptions> }[] = [
    { name: 'csv, token ids, timestamps', sep: ',', format: 'csv', header: ['user', 'item', 'ts'], columns: { user: 'user', item: 'item', timestamp: 'ts' } },
    { name: 'csv, integer ids, no timestamp', sep: ',', format: 'csv', header: ['item', 'user'], columns: { user: 'user', item: 'item' }, extra: { idType: 'integer' } },
    { name: 'csv, token ids, no timestamp', sep: ',', format: 'csv', header: ['user', 'item'], columns: { user: 'user', item: 'item' } },
    { name: 'tsv, event column without an allowed list', sep: '\t', format: 'tsv', header: ['ev', 'user', 'item'], columns: { user: 'user', item: 'item', eventType: 'ev' } },
    { name: 'tsv, event types', sep: '\t', format: 'tsv', header: ['user', 'ev', 'item', 'ts'], columns: { user: 'user', item: 'item', timestamp: 'ts', eventType: 'ev' }, extra: { eventTypes: ['click', 'buy', 'a'] } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await fc.assert(
        fc.asyncProperty(lines(c.sep, c.header), fc.boolean(), async (rows, crlf) => {
          const eol = crlf ? '\r\n' : '\n';
          const content = [c.header.join(c.sep), ...rows].join(eol) + eol;
          const { fast, general } = await both(content, { format: c.format, columns: c.columns, ...c.extra });
          if (typeof fast.r === 'string' || typeof general.r === 'string') assert.equal(fast.r, general.r);
          else assert.deepEqual({ ...fast.r, fastRows: 0 }, general.r);
          assert.equal(fast.staged, general.staged);
          assert.equal(fast.rejected, general.rejected);
          assert.equal(fast.suspected, general.suspected);
        }),
        { numRuns: 40 },
      );
    });
  }
  it('takes the fast path for plain rows (a plain log stages without the general path)', async () => {
    const rows = ['user,item,ts', ...Array.from({ length: 50 }, (_, i) => `u${i % 7},${i},${1000 + i}`)];
    const { fast, general } = await both(rows.join('\n') + '\n', { format: 'csv', columns: { user: 'user', item: 'item', timestamp: 'ts' } });
    assert.equal(fast.staged, general.staged);
    assert.equal(fast.staged.split('\n')[0], '2\tu0\t0\t1000\t');
    assert.equal(typeof fast.r !== 'string' && fast.r.fastRows, 50);
    assert.equal(typeof general.r !== 'string' && general.r.fastRows, 0);
  });
});

describe('the bulk fast path over whole read chunks', () => {
  // Lines of 32 bytes, so that line ends fall on the 1 MiB read-chunk boundaries: the first boundary
  // right after a line's \n, the second (after one 33-byte line) between a line's \r and its \n.
  const CHUNK = 1 << 20;
  const lines: string[] = ['user,item,timestamp,padpadpadpa\n'];
  for (let j = 1; j < 70_000; j++) {
    const crlf = j % 5 === 0 || j === 65_535;
    let user = String(100_000 + (j % 5000));
    const item = String(100_000 + ((j * 7) % 9000));
    let ts = String(1_400_000_000 + (j >> 1));
    // Every 50th row repeats the one before (a duplicate); some rows need the general path.
    if (j % 50 === 0) [user, ts] = [String(100_000 + ((j - 1) % 5000)), String(1_400_000_000 + ((j - 1) >> 1))];
    const itemOf = j % 50 === 0 ? String(100_000 + (((j - 1) * 7) % 9000)) : item;
    if (j % 97 === 0) ts = `${ts.slice(0, 8)}x${ts.slice(9)}`;
    if (j % 89 === 0) user = `"${user.slice(2)}"`;
    const head = `${user},${itemOf},${ts},`;
    const width = (j === 32_768 ? 33 : 32) - (crlf ? 2 : 1);
    lines.push(`${head}${'p'.repeat(width - head.length)}${crlf ? '\r\n' : '\n'}`);
  }
  const content = lines.join('');

  it('stages, rejects and lists suspects exactly as the general path', async () => {
    assert.equal(content[CHUNK - 1], '\n');
    assert.equal(content.slice(2 * CHUNK - 1, 2 * CHUNK + 1), '\r\n');
    for (const bits of [undefined, 6]) {
      const { fast, general } = await both(content, { format: 'csv', columns: { user: 'user', item: 'item', timestamp: 'timestamp' } }, bits);
      assert.ok(typeof fast.r !== 'string' && typeof general.r !== 'string');
      assert.deepEqual({ ...fast.r, fastRows: 0 }, general.r);
      // Every row but the quoted, bad and chunk-straddling ones took the fast path.
      assert.ok(fast.r.fastRows > 0.97 * fast.r.rowsIn, `fast rows ${fast.r.fastRows} of ${fast.r.rowsIn}`);
      assert.ok(fast.r.suspects >= 1300);
      assert.equal(fast.staged, general.staged);
      assert.equal(fast.rejected, general.rejected);
      assert.equal(fast.suspected, general.suspected);
    }
  });
});

describe('the repeated-key filter', () => {
  it('lists every staged row whose key repeats an earlier one (false positives allowed, misses never)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('1', '2', '7', 'u9', 'é'), fc.constantFrom('5', '6', 'x'), fc.integer({ min: 0, max: 6 })), { minLength: 1, maxLength: 60 }), fc.integer({ min: 5, max: 12 }), async (rows, bits) => {
        const p = t.path(`keys${++n}.csv`);
        writeFileSync(p, ['u,i,ts', ...rows.map((r) => r.join(','))].join('\n') + '\n');
        const suspects = t.path(`keys${n}-suspects.tsv`);
        const sink = new RejectionSink(p);
        const r = await stageRows(p, { format: 'csv', columns: { user: 'u', item: 'i', timestamp: 'ts' }, filterBitsLog2: bits }, sink, t.path(`keys${n}.tsv`), suspects);
        // Suspect rows are moved out of the staging file: `line \t key`, and each kept row is in exactly one of the two files.
        const listedRows = readFileSync(suspects, 'utf-8').split('\n').filter((l) => l !== '');
        const stagedRows = readFileSync(t.path(`keys${n}.tsv`), 'utf-8').split('\n').filter((l) => l !== '');
        assert.equal(r.suspects, listedRows.length);
        assert.equal(r.staged, stagedRows.length + listedRows.length);
        const lineOf = (row: string): number => Number(row.slice(0, row.indexOf('\t')));
        assert.deepEqual([...stagedRows, ...listedRows].map(lineOf).sort((a, b) => a - b), Array.from({ length: rows.length }, (_, k) => k + 2));
        for (const f of [stagedRows, listedRows]) assert.deepEqual(f.map(lineOf), f.map(lineOf).sort((a, b) => a - b), 'each file keeps file order');
        const listed = listedRows.map((l) => l.slice(l.indexOf('\t') + 1));
        // Each row whose key appeared before must be listed (as many times as it repeats, at least).
        const seen = new Set<string>();
        const repeats = new Map<string, number>();
        for (const [u, i, ts] of rows) {
          const key = `${u}\t${i}\t${ts}\t`;
          if (seen.has(key)) repeats.set(key, (repeats.get(key) ?? 0) + 1);
          seen.add(key);
        }
        const listedCount = new Map<string, number>();
        for (const l of listed) listedCount.set(l, (listedCount.get(l) ?? 0) + 1);
        for (const [key, c] of repeats) assert.ok((listedCount.get(key) ?? 0) >= c, `key ${JSON.stringify(key)} repeats ${c}×, listed ${listedCount.get(key) ?? 0}×`);
        for (const l of listed) assert.ok(seen.has(l), `listed key ${JSON.stringify(l)} was never staged`);
      }),
      { numRuns: 60 },
    );
  });

  it('a large filter (resizable storage) finds the repeats and hands its memory back when released', async () => {
    const p = t.path('large-filter.csv');
    writeFileSync(p, 'u,i,ts\n1,5,1\n2,5,1\n1,5,1\n1,5,2\n2,5,1\n');
    const suspects = t.path('large-filter-suspects.tsv');
    // 2^28 bits: the smallest size kept in a resizable buffer; five keys in it collide with nothing.
    const r = await stageRows(p, { format: 'csv', columns: { user: 'u', item: 'i', timestamp: 'ts' }, filterBitsLog2: 28 }, new RejectionSink(p), t.path('large-filter.tsv'), suspects);
    assert.equal(r.suspects, 2);
    assert.equal(readFileSync(suspects, 'utf-8'), '4\t1\t5\t1\t\n6\t2\t5\t1\t\n');
    const staging = new ChunkWriter(t.path('release.tsv'));
    const out = new ChunkWriter(t.path('release-suspects.tsv'));
    const filter = new RepeatFilter(28, staging, out);
    assert.equal(filter.heldBytes, 2 ** 25);
    filter.release();
    assert.equal(filter.heldBytes, 0);
    staging.close();
    out.close();
  });
});
