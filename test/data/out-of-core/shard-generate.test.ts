import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { fingerprintHash } from '../../../src/core/fingerprint.ts';
import { expandSequences, loadPipeline } from '../../../src/augment/index.ts';
import { augmentShard, generateInteractionLog, LOG_PRESETS, prepareOutOfCore, userShard, type ShardExpander } from '../../../src/data/index.ts';
import { tempDir } from '../helpers.ts';

const t = tempDir();
after(() => t.cleanup());

describe('log generator', () => {
  it('is byte-identical for a seed and differs for another seed', () => {
    const a = generateInteractionLog(t.path('a.csv'), { preset: LOG_PRESETS.taobao, rows: 20_000, seed: 3, badRowShare: 0.01 });
    const b = generateInteractionLog(t.path('b.csv'), { preset: LOG_PRESETS.taobao, rows: 20_000, seed: 3, badRowShare: 0.01 });
    const c = generateInteractionLog(t.path('c.csv'), { preset: LOG_PRESETS.taobao, rows: 20_000, seed: 4, badRowShare: 0.01 });
    assert.ok(readFileSync(a.path).equals(readFileSync(b.path)));
    assert.ok(!readFileSync(a.path).equals(readFileSync(c.path)));
    assert.equal(a.rows - a.badRows, 20_000);
  });
  it('follows the preset: mean length and a heavy-tailed item popularity', () => {
    const g = generateInteractionLog(t.path('beauty.csv'), { preset: LOG_PRESETS.beauty, rows: 50_000, seed: 1 });
    const lines = readFileSync(g.path, 'utf-8').trimEnd().split('\n').slice(1);
    const users = new Set(lines.map((l) => l.split(',')[0]));
    const mean = lines.length / users.size;
    assert.ok(mean > 7 && mean < 11, `mean length ${mean}`);
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l.split(',')[1]!, (counts.get(l.split(',')[1]!) ?? 0) + 1);
    const sorted = [...counts.values()].sort((x, y) => y - x);
    const top1 = sorted.slice(0, Math.ceil(sorted.length / 100)).reduce((x, y) => x + y, 0) / lines.length;
    // Beauty's top 1 % of items hold 10.5 % of interactions; uniform popularity would give ~1 %.
    assert.ok(top1 > 0.05 && top1 < 0.2, `top-1% share ${top1}`);
  });
});

describe('sharded augmentation', () => {
  it('the union of K shards equals the unsharded output for the same seed', async () => {
    const g = generateInteractionLog(t.path('log.csv'), { preset: LOG_PRESETS.beauty, rows: 30_000, seed: 7 });
    const prepared = t.path('prepared');
    await prepareOutOfCore(g.path, { format: 'csv', columns: { user: 'user', item: 'item', timestamp: 'timestamp' }, outDir: prepared, kCore: 2, sequenceText: false, threads: 1 });
    const pipeline = loadPipeline('examples/pipelines/crop-reorder.yaml');
    const expand: ShardExpander = (train, o) => expandSequences(train, pipeline, o);
    const base = { preparedDir: prepared, seed: 11, views: 2, pipelineFingerprint: fingerprintHash(pipeline.spec), expand };
    const whole = await augmentShard({ ...base, outDir: t.path('whole'), shard: 0, shards: 1 });
    const K = 3;
    const manifests = [];
    for (let k = 0; k < K; k++) manifests.push(await augmentShard({ ...base, outDir: t.path('sharded'), shard: k, shards: K, usersPerBatch: 97, samplesPerPart: 1500 }));
    assert.equal(manifests.reduce((s, m) => s + m.samples, 0), whole.samples);
    assert.equal(manifests.reduce((s, m) => s + m.users, 0), whole.users);
    assert.ok(manifests.every((m) => m.parts.length >= 2 && m.pipelineFingerprint === whole.pipelineFingerprint));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = async (glob: string) =>
      JSON.stringify((await conn.runAndReadAll(`SELECT user_idx, source_user, view, part, items::VARCHAR, chain FROM read_parquet($1) ORDER BY user_idx, view, part`, [glob])).getRows());
    const a = await rows(t.path('whole/part-*.parquet'));
    const b = await rows(t.path('sharded/part-*.parquet'));
    assert.equal(b, a);
    // Each shard holds only its users.
    const perShard = await conn.runAndReadAll(`SELECT DISTINCT source_user FROM read_parquet($1)`, [t.path('sharded/part-1-of-3-*.parquet')]);
    assert.ok(perShard.getRows().every((r) => userShard(String(r[0]), K) === 1));
    conn.closeSync();
    db.closeSync();
  });
});
