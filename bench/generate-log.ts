/**
 * Writes a synthetic interaction log (CSV `user,item,timestamp`) fitted to Beauty or Taobao.
 *
 *   node --import tsx bench/generate-log.ts --preset taobao --rows 10000000 --seed 1 --out runs/log-10m.csv [--bad 0.01] [--parquet runs/log-10m.parquet]
 *   node --import tsx bench/generate-log.ts --fit ../shared/data/beauty/Beauty.txt   (the statistics a preset is fitted from)
 *
 * Same (preset, rows, seed, bad) → byte-identical CSV. With --parquet the CSV is also converted by
 * DuckDB (streamed; types user VARCHAR, item VARCHAR, timestamp BIGINT) — only valid with --bad 0.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateInteractionLog, LOG_PRESETS, measureLogStatistics, readSequenceText, type LogPresetName } from '../src/data/index.ts';
import { arg } from './args.ts';

// --fit <user item item … file>: print the statistics a preset is fitted from, and stop.
const fit = arg('fit', '');
if (fit !== '') {
  const { dataset } = await readSequenceText(fit);
  console.log(JSON.stringify({ file: fit, ...measureLogStatistics(dataset.sequences, dataset.numItems) }));
  process.exit(0);
}

const presetName = arg('preset', 'taobao');
if (!(presetName in LOG_PRESETS)) throw new Error(`--preset must be one of: ${Object.keys(LOG_PRESETS).join(', ')}`);
const rows = Number(arg('rows', '1000000'));
const out = arg('out', join(tmpdir(), `samplify-log-${presetName}-${rows}.csv`));
const bad = Number(arg('bad', '0'));
const t0 = performance.now();
const g = generateInteractionLog(out, { preset: LOG_PRESETS[presetName as LogPresetName], rows, seed: Number(arg('seed', '1')), badRowShare: bad });
console.log(JSON.stringify({ ...g, ms: Math.round(performance.now() - t0) }));
const parquet = arg('parquet', '');
if (parquet !== '') {
  if (bad > 0) throw new Error('--parquet needs --bad 0 (malformed rows do not fit a typed Parquet schema)');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT * FROM read_csv($1, header = true, columns = {'user': 'VARCHAR', 'item': 'VARCHAR', 'timestamp': 'BIGINT'})) TO $2 (FORMAT parquet)`, [out, parquet]);
  conn.closeSync();
  db.closeSync();
  console.log(`wrote ${parquet}`);
}
