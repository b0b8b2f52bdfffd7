/**
 * Entity-consistent sampling (src/synth/entities.ts): functional dependencies key → attributes are
 * found in a planted table (and a non-functional column is rejected); sampled rows keep them
 * exactly; same seed ⇒ same rows; save → load ⇒ same rows; bad config is a ConfigError naming the
 * key path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseWithSchema, Rng } from '../../src/core/index.ts';
import { cellKey, type Cell, type Table, type TableMetadata } from '../../src/data/index.ts';
import { createSynthesizer, detectEntities, EntityBlockSynthesizer, synthesizers, synthesizerSpecSchema } from '../../src/synth/index.ts';

/**
 * 60 users with (age, gender, job) that are a function of the user; 25 items with (genre) a
 * function of the item; `noisy` agrees with the user on most rows but not within 1 %; `hour` and
 * `label` vary per row. Two planted violations of `job` (≤ 1 % of the rows) stay tolerated.
 */
function plantedTable(n: number, seed: number): { table: Table; metadata: TableMetadata } {
  const rng = new Rng(seed);
  const users = Array.from({ length: 60 }, () => ({ age: 18 + rng.int(50), gender: rng.next() < 0.5 ? 'F' : 'M', job: ['student', 'engineer', 'artist', 'doctor'][rng.int(4)]!, noisy: rng.int(3) }));
  const items = Array.from({ length: 25 }, () => ({ genre: ['drama', 'comedy', 'action'][rng.int(3)]! }));
  const cols: Record<string, Cell[]> = { user: [], item: [], age: [], gender: [], job: [], genre: [], noisy: [], hour: [], label: [] };
  for (let i = 0; i < n; i++) {
    const u = Math.floor(Math.pow(rng.next(), 1.5) * 60);
    const it = rng.int(25);
    const usr = users[u]!;
    cols.user!.push(`u${u}`);
    cols.item!.push(it);
    cols.age!.push(usr.age);
    cols.gender!.push(usr.gender);
    cols.job!.push(i < 2 ? 'pilot' : usr.job);
    cols.genre!.push(items[it]!.genre);
    cols.noisy!.push(rng.next() < 0.15 ? rng.int(3) + 10 : usr.noisy);
    cols.hour!.push(rng.int(24));
    cols.label!.push(rng.next() < (usr.age > 40 ? 0.7 : 0.3));
  }
  return {
    table: { columns: Object.keys(cols), rowCount: n, data: cols },
    metadata: {
      columns: {
        user: { type: 'id' }, item: { type: 'id' }, age: { type: 'numerical', integer: true }, gender: { type: 'categorical' }, job: { type: 'categorical' },
        genre: { type: 'categorical' }, noisy: { type: 'categorical' }, hour: { type: 'numerical', integer: true }, label: { type: 'boolean' },
      },
    },
  };
}

const { table, metadata } = plantedTable(600, 3);

/** Per key value, the set of attribute blocks it appears with. */
function blocksPerKey(t: Table, key: string, attributes: readonly string[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (let r = 0; r < t.rowCount; r++) {
    const k = cellKey(t.data[key]![r] ?? null);
    const b = attributes.map((a) => cellKey(t.data[a]![r] ?? null)).join('|');
    if (!m.has(k)) m.set(k, new Set());
    m.get(k)!.add(b);
  }
  return m;
}

test('detectEntities finds user → (age, gender, job) and item → genre, tolerates 2 noisy rows, rejects a non-functional column', () => {
  const d = detectEntities(table, metadata, { tolerance: 0.01, minEntities: 10 });
  const user = d.blocks.find((b) => b.key === 'user');
  const item = d.blocks.find((b) => b.key === 'item');
  assert.ok(user && item, JSON.stringify(d.blocks));
  assert.deepEqual([...user.attributes].sort(), ['age', 'gender', 'job']);
  assert.deepEqual(item.attributes, ['genre']);
  assert.equal(user.violations.job, 2, 'the two planted rows are counted');
  assert.equal(user.violations.age, 0);
  for (const c of ['noisy', 'hour', 'label']) {
    assert.ok(!d.blocks.some((b) => b.attributes.includes(c)), `${c} is not an attribute`);
    assert.ok(d.rejected.some((r) => r.key === 'user' && r.column === c && r.violations > 6), `${c} is rejected against user with its violation count`);
  }
  const strict = detectEntities(table, metadata, { tolerance: 0, minEntities: 10 });
  assert.ok(!strict.blocks.find((b) => b.key === 'user')!.attributes.includes('job'), 'tolerance 0 rejects the noisy job column');
});

for (const attributeSource of ['synthetic', 'copy'] as const) {
  test(`entity-blocks (${attributeSource}): every sampled key has exactly one attribute block; same seed ⇒ same rows; save → load ⇒ same rows`, async () => {
    const fit = async () => {
      const s = createSynthesizer('entity-blocks', { attributeSource });
      await s.fit(table, metadata, { seed: 5 });
      return s;
    };
    const a = await fit();
    const sample = a.sample(500, { seed: 2 }).table;
    assert.deepEqual(sample.columns, table.columns);
    assert.equal(sample.rowCount, 500);
    for (const [key, attributes] of [['user', ['age', 'gender', 'job']], ['item', ['genre']]] as const) {
      for (const [k, blocks] of blocksPerKey(sample, key, attributes)) assert.equal(blocks.size, 1, `${key} ${k} has one block, got ${[...blocks].join(' / ')}`);
    }
    if (attributeSource === 'copy') {
      const real = blocksPerKey(table, 'user', ['age', 'gender', 'job']);
      for (const [k, blocks] of blocksPerKey(sample, 'user', ['age', 'gender', 'job'])) assert.ok(real.get(k)!.has([...blocks][0]!), `user ${k} keeps its real block`);
    }
    const b = await fit();
    assert.equal(JSON.stringify(b.sample(500, { seed: 2 }).table), JSON.stringify(sample), 'same seed, same rows');
    assert.notEqual(JSON.stringify(a.sample(500, { seed: 3 }).table), JSON.stringify(sample), 'another seed, other rows');
    const dir = mkdtempSync(join(tmpdir(), 'samplify-entities-'));
    try {
      a.save(join(dir, 'model.json'));
      const loaded = createSynthesizer('entity-blocks', {});
      loaded.load(join(dir, 'model.json'));
      assert.equal(JSON.stringify(loaded.sample(500, { seed: 2 }).table), JSON.stringify(sample), 'loaded model samples as the saved one');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('entity-blocks: a condition on an attribute column is met by rejection, a row condition natively', async () => {
  const s = createSynthesizer('entity-blocks', {});
  await s.fit(table, metadata, { seed: 1 });
  const r = s.sample(50, { seed: 4, conditions: { gender: 'F', hour: 3 } });
  assert.equal(r.table.rowCount, 50);
  assert.ok(r.table.data.gender!.every((g) => g === 'F'));
  assert.ok(r.table.data.hour!.every((h) => h === 3));
  assert.equal(r.report.conditionMethod, 'reject');
});

test('entity-blocks: declared entities are used as given; unknown columns and bad keys are ConfigErrors naming the key path', async () => {
  const s = new EntityBlockSynthesizer({ entities: [{ key: 'item', attributes: ['genre'] }] }, synthesizers);
  await s.fit(table, metadata, { seed: 1 });
  assert.deepEqual(s.entities.map((e) => e.key), ['item']);
  const bad = createSynthesizer('entity-blocks', { entities: [{ key: 'user', attributes: ['age', 'nope'] }] });
  await assert.rejects(() => bad.fit(table, metadata, { seed: 1 }), (e: unknown) => e instanceof ConfigError && e.location.field === 'synthesizer.params.entities[0].attributes[1]');
  const spec = synthesizerSpecSchema(synthesizers);
  const field = (raw: Record<string, unknown>) => {
    try {
      parseWithSchema(spec, { name: 'entity-blocks', params: raw }, { prefix: ['synthesizer'] });
      return null;
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.location.field;
    }
  };
  assert.equal(field({ entities: [{ key: 'user', attributes: ['age'], atributes: 1 }] }), 'synthesizer.params.entities[0].atributes');
  assert.equal(field({ attributeSource: 'clone' }), 'synthesizer.params.attributeSource');
  assert.equal(field({ synthesizer: 'gaussian-copula', params: { empiricalKnot: 3 } }), 'synthesizer.params.params.empiricalKnot');
  assert.equal(field({ synthesizer: 'gan9000' }), 'synthesizer.params.synthesizer');
  assert.equal(field({ tolerance: 0.5 }), 'synthesizer.params.tolerance');
  assert.equal(field({}), null);
});
