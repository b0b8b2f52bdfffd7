/**
 * Reads a prepared (out-of-core) folder back into the in-memory shapes — for folders that fit in
 * memory: tests comparing both paths, and small runs that want a SequenceDataset.
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { SequenceDataset } from '../types.ts';
import { withDuckDB } from '../duckdb.ts';

export interface PreparedDataset {
  readonly dataset: SequenceDataset;
  /** parts[u][j] = 'train' | 'valid' | 'test' of sequences[u][j]. */
  readonly parts: readonly (readonly string[])[];
}

export async function readPreparedDataset(dir: string, name = 'prepared'): Promise<PreparedDataset> {
  const d = resolve(dir);
  const summary = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf-8')) as { checksum: string };
  return withDuckDB(d, async (conn) => {
    const userIds = (await conn.runAndReadAll(`SELECT "user" FROM read_parquet($1) ORDER BY user_idx`, [join(d, 'users.parquet')])).getRows().map((r) => String(r[0]));
    const itemIds = ['<pad>', ...(await conn.runAndReadAll('SELECT item FROM read_parquet($1) ORDER BY item_idx', [join(d, 'items.parquet')])).getRows().map((r) => String(r[0]))];
    const interPath = join(d, 'interactions.parquet');
    const cols = (await conn.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [interPath])).getRows().map((r) => String(r[0]));
    const hasTime = cols.includes('timestamp');
    const rows = (await conn.runAndReadAll(`SELECT user_idx, item_idx, part${hasTime ? ', "timestamp"' : ''} FROM read_parquet($1) ORDER BY user_idx, pos`, [interPath])).getRows();
    const seqs: number[][] = userIds.map(() => []);
    const times: number[][] = userIds.map(() => []);
    const parts: string[][] = userIds.map(() => []);
    for (const r of rows) {
      const u = Number(r[0]);
      seqs[u]!.push(Number(r[1]));
      parts[u]!.push(String(r[2]));
      if (hasTime) times[u]!.push(Number(r[3]));
    }
    const dataset: SequenceDataset = {
      name,
      userIds,
      itemIds,
      numItems: itemIds.length - 1,
      sequences: seqs.map((s) => Int32Array.from(s)),
      ...(hasTime ? { timestamps: times.map((t) => Float64Array.from(t)) } : {}),
      checksum: summary.checksum,
    };
    return { dataset, parts };
  });
}
