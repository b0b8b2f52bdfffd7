import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../src/core/errors.ts';
import { makeTrainView, type SequenceDataset } from '../../src/data/index.ts';
import { buildPipeline, expandSequences, expandTrainView, expandTrainViewDetailed, fitItemSimilarity, loadPipeline, replayChain, writeExpansionJsonl, type ExpandedSample } from '../../src/augment/index.ts';
import { arr, seq, tempDir } from './helpers.ts';

function dataset(users: number, numItems: number): SequenceDataset {
  const sequences: Int32Array[] = [];
  for (let u = 0; u < users; u++) sequences.push(Int32Array.from({ length: 1 + ((u * 7) % 13) }, (_, i) => 1 + ((u * 31 + i * 17) % numItems)));
  return {
    name: 'gen',
    userIds: Array.from({ length: users }, (_, u) => `user-${u}`),
    itemIds: ['<pad>', ...Array.from({ length: numItems }, (_, i) => `I${i + 1}`)],
    numItems,
    sequences,
    checksum: 'x',
  };
}
const d = dataset(60, 40);
const train = makeTrainView(d.numItems, d.sequences);
const sim = fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 10 });
const coserec = loadPipeline('examples/pipelines/coserec-default.yaml');
const key = (s: ExpandedSample) => `${s.sourceUser}:${s.view}:${s.part}`;
const plain = (s: ExpandedSample) => JSON.stringify({ ...s, items: arr(s.items) });

describe('expandSequences', () => {
  it('one sample per (user, view), in user order, each replayable', () => {
    const out = [...expandSequences(train, coserec, { views: 3, seed: 1, similarity: sim })];
    assert.equal(out.length, train.users().length * 3);
    assert.deepEqual(out.slice(0, 3).map((s) => [s.sourceUser, s.view]), [[0, 0], [0, 1], [0, 2]]);
    for (const s of out) assert.deepEqual(arr(replayChain(train.sequence(s.sourceUser), s.chain, { numItems: 40 })), arr(s.items));
  });
  it('each sample depends only on (seed, user, view): subsets and reorderings agree', () => {
    const all = new Map([...expandSequences(train, coserec, { views: 2, seed: 9, similarity: sim })].map((s) => [key(s), plain(s)]));
    const some = [...expandSequences(train, coserec, { views: 2, seed: 9, similarity: sim, users: [41, 3, 17] })];
    assert.equal(some.length, 6);
    for (const s of some) assert.equal(plain(s), all.get(key(s)));
  });
  it('checks options and the pipeline before producing anything', () => {
    assert.throws(() => expandSequences(train, coserec, { views: 2, seed: 1 }), /step 1\.short\.1 \(insert\): needs a fitted item similarity/);
    assert.throws(() => expandSequences(train, coserec, { views: 0, seed: 1, similarity: sim }), ConfigError);
    assert.throws(() => expandSequences(train, coserec, { views: 1.5, seed: 1, similarity: sim }), /'views'/);
    assert.throws(() => expandSequences(train, coserec, { views: 1, seed: 1, similarity: sim, users: [999] }), /outside/);
  });
  it('streams: nothing is computed before it is asked for', () => {
    let n = 0;
    for (const _ of expandSequences(train, coserec, { views: 1000, seed: 1, similarity: sim })) if (++n === 5) break;
    assert.equal(n, 5);
  });
});

describe('writeExpansionJsonl', () => {
  it('same seed → byte-identical file; different seed → different; external ids', async () => {
    const t = tempDir();
    try {
      const write = (seed: number, f: string) => writeExpansionJsonl(expandSequences(train, coserec, { views: 2, seed, similarity: sim }), t.path(f), { itemIds: d.itemIds, userIds: d.userIds });
      const r = await write(5, 'a.jsonl');
      await write(5, 'b.jsonl');
      await write(6, 'c.jsonl');
      const a = readFileSync(t.path('a.jsonl'));
      assert.ok(a.equals(readFileSync(t.path('b.jsonl'))), 'same seed, same bytes');
      assert.ok(!a.equals(readFileSync(t.path('c.jsonl'))), 'different seed, different bytes');
      assert.equal(r.bytes, a.length);
      const lines = a.toString('utf-8').trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, r.samples);
      assert.equal(lines.length, train.users().length * 2);
      const first = lines[0];
      assert.deepEqual(Object.keys(first), ['source_user', 'view', 'items', 'chain']);
      assert.equal(first.source_user, 'user-0');
      for (const l of lines) for (const it of l.items) assert.match(it, /^(I\d+|<mask>)$/);
      assert.ok(lines.some((l) => l.items.includes('<mask>')));
      assert.ok(Array.isArray(first.chain) && typeof first.chain[0].op === 'string');
      assert.deepEqual(readdirSync(t.dir).sort(), ['a.jsonl', 'b.jsonl', 'c.jsonl'], 'no temp files left');
    } finally {
      t.cleanup();
    }
  });
  it('an error mid-stream leaves no file and no temp file', async () => {
    const t = tempDir();
    try {
      function* bad(): Iterable<ExpandedSample> {
        yield* expandSequences(train, coserec, { views: 1, seed: 1, similarity: sim, users: [0, 1] });
        throw new Error('boom');
      }
      await assert.rejects(writeExpansionJsonl(bad(), t.path('x.jsonl'), { itemIds: d.itemIds }), /boom/);
      assert.ok(!existsSync(t.path('x.jsonl')));
      assert.deepEqual(readdirSync(t.dir), []);
    } finally {
      t.cleanup();
    }
  });
  it('accepts async iterables; multi-output records carry part; dense user ids without userIds', async () => {
    const t = tempDir();
    try {
      const p = buildPipeline({ steps: [{ op: 'prefixes', maxOutputs: 2 }] });
      async function* gen() {
        yield* expandSequences(makeTrainView(3, [seq(1, 2, 3)]), p, { views: 1, seed: 0 });
      }
      await writeExpansionJsonl(gen(), t.path('p.jsonl'), { itemIds: ['<pad>', 'a', 'b', 'c'] });
      const lines = readFileSync(t.path('p.jsonl'), 'utf-8').trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => [l.source_user, l.part, l.items]), [[0, 0, ['a', 'b']], [0, 1, ['a', 'b', 'c']]]);
    } finally {
      t.cleanup();
    }
  });
});

describe('expandTrainView', () => {
  const cr = loadPipeline('examples/pipelines/crop-reorder.yaml');
  it('originals first (same user indexes), then one pseudo-user per sample', () => {
    const e = expandTrainViewDetailed(train, cr, { views: 2, seed: 3, keepOriginal: true });
    assert.equal(e.train.numUsers, train.numUsers + train.users().length * 2);
    assert.equal(e.train.numItems, train.numItems);
    for (let u = 0; u < train.numUsers; u++) assert.deepEqual(arr(e.train.sequence(u)), arr(train.sequence(u)));
    const samples = [...expandSequences(train, cr, { views: 2, seed: 3 })];
    samples.forEach((s, k) => {
      assert.deepEqual(arr(e.train.sequence(train.numUsers + k)), arr(s.items));
      assert.equal(e.sourceUser[k], s.sourceUser);
    });
    const noOrig = expandTrainView(train, cr, { views: 1, seed: 3, keepOriginal: false });
    assert.equal(noOrig.sequence(0).length, 0);
    assert.equal(noOrig.interactionCount, samples.filter((s) => s.view === 0).reduce((a, s) => a + s.items.length, 0));
  });
  it('refuses pipelines that emit the mask token unless asked to strip it', () => {
    assert.throws(() => expandTrainView(train, coserec, { views: 1, seed: 1, similarity: sim }), /step 1\.long\.2 \(mask\): emits the mask token 41/);
    const e = expandTrainViewDetailed(train, coserec, { views: 2, seed: 1, similarity: sim, maskToken: 'strip' });
    for (const u of e.train.users()) for (const x of e.train.sequence(u)) assert.ok(x >= 1 && x <= 40);
    assert.equal(e.dropped, 0, 'mask keeps a real item, so stripping never empties a sample');
  });
});

describe('declared resources (loadPipeline with a training view)', () => {
  it('fits the declared similarity on the given train view and uses it', () => {
    const p = loadPipeline('examples/pipelines/coserec-default.yaml', { train, dataset: d });
    const bound = [...expandSequences(train, p, { views: 1, seed: 2 })].map(plain);
    const explicit = [...expandSequences(train, coserec, { views: 1, seed: 2, similarity: fitItemSimilarity(train, { kind: 'itemcf-iuf', topK: 20 }) })].map(plain);
    assert.deepEqual(bound, explicit);
    const other = makeTrainView(d.numItems, d.sequences.slice(0, 10));
    assert.throws(() => expandSequences(other, p, { views: 1, seed: 2 }), /fitted on a different training view/);
  });
  it('inline specs, attribute files relative to baseDir, bad resources', () => {
    const t = tempDir();
    try {
      const attrs = Object.fromEntries(d.itemIds.slice(1).map((id, i) => [id, [i % 4]]));
      writeFileSync(t.path('attrs.json'), JSON.stringify(attrs));
      const spec = { resources: { similarity: { kind: 'attribute-jaccard', topK: 5 }, attributes: 'attrs.json' }, steps: [{ op: 'substitute', sameAttribute: true }] };
      const p = loadPipeline(spec, { baseDir: t.dir, train, dataset: d });
      assert.equal([...expandSequences(train, p, { views: 1, seed: 0 })].length, train.users().length);
      assert.throws(() => loadPipeline({ ...spec, resources: { similarity: { kind: 'attribute-jaccard' } } }), /needs 'resources.attributes'/);
      assert.throws(() => loadPipeline({ ...spec, resources: { similarity: { kind: 'cosine' } } }), /'kind' must be one of/);
      assert.throws(() => loadPipeline({ ...spec, resources: { similarity: { kind: 'itemcf-iuf', model: { epochs: 2 } } } }), /'model' applies only to kind 'model-embedding'/);
      assert.throws(() => loadPipeline({ ...spec, resources: { similarity: { kind: 'model-embedding', model: { epochs: 0 } } } }), /resources\.similarity\.model.*'epochs' must be an integer ≥ 1/);
      // Declared but not fitted (augment cannot train models): the step that needs it says so before any work.
      const unfitted = loadPipeline({ resources: { similarity: { kind: 'model-embedding' } }, steps: [{ op: 'substitute' }] }, { train });
      assert.throws(() => expandSequences(train, unfitted, { views: 1, seed: 0 }), /step 1 \(substitute\).*fitPipelineGenerators/);
      assert.throws(() => loadPipeline(spec, { baseDir: t.dir, train }), /needs the dataset's item ids/);
    } finally {
      t.cleanup();
    }
  });
});
