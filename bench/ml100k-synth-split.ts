/**
 * The ml-100k CTR table split shared by the table-synthesis benchmarks (synth-report, tstr-null):
 * a seeded random sample of `rows` rows, 80 % to fit on and 20 % held out (privacy baseline and
 * TSTR test set). One definition, so every result quoted against "the synth-report split" is.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Rng } from '../src/core/index.ts';
import { loadMovieLensCtr, selectRows, type Table, type TableMetadata } from '../src/data/index.ts';

export interface Ml100kSynthSplit {
  readonly train: Table;
  readonly holdout: Table;
  readonly metadata: TableMetadata;
}

/** ../shared/data/ml-100k; exits with a message (status 2) when it is not beside the project. */
export function ml100kDataDir(script: string): string {
  const dataDir = resolve(process.cwd(), '../shared/data/ml-100k');
  if (!existsSync(resolve(dataDir, 'ml-100k.inter'))) {
    console.error(`${script}: ${dataDir} not found (it lives in ../shared/data beside the project)`);
    process.exit(2);
  }
  return dataDir;
}

/** Exits with a message (status 2) when ../shared/data/ml-100k is not beside the project. */
export async function loadMl100kSynthSplit(script: string, rows = 20000): Promise<Ml100kSynthSplit> {
  const ml = await loadMovieLensCtr(ml100kDataDir(script));
  const order = Int32Array.from({ length: ml.table.rowCount }, (_, i) => i);
  new Rng(12345).split('synth-report-rows').shuffle(order);
  const picked = order.slice(0, Math.min(rows, order.length));
  const nTrain = Math.round(picked.length * 0.8);
  return { train: selectRows(ml.table, picked.slice(0, nTrain).sort()), holdout: selectRows(ml.table, picked.slice(nTrain).sort()), metadata: ml.metadata };
}
