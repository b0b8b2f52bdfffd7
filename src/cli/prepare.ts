/**
 * `samplify prepare`: an interaction log larger than memory → a prepared folder (validation with
 * row accounting, duplicates, dense ids, k-core, split; prepareOutOfCore), optionally followed by
 * offline augmentation sharded by user hash (augmentShard: Parquet parts + one manifest per shard).
 * The folder is written as one unit: a failed run leaves no partial output.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ProgressReporter } from '../core/index.ts';
import { writeFolderViaTempPath } from '../core/fsutil.ts';
import { fingerprintHash } from '../core/fingerprint.ts';
import { expandSequences, loadPipeline } from '../augment/index.ts';
import { augmentShard, MEMORY_LIMIT, OUT_OF_CORE_FORMATS, prepareOutOfCore, withReadProgress, type OutOfCoreResult, type ShardManifest } from '../data/index.ts';
import { tableColumnsFragment, TABLE_COLUMN_DEFAULTS } from '../experiment/index.ts';

export const prepareCommandSchema = z
  .object({
    data: z
      .object({
        /** The log: csv/tsv (header line), jsonl or parquet. */
        path: z.string().min(1),
        format: z.enum(OUT_OF_CORE_FORMATS).default('csv'),
        columns: tableColumnsFragment.default(TABLE_COLUMN_DEFAULTS),
        /** Allowed event types; other values are rejected rows. */
        eventTypes: z.array(z.string().min(1)).min(1).optional(),
        /** 'token' (any id without whitespace) or 'integer' (non-negative integers, leading zeros dropped). */
        idType: z.enum(['token', 'integer']).default('token'),
        /** Rejected rows as JSONL (default: rejected.jsonl in the output folder). */
        rejected: z.string().min(1).optional(),
      })
      .strict(),
    /** Output folder; must not exist yet or be empty. */
    out: z.string().min(1),
    /** k-core floor on users and items (1: no filtering). */
    kCore: z.number().int().min(1).default(1),
    split: z
      .object({
        kind: z.enum(['leave-one-out', 'temporal']).default('leave-one-out'),
        /** temporal only: the share of interactions (by time) in valid and test. */
        validFraction: z.number().min(0).max(1).default(0.1),
        testFraction: z.number().min(0).max(1).default(0.1),
        keepColdStart: z.boolean().default(false),
      })
      .strict()
      .default({ kind: 'leave-one-out', validFraction: 0.1, testFraction: 0.1, keepColdStart: false }),
    /** DuckDB's memory limit; past it, sorts and joins spill to tempDir. */
    memoryLimit: z.string().regex(MEMORY_LIMIT, { error: "expected a size such as '512MB' or '2GB'" }).default('1GB'),
    /** Where DuckDB spills (default: a folder inside the output, removed afterwards). */
    tempDir: z.string().min(1).optional(),
    /** DuckDB worker threads. */
    dbThreads: z.number().int().min(1).default(2),
    /** Also write sequences.txt (`user item item …`). */
    sequences: z.boolean().default(true),
    /** Offline augmentation of the training parts, sharded by user hash. */
    augment: z
      .object({
        /** Pipeline file (YAML or JSON); context-free pipelines only (no fitted resources). */
        pipeline: z.string().min(1),
        shards: z.number().int().min(1).default(1),
        views: z.number().int().min(1).default(1),
        seed: z.number().int().min(0).default(0),
      })
      .strict()
      .optional(),
  })
  .strict();
export type PrepareCommandConfig = z.infer<typeof prepareCommandSchema>;

export interface PrepareCommandResult {
  readonly out: string;
  readonly prepared: OutOfCoreResult;
  readonly augmented?: { readonly dir: string; readonly shards: number; readonly samples: number; readonly parts: number; readonly manifests: readonly string[] };
}

/** Runs `samplify prepare` for a parsed config; progress lines (one per stage and shard) go to `progress`. */
export async function runPrepareCommand(c: PrepareCommandConfig, progress: ProgressReporter): Promise<PrepareCommandResult> {
  // A pipeline is loaded and checked before any work: a bad file or one that needs fitted resources is exit 2 at once.
  const pipeline = c.augment !== undefined ? loadPipeline(c.augment.pipeline) : undefined;
  if (pipeline !== undefined) {
    const needs = [...pipeline.requirements()].map(([res, steps]) => `${steps[0]} needs ${res}`);
    if (needs.length > 0) throw new ConfigError(`prepare runs context-free pipelines only (${needs.join('; ')}); fit the resource once and call augmentShard from code`, { field: 'augment.pipeline' });
  }
  const cols = c.data.columns;
  return writeFolderViaTempPath(c.out, async (dir) => {
    // The staging pass reads the log through the shared line reader: inside withReadProgress it
    // draws the `reading <file>` bar (bytes, with ETA; step events for the workbench). The DuckDB
    // stages after it report one line each.
    let prepared = await withReadProgress(progress, () => prepareOutOfCore(c.data.path, {
      format: c.data.format,
      columns: { user: cols.user, item: cols.item, ...(cols.timestamp !== 'none' ? { timestamp: cols.timestamp } : {}), ...(cols.eventType ? { eventType: cols.eventType } : {}) },
      ...(c.data.eventTypes ? { eventTypes: c.data.eventTypes } : {}),
      idType: c.data.idType,
      outDir: dir,
      kCore: c.kCore,
      memoryLimit: c.memoryLimit,
      ...(c.tempDir !== undefined ? { tempDir: c.tempDir } : {}),
      threads: c.dbThreads,
      sequenceText: c.sequences,
      rejectedPath: c.data.rejected ?? join(dir, 'rejected.jsonl'),
      split: c.split.kind === 'temporal' ? { kind: 'temporal', validFraction: c.split.validFraction, testFraction: c.split.testFraction, keepColdStart: c.split.keepColdStart } : { kind: 'leave-one-out' },
      onStage: (stage, ms) => progress.line(`prepare: ${stage} ${(ms / 1000).toFixed(1)} s`),
    }));
    // The default rejected file moves with the folder: report its final path.
    if (c.data.rejected === undefined) prepared = { ...prepared, report: { ...prepared.report, rejectedFile: join(c.out, 'rejected.jsonl') } };
    const r = prepared.report;
    progress.line(`prepare: ${r.rowsIn} rows read, ${r.rowsKept} kept, ${r.rowsRejected} rejected; ${prepared.interactions} interactions of ${prepared.users} users and ${prepared.items} items after the ${c.kCore}-core`);
    if (c.augment === undefined || pipeline === undefined) return { out: c.out, prepared };
    const a = c.augment;
    const manifests: ShardManifest[] = [];
    for (let shard = 0; shard < a.shards; shard++) {
      const t0 = performance.now();
      const m = await augmentShard({
        preparedDir: dir,
        outDir: join(dir, 'augmented'),
        shard,
        shards: a.shards,
        seed: a.seed,
        views: a.views,
        pipelineFingerprint: fingerprintHash(pipeline.spec),
        expand: (train, o) => expandSequences(train, pipeline, o),
        memoryLimit: c.memoryLimit,
      });
      manifests.push(m);
      progress.line(`augment: shard ${shard + 1}/${a.shards}: ${m.samples} samples from ${m.users} users in ${m.parts.length} part(s), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    return {
      out: c.out,
      prepared,
      augmented: {
        dir: join(c.out, 'augmented'),
        shards: a.shards,
        samples: manifests.reduce((s, m) => s + m.samples, 0),
        parts: manifests.reduce((s, m) => s + m.parts.length, 0),
        manifests: manifests.map((m) => `manifest-${m.shard}-of-${m.shards}.json`),
      },
    };
  });
}

/** The one-paragraph text summary `samplify prepare` prints without --json. */
export function formatPrepareResult(r: PrepareCommandResult): string {
  const p = r.prepared;
  const lines = [
    `rows: ${p.report.rowsIn} read = ${p.report.rowsKept} kept + ${p.report.rowsRejected} rejected${p.report.rowsRejected ? ` (${Object.entries(p.report.rejectedByCode).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    `${p.kCore.k}-core: ${p.users} users, ${p.items} items, ${p.interactions} interactions (removed ${p.kCore.removedUsers} users, ${p.kCore.removedItems} items, ${p.kCore.removedInteractions} interactions)`,
    `split: ${p.split.evaluatedUsers} evaluated users, ${p.split.trainInteractions} train interactions, ${p.split.validCases} valid / ${p.split.testCases} test cases`,
  ];
  if (r.augmented) lines.push(`augmented: ${r.augmented.samples} samples in ${r.augmented.parts} part(s) over ${r.augmented.shards} shard(s) in ${r.augmented.dir}`);
  lines.push(`written: ${r.out}`);
  return lines.join('\n');
}
