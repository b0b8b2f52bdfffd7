/**
 * The one place that talks to DuckDB (Parquet in and out). Values — file paths, read_json's column
 * spec — are bound as statement parameters ($1, $2, …), never spliced into SQL text, so a path
 * with a quote in it is just a path. Identifiers cannot be bound; the few statements that name a
 * column quote it with `quoteIdentifier`. Every failure DuckDB reports surfaces as a one-line
 * DataValidationError naming the file — never a raw DuckDB stack.
 */
import { DuckDBInstance, structValue, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError, DataValidationError } from '../core/errors.ts';

/** A column of a Parquet file: its name and DuckDB type (as DESCRIBE prints it, e.g. `BIGINT`, `TIMESTAMP`). */
export interface ParquetColumn {
  readonly name: string;
  readonly type: string;
}

/** `"name"` with inner double quotes doubled: a column name as a SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** DuckDB messages can run to many lines (with a stack of context); the first line says what happened. */
function duckMessage(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 300);
}

/**
 * Runs `fn` on a fresh in-memory DuckDB connection and closes it afterwards. Errors other than
 * our own (DataValidationError, ConfigError) become a DataValidationError on `file`.
 */
export async function withDuckDB<T>(file: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    return await fn(conn);
  } catch (e) {
    if (e instanceof DataValidationError || e instanceof ConfigError) throw e;
    throw new DataValidationError(`DuckDB could not read the file: ${duckMessage(e)}`, { file });
  } finally {
    conn?.closeSync();
    instance?.closeSync();
  }
}

/** The columns of a Parquet file, in file order. */
export async function parquetColumns(conn: DuckDBConnection, path: string): Promise<ParquetColumn[]> {
  const desc = await conn.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [path]);
  return desc.getRows().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
}

type InteractionColumnKey = 'user' | 'item' | 'timestamp' | 'eventType';

/** What a Parquet interaction log is read with: the SELECT list and where each configured column sits in it. */
export interface ParquetInteractionSelect {
  /** The configured columns, each cast to VARCHAR (TIMESTAMP/DATE to Unix seconds first), in the order user, item, timestamp, eventType. */
  readonly select: string;
  /** How many columns the SELECT has. */
  readonly width: number;
  /** A configured column's position in the SELECT; −1 when it is not configured. */
  readonly index: Readonly<Record<InteractionColumnKey, number>>;
}

/**
 * The SELECT that both Parquet readers (in memory and out of core) stream a log with. Every value
 * comes back as text, so a Parquet row and a CSV row with the same values get the same verdict. A
 * file without a configured column is a DataValidationError naming it and listing the file's columns.
 */
export async function parquetInteractionSelect(conn: DuckDBConnection, path: string, cols: Readonly<Partial<Record<InteractionColumnKey, string>>>): Promise<ParquetInteractionSelect> {
  const schema = new Map<string, string>();
  for (const c of await parquetColumns(conn, path)) schema.set(c.name, c.type);
  const wanted = (['user', 'item', 'timestamp', 'eventType'] as const).filter((k) => cols[k] !== undefined);
  const missing = wanted.filter((k) => !schema.has(cols[k]!));
  if (missing.length > 0)
    throw new DataValidationError(
      `Parquet schema has no column ${missing.map((k) => `'${cols[k]}'`).join(', ')} (for ${missing.join(', ')}); columns are: ${[...schema].map(([n, t]) => `${n} ${t}`).join(', ')}`,
      { file: path, field: cols[missing[0]!]! },
    );
  const expr = (name: string): string => {
    const id = quoteIdentifier(name);
    return /^(TIMESTAMP|DATE)/.test(schema.get(name)!) ? `CAST(epoch(${id}) AS VARCHAR)` : `CAST(${id} AS VARCHAR)`;
  };
  const at = (k: InteractionColumnKey): number => (wanted as readonly InteractionColumnKey[]).indexOf(k);
  return {
    select: wanted.map((k) => expr(cols[k]!)).join(', '),
    width: wanted.length,
    index: { user: at('user'), item: at('item'), timestamp: at('timestamp'), eventType: at('eventType') },
  };
}

/** Rows of a Parquet file, from its footer (no row is read). */
export async function parquetRowCount(conn: DuckDBConnection, path: string): Promise<number> {
  const meta = await conn.runAndReadAll('SELECT num_rows FROM parquet_file_metadata($1)', [path]);
  return meta.getRows().reduce((sum, r) => sum + Number(r[0]), 0);
}

/**
 * Streams `SELECT <selectList> FROM read_parquet(path)` chunk by chunk: `onChunk` gets the chunk's
 * columns (one array per selected expression) and its row count. `selectList` is SQL built by the
 * caller from `quoteIdentifier`-quoted names; the path is a bound parameter.
 */
export async function streamParquet(conn: DuckDBConnection, path: string, selectList: string, onChunk: (columns: readonly (readonly unknown[])[], rowCount: number) => void): Promise<void> {
  const result = await conn.stream(`SELECT ${selectList} FROM read_parquet($1)`, [path]);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    onChunk(chunk.getColumns(), chunk.rowCount);
  }
}

/**
 * Writes newline-delimited JSON at `jsonlPath` to a Parquet file at `outPath`. With `columns`
 * (name → DuckDB type, in output order) the JSON is read with exactly those columns and types;
 * without, DuckDB infers them. With `columns` and `empty`, the file gets the schema and no rows
 * (read_json cannot infer from an empty file).
 */
export async function jsonlToParquet(conn: DuckDBConnection, jsonlPath: string, outPath: string, columns?: readonly ParquetColumn[], empty = false): Promise<void> {
  if (columns === undefined) {
    await conn.run(`COPY (SELECT * FROM read_json($1, format = 'newline_delimited')) TO $2 (FORMAT parquet)`, [jsonlPath, outPath]);
    return;
  }
  if (empty) {
    const nulls = columns.map((c) => `CAST(NULL AS ${checkedType(c.type)}) AS ${quoteIdentifier(c.name)}`).join(', ');
    await conn.run(`COPY (SELECT ${nulls} LIMIT 0) TO $1 (FORMAT parquet)`, [outPath]);
    return;
  }
  const spec = structValue(Object.fromEntries(columns.map((c) => [c.name, c.type])));
  const names = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  await conn.run(`COPY (SELECT ${names} FROM read_json($1, format = 'newline_delimited', columns = $2)) TO $3 (FORMAT parquet)`, [jsonlPath, spec, outPath]);
}

/** A type name spliced into a CAST: letters, digits, spaces, parentheses and commas only (e.g. `DECIMAL(18, 3)`). */
function checkedType(type: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_ (),]*$/.test(type)) throw new ConfigError(`not a DuckDB type name: '${type}'`);
  return type;
}
