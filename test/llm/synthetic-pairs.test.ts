/**
 * Synthetic (query, product, label) pairs: which products are written for (training only), the
 * held-out rule, the round-trip and teacher filters, the accounting of every request, determinism.
 * The generator here is a seeded stand-in (picks words of the title), so the filters are what is tested.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/index.ts';
import type { GenerationOutcome, GenerationRequest, GenerationResult, TextGenerator } from '../../src/llm/types.ts';
import { Bm25Index, cleanGeneratedQuery, generateSyntheticPairs, requestSeed, syntheticPairsConfigSchema } from '../../src/llm/synthetic-pairs.ts';
import { fitTeacherCalibration } from '../../src/llm/teacher-calibration.ts';
import { createRanker, type SearchRanker } from '../../src/models/search/index.ts';
import { plantedSearch } from '../models/search/fixture.ts';

/** Writes "word word" from the title (seeded), or a fixed text for titles matching `override`. */
class TitleWordsGenerator implements TextGenerator {
  readonly provider = 'test';
  readonly model = 'title-words';
  readonly prompts: string[] = [];
  constructor(private readonly override: (title: string) => string | null = () => null) {}
  async generate(r: GenerationRequest): Promise<GenerationResult> {
    this.prompts.push(r.prompt);
    const fixed = this.override(r.prompt);
    const words = r.prompt.split(' ').slice(1);
    const rng = new Rng(r.seed);
    const text = fixed ?? `${words[rng.int(words.length)]} ${words[rng.int(words.length)]}`;
    return { text, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 2 }, cached: false };
  }
  async generateBatch(rs: readonly GenerationRequest[]): Promise<GenerationOutcome[]> {
    const out: GenerationOutcome[] = [];
    for (const r of rs) out.push(r.prompt.includes('fail') ? { ok: false, reason: 'invalid-output', message: 'empty' } : { ok: true, result: await this.generate(r) });
    return out;
  }
  async close(): Promise<void> {}
}

const planted = plantedSearch(120, 5);
const catalogueIds = [...new Set(planted.train.flatMap((g) => g.productIds))];
const teacherPromise = (async () => {
  const t = createRanker('gbdt-regression', { numTrees: 30, minSamplesLeaf: 5 });
  await t.fit({ train: planted.train, valid: planted.valid, products: planted.products, labelScale: planted.scale, seed: 0 });
  return t;
})();

async function run(generator: TextGenerator, config: Record<string, unknown> = {}, seed = 0, train = planted.train) {
  return generateSyntheticPairs({
    generator,
    train,
    heldOut: [...planted.valid, ...planted.test],
    catalogueIds,
    products: planted.products,
    labelScale: planted.scale,
    teacher: await teacherPromise,
    config: syntheticPairsConfigSchema.parse(config),
    seed,
  });
}

test('only training products are written for; every request is accounted for; labels lie on the scale', async () => {
  const gen = new TitleWordsGenerator();
  const { groups, report } = await run(gen, { queriesPerProduct: 2, roundTripTopK: 0 });
  const heldOutOnly = new Set([...planted.valid, ...planted.test].flatMap((g) => g.productIds).filter((id) => !catalogueIds.includes(id)));
  const titlesWritten = new Set(gen.prompts);
  const trainingTitles = new Set(catalogueIds.map((id) => planted.products.get(id)!.title));
  const heldOutTitles = [...heldOutOnly].map((id) => planted.products.get(id)!.title).filter((t) => !trainingTitles.has(t));
  assert.ok(heldOutTitles.length > 50);
  for (const t of heldOutTitles) assert.ok(!titlesWritten.has(t), `held-out product '${t}' was written for`);
  assert.equal(report.products, catalogueIds.length);
  assert.equal(report.requested, 2 * catalogueIds.length);
  const droppedTotal = Object.values(report.dropped).reduce((a, b) => a + (b ?? 0), 0);
  assert.equal(report.kept + droppedTotal, report.requested, 'requested = kept + dropped');
  for (const g of groups) {
    assert.equal(g.productIds.length, g.labels.length);
    assert.equal(new Set(g.productIds).size, g.productIds.length, 'a negative is never the positive');
    for (const l of g.labels) assert.ok(l >= planted.scale.min && l <= planted.scale.max);
  }
});

test('a generated query equal to a validation or test query is dropped and counted (the filter can catch a leaking generator)', async () => {
  const leaked = planted.test[0]!.query;
  const gen = new TitleWordsGenerator((title) => (title.includes(' drill') ? leaked.toUpperCase() : null));
  const { groups, report } = await run(gen, { roundTripTopK: 0 });
  assert.ok((report.dropped['equals-held-out-query'] ?? 0) > 0);
  assert.ok(!groups.some((g) => g.key === planted.test[0]!.key));
});

test('the round-trip filter drops queries that do not find their product; keepFraction keeps the best-rated', async () => {
  const gen = new TitleWordsGenerator((title) => (title.includes(' saw') ? 'zzz unrelated words' : null));
  const all = await run(gen, { roundTripTopK: 0 });
  const rt = await run(gen, { roundTripTopK: 3 });
  assert.ok((rt.report.dropped['round-trip-miss'] ?? 0) > 0);
  assert.ok(!rt.groups.some((g) => g.query === 'zzz unrelated words'));
  assert.ok(all.groups.some((g) => g.query === 'zzz unrelated words'), 'without the filter the unrelated query stays');
  const half = await run(gen, { roundTripTopK: 3, keepFraction: 0.5 });
  assert.equal(half.groups.length, Math.round(rt.groups.length * 0.5));
  const minKept = Math.min(...half.groups.map((g) => g.labels[0]!));
  const dropped = rt.groups.filter((g) => !half.groups.some((h) => h.key === g.key && h.productIds[0] === g.productIds[0]));
  for (const g of dropped) assert.ok(g.labels[0]! <= minKept + 1e-12);
});

test('same seed ⇒ identical pairs; a different seed ⇒ different queries; request seeds do not depend on which other products are written for', async () => {
  const a = await run(new TitleWordsGenerator(), {}, 7);
  const b = await run(new TitleWordsGenerator(), {}, 7);
  assert.deepEqual(a.groups, b.groups);
  const c = await run(new TitleWordsGenerator(), {}, 8);
  assert.notDeepEqual(a.groups.map((g) => g.query), c.groups.map((g) => g.query));
  assert.equal(requestSeed(7, 'p1', 0), requestSeed(7, 'p1', 0));
  assert.notEqual(requestSeed(7, 'p1', 0), requestSeed(7, 'p1', 1));
});

test('failed generations are counted by reason, never kept; a teacher that does not predict labels is refused', async () => {
  const products = new Map(planted.products);
  const id = catalogueIds[0]!;
  products.set(id, { ...products.get(id)!, title: 'fail this one' });
  const r = await generateSyntheticPairs({
    generator: new TitleWordsGenerator(),
    train: planted.train,
    heldOut: [...planted.valid, ...planted.test],
    catalogueIds,
    products,
    labelScale: planted.scale,
    teacher: await teacherPromise,
    config: syntheticPairsConfigSchema.parse({ queriesPerProduct: 3 }),
    seed: 0,
  });
  assert.equal(r.report.dropped['invalid-output'], 3);
  const lambdamart = createRanker('lambdamart', { numTrees: 5 });
  await lambdamart.fit({ train: planted.train, products: planted.products, labelScale: planted.scale, seed: 0 });
  await assert.rejects(
    generateSyntheticPairs({ generator: new TitleWordsGenerator(), train: planted.train, heldOut: [], catalogueIds, products: planted.products, labelScale: planted.scale, teacher: lambdamart, config: syntheticPairsConfigSchema.parse({}), seed: 0 }),
    /does not predict labels/,
  );
});

test('cleanGeneratedQuery keeps the first line without quotes or a "query:" prefix; BM25 index finds the best title first', () => {
  assert.equal(cleanGeneratedQuery('\n  Query: "cordless drill"\nmore'), 'cordless drill');
  assert.equal(cleanGeneratedQuery('   '), '');
  const index = new Bm25Index([
    { id: 'a', title: 'red cordless drill kit' },
    { id: 'b', title: 'hammer' },
    { id: 'c', title: 'drill bits' },
  ]);
  assert.deepEqual(index.search('cordless drill', 5), ['a', 'c']);
  assert.deepEqual(index.search('nothing matches', 5), []);
});

test('a pairwise teacher grades through a calibration; teacherTopK keeps a query only when the teacher ranks its product high among its competitors, topped up with random products', async () => {
  // A stand-in pairwise teacher: scores far off the label scale; it likes titles that contain the query's first word (ties broken by the id).
  const raw = (first: string, id: string, products: ReadonlyMap<string, { title: string }>) => (products.get(id)!.title.split(' ').includes(first) ? 50 : -50) + (Number(id.slice(1)) % 7);
  const scored: { query: string; ids: string[] }[] = [];
  const teacher: SearchRanker = {
    name: 'pairwise-stand-in',
    predictsLabels: false,
    fit: async () => {},
    save: () => '{}',
    score: (q, products) => {
      scored.push({ query: q.query, ids: [...q.productIds] });
      const first = q.query.split(' ')[0]!;
      return Float64Array.from(q.productIds, (id) => raw(first, id, products));
    },
  };
  const calibration = fitTeacherCalibration(teacher, planted.train, planted.products, 'isotonic', planted.scale);
  const gen = new TitleWordsGenerator((title) => (title.includes(' saw') ? 'qqqnomatch' : null));
  const base = { generator: gen, train: planted.train, heldOut: [...planted.valid, ...planted.test], catalogueIds, products: planted.products, labelScale: planted.scale, teacher, seed: 3 };
  await assert.rejects(generateSyntheticPairs({ ...base, config: syntheticPairsConfigSchema.parse({ roundTripTopK: 0 }) }), /calibration/);
  scored.length = 0;
  const r = await generateSyntheticPairs({ ...base, calibration, config: syntheticPairsConfigSchema.parse({ roundTripTopK: 0, teacherTopK: 1, teacherPool: 6, negatives: 2 }) });
  assert.ok((r.report.dropped['teacher-rank-miss'] ?? 0) > 0, 'some queries are dropped by the teacher');
  assert.ok(r.groups.length > 0);
  assert.deepEqual(r.report.calibration, { kind: 'isotonic', pairs: calibration.pairs, rmse: calibration.rmse });
  // A query that matches no title is not passed for lack of competitors: it faces random products.
  const nomatch = scored.filter((s) => s.query === 'qqqnomatch');
  assert.ok(nomatch.length > 0);
  for (const s of nomatch) assert.equal(s.ids.length, 7, 'the product and 6 competitors, BM25 finding none');
  assert.ok(r.groups.filter((g) => g.query === 'qqqnomatch').length < nomatch.length, 'an unmatched query is not passed for lack of competitors');
  for (const g of r.groups) {
    const s = scored.find((x) => x.query === g.query && x.ids[0] === g.productIds[0])!;
    const first = g.query.split(' ')[0]!;
    assert.ok(s.ids.length >= g.productIds.length);
    g.labels.forEach((l, i) => {
      assert.ok(l >= planted.scale.min && l <= planted.scale.max);
      assert.equal(l, calibration.apply(raw(first, g.productIds[i]!, planted.products)), 'labels are the calibrated teacher scores');
    });
    s.ids.slice(1).forEach((id) => {
      if (!g.productIds.includes(id)) assert.ok(raw(first, id, planted.products) <= raw(first, g.productIds[0]!, planted.products), 'no competitor outscores a kept product');
    });
  }
  // Deterministic: the same seed gives the same pairs (the random top-up included).
  const again = await generateSyntheticPairs({ ...base, calibration, config: syntheticPairsConfigSchema.parse({ roundTripTopK: 0, teacherTopK: 1, teacherPool: 6, negatives: 2 }) });
  assert.deepEqual(again.groups, r.groups);
  assert.deepEqual(again.report, r.report);
});
