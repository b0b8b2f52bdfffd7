import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import {
  derivedProductId,
  jsonlToParquet,
  loadSearchDataset,
  readCrowdFlower,
  readHomeDepot,
  readProductTitles,
  readSearchLog,
  withDuckDB,
  type SearchDataset,
} from '../../../src/data/index.ts';
import { assertAccounting, assertRejectedFile, expectDataError, repoRoot, tempDir } from '../helpers.ts';

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/search', name);

/** Rejections as "line code field", sorted by line, for exact comparison. */
function rejections(d: SearchDataset): string[] {
  return d.report.sample
    .map((r) => `${r.line} ${r.code} ${r.field}`)
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || (a < b ? -1 : 1));
}

async function expectConfigError(p: Promise<unknown>, field: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
  assert.match(err.location.field ?? '', field);
}

describe('readHomeDepot on a latin-1 fixture', () => {
  it('decodes latin-1, keeps the good rows and rejects each bad one with line, field and code', async () => {
    const t = tempDir();
    try {
      const d = await readHomeDepot(fixture('homedepot-latin1.csv'), { rejectedPath: t.path('rejected.jsonl') });
      assertAccounting(d.report);
      assert.equal(d.report.rowsIn, 14);
      assert.equal(d.report.rowsKept, 4);
      assert.deepEqual(rejections(d), [
        '4 conflicting-label relevance',
        '5 conflicting-label relevance',
        '7 duplicate *',
        '8 empty-query search_term',
        '9 empty-title product_title',
        '10 label-out-of-scale relevance',
        '11 bad-label relevance',
        '12 nul-byte product_title',
        '13 column-count *',
        '14 empty-query search_term',
      ]);
      assert.equal(assertRejectedFile(t.path('rejected.jsonl'), d.report).length, 10);
      // latin-1 bytes become the right characters, never mojibake.
      assert.equal(d.products.get('100001')?.title, 'Café Table 30° Round');
      assert.deepEqual(
        d.judgements.map((j) => [j.query, j.productId, j.label, j.line]),
        [
          ['cafe table', '100001', 3, 2],
          ['round table', '100001', 2.33, 3],
          ['deck over', '100003', 3, 6],
          ['ladder', '100009', 1, 15],
        ],
      );
      assert.deepEqual(d.labelScale, { min: 1, max: 3 });
      assert.match(d.checksum ?? '', /^[0-9a-f]{64}$/);
    } finally {
      t.cleanup();
    }
  });

  it('read as UTF-8, the latin-1 rows are rejected as invalid-utf8 naming the title column', async () => {
    const d = await readHomeDepot(fixture('homedepot-latin1.csv'), { encoding: 'utf-8' });
    assertAccounting(d.report);
    const bad = d.report.sample.filter((r) => r.code === 'invalid-utf8');
    assert.deepEqual(
      bad.map((r) => [r.line, r.field]),
      [
        [2, 'product_title'],
        [3, 'product_title'],
      ],
    );
    assert.ok(![...d.products.values()].some((p) => p.title.includes('\ufffd')), 'no replacement characters kept');
  });

  it("duplicates: 'mean' keeps one row with the mean label instead of rejecting the conflict", async () => {
    const d = await readHomeDepot(fixture('homedepot-latin1.csv'), { duplicates: 'mean' });
    assertAccounting(d.report);
    const angle = d.judgements.filter((j) => j.productId === '100002');
    assert.deepEqual(
      angle.map((j) => [j.query, j.label, j.line]),
      [['angle bracket', 2.25, 4]],
    );
    assert.equal(d.report.rejectedByCode['conflicting-label'], undefined);
    assert.equal(d.report.rejectedByCode.duplicate, 2);
  });

  it('a missing column is a DataValidationError naming file, line 1 and the column', async () => {
    const file = fixture('missing-column.csv');
    await expectDataError(readHomeDepot(file), { file, line: 1, field: 'search_term', message: /missing column 'search_term'/ });
  });

  it('a missing file or a directory is a one-line DataValidationError', async () => {
    await expectDataError(readHomeDepot(fixture('no-such-file.csv')), { message: /file not found/ });
    await expectDataError(readCrowdFlower(fixture('.')), { message: /directory/ });
  });
});

describe('readCrowdFlower on a UTF-8 fixture', () => {
  it('strips the BOM, keeps quoted newlines, emoji, RTL and mixed scripts, and accounts for every row', async () => {
    const d = await readCrowdFlower(fixture('crowdflower-small.csv'));
    assertAccounting(d.report);
    assert.equal(d.report.rowsIn, 13);
    assert.equal(d.report.rowsKept, 4);
    assert.deepEqual(rejections(d), [
      '6 invalid-utf8 product_title',
      '7 duplicate *',
      '10 conflicting-label median_relevance',
      '11 conflicting-label median_relevance',
      '12 text-too-long product_title',
      '13 empty-query query',
      '14 nul-byte product_description',
      '15 label-out-of-scale median_relevance',
      '18 unterminated-quote *',
    ]);
    const [lights, lamp, projector, cafe] = d.judgements;
    assert.equal(lights!.line, 2);
    const p = d.products.get(lights!.productId)!;
    assert.equal(p.title, 'String Lights 🎄 LED');
    assert.equal(p.description, 'Line one\nline two "quoted"\nline three');
    assert.equal(lights!.productId, derivedProductId(p.title, p.description!));
    assert.match(lights!.productId, /^h[0-9a-f]{12}$/);
    assert.equal(lamp!.query, 'مصباح led');
    assert.equal(d.products.get(lamp!.productId)!.title, 'مصباح LED — lamp 灯');
    assert.equal(d.products.get(lamp!.productId)!.description, undefined, 'an empty description is absent');
    // Full-width query text is kept as typed (NFC), its key is plain.
    assert.equal(projector!.query, 'ｐｒｏｊｅｃｔｏｒ');
    // NFC: a decomposed é becomes the composed character.
    assert.equal(d.products.get(cafe!.productId)!.title, 'Caf\u00e9 Sign');
  });

  it('a 10,000-character title is kept when the limit is raised, and the limit is in characters', async () => {
    const d = await readCrowdFlower(fixture('crowdflower-small.csv'), { maxTextLength: 10_000 });
    assertAccounting(d.report);
    assert.equal(d.report.rowsKept, 5);
    const long = d.judgements.find((j) => j.line === 12)!;
    assert.equal(d.products.get(long.productId)!.title.length, 10_000 - 1, 'trailing space trimmed');
    const tight = await readCrowdFlower(fixture('crowdflower-small.csv'), { maxTextLength: 10 });
    assert.ok((tight.report.rejectedByCode['text-too-long'] ?? 0) > 1);
    // 'String Lights 🎄 LED' is 19 code points but 20 UTF-16 units: a 19-character limit keeps it.
    const emoji = await readCrowdFlower(fixture('crowdflower-small.csv'), { maxTextLength: 19 });
    assert.ok(emoji.judgements.some((j) => j.line === 2));
  });

  it('invalid bytes on a continuation line of a quoted field reject that one record, naming the field', async () => {
    const t = tempDir();
    try {
      const head = Buffer.from('id,query,product_title,product_description,median_relevance,relevance_variance\n');
      const bad = Buffer.concat([Buffer.from('1,"lamp","Lamp","first line\nsecond '), Buffer.from([0xe9]), Buffer.from(' line",4,0\n')]);
      const good = Buffer.from('2,"lamp","Desk Lamp","ok\nstill ok",3,0\n');
      writeFileSync(t.path('cf.csv'), Buffer.concat([head, bad, good]));
      const d = await readCrowdFlower(t.path('cf.csv'));
      assertAccounting(d.report);
      assert.deepEqual(rejections(d), ['2 invalid-utf8 product_description']);
      assert.deepEqual(
        d.judgements.map((j) => [j.line, d.products.get(j.productId)!.description]),
        [[4, 'ok\nstill ok']],
      );
    } finally {
      t.cleanup();
    }
  });

  it('the same product text always gets the same id, different text a different one', () => {
    assert.equal(derivedProductId('a', 'b'), derivedProductId('a', 'b'));
    assert.notEqual(derivedProductId('a', 'b'), derivedProductId('ab', ''));
    assert.notEqual(derivedProductId('a', 'b'), derivedProductId('a', 'c'));
  });
});

describe('readSearchLog', () => {
  it('TSV with clicks: duplicates are summed, negative and fractional counts rejected, attributes kept', async () => {
    const d = await readSearchLog(fixture('search-log.tsv'), { format: 'tsv', columns: { query: 'query', productId: 'pid', title: 'title', attributes: ['brand'], clicks: 'clicks' } });
    assertAccounting(d.report);
    assert.equal(d.report.rowsIn, 6);
    assert.deepEqual(rejections(d), ['4 duplicate *', '5 label-out-of-scale clicks', '6 bad-label clicks']);
    assert.deepEqual(
      d.judgements.map((j) => [j.query, j.productId, j.label]),
      [
        ['iphone 13', 'p1', 5],
        ['iphone 13', 'p2', 0],
        ['samsung tv', 'p4', 7],
      ],
    );
    assert.deepEqual(d.products.get('p1')!.attributes, { brand: 'Apple' });
    assert.equal(d.products.get('p4')!.attributes, undefined, 'an empty attribute is left out');
    assert.deepEqual(d.labelScale, { min: 0, max: 7 });
  });

  it('JSONL with graded labels: bad JSON, missing and mistyped members are counted rejections', async () => {
    const d = await readSearchLog(fixture('search-log.jsonl'), { format: 'jsonl', columns: { query: 'q', productId: 'id', title: 'name', description: 'desc', label: 'grade' }, labelScale: { min: 0, max: 3 } });
    assertAccounting(d.report);
    assert.equal(d.report.rowsIn, 8);
    assert.deepEqual(rejections(d), ['4 bad-json *', '5 empty-title name', '6 bad-type q', '7 empty-line *', '8 label-out-of-scale grade']);
    assert.deepEqual(
      d.judgements.map((j) => [j.productId, j.label]),
      [
        ['1', 3],
        ['2', 0],
        ['3', 2],
      ],
    );
    assert.equal(d.products.get('1')!.description, 'light');
  });

  it('Parquet (through DuckDB) gives the same dataset as the same rows in JSONL', async () => {
    const t = tempDir();
    try {
      const rows = [
        { q: 'red shoes', id: '1', name: 'Red Running Shoe', grade: 3 },
        { q: 'Red Shoes', id: '2', name: 'Blue Shoe', grade: 0 },
        { q: 'sandals', id: '3', name: '', grade: 2 },
        { q: 'sandals', id: '4', name: 'Sandal', grade: 9 },
      ];
      writeFileSync(t.path('log.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const cols = [
        { name: 'q', type: 'VARCHAR' },
        { name: 'id', type: 'VARCHAR' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'grade', type: 'DOUBLE' },
      ];
      await withDuckDB(t.path('log.parquet'), (conn) => jsonlToParquet(conn, t.path('log.jsonl'), t.path('log.parquet'), cols));
      const opts = { columns: { query: 'q', productId: 'id', title: 'name', label: 'grade' }, labelScale: { min: 0, max: 3 } };
      const fromJsonl = await readSearchLog(t.path('log.jsonl'), { format: 'jsonl', ...opts });
      const fromParquet = await loadSearchDataset(t.path('log.parquet'), { format: 'search-log', ...opts });
      assertAccounting(fromParquet.report);
      assert.deepEqual(fromParquet.judgements, fromJsonl.judgements);
      assert.deepEqual([...fromParquet.products], [...fromJsonl.products]);
      assert.deepEqual(fromParquet.report.rejectedByCode, { 'empty-title': 1, 'label-out-of-scale': 1 });
      await expectDataError(readSearchLog(t.path('log.parquet'), { format: 'parquet', ...opts, columns: { ...opts.columns, title: 'product_title' } }), { field: 'product_title', message: /no column 'product_title'/ });
    } finally {
      t.cleanup();
    }
  });

  it('bad options are ConfigErrors naming the key', async () => {
    const file = fixture('search-log.tsv');
    await expectConfigError(readSearchLog(file, { format: 'tsv', columns: { query: 'query', productId: 'pid', title: 'title', label: 'clicks' } }), /labelScale/);
    await expectConfigError(readSearchLog(file, { format: 'tsv', columns: { query: 'query', productId: 'pid', title: 'title' } }), /columns/);
    await expectConfigError(loadSearchDataset(file, { format: 'search-log', columns: { query: 'query', productId: 'pid', title: 'title', clicks: 'clicks' }, maxTextLength: -1 }), /maxTextLength/);
    await expectConfigError(loadSearchDataset(file, { format: 'nope' } as never), /format/);
    await expectConfigError(loadSearchDataset(file, { format: 'homedepot', colums: {} } as never), /colums|\(top level\)/);
  });

  it('loadSearchDataset infers the file format from the extension', async () => {
    const d = await loadSearchDataset(fixture('search-log.tsv'), { format: 'search-log', columns: { query: 'query', productId: 'pid', title: 'title', clicks: 'clicks' } });
    assert.equal(d.report.rowsKept, 3);
    await expectConfigError(loadSearchDataset(fixture('README.md'), { format: 'search-log', columns: { query: 'query', productId: 'pid', title: 'title', clicks: 'clicks' } }), /fileFormat/);
  });
});

describe('readProductTitles (PriceRunner layout, no header)', () => {
  it('reads titles with their category labels and rejects bad rows', async () => {
    const s = await readProductTitles(fixture('pricerunner-small.csv'));
    assertAccounting(s.report);
    assert.equal(s.report.rowsIn, 5);
    assert.deepEqual(
      s.report.sample.map((r) => `${r.line} ${r.code} ${r.field}`),
      ['3 empty-title product_title', '4 duplicate product_id', '5 missing-field category_label'],
    );
    assert.deepEqual(
      s.titles.map((t) => [t.productId, t.title, t.category, t.clusterLabel]),
      [
        ['1', 'apple iphone 8 plus 64gb silver', 'Mobile Phones', 'Apple iPhone 8 Plus 64GB'],
        ['2', 'samsung 55" tv, black', 'TVs', 'Samsung TV'],
      ],
    );
    assert.deepEqual(s.categories, ['Mobile Phones', 'TVs']);
  });
});
