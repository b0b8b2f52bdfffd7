/**
 * The out-of-core data path: CSV/TSV interaction log → validated rows (with row accounting) →
 * sequences with dense ids → k-core → leave-one-out split, written as Parquet + sequence text,
 * without holding the log in memory.
 *
 * Two stages, each with bounded memory:
 * 1. One streaming pass in TS over the file (the same scanner and per-field checks as the in-memory
 *    CSV reader, so a bad row gets the same code, line and field). Kept rows go to a tab-separated
 *    staging file; rejections go through the RejectionSink (counts + sample + optional JSONL).
 *    A fixed-size Bloom filter over the kept rows' keys lists the keys that may repeat an earlier
 *    row (a small suspects file).
 * 2. DuckDB SQL over the staging file with a memory_limit and a temp_directory: duplicate rows
 *    (the in-memory reader's only check that needs to remember earlier rows; found among the
 *    suspects' rows), dense ids, k-core, split. Sorts and hash tables spill to disk past the limit, so peak memory stays flat.
 *
 * The result is the same dataset the in-memory path builds (loadDataset → kCoreFilter →
 * leaveOneOutSplit) — tested row for row in test/data/out-of-core/.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { structValue, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError, DataValidationError } from '../../core/errors.ts';
import { writeJsonAtomic } from '../../core/fsutil.ts';
import { checkInputFile } from '../lines.ts';
import { RejectionSink } from '../rejections.ts';
import type { ReadReport, SplitSummary } from '../types.ts';
import type { ColumnNames, IdType } from '../validate.ts';
import { withDuckDB } from '../duckdb.ts';
import { OUT_OF_CORE_FORMATS, stageRows, type OutOfCoreFormat } from './stage.ts';

export interface OutOfCoreOptions {
  /** csv / tsv (with a header line), jsonl (one object per line) or parquet; the rules are readInteractions'. */
  readonly format: OutOfCoreFormat;
  readonly columns: ColumnNames;
  /** Allowed event types (needs columns.eventType), as in readInteractions. */
  readonly eventTypes?: readonly string[];
  readonly idType?: IdType;
  /** Output folder (created). */
  readonly outDir: string;
  /** k-core floor (1 = no filtering). Default 1. */
  readonly kCore?: number;
  /** DuckDB memory limit, e.g. '1GB' (default '1GB'). Past it, DuckDB spills to `tempDir`. */
  readonly memoryLimit?: string;
  /** Where DuckDB spills (default `<outDir>/.spill`, removed afterwards). */
  readonly tempDir?: string;
  /** DuckDB worker threads (default 2). */
  readonly threads?: number;
  /** Also write `sequences.txt` (`user item item …`, external ids, as writeSequenceText). Default true. */
  readonly sequenceText?: boolean;
  /** Rejected rows as JSONL (as the in-memory readers' rejectedPath). */
  readonly rejectedPath?: string;
  /** Leave-one-out (default) or the global temporal split (as temporalSplit, targets 'all'). */
  readonly split?: OutOfCoreSplit;
  /** Called after each stage with its wall time (ms), for benchmarks and progress lines. */
  readonly onStage?: (stage: string, ms: number) => void;
  /** For tests: the repeated-key filter's size as a power of two (default from the file's size). */
  readonly filterBitsLog2?: number;
}

export interface OutOfCoreResult {
  readonly report: ReadReport;
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly kCore: { readonly k: number; readonly removedUsers: number; readonly removedItems: number; readonly removedInteractions: number; readonly rounds: number };
  readonly split: SplitSummary;
  /** Files written, relative to outDir. */
  readonly files: { readonly users: string; readonly items: string; readonly interactions: string; readonly sequences?: string; readonly summary: string };
}

export type OutOfCoreSplit = { readonly kind: 'leave-one-out' } | { readonly kind: 'temporal'; readonly validFraction: number; readonly testFraction: number; readonly keepColdStart?: boolean };

export const MEMORY_LIMIT = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

function checkOptions(o: OutOfCoreOptions): void {
  if (!(OUT_OF_CORE_FORMATS as readonly string[]).includes(o.format)) throw new ConfigError(`out-of-core reads ${OUT_OF_CORE_FORMATS.join(', ')}; got '${String(o.format)}'`, { field: 'format' });
  if (!o.columns?.user || !o.columns.item) throw new ConfigError('columns.user and columns.item are required', { field: 'columns' });
  if (o.eventTypes !== undefined && o.columns.eventType === undefined) throw new ConfigError('eventTypes given but no columns.eventType to check them against', { field: 'eventTypes' });
  const k = o.kCore ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`k-core needs an integer k >= 1, got ${k}`, { field: 'kCore' });
  if (o.memoryLimit !== undefined && !MEMORY_LIMIT.test(o.memoryLimit)) throw new ConfigError(`memoryLimit must look like '512MB' or '2GB', got '${o.memoryLimit}'`, { field: 'memoryLimit' });
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1)) throw new ConfigError(`threads must be an integer >= 1, got ${o.threads}`, { field: 'threads' });
}

/**
 * Hands the memory that DuckDB's allocator kept from finished statements back to the system. On
 * Linux DuckDB allocates through jemalloc and purges its freed pages when a worker thread has been
 * idle for 0.5 s, or when its worker threads are relaunched (the relaunch purges every arena). The
 * statements here run back to back, so the workers never idle: at 100 M rows each statement's freed
 * hash tables and sort runs stayed resident under the next statement's, and peak RSS reached
 * 1.4 GB at a 512 MB memory_limit (the memory_limit bounds DuckDB's live buffers, not what the
 * allocator holds). Changing the thread count and setting it back relaunches the workers: ~0.1 s at
 * 10 M rows, ~0.5 s at 100 M for all calls together. `allocator_background_threads` and a lower
 * `allocator_flush_threshold` did not lower the 100 M peak (docs/guide/out-of-core.md, Memory).
 */
async function releaseFreedMemory(conn: DuckDBConnection, threads: number): Promise<void> {
  await conn.run(`SET threads = ${threads === 1 ? 2 : 1}`);
  await conn.run(`SET threads = ${threads}`);
}

async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  const r = await conn.runAndReadAll(sql);
  return Number(r.getRows()[0]![0]);
}

/**
 * Runs the whole out-of-core preparation. Files in `outDir`:
 * - `users.parquet` (user_idx INTEGER, user VARCHAR), `items.parquet` (item_idx INTEGER, item VARCHAR):
 *   the dense ↔ external id maps (users from 0, items from 1; 0 is padding), as saveIdMaps' arrays;
 * - `interactions.parquet` (user_idx, pos, item_idx, timestamp?, part): every kept interaction after
 *   k-core, pos = 0-based place in the user's time-ordered sequence, part = 'train' | 'valid' | 'test'
 *   under leave-one-out (users with < 3 items: all 'train', as leaveOneOutSplit's default);
 * - `sequences.txt` (optional): writeSequenceText's format;
 * - `summary.json`: the read report, k-core counts and split summary.
 */
export async function prepareOutOfCore(path: string, o: OutOfCoreOptions): Promise<OutOfCoreResult> {
  checkOptions(o);
  checkInputFile(path);
  const outDir = resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  const spill = o.tempDir ?? join(outDir, '.spill');
  mkdirSync(spill, { recursive: true });
  const stagePath = join(spill, 'staged.tsv');
  const suspectsPath = join(spill, 'suspects.tsv');
  const sink = new RejectionSink(path, o.rejectedPath);
  const hasTime = o.columns.timestamp !== undefined;
  const hasEvent = o.columns.eventType !== undefined;
  let t0 = performance.now();
  const lap = (stage: string): void => {
    const now = performance.now();
    o.onStage?.(stage, now - t0);
    t0 = now;
  };
  try {
    const staged = await stageRows(path, o, sink, stagePath, suspectsPath);
    lap('validate');
    // Nothing staged: every row was rejected — the reader's error (with the first rejection's line and field).
    if (staged.staged === 0) sink.close(staged.rowsIn, 0, 'interaction');
    return await withDuckDB(path, async (conn) => {
      await conn.run(`SET memory_limit = '${o.memoryLimit ?? '1GB'}'`);
      await conn.run('SET temp_directory = $1', [spill]);
      const threads = o.threads ?? 2;
      await conn.run(`SET threads = ${threads}`);
      await conn.run('SET preserve_insertion_order = false');
      // Before each statement that builds large hash tables, sorts or writes a big file (see releaseFreedMemory).
      const releaseFreed = (): Promise<void> => releaseFreedMemory(conn, threads);
      // Columns as narrow as the staged values allow (each choice keeps equality, order and the
      // printed text): ids that are all canonical integers as INTEGER (≤ 9 digits) or BIGINT,
      // timestamps that are all safe integers as BIGINT (cast back to DOUBLE for the outputs), line
      // numbers as INTEGER. Narrower rows cost less to load, hash, sort and spill.
      const idType = staged.int32Ids ? 'INTEGER' : staged.integerIds ? 'BIGINT' : 'VARCHAR';
      const tsType = staged.integerTimes ? 'BIGINT' : 'DOUBLE';
      const small = staged.lastLine < 2 ** 31 - 1;
      const lineType = small ? 'INTEGER' : 'BIGINT';
      const keyColumns = { u: idType, i: idType, ts: tsType, ev: 'VARCHAR' };
      const tsvOptions = `delim = '\t', header = false, quote = '', escape = '', columns = $2, nullstr = '\x01'`;
      // Without an event column every staged event is empty: it adds nothing to the duplicate key.
      const key = hasEvent ? 'u, i, ts, ev' : 'u, i, ts';
      const stagingSpec = structValue({ line: lineType, ...keyColumns });
      // Duplicate rows (same user, item, timestamp, event) exist only with a timestamp column; the
      // first occurrence in file order is kept, as InteractionBuilder does. The staging pass moved
      // every row whose key may repeat an earlier one to the suspects file (RepeatFilter: a Bloom
      // filter, so some suspects repeat nothing), so every copy is a suspect and `g` is loaded from
      // the staging file as it is, each row parsed once. The copies are then found among the rows
      // whose key is a suspect's — in `g` (first occurrences only) or among the suspects — a
      // semi-join of g against the few suspect keys instead of an aggregate over every row, and the
      // suspects that are not copies are appended to g. (Nothing is deleted: DuckDB keeps version
      // information for every 2,048-row vector a DELETE touches, in memory — 0.14 % duplicates spread
      // over 100 M rows touch nearly all of them and ran out of memory at 512 MB.)
      // The event column is only needed for the duplicate key; without suspects g holds just the four
      // columns every later statement reads.
      let kept = staged.staged;
      const gColumns = staged.suspects > 0 ? `line, ${key}` : 'line, u, i, ts';
      await conn.run(`CREATE TABLE g AS SELECT ${gColumns} FROM read_csv($1, ${tsvOptions})`, [stagePath, stagingSpec]);
      rmSync(stagePath, { force: true });
      lap('load');
      if (staged.suspects > 0) {
        await conn.run(`CREATE TABLE sus AS SELECT line, ${key} FROM read_csv($1, ${tsvOptions})`, [suspectsPath, stagingSpec]);
        rmSync(suspectsPath, { force: true });
        // Not made distinct: a semi-join returns each row of g once however often its key is listed.
        await conn.run(
          `CREATE TABLE dups AS WITH s AS (SELECT line, ${key} FROM g SEMI JOIN sus USING (${key}) UNION ALL SELECT line, ${key} FROM sus)
           SELECT line, first_line FROM (SELECT line, min(line) OVER (PARTITION BY ${key}) AS first_line FROM s) WHERE line <> first_line`,
        );
        const res = await conn.stream('SELECT line, first_line FROM dups ORDER BY line');
        for (;;) {
          const chunk = await res.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          const [lines, firsts] = chunk.getColumns() as [(number | bigint)[], (number | bigint)[]];
          for (let r = 0; r < chunk.rowCount; r++) {
            sink.reject(Number(lines[r]), '*', 'duplicate-row', `duplicate of line ${firsts[r]} (same user, item, timestamp${hasEvent ? ', event type' : ''})`);
            kept--;
          }
        }
        // Every copy is a suspect (never in g), so g gains the suspects that are not copies.
        await conn.run(`INSERT INTO g SELECT line, ${key} FROM sus${kept < staged.staged ? ' ANTI JOIN dups USING (line)' : ''}`);
        await conn.run('DROP TABLE sus');
        await conn.run('DROP TABLE dups');
      }
      rmSync(suspectsPath, { force: true });
      const report = sink.close(staged.rowsIn, kept, 'interaction');
      lap('duplicates');
      // Dense ids as interactionsToSequences: users by first line; a user's rows by (timestamp, line);
      // items by first appearance walking users in order and each sequence in order, i.e. by the
      // smallest (user's first line, timestamp, line) among the item's rows — no position needed yet.
      // That minimum is taken in two steps, each over fixed-size values (a min over a struct of the
      // three, in one aggregate over every row, held 630 MB of RSS at an 80 MB limit on 10 M rows):
      // the item's smallest user first line `f`, then (timestamp, line) among the item's rows of
      // that one user — a few rows per item.
      const k = o.kCore ?? 1;
      await releaseFreed();
      await conn.run('CREATE TABLE uf AS SELECT u, min(line) AS first_line, count(*) AS n FROM g GROUP BY u');
      // With a k-core, the same scan counts each item's rows of users with ≥ k rows: the first k-core
      // round's surviving items (below), without a scan of its own.
      await releaseFreed();
      await conn.run(`CREATE TABLE im AS SELECT i, min(first_line) AS f${k > 1 ? `, count(*) FILTER (WHERE n >= ${k}) AS nk` : ''} FROM g JOIN uf USING (u) GROUP BY i`);
      await releaseFreed();
      await conn.run(
        `CREATE TABLE ik AS SELECT i, f, min({'t': ts, 'l': line}) AS tl FROM g JOIN (SELECT i, f, u FROM im JOIN uf ON f = first_line) USING (u, i) GROUP BY i, f`,
      );
      if (k > 1) await conn.run(`CREATE TABLE ia AS SELECT i, nk AS n FROM im WHERE nk >= ${k}`);
      await conn.run('DROP TABLE im');
      lap('dense-ids');
      // k-core on the (user, item) multigraph: its fixpoint is unique, so this removal order gives
      // the same survivors as kCoreFilter's. Counts are interactions, as there. Nothing is deleted
      // from g (DuckDB keeps a DELETE's row versions in memory: deleting most of 10 M rows ran out
      // of memory at 80 MB); each round recomputes the surviving users `ua` (with their row counts)
      // and items `ia` from g and the other side's survivors — a user or item below k stays below
      // as the graph shrinks, so nothing that was removed comes back. A round that removes no row
      // (the surviving rows, counted by item, did not change) ends the loop, as kCoreFilter's.
      // From round 2 on, the loop also ends right after `ua` when its rows are the previous round's
      // (the rows of surviving users among surviving items did not shrink): `ia` would then come out
      // unchanged too, so that round is the same last round, one scan of g sooner.
      const before = { users: await count(conn, 'SELECT count(*) FROM uf'), items: await count(conn, 'SELECT count(*) FROM ik'), rows: await count(conn, 'SELECT count(*) FROM g') };
      let rounds = 0;
      if (k > 1) {
        let rows = before.rows;
        for (;;) {
          rounds++;
          // Round 1: every item is alive, so the users' counts are uf's (no scan of g), and its items
          // were counted with the dense ids.
          if (rounds === 1) await conn.run(`CREATE TABLE ua AS SELECT u, n FROM uf WHERE n >= ${k}`);
          else {
            await releaseFreed();
            await conn.run(`CREATE OR REPLACE TABLE ua AS SELECT u, count(*) AS n FROM g WHERE i IN (SELECT i FROM ia) GROUP BY u HAVING count(*) >= ${k}`);
            if ((await count(conn, 'SELECT coalesce(sum(n), 0) FROM ua')) === rows) break;
            await releaseFreed();
            await conn.run(`CREATE OR REPLACE TABLE ia AS SELECT i, count(*) AS n FROM g WHERE u IN (SELECT u FROM ua) GROUP BY i HAVING count(*) >= ${k}`);
          }
          const left = await count(conn, 'SELECT coalesce(sum(n), 0) FROM ia');
          if (left === rows) break;
          rows = left;
        }
      }
      lap('k-core');
      // Survivors numbered densely in their old order (kCoreFilter's rule): users from 0, items from 1.
      // Each user also gets its surviving row count n and the offset `start` of its first row in
      // `inter`, so positions come from the one sort below rather than a window that sorts again.
      // Row counts and offsets fit INTEGER when the line numbers do (there are fewer rows than lines).
      const countType = small ? 'INTEGER' : 'BIGINT';
      const liveUsers = rounds === 0 ? 'uf' : '(SELECT u, first_line, ua.n FROM uf JOIN ua USING (u))';
      await releaseFreed();
      await conn.run(
        `CREATE TABLE users AS SELECT (row_number() OVER w - 1)::INTEGER AS user_idx, u, n::${countType} AS n, (sum(n) OVER (w ROWS UNBOUNDED PRECEDING) - n)::${countType} AS start, lead(u) OVER w AS next_u
         FROM ${liveUsers} WINDOW w AS (ORDER BY first_line)`,
      );
      const liveItems = rounds === 0 ? '' : 'WHERE i IN (SELECT i FROM ia)';
      await releaseFreed();
      await conn.run(`CREATE TABLE items AS SELECT row_number() OVER (ORDER BY f, tl)::INTEGER AS item_idx, i FROM ik ${liveItems}`);
      for (const t of ['uf', 'ik', ...(rounds > 0 ? ['ua', 'ia'] : [])]) await conn.run(`DROP TABLE ${t}`);
      // `inter` is stored sorted by (user, timestamp, line) — interactionsToSequences' order — and
      // every later read scans it in that order (preserve_insertion_order; a single-table scan keeps
      // it), so nothing sorts twice: a row's position is its rowid minus its user's start. What
      // sequences.txt needs rides along: the item id and the next user's id (written after a user's
      // last item); the first user's id is a statement parameter.
      await conn.run('SET preserve_insertion_order = true');
      await releaseFreed();
      await conn.run(
        `CREATE TABLE inter AS SELECT user_idx, item_idx${hasTime ? `, ts${tsType === 'DOUBLE' ? '' : '::DOUBLE'} AS "timestamp"` : ''}, n, start, i, next_u
         FROM g JOIN users USING (u) JOIN items USING (i) ORDER BY user_idx, ts, line`,
      );
      await conn.run('DROP TABLE g');
      await conn.run(`CREATE VIEW inter_pos AS SELECT user_idx, (rowid - start)::INTEGER AS pos, item_idx${hasTime ? ', "timestamp"' : ''}, n, i, next_u FROM inter`);
      // The rowids are the sorted order only if DuckDB stored the rows as sorted; a row outside its
      // user's block would mean it did not (an internal error, never a silent misnumbering).
      if ((await count(conn, 'SELECT count(*) FROM inter_pos WHERE pos < 0 OR pos >= n')) > 0) throw new Error('out-of-core: the sorted interactions table is not in sorted order');
      const after = { users: await count(conn, 'SELECT count(*) FROM users'), items: await count(conn, 'SELECT count(*) FROM items'), rows: await count(conn, 'SELECT count(*) FROM inter') };
      if (after.rows === 0) throw new DataValidationError(`no interactions left after the ${k}-core filter`, { file: path });
      const files = { users: 'users.parquet', items: 'items.parquet', interactions: 'interactions.parquet', summary: 'summary.json' };
      await conn.run(`COPY (SELECT user_idx, u::VARCHAR AS "user" FROM users ORDER BY user_idx) TO $1 (FORMAT parquet)`, [join(outDir, files.users)]);
      await conn.run(`COPY (SELECT item_idx, i::VARCHAR AS item FROM items ORDER BY item_idx) TO $1 (FORMAT parquet)`, [join(outDir, files.items)]);
      const { part, summary: splitSummary } = await splitParts(conn, o.split ?? { kind: 'leave-one-out' }, after, hasTime, path);
      await releaseFreed();
      await conn.run(`COPY (SELECT user_idx, pos, item_idx${hasTime ? ', "timestamp"' : ''}, ${part} AS part FROM inter_pos) TO $1 (FORMAT parquet)`, [join(outDir, files.interactions)]);
      const split = await splitSummary();
      lap('split');
      let sequences: string | undefined;
      if (o.sequenceText ?? true) {
        sequences = 'sequences.txt';
        const firstUser = String((await conn.runAndReadAll('SELECT u::VARCHAR FROM users WHERE user_idx = 0')).getRows()[0]![0]);
        await releaseFreed();
        await writeSequencesText(conn, join(outDir, sequences), firstUser);
      }
      lap('sequences');
      const result: OutOfCoreResult = {
        report,
        users: after.users,
        items: after.items,
        interactions: after.rows,
        kCore: { k, removedUsers: before.users - after.users, removedItems: before.items - after.items, removedInteractions: before.rows - after.rows, rounds },
        split,
        files: { ...files, ...(sequences !== undefined ? { sequences } : {}) },
      };
      const { sample: _sample, ...reportCounts } = report;
      // A rejected file inside the output folder is named relative to it, so the folder can move (the CLI writes it beside, then renames).
      const rejectedFile = reportCounts.rejectedFile !== undefined && resolve(reportCounts.rejectedFile).startsWith(outDir + sep) ? relative(outDir, resolve(reportCounts.rejectedFile)) : reportCounts.rejectedFile;
      writeJsonAtomic(join(outDir, files.summary), { ...result, report: { ...reportCounts, ...(rejectedFile !== undefined ? { rejectedFile } : {}) }, checksum: staged.checksum });
      return result;
    });
  } catch (e) {
    sink.abort();
    throw e;
  } finally {
    rmSync(stagePath, { force: true });
    rmSync(suspectsPath, { force: true });
    if (o.tempDir === undefined) rmSync(spill, { recursive: true, force: true });
  }
}

/** A SQL number literal for a computed (never user-given) double, ±Infinity included. */
function sqlDouble(x: number): string {
  return Number.isFinite(x) ? `CAST(${x} AS DOUBLE)` : `CAST('${x > 0 ? 'Infinity' : '-Infinity'}' AS DOUBLE)`;
}

/**
 * The `part` of each row of `inter` as a SQL expression, and the SplitSummary. Leave-one-out as
 * leaveOneOutSplit (short users all 'train'); temporal as temporalSplit with targets 'all': the cuts
 * are the order statistics t(N-nTest) and t(N-nTest-nValid) of all timestamps; a target at
 * position 0 without keepColdStart is 'cold' (skipped, counted in coldStartSkipped).
 */
async function splitParts(conn: DuckDBConnection, split: OutOfCoreSplit, after: { users: number; rows: number }, hasTime: boolean, file: string): Promise<{ part: string; summary: () => Promise<SplitSummary> }> {
  if (split.kind === 'leave-one-out') {
    const part = `CASE WHEN n < 3 THEN 'train' WHEN pos = n - 1 THEN 'test' WHEN pos = n - 2 THEN 'valid' ELSE 'train' END`;
    return {
      part,
      summary: async () => {
        // Per user: all 'train' when short, otherwise all but the last two.
        const row = (await conn.runAndReadAll(`SELECT count(*) FILTER (WHERE n >= 3), count(*) FILTER (WHERE n < 3), sum(CASE WHEN n < 3 THEN n ELSE n - 2 END) FROM users`)).getRows()[0]!;
        const evaluated = Number(row[0]);
        return { users: after.users, evaluatedUsers: evaluated, shortUsers: Number(row[1]), trainInteractions: Number(row[2]), validCases: evaluated, testCases: evaluated };
      },
    };
  }
  const vf = split.validFraction;
  const tf = split.testFraction;
  if (!(vf >= 0 && tf >= 0 && vf + tf < 1) || !Number.isFinite(vf) || !Number.isFinite(tf))
    throw new ConfigError(`temporal split needs validFraction ≥ 0, testFraction ≥ 0 and their sum < 1 (got ${vf}, ${tf})`, { field: 'validFraction' });
  if (!hasTime) throw new DataValidationError('dataset has no timestamps; a temporal split needs them (use leave-one-out instead)', { file });
  const N = after.rows;
  const at = async (k: number): Promise<number> => Number((await conn.runAndReadAll(`SELECT "timestamp" FROM inter ORDER BY "timestamp" LIMIT 1 OFFSET ${k}`)).getRows()[0]![0]);
  const nTest = Math.round(N * tf);
  const nValid = Math.round(N * vf);
  const testCut = nTest > 0 ? await at(N - nTest) : Infinity;
  const validCut = nValid > 0 ? await at(Math.max(0, N - nTest - nValid)) : testCut;
  const cold = split.keepColdStart ? '' : `WHEN pos = 0 THEN 'cold' `;
  const part = `CASE WHEN "timestamp" < ${sqlDouble(validCut)} THEN 'train' ${cold}WHEN "timestamp" >= ${sqlDouble(testCut)} THEN 'test' ELSE 'valid' END`;
  return {
    part,
    summary: async () => {
      const row = (await conn.runAndReadAll(`SELECT count(DISTINCT user_idx) FILTER (WHERE p IN ('valid', 'test')), count(*) FILTER (WHERE p = 'train'), count(*) FILTER (WHERE p = 'valid'), count(*) FILTER (WHERE p = 'test'), count(*) FILTER (WHERE p = 'cold') FROM (SELECT user_idx, ${part} AS p FROM inter_pos)`)).getRows()[0]!;
      return { users: after.users, evaluatedUsers: Number(row[0]), shortUsers: 0, trainInteractions: Number(row[1]), validCases: Number(row[2]), testCases: Number(row[3]), coldStartSkipped: Number(row[4]), validCut, testCut };
    },
  };
}

/**
 * `user item item …` per user in user order (writeSequenceText's format), written by DuckDB from
 * the sorted `inter` in one scan: each row is its item, preceded by the user's id on the very first
 * row and followed by a line break and the next user's id on a user's last row; rows are separated
 * by a space (the CSV writer's row terminator, no quoting or escaping — ids hold no whitespace).
 * The file then ends with that separator, which becomes the final line break.
 */
async function writeSequencesText(conn: DuckDBConnection, path: string, firstUser: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  // Most rows are a bare item id: the CASE lets them skip the concatenations (~1/3 of this statement's CPU).
  const lastRow = `CASE WHEN pos = n - 1 AND next_u IS NOT NULL THEN chr(10) || next_u::VARCHAR ELSE '' END`;
  try {
    await conn.run(
      `COPY (SELECT CASE WHEN pos = 0 AND user_idx = 0 THEN $2 || ' ' || i::VARCHAR || ${lastRow} WHEN pos = n - 1 AND next_u IS NOT NULL THEN i::VARCHAR || ${lastRow} ELSE i::VARCHAR END FROM inter_pos)
       TO $1 (FORMAT csv, header false, quote '', escape '', delim '\t', new_line ' ')`,
      [tmp, firstUser],
    );
    const fd = openSync(tmp, 'r+');
    try {
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      if (size === 0 || readSync(fd, last, 0, 1, size - 1) !== 1 || last[0] !== 0x20) throw new Error('out-of-core: sequences.txt does not end with the row separator');
      writeSync(fd, '\n', size - 1);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

