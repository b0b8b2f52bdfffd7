/**
 * Issue 19's "ml-100k anchor table" as we reconstruct it (not SDV's file, which we do not have):
 * one row per rating of MovieLens-100K (100,000 rows), 9 columns —
 *   timestamp     the rating's time as text `YYYY-MM-DD HH:MM:SS` (UTC, whole seconds; the issue's
 *                 resolution check reads this format),
 *   age, gender, occupation, zip_region   the user (zip_region = first zip character, as the CTR table),
 *   release_year, n_genres, main_genre    the movie (n_genres = its number of genre flags, 1–6;
 *                 main_genre = its first genre in u.item's flag order),
 *   label         rating ≥ 4, the binary train-on-synthetic target.
 * The issue names eight of these (its table is 100,000 × 9 with a 0.631 real-train ceiling, so the
 * rating itself cannot be a feature beside its label); main_genre is our choice of the ninth: the
 * item's genre in one column, which the 29-column CTR table spreads over 19 flags.
 * The split is the issue's 80k/20k, stratified by the label, seeded.
 */
import { Rng } from '../src/core/index.ts';
import { ml100kDataDir } from './ml100k-synth-split.ts';
import { genreColumn, loadMovieLensCtr, MOVIELENS_GENRES, MOVIELENS_LABEL, selectRows, type Cell, type MovieLensCtr, type Table, type TableMetadata } from '../src/data/index.ts';

export const ANCHOR9_COLUMNS = ['timestamp', 'age', 'gender', 'occupation', 'zip_region', 'release_year', 'n_genres', 'main_genre', MOVIELENS_LABEL] as const;

/** Unix seconds → `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatUtcSeconds(seconds: number): string {
  return new Date(Math.round(seconds) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The 9-column anchor table from the loaded CTR join (same rows, same order). */
export function anchor9FromCtr(ctr: MovieLensCtr): { table: Table; metadata: TableMetadata } {
  const src = ctr.table.data;
  const n = ctr.table.rowCount;
  const flags = MOVIELENS_GENRES.map((g) => src[genreColumn(g)]!);
  const nGenres = new Array<Cell>(n);
  const mainGenre = new Array<Cell>(n);
  const timestamp = new Array<Cell>(n);
  for (let i = 0; i < n; i++) {
    let count = 0;
    let first: string | null = null;
    flags.forEach((f, k) => {
      if (f[i] === true) {
        count++;
        first ??= MOVIELENS_GENRES[k]!;
      }
    });
    nGenres[i] = count;
    mainGenre[i] = first;
    timestamp[i] = formatUtcSeconds(ctr.timestamps[i]!);
  }
  const data: Record<string, readonly Cell[]> = {
    timestamp,
    age: src.age!,
    gender: src.gender!,
    occupation: src.occupation!,
    zip_region: src.zip_region!,
    release_year: src.release_year!,
    n_genres: nGenres,
    main_genre: mainGenre,
    [MOVIELENS_LABEL]: src[MOVIELENS_LABEL]!,
  };
  const metadata: TableMetadata = {
    columns: {
      timestamp: { type: 'datetime', datetimeFormat: 'iso' },
      age: { type: 'numerical', integer: true },
      gender: { type: 'categorical' },
      occupation: { type: 'categorical' },
      zip_region: { type: 'categorical' },
      release_year: { type: 'numerical', integer: true },
      n_genres: { type: 'numerical', integer: true },
      main_genre: { type: 'categorical' },
      [MOVIELENS_LABEL]: { type: 'boolean' },
    },
  };
  return { table: { columns: [...ANCHOR9_COLUMNS], rowCount: n, data }, metadata };
}

/**
 * Row indices split `trainShare` / rest within each label value (rows in a seeded random order
 * first), so train and holdout have the label's share to within one row. Both lists sorted.
 */
export function stratifiedSplit(labels: readonly Cell[], rows: ArrayLike<number>, rng: Rng, trainShare = 0.8): { train: Int32Array; holdout: Int32Array } {
  const order = Int32Array.from(rows);
  rng.shuffle(order);
  const groups = new Map<string, number[]>();
  for (const i of order) {
    const k = String(labels[i]);
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = []));
    g.push(i);
  }
  const train: number[] = [];
  const holdout: number[] = [];
  for (const k of [...groups.keys()].sort()) {
    const g = groups.get(k)!;
    const nTrain = Math.round(g.length * trainShare);
    train.push(...g.slice(0, nTrain));
    holdout.push(...g.slice(nTrain));
  }
  return { train: Int32Array.from(train).sort(), holdout: Int32Array.from(holdout).sort() };
}

export interface Ml100kAnchor9Split {
  readonly train: Table;
  readonly holdout: Table;
  readonly metadata: TableMetadata;
}

/**
 * A seeded random `rows`-row sample of the anchor table (all 100,000 rows by default) split 80/20
 * stratified by the label. Exits with a message (status 2) when ../shared/data/ml-100k is missing.
 */
export async function loadMl100kAnchor9Split(script: string, rows = 100000): Promise<Ml100kAnchor9Split> {
  const { table, metadata } = anchor9FromCtr(await loadMovieLensCtr(ml100kDataDir(script)));
  const rng = new Rng(12345).split('synth-report-anchor9');
  const order = Int32Array.from({ length: table.rowCount }, (_, i) => i);
  rng.split('rows').shuffle(order);
  const picked = order.slice(0, Math.min(rows, order.length));
  const { train, holdout } = stratifiedSplit(table.data[MOVIELENS_LABEL]!, picked, rng.split('split'));
  return { train: selectRows(table, train), holdout: selectRows(table, holdout), metadata };
}
