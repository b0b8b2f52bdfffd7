/**
 * Offline augmentation of a prepared (out-of-core) dataset, sharded by user hash: shard k of K
 * takes the users whose external id hashes to k, streams their training sequences in batches,
 * runs the caller's expander on each batch and writes Parquet parts plus a manifest.
 *
 * The data layer does not know augmentation pipelines (src/augment sits above it); the caller
 * passes `expand`, normally `(train, o) => expandSequences(train, pipeline, o)`. Because
 * expandSequences seeds sample (u, v) from (seed, u, v) alone, where u is the dense user index of
 * the whole prepared dataset, which shard or batch a user lands in changes nothing: the union of
 * K shards is the unsharded output (tested).
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, DataValidationError } from '../../core/errors.ts';
import { writeJsonAtomic } from '../../core/fsutil.ts';
import { jsonlToParquet, withDuckDB } from '../duckdb.ts';
import type { TrainView } from '../types.ts';
import { ChunkWriter } from './stage.ts';

/** One augmented sample, as src/augment's ExpandedSample (structurally). */
export interface ShardSample {
  readonly sourceUser: number;
  readonly view: number;
  readonly part: number;
  readonly items: Int32Array;
  readonly chain: readonly unknown[];
}

export interface ShardExpandOptions {
  readonly users: readonly number[];
  readonly seed: number;
  readonly views: number;
}

/** Runs a pipeline over some users of a TrainView; see the module comment. */
export type ShardExpander = (train: TrainView, opts: ShardExpandOptions) => Iterable<ShardSample>;

export interface ShardAugmentOptions {
  /** The folder prepareOutOfCore wrote. */
  readonly preparedDir: string;
  /** Where this shard's parts and manifest go (`part-<k>-<n>.parquet`, `manifest-<k>-of-<K>.json`). */
  readonly outDir: string;
  /** 0-based shard index and shard count. */
  readonly shard: number;
  readonly shards: number;
  readonly seed: number;
  readonly views: number;
  /** Names the pipeline in the manifest (e.g. fingerprint(pipeline.spec)); checked equal across shards by mergeable readers. */
  readonly pipelineFingerprint: string;
  readonly expand: ShardExpander;
  /** Users handed to `expand` at once (default 10,000). */
  readonly usersPerBatch?: number;
  /** Samples per Parquet part (default 1,000,000). */
  readonly samplesPerPart?: number;
  /** DuckDB memory limit for the sorted read of the training rows (default '1GB'). */
  readonly memoryLimit?: string;
}

export interface ShardPart {
  readonly file: string;
  readonly samples: number;
  /** sha256 (hex) of the part's bytes. */
  readonly sha256: string;
}

export interface ShardManifest {
  readonly format: 'samplify-augment-shard';
  readonly version: 1;
  readonly shard: number;
  readonly shards: number;
  readonly seed: number;
  readonly views: number;
  readonly pipelineFingerprint: string;
  /** sha256 of the prepared interactions.parquet the samples were made from. */
  readonly source: string;
  readonly users: number;
  readonly samples: number;
  readonly parts: readonly ShardPart[];
}

/** FNV-1a (32 bit) of the external user id, modulo the shard count: stable across machines and runs. */
export function userShard(userId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

/** A TrainView over one batch of users of a larger dataset (indexes keep their global meaning). */
class BatchTrainView implements TrainView {
  readonly interactionCount: number;
  constructor(
    readonly numItems: number,
    readonly numUsers: number,
    private readonly seqs: ReadonlyMap<number, Int32Array>,
  ) {
    let n = 0;
    for (const s of seqs.values()) n += s.length;
    this.interactionCount = n;
  }
  sequence(user: number): Int32Array {
    const s = this.seqs.get(user);
    if (s === undefined) throw new RangeError(`user ${user} is not in this batch`);
    return s.slice();
  }
  users(): number[] {
    return [...this.seqs.keys()];
  }
}

function sha256Of(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });
}

const PART_COLUMNS = [
  { name: 'user_idx', type: 'INTEGER' },
  { name: 'source_user', type: 'VARCHAR' },
  { name: 'view', type: 'INTEGER' },
  { name: 'part', type: 'INTEGER' },
  { name: 'items', type: 'INTEGER[]' },
  { name: 'chain', type: 'VARCHAR' },
] as const;

/**
 * Augments shard `shard` of `shards`. Part rows: user_idx (dense, as in users.parquet), source_user
 * (external id), view, part, items (dense item ids; items.parquet maps them back; numItems + 1 is
 * the mask token), chain (the operator chain as JSON). Rows are in (user_idx, view, part) order.
 */
export async function augmentShard(o: ShardAugmentOptions): Promise<ShardManifest> {
  if (!Number.isInteger(o.shards) || o.shards < 1) throw new ConfigError(`'shards' must be an integer >= 1, got ${o.shards}`, { field: 'shards' });
  if (!Number.isInteger(o.shard) || o.shard < 0 || o.shard >= o.shards) throw new ConfigError(`'shard' must be in 0..${o.shards - 1}, got ${o.shard}`, { field: 'shard' });
  const batchSize = o.usersPerBatch ?? 10_000;
  const perPart = o.samplesPerPart ?? 1_000_000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('usersPerBatch must be an integer >= 1', { field: 'usersPerBatch' });
  if (!Number.isInteger(perPart) || perPart < 1) throw new ConfigError('samplesPerPart must be an integer >= 1', { field: 'samplesPerPart' });
  const dir = resolve(o.preparedDir);
  const interPath = join(dir, 'interactions.parquet');
  const summaryPath = join(dir, 'summary.json');
  let summary: { users: number; items: number };
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf-8')) as { users: number; items: number };
  } catch (e) {
    throw new DataValidationError(`not a prepared out-of-core folder (${(e as Error).message.split('\n')[0]})`, { file: summaryPath });
  }
  const outDir = resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  const parts: ShardPart[] = [];
  let users = 0;
  let samples = 0;
  const tag = `${o.shard}-of-${o.shards}`;
  let jsonl: ChunkWriter | undefined;
  let inPart = 0;
  const flushPart = async (): Promise<void> => {
    if (jsonl === undefined) return;
    jsonl.close();
    const file = `part-${tag}-${String(parts.length).padStart(5, '0')}.parquet`;
    const jsonlPath = jsonl.path;
    try {
      await withDuckDB(jsonlPath, (c) => jsonlToParquet(c, jsonlPath, join(outDir, file), PART_COLUMNS));
    } finally {
      rmSync(jsonlPath, { force: true });
    }
    parts.push({ file, samples: inPart, sha256: await sha256Of(join(outDir, file)) });
    jsonl = undefined;
    inPart = 0;
  };
  const batch = new Map<number, Int32Array>();
  const names = new Map<number, string>();
  const runBatch = async (): Promise<void> => {
    if (batch.size === 0) return;
    const view = new BatchTrainView(summary.items, summary.users, batch);
    for (const s of o.expand(view, { users: [...batch.keys()], seed: o.seed, views: o.views })) {
      jsonl ??= new ChunkWriter(join(outDir, `.part-${tag}-${parts.length}.jsonl`));
      jsonl.write(`${JSON.stringify({ user_idx: s.sourceUser, source_user: names.get(s.sourceUser), view: s.view, part: s.part, items: Array.from(s.items), chain: JSON.stringify(s.chain) })}\n`);
      inPart++;
      samples++;
      if (inPart >= perPart) await flushPart();
    }
    batch.clear();
    names.clear();
  };
  const memoryLimit = /^\d+(\.\d+)?\s*[KMGT]i?B$/i.test(o.memoryLimit ?? '') ? o.memoryLimit : '1GB';
  const usersPath = join(dir, 'users.parquet');
  // Two streams read at once need two connections (a connection's next query ends its open stream).
  await withDuckDB(usersPath, async (uconn) => withDuckDB(interPath, async (conn) => {
    await conn.run(`SET memory_limit = '${memoryLimit}'`);
    await uconn.run(`SET memory_limit = '${memoryLimit}'`);
    // interactions.parquet and users.parquet are written in (user_idx, pos) and user_idx order, so
    // both are read in file order and walked side by side: no join (a hash table of every user's
    // id) and no sort. The order is checked as the rows come, never assumed silently.
    const res = await conn.stream(`SELECT user_idx, pos, item_idx FROM read_parquet($1) WHERE part = 'train'`, [interPath]);
    const userRows = await uconn.stream('SELECT user_idx, "user" FROM read_parquet($1)', [usersPath]);
    let userIdx: number[] = [];
    let userName: string[] = [];
    let userAt = 0;
    const nameOf = async (u: number): Promise<string> => {
      for (;;) {
        while (userAt < userIdx.length && userIdx[userAt]! < u) userAt++;
        if (userAt < userIdx.length) {
          if (userIdx[userAt] !== u) break;
          return userName[userAt]!;
        }
        const chunk = await userRows.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        [userIdx, userName] = chunk.getColumns() as [number[], string[]];
        userAt = 0;
      }
      throw new DataValidationError(`user_idx ${u} of interactions.parquet is not in users.parquet (or users.parquet is not in user_idx order)`, { file: usersPath });
    };
    let current = -1;
    let lastPos = -1;
    let mine = false;
    let items: number[] = [];
    const endUser = async (): Promise<void> => {
      if (current === -1 || !mine) return;
      batch.set(current, Int32Array.from(items));
      users++;
      if (batch.size >= batchSize) await runBatch();
    };
    for (;;) {
      const chunk = await res.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const [uidx, pos, item] = chunk.getColumns() as [number[], number[], number[]];
      for (let r = 0; r < chunk.rowCount; r++) {
        const u = uidx[r]!;
        if (u !== current) {
          if (u < current) throw new DataValidationError(`rows are not in (user_idx, pos) order: user_idx ${u} after ${current}`, { file: interPath, field: 'user_idx' });
          await endUser();
          current = u;
          const name = await nameOf(u);
          mine = userShard(name, o.shards) === o.shard;
          items = [];
          if (mine) names.set(current, name);
        } else if (pos[r]! <= lastPos) throw new DataValidationError(`rows are not in (user_idx, pos) order: pos ${pos[r]} after ${lastPos} for user_idx ${u}`, { file: interPath, field: 'pos' });
        lastPos = pos[r]!;
        if (mine) items.push(item[r]!);
      }
    }
    await endUser();
  }));
  await runBatch();
  await flushPart();
  const manifest: ShardManifest = {
    format: 'samplify-augment-shard',
    version: 1,
    shard: o.shard,
    shards: o.shards,
    seed: o.seed,
    views: o.views,
    pipelineFingerprint: o.pipelineFingerprint,
    source: await sha256Of(interPath),
    users,
    samples,
    parts,
  };
  writeJsonAtomic(join(outDir, `manifest-${tag}.json`), manifest);
  return manifest;
}
