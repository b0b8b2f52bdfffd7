/**
 * MovieLens-100K as a CTR-style feature table (RecBole atomic files `ml-100k.{inter,user,item}`):
 * one row per rating, joined with the user's demographics and the movie's year and genres, label
 * `rating ≥ 4`. The rating itself is not a column (it is the label's source); the timestamp is
 * returned beside the table (for temporal splits) and only its hour and weekday are features.
 */
import { join } from 'node:path';
import { DataValidationError } from '../core/errors.ts';
import { scanDelimited } from './csv.ts';
import { checkInputFile } from './lines.ts';
import { RejectionSink } from './rejections.ts';
import type { Cell, Table, TableMetadata, ColumnMeta } from './table.ts';
import type { ReadReport } from './types.ts';

/** The genre flags of the original u.item (RecBole spells them the same way), in that order. */
export const MOVIELENS_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

/** Column name of a genre flag: `genre_` + the genre with non-alphanumerics removed (`genre_Childrens`, `genre_FilmNoir`). */
export function genreColumn(genre: string): string {
  return 'genre_' + genre.replace(/[^A-Za-z0-9]/g, '');
}

export const MOVIELENS_LABEL = 'label';

export interface MovieLensCtrOptions {
  /** Ratings at or above this are positives (default 4). */
  readonly positiveFrom?: number;
  /** JSONL file for rejected interaction rows. */
  readonly rejectedPath?: string;
}

export interface MovieLensCtrReport {
  readonly interactions: ReadReport;
  readonly users: ReadReport;
  readonly items: ReadReport;
  readonly positives: number;
  readonly negatives: number;
  /** positives / kept rows. */
  readonly positiveShare: number;
  /** Items whose release year is missing or not a year (kept, with a null year). */
  readonly itemsWithoutYear: number;
}

export interface MovieLensCtr {
  readonly table: Table;
  readonly metadata: TableMetadata;
  /** Per row: the physical line of its rating in the .inter file (1 = header), a stable row id. */
  readonly rowIds: Int32Array;
  /** Per row: the rating's Unix time in seconds. */
  readonly timestamps: Float64Array;
  readonly report: MovieLensCtrReport;
}

interface UserAttrs {
  readonly age: number;
  readonly gender: string;
  readonly occupation: string;
  readonly zipRegion: string;
}

interface ItemAttrs {
  readonly year: number | null;
  readonly genres: ReadonlySet<string>;
}

const stripType = (h: string): string => h.replace(/:[a-z_]+$/, '');
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

function columnIndex(file: string, header: readonly string[], names: readonly string[]): Record<string, number> {
  const plain = header.map(stripType);
  const idx: Record<string, number> = {};
  for (const n of names) {
    const i = plain.indexOf(n);
    if (i < 0) throw new DataValidationError(`missing column '${n}'; header has: ${header.join(', ')}`, { file, line: 1, field: n });
    idx[n] = i;
  }
  return idx;
}

/**
 * Reads a RecBole attribute file (users or items) into a map keyed by its id token; rows that
 * cannot be used are rejected with a reason (and every interaction pointing at them is then
 * rejected as 'unknown-user' / 'unknown-item').
 */
async function readAttributes<T>(
  file: string,
  idColumn: string,
  names: readonly string[],
  parse: (fields: Record<string, string>, reject: (field: string, code: string, reason: string) => void) => T | null,
  what: string,
): Promise<{ map: Map<string, T>; report: ReadReport }> {
  checkInputFile(file);
  const sink = new RejectionSink(file);
  const map = new Map<string, T>();
  let idx: Record<string, number> = {};
  let width = 0;
  let rowsIn = 0;
  try {
    await scanDelimited(file, { delimiter: '\t', quote: null, encoding: 'utf-8' }, {
      header(h) {
        width = h.length;
        idx = columnIndex(file, h, [idColumn, ...names]);
      },
      record(line, f, raw) {
        rowsIn++;
        if (f.length !== width) return sink.reject(line, '*', 'column-count', `expected ${width} fields (as in the header), found ${f.length}`, raw);
        const id = f[idx[idColumn]!]!.trim();
        if (id === '') return sink.reject(line, idColumn, 'bad-id', `empty ${idColumn}`, raw);
        if (map.has(id)) return sink.reject(line, idColumn, 'duplicate-id', `${idColumn} '${id}' appears again`, raw);
        const fields: Record<string, string> = {};
        for (const n of names) fields[n] = f[idx[n]!]!.trim();
        let rejected = false;
        const v = parse(fields, (field, code, reason) => {
          rejected = true;
          sink.reject(line, field, code, reason, raw);
        });
        if (!rejected && v !== null) map.set(id, v);
      },
      bad(line, code, reason, raw) {
        rowsIn++;
        sink.reject(line, '*', code, reason, raw);
      },
    });
    return { map, report: sink.close(rowsIn, map.size, what) };
  } catch (e) {
    sink.abort();
    throw e;
  }
}

/**
 * Zip code → its first character. The full zip is nearly a user identifier (795 distinct codes for
 * 943 users) and so adds nothing user_id does not already carry, while being a quasi-identifier a
 * synthetic table should not reproduce; its first digit is the US postal region (0 = north-east …
 * 9 = west), a coarse, shareable location. Non-US (letter) codes become 'other'.
 */
function zipRegion(zip: string): string {
  const c = zip.charAt(0);
  return c >= '0' && c <= '9' ? c : 'other';
}

export async function loadMovieLensCtr(dir: string, options: MovieLensCtrOptions = {}): Promise<MovieLensCtr> {
  const positiveFrom = options.positiveFrom ?? 4;
  const interFile = join(dir, 'ml-100k.inter');
  const userFile = join(dir, 'ml-100k.user');
  const itemFile = join(dir, 'ml-100k.item');

  const users = await readAttributes<UserAttrs>(userFile, 'user_id', ['age', 'gender', 'occupation', 'zip_code'], (f, reject) => {
    const age = Number(f.age);
    if (!/^\d+$/.test(f.age!) || !(age > 0 && age < 130)) return reject('age', 'bad-age', `age '${f.age}' is not an integer in 1..129`), null;
    if (f.gender === '') return reject('gender', 'missing-value', 'empty gender'), null;
    if (f.occupation === '') return reject('occupation', 'missing-value', 'empty occupation'), null;
    return { age, gender: f.gender!, occupation: f.occupation!, zipRegion: zipRegion(f.zip_code!) };
  }, 'user');

  let itemsWithoutYear = 0;
  const known = new Set<string>(MOVIELENS_GENRES);
  const items = await readAttributes<ItemAttrs>(itemFile, 'item_id', ['release_year', 'class'], (f, reject) => {
    const genres = new Set(f.class!.split(/\s+/).filter((g) => g !== ''));
    for (const g of genres) if (!known.has(g)) return reject('class', 'unknown-genre', `genre '${g}' is not one of ${MOVIELENS_GENRES.join(', ')}`), null;
    // A missing or garbled year ('unkonwn', 'V' in RecBole's file) is kept as a missing value: the
    // movie's ratings are still real ratings.
    const y = Number(f.release_year);
    const year = /^\d{4}$/.test(f.release_year!) && y >= 1880 && y <= 2100 ? y : null;
    if (year === null) itemsWithoutYear++;
    return { year, genres };
  }, 'item');

  checkInputFile(interFile);
  const sink = new RejectionSink(interFile, options.rejectedPath);
  const genreCols = MOVIELENS_GENRES.map(genreColumn);
  const columns = ['user_id', 'item_id', 'age', 'gender', 'occupation', 'zip_region', 'release_year', ...genreCols, 'hour', 'weekday', MOVIELENS_LABEL];
  const cols: Record<string, Cell[]> = Object.fromEntries(columns.map((c) => [c, [] as Cell[]]));
  const rowIds: number[] = [];
  const times: number[] = [];
  const seenPairs = new Set<string>();
  let idx: Record<string, number> = {};
  let width = 0;
  let rowsIn = 0;
  let positives = 0;
  try {
    await scanDelimited(interFile, { delimiter: '\t', quote: null, encoding: 'utf-8' }, {
      header(h) {
        width = h.length;
        idx = columnIndex(interFile, h, ['user_id', 'item_id', 'rating', 'timestamp']);
      },
      record(line, f, raw) {
        rowsIn++;
        if (f.length !== width) return sink.reject(line, '*', 'column-count', `expected ${width} fields (as in the header), found ${f.length}`, raw);
        const u = f[idx.user_id!]!.trim();
        const i = f[idx.item_id!]!.trim();
        if (u === '') return sink.reject(line, 'user_id', 'bad-id', 'empty user_id', raw);
        if (i === '') return sink.reject(line, 'item_id', 'bad-id', 'empty item_id', raw);
        const ratingText = f[idx.rating!]!.trim();
        const rating = Number(ratingText);
        if (ratingText === '' || !Number.isFinite(rating)) return sink.reject(line, 'rating', 'bad-rating', `rating '${ratingText}' is not a number`, raw);
        const tsText = f[idx.timestamp!]!.trim();
        const ts = Number(tsText);
        if (tsText === '' || !Number.isFinite(ts)) return sink.reject(line, 'timestamp', 'bad-timestamp', `timestamp '${tsText}' is not a number`, raw);
        if (ts < 0) return sink.reject(line, 'timestamp', 'negative-timestamp', `timestamp ${ts} is negative`, raw);
        const ua = users.map.get(u);
        if (ua === undefined) return sink.reject(line, 'user_id', 'unknown-user', `user '${u}' has no usable row in ${userFile}`, raw);
        const ia = items.map.get(i);
        if (ia === undefined) return sink.reject(line, 'item_id', 'unknown-item', `item '${i}' has no usable row in ${itemFile}`, raw);
        // (user, item) identifies a rating in MovieLens; a second one is a re-rating we cannot order
        // against the first without guessing, so only the first is kept.
        const pair = `${u}\u0000${i}`;
        if (seenPairs.has(pair)) return sink.reject(line, '*', 'duplicate-pair', `user '${u}' rated item '${i}' again`, raw);
        seenPairs.add(pair);
        const d = new Date(ts * 1000);
        cols.user_id!.push(u);
        cols.item_id!.push(i);
        cols.age!.push(ua.age);
        cols.gender!.push(ua.gender);
        cols.occupation!.push(ua.occupation);
        cols.zip_region!.push(ua.zipRegion);
        cols.release_year!.push(ia.year);
        MOVIELENS_GENRES.forEach((g, k) => cols[genreCols[k]!]!.push(ia.genres.has(g)));
        cols.hour!.push(d.getUTCHours());
        cols.weekday!.push(WEEKDAYS[d.getUTCDay()]!);
        const positive = rating >= positiveFrom;
        if (positive) positives++;
        cols[MOVIELENS_LABEL]!.push(positive);
        rowIds.push(line);
        times.push(ts);
      },
      bad(line, code, reason, raw) {
        rowsIn++;
        sink.reject(line, '*', code, reason, raw);
      },
    });
  } catch (e) {
    sink.abort();
    throw e;
  }
  const kept = rowIds.length;
  const interactions = sink.close(rowsIn, kept, 'interaction');
  const table: Table = { columns, rowCount: kept, data: cols };
  return {
    table,
    metadata: movieLensCtrMetadata(),
    rowIds: Int32Array.from(rowIds),
    timestamps: Float64Array.from(times),
    report: { interactions, users: users.report, items: items.report, positives, negatives: kept - positives, positiveShare: kept > 0 ? positives / kept : 0, itemsWithoutYear },
  };
}

/** Column types of the MovieLens CTR table (declared, not detected: the loader knows them). */
export function movieLensCtrMetadata(): TableMetadata {
  const columns: Record<string, ColumnMeta> = {
    user_id: { type: 'id' },
    item_id: { type: 'id' },
    age: { type: 'numerical', integer: true },
    gender: { type: 'categorical' },
    occupation: { type: 'categorical' },
    zip_region: { type: 'categorical' },
    release_year: { type: 'numerical', integer: true },
  };
  for (const g of MOVIELENS_GENRES) columns[genreColumn(g)] = { type: 'boolean' };
  columns.hour = { type: 'numerical', integer: true };
  columns.weekday = { type: 'categorical' };
  columns[MOVIELENS_LABEL] = { type: 'boolean' };
  return { columns };
}
