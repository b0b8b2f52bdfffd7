/**
 * Search-table readers: Home Depot, CrowdFlower, a user's own search log (CSV/TSV/JSONL/Parquet)
 * and PriceRunner's product titles. Same row accounting as the interaction readers: every row is
 * kept or rejected with file/line/field/code (rows in = kept + rejected), a file that cannot be read
 * as declared is a DataValidationError naming it. The row rules live in judgements.ts.
 */
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { parseWithSchema } from '../../core/config.ts';
import { ConfigError, DataValidationError } from '../../core/errors.ts';
import { scanDelimited } from '../csv.ts';
import { parquetColumns, quoteIdentifier, streamParquet, withDuckDB } from '../duckdb.ts';
import { checkInputFile, clipRaw, decodeLine, forEachLine, lenientText, sha256File, type TextEncoding } from '../lines.ts';
import { RejectionSink, jsonObjectLine } from '../rejections.ts';
import type { ReadReport } from '../types.ts';
import { DEFAULT_MAX_DESCRIPTION_LENGTH, DEFAULT_MAX_TEXT_LENGTH } from './text.ts';
import { JudgementBuilder, derivedProductId, textField, type BuilderOptions, type DuplicatePolicy, type RowInput } from './judgements.ts';
import type { LabelScale, SearchDataset } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Options (one zod schema: loadSearchDataset and the CLI validate with it)

const positiveInt = z.number().int().positive();
const LabelScaleSchema = z
  .object({ min: z.number().finite(), max: z.number().finite() })
  .strict()
  .refine((s) => s.min < s.max, { message: 'labelScale.min must be below labelScale.max' });

const CommonShape = {
  /** Dataset name (default: the file's base name). */
  name: z.string().min(1).optional(),
  /** Write every rejected row (JSONL) here, atomically. */
  rejectedPath: z.string().min(1).optional(),
  /** Longest query/title/attribute kept, in characters (default 4096). */
  maxTextLength: positiveInt.optional(),
  /** Longest description kept, in characters (default 65,536). */
  maxDescriptionLength: positiveInt.optional(),
  /** Duplicate (query, product) pairs with different labels: reject every copy (default) or keep their mean. */
  duplicates: z.enum(['reject-conflicts', 'mean']).optional(),
  maxLineBytes: positiveInt.optional(),
};

export const SEARCH_LOG_FILE_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet'] as const;
export type SearchLogFileFormat = (typeof SEARCH_LOG_FILE_FORMATS)[number];

const SearchLogColumnsSchema = z
  .object({
    query: z.string().min(1),
    productId: z.string().min(1),
    title: z.string().min(1),
    description: z.string().min(1).optional(),
    /** Columns copied into Product.attributes (name → value). */
    attributes: z.array(z.string().min(1)).optional(),
    /** A graded label column (needs labelScale)… */
    label: z.string().min(1).optional(),
    /** …or a click-count column (whole numbers ≥ 0; duplicates are summed). */
    clicks: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => (c.label === undefined) !== (c.clicks === undefined), { message: 'give exactly one of columns.label and columns.clicks' });

const SearchLogShape = {
  ...CommonShape,
  columns: SearchLogColumnsSchema,
  /** Declared label scale; required with columns.label; with clicks it defaults to [0, max(1, largest count)]. */
  labelScale: LabelScaleSchema.optional(),
  encoding: z.enum(['utf-8', 'latin1']).optional(),
  delimiter: z.string().min(1).optional(),
  quote: z.string().length(1).nullable().optional(),
};

/** readSearchLog's options. */
export const SearchLogOptionsSchema = z
  .object({ format: z.enum(SEARCH_LOG_FILE_FORMATS), ...SearchLogShape })
  .strict()
  .refine((o) => o.columns.label === undefined || o.labelScale !== undefined, { message: 'columns.label needs a declared labelScale {min, max}', path: ['labelScale'] });

/** loadSearchDataset's options: one of the named datasets, or a search log with declared columns. */
export const SearchDatasetOptionsSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('homedepot'), ...CommonShape, encoding: z.enum(['utf-8', 'latin1']).optional() }).strict(),
  z.object({ format: z.literal('crowdflower'), ...CommonShape, encoding: z.enum(['utf-8', 'latin1']).optional() }).strict(),
  z
    .object({ format: z.literal('search-log'), fileFormat: z.enum(SEARCH_LOG_FILE_FORMATS).optional(), ...SearchLogShape })
    .strict()
    .refine((o) => o.columns.label === undefined || o.labelScale !== undefined, { message: 'columns.label needs a declared labelScale {min, max}', path: ['labelScale'] }),
]);

export type SearchDatasetOptions = z.input<typeof SearchDatasetOptionsSchema>;
export type SearchLogOptions = z.input<typeof SearchLogOptionsSchema>;

/** Options of the named readers (Home Depot, CrowdFlower). */
export interface SearchReadOptions {
  name?: string;
  rejectedPath?: string;
  /** Home Depot default 'latin1', CrowdFlower default 'utf-8'. */
  encoding?: TextEncoding;
  maxTextLength?: number;
  maxDescriptionLength?: number;
  duplicates?: 'reject-conflicts' | 'mean';
  maxLineBytes?: number;
}

/** Home Depot's label scale: the mean of ≥ 3 raters on 1 (irrelevant) … 3 (highly relevant). */
export const HOMEDEPOT_LABEL_SCALE: LabelScale = { min: 1, max: 3 };
/** CrowdFlower's label scale: the median of 3 raters on 1 … 4. */
export const CROWDFLOWER_LABEL_SCALE: LabelScale = { min: 1, max: 4 };

function defaultName(path: string): string {
  const b = basename(path);
  return b.slice(0, b.length - extname(b).length) || b;
}

function builderOptions(o: SearchReadOptions, fields: BuilderOptions['fields'], labelScale: LabelScale | null, extra: { integerLabels?: boolean; duplicates?: DuplicatePolicy } = {}): BuilderOptions {
  return {
    fields,
    labelScale,
    maxTextLength: o.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH,
    maxDescriptionLength: o.maxDescriptionLength ?? DEFAULT_MAX_DESCRIPTION_LENGTH,
    duplicates: extra.duplicates ?? o.duplicates ?? 'reject-conflicts',
    ...(extra.integerLabels ? { integerLabels: true } : {}),
  };
}

/** Runs a read with a rejection sink; any failure removes the half-written rejected file. */
async function withSink<T>(file: string, rejectedPath: string | undefined, body: (sink: RejectionSink) => Promise<T>): Promise<T> {
  const sink = new RejectionSink(file, rejectedPath);
  try {
    return await body(sink);
  } catch (e) {
    sink.abort();
    throw e;
  }
}

function finishDataset(name: string, sink: RejectionSink, builder: JudgementBuilder, rowsIn: number, checksum: string): SearchDataset {
  const built = builder.finish();
  const report = sink.close(rowsIn, built.judgements.length, 'search judgement');
  return {
    name,
    products: built.products,
    judgements: built.judgements,
    labelScale: built.labelScale,
    report,
    checksum,
    ...(built.warnings.length > 0 ? { warnings: built.warnings } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Delimited files

interface DelimitedSpec {
  delimiter: string;
  quote: string | null;
  encoding: TextEncoding;
  /** Columns the file must have (by header name). */
  required: readonly string[];
  /** Files without a header line: the column names, in order. */
  fixedHeader?: readonly string[];
  maxLineBytes?: number;
}

type RowGetter = (column: string) => string;

/**
 * Streams a delimited file: resolves the header (a missing column is a DataValidationError naming
 * the file and the column), rejects rows with the wrong field count, a repeated header, invalid
 * UTF-8 (naming the column holding the bad bytes) or an unreadable line, and hands every other row
 * to `onRow`. Returns the source checksum and the number of rows seen.
 */
async function scanRows(path: string, sink: RejectionSink, spec: DelimitedSpec, onRow: (line: number, get: RowGetter, raw: string) => void): Promise<{ checksum: string; rowsIn: number }> {
  let header: readonly string[] = spec.fixedHeader ?? [];
  let index = new Map<string, number>();
  const resolve = (h: readonly string[]): void => {
    header = h;
    index = new Map(h.map((name, k) => [name, k] as const));
    const missing = spec.required.filter((c) => !index.has(c));
    if (missing.length > 0) {
      let hint = '';
      if (h.length === 1) {
        const other = [',', ';', '\t', '|'].find((d) => d !== spec.delimiter && h[0]!.includes(d));
        if (other !== undefined) hint = ` (the header has one column containing '${other === '\t' ? '\\t' : other}': is the delimiter right?)`;
      }
      throw new DataValidationError(
        `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; header has: ${h.map((x) => `'${x.length > 40 ? x.slice(0, 40) + '…' : x}'`).join(', ')}${hint}`,
        { file: path, line: 1, field: missing[0]! },
      );
    }
  };
  if (spec.fixedHeader !== undefined) resolve(spec.fixedHeader);
  let rowsIn = 0;
  const checksum = await scanDelimited(
    path,
    {
      delimiter: spec.delimiter,
      quote: spec.quote,
      encoding: spec.encoding,
      invalidUtf8: 'mark-record',
      hasHeader: spec.fixedHeader === undefined,
      ...(spec.maxLineBytes !== undefined ? { maxLineBytes: spec.maxLineBytes } : {}),
    },
    {
      header: resolve,
      record(line, fields, raw, invalidUtf8) {
        rowsIn++;
        const rawClip = clipRaw(raw);
        if (invalidUtf8) {
          // The bytes were decoded with U+FFFD replacements: name the column that holds them.
          const k = fields.length === header.length ? fields.findIndex((f) => f.includes('\ufffd')) : -1;
          const field = k >= 0 ? header[k]! : '*';
          return sink.reject(line, field, 'invalid-utf8', `${field === '*' ? 'row' : field} is not valid UTF-8 (latin-1 bytes?); declare encoding latin1 if the whole file is latin-1`, rawClip);
        }
        if (fields.length !== header.length) return sink.reject(line, '*', 'column-count', `expected ${header.length} fields (as in the header), found ${fields.length}`, rawClip);
        if (spec.fixedHeader === undefined && fields.every((f, k) => f.trim() === header[k])) return sink.reject(line, '*', 'repeated-header', 'the header line is repeated here (concatenated files?)', rawClip);
        onRow(line, (c) => fields[index.get(c)!]!, rawClip);
      },
      bad(line, code, reason, raw) {
        rowsIn++;
        sink.reject(line, '*', code, reason, clipRaw(raw));
      },
    },
  );
  if (rowsIn === 0) throw new DataValidationError('file has a header but no data rows', { file: path });
  return { checksum, rowsIn };
}

/**
 * Home Depot Product Search Relevance `train.csv`: latin-1 CSV, columns
 * `id, product_uid, product_title, search_term, relevance` (relevance: mean rating on 1–3).
 * Product ids are `product_uid`; there are no descriptions.
 */
export async function readHomeDepot(path: string, opts: SearchReadOptions = {}): Promise<SearchDataset> {
  checkInputFile(path);
  return withSink(path, opts.rejectedPath, async (sink) => {
    const fields = { query: 'search_term', productId: 'product_uid', title: 'product_title', label: 'relevance' };
    const builder = new JudgementBuilder(sink, builderOptions(opts, fields, HOMEDEPOT_LABEL_SCALE));
    const spec: DelimitedSpec = { delimiter: ',', quote: '"', encoding: opts.encoding ?? 'latin1', required: Object.values(fields), ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}) };
    const { checksum, rowsIn } = await scanRows(path, sink, spec, (line, get, raw) =>
      builder.add({ line, query: get('search_term'), productId: get('product_uid'), title: get('product_title'), label: get('relevance'), raw }),
    );
    return finishDataset(opts.name ?? 'homedepot', sink, builder, rowsIn, checksum);
  });
}

/**
 * CrowdFlower Search Results Relevance `train.csv`: UTF-8 CSV with quoted fields spanning lines,
 * columns `id, query, product_title, product_description, median_relevance, relevance_variance`
 * (median_relevance: 1–4). Products carry no id: each gets `derivedProductId(title, description)`
 * ('h' + 12 hex digits of sha256 over the cleaned title and description), so the same text is the
 * same product in every read. `relevance_variance` is not read.
 */
export async function readCrowdFlower(path: string, opts: SearchReadOptions = {}): Promise<SearchDataset> {
  checkInputFile(path);
  return withSink(path, opts.rejectedPath, async (sink) => {
    const fields = { query: 'query', productId: 'product_title', title: 'product_title', description: 'product_description', label: 'median_relevance' };
    const builder = new JudgementBuilder(sink, builderOptions(opts, fields, CROWDFLOWER_LABEL_SCALE));
    const spec: DelimitedSpec = {
      delimiter: ',',
      quote: '"',
      encoding: opts.encoding ?? 'utf-8',
      required: ['query', 'product_title', 'product_description', 'median_relevance'],
      ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}),
    };
    const { checksum, rowsIn } = await scanRows(path, sink, spec, (line, get, raw) =>
      builder.add({ line, query: get('query'), productId: derivedProductId, title: get('product_title'), description: get('product_description'), label: get('median_relevance'), raw }),
    );
    return finishDataset(opts.name ?? 'crowdflower', sink, builder, rowsIn, checksum);
  });
}

// ---------------------------------------------------------------------------------------------
// A user's own search log

function inferFileFormat(path: string): SearchLogFileFormat {
  const ext = extname(path.replace(/\.gz$/, '')).slice(1).toLowerCase();
  if ((SEARCH_LOG_FILE_FORMATS as readonly string[]).includes(ext)) return ext as SearchLogFileFormat;
  if (ext === 'ndjson') return 'jsonl';
  throw new ConfigError(`cannot tell the file format of '${basename(path)}' from its extension; set fileFormat to one of ${SEARCH_LOG_FILE_FORMATS.join(', ')}`, { field: 'fileFormat' });
}

/**
 * A search log with declared columns: `query`, `productId`, `title`, optional `description` and
 * `attributes`, and either a graded `label` (with a declared `labelScale`) or `clicks` (whole
 * numbers ≥ 0; duplicate pairs are summed; the scale defaults to [0, max(1, largest count)]).
 * Parquet is read through DuckDB (every column cast to text and checked like a CSV cell; `line`
 * is the 1-based row number).
 */
export async function readSearchLog(path: string, options: SearchLogOptions): Promise<SearchDataset> {
  const o = parseWithSchema(SearchLogOptionsSchema, options);
  checkInputFile(path);
  const c = o.columns;
  const labelColumn = (c.label ?? c.clicks)!;
  const clicks = c.clicks !== undefined;
  const fields = { query: c.query, productId: c.productId, title: c.title, label: labelColumn, ...(c.description !== undefined ? { description: c.description } : {}) };
  const read: SearchReadOptions = {
    ...(o.maxTextLength !== undefined ? { maxTextLength: o.maxTextLength } : {}),
    ...(o.maxDescriptionLength !== undefined ? { maxDescriptionLength: o.maxDescriptionLength } : {}),
    ...(o.duplicates !== undefined ? { duplicates: o.duplicates } : {}),
  };
  const bo = builderOptions(read, fields, o.labelScale ?? null, clicks ? { integerLabels: true, duplicates: 'sum' } : {});
  const attributeColumns = c.attributes ?? [];
  const required = [...new Set([c.query, c.productId, c.title, labelColumn, ...(c.description !== undefined ? [c.description] : []), ...attributeColumns])];
  const toRow = (line: number, get: (col: string) => unknown, raw: string): RowInput => {
    const row: RowInput = { line, query: get(c.query), productId: get(c.productId), title: get(c.title), label: get(labelColumn), raw };
    if (c.description !== undefined) row.description = get(c.description);
    if (attributeColumns.length > 0) row.attributes = Object.fromEntries(attributeColumns.map((a) => [a, get(a)]));
    return row;
  };
  const name = o.name ?? defaultName(path);
  return withSink(path, o.rejectedPath, async (sink) => {
    const builder = new JudgementBuilder(sink, bo);
    if (o.format === 'csv' || o.format === 'tsv') {
      const delimiter = o.delimiter ?? (o.format === 'csv' ? ',' : '\t');
      const quote = o.quote !== undefined ? o.quote : o.format === 'csv' ? '"' : null;
      if (quote !== null && quote === delimiter) throw new ConfigError('quote must differ from the delimiter', { field: 'quote' });
      const spec: DelimitedSpec = { delimiter, quote, encoding: o.encoding ?? 'utf-8', required, ...(o.maxLineBytes !== undefined ? { maxLineBytes: o.maxLineBytes } : {}) };
      const { checksum, rowsIn } = await scanRows(path, sink, spec, (line, get, raw) => builder.add(toRow(line, get, raw)));
      return finishDataset(name, sink, builder, rowsIn, checksum);
    }
    if (o.format === 'jsonl') {
      let rowsIn = 0;
      const { checksum } = await forEachLine(
        path,
        {
          line(lineNo, bytes) {
            rowsIn++;
            const text = decodeLine(bytes, o.encoding ?? 'utf-8');
            if (text === null) {
              // Name the member holding the bad bytes when the line still parses with replacements.
              let field = '*';
              try {
                const obj = JSON.parse(bytes.toString('utf-8')) as Record<string, unknown>;
                field = required.find((k) => typeof obj[k] === 'string' && (obj[k] as string).includes('\ufffd')) ?? '*';
              } catch {
                // not JSON either: the row is named as a whole
              }
              return sink.reject(lineNo, field, 'invalid-utf8', `${field === '*' ? 'line' : field} is not valid UTF-8`, lenientText(bytes));
            }
            const rec = jsonObjectLine(sink, lineNo, text);
            if (rec === null) return;
            const raw = clipRaw(text);
            builder.add(toRow(lineNo, (k) => rec[k], raw));
          },
          tooLong(lineNo, head, total) {
            rowsIn++;
            sink.reject(lineNo, '*', 'line-too-long', `line is ${total} bytes, over the line limit`, lenientText(head));
          },
        },
        o.maxLineBytes,
      );
      return finishDataset(name, sink, builder, rowsIn, checksum);
    }
    const checksum = await sha256File(path);
    return withDuckDB(path, async (conn) => {
      const schema = new Set((await parquetColumns(conn, path)).map((col) => col.name));
      const missing = required.filter((col) => !schema.has(col));
      if (missing.length > 0) throw new DataValidationError(`Parquet schema has no column ${missing.map((m) => `'${m}'`).join(', ')}; columns are: ${[...schema].join(', ')}`, { file: path, field: missing[0]! });
      let rowsIn = 0;
      await streamParquet(conn, path, required.map((col) => `CAST(${quoteIdentifier(col)} AS VARCHAR)`).join(', '), (columns, n) => {
        for (let r = 0; r < n; r++) {
          rowsIn++;
          const values = columns.map((col) => col[r] ?? null);
          builder.add(toRow(rowsIn, (k) => values[required.indexOf(k)], JSON.stringify(values).slice(0, 200)));
        }
      });
      return finishDataset(name, sink, builder, rowsIn, checksum);
    });
  });
}

/** One entry for every search table: `format` picks the reader; options are checked by SearchDatasetOptionsSchema (ConfigError naming the key). */
export async function loadSearchDataset(path: string, options: SearchDatasetOptions): Promise<SearchDataset> {
  const o = parseWithSchema(SearchDatasetOptionsSchema, options);
  switch (o.format) {
    case 'homedepot':
    case 'crowdflower': {
      const { format, ...rest } = o;
      const read: SearchReadOptions = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      return format === 'homedepot' ? readHomeDepot(path, read) : readCrowdFlower(path, read);
    }
    case 'search-log': {
      const { format: _f, fileFormat, ...rest } = o;
      const clean = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<SearchLogOptions, 'format'>;
      return readSearchLog(path, { ...clean, format: fileFormat ?? inferFileFormat(path) });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// PriceRunner product titles (title → category classification)

/** One merchant offer title with its labels. */
export interface LabelledTitle {
  readonly productId: string;
  readonly title: string;
  readonly merchantId: string;
  readonly clusterId: string;
  readonly clusterLabel: string;
  readonly categoryId: string;
  /** The class for title classification (e.g. 'Mobile Phones'). */
  readonly category: string;
  readonly line: number;
}

export interface ProductTitleSet {
  readonly name: string;
  readonly titles: readonly LabelledTitle[];
  /** Distinct category labels, sorted. */
  readonly categories: readonly string[];
  readonly checksum: string;
  readonly report: ReadReport;
}

export interface ProductTitleOptions {
  name?: string;
  rejectedPath?: string;
  maxTextLength?: number;
  /** The file has a header line with these column names (PriceRunner's has none; default false). */
  hasHeader?: boolean;
  maxLineBytes?: number;
}

/** PriceRunner's column order (the file has no header). */
export const PRICERUNNER_COLUMNS = ['product_id', 'product_title', 'merchant_id', 'cluster_id', 'cluster_label', 'category_id', 'category_label'] as const;

/**
 * PriceRunner `pricerunner_aggregate.csv`: UTF-8 CSV without a header, columns in PRICERUNNER_COLUMNS
 * order. A row needs a product id, a title and a category label (rejections as for search tables:
 * 'empty-title', 'missing-field', 'nul-byte', 'text-too-long', 'invalid-utf8'); a product id seen
 * before is rejected as 'duplicate'.
 */
export async function readProductTitles(path: string, opts: ProductTitleOptions = {}): Promise<ProductTitleSet> {
  checkInputFile(path);
  const limit = opts.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  return withSink(path, opts.rejectedPath, async (sink) => {
    const titles: LabelledTitle[] = [];
    const seen = new Map<string, number>();
    const spec: DelimitedSpec = {
      delimiter: ',',
      quote: '"',
      encoding: 'utf-8',
      required: PRICERUNNER_COLUMNS,
      ...(opts.hasHeader ? {} : { fixedHeader: PRICERUNNER_COLUMNS }),
      ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}),
    };
    const { checksum, rowsIn } = await scanRows(path, sink, spec, (line, get, raw) => {
      const text = (field: string, emptyCode: string): string | null => textField(sink, { line, field, value: get(field), raw, required: true, limit, emptyCode });
      const productId = text('product_id', 'missing-field');
      if (productId === null) return;
      const title = text('product_title', 'empty-title');
      if (title === null) return;
      const category = text('category_label', 'missing-field');
      if (category === null) return;
      const prev = seen.get(productId);
      if (prev !== undefined) return sink.reject(line, 'product_id', 'duplicate', `product_id '${productId.slice(0, 40)}' already on line ${prev}`, raw);
      seen.set(productId, line);
      const cell = (c: string): string => get(c).normalize('NFC').trim();
      titles.push({ productId, title, merchantId: cell('merchant_id'), clusterId: cell('cluster_id'), clusterLabel: cell('cluster_label'), categoryId: cell('category_id'), category, line });
    });
    const report = sink.close(rowsIn, titles.length, 'product title');
    const categories = [...new Set(titles.map((t) => t.category))].sort();
    return { name: opts.name ?? defaultName(path), titles, categories, checksum, report };
  });
}
