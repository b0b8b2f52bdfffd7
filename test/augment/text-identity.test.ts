/**
 * Output identity of the text augmenters over the Home Depot training queries: every token and
 * character operator (default config, one rng split per query), the bench's 4-step pipeline and
 * every example pipeline in examples/pipelines/text/ are hashed (outputs and recorded chains), as
 * are the tokenisation of every training query and title and the fitted resources. The hashes in
 * test/fixtures/text-augment-hashes.json were computed on main before the tokeniser was made
 * faster (docs/decisions/text-augment-speed.md): a speed change that alters one byte of output
 * fails here. Every digest is computed twice, the second time with warm caches, so a cache that
 * changes results fails too.
 *
 *   TEXT_IDENTITY_WRITE=1 node --import tsx --test test/augment/text-identity.test.ts   (re-records the fixture)
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Rng } from '../../src/core/index.ts';
import { augmentTexts, buildTextPipeline, fitTextResources, loadTextPipeline, TEXT_OPERATORS, tokenize, trainingProducts, type TextResources } from '../../src/augment/index.ts';
import { querySplit, readHomeDepot } from '../../src/data/index.ts';
import { HOME_DEPOT } from './text/homedepot.ts';

const FIXTURE = new URL('../fixtures/text-augment-hashes.json', import.meta.url).pathname;
const PIPELINES = new URL('../../examples/pipelines/text/', import.meta.url).pathname;
const write = process.env.TEXT_IDENTITY_WRITE === '1';

function digest(lines: Iterable<string>): string {
  const h = createHash('sha256');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex');
}

let queries: string[] = [];
let titles: string[] = [];
let ctx: TextResources;

/** Every digest, by name (the same names as the fixture's keys). */
function digests(): Record<string, string> {
  const out: Record<string, string> = {};
  out['tokenize queries'] = digest(queries.map((q) => JSON.stringify(tokenize(q, ctx.brands))));
  out['tokenize titles'] = digest(titles.map((t) => JSON.stringify(tokenize(t, ctx.brands))));
  const base = new Rng(7);
  for (const op of TEXT_OPERATORS) {
    const p = buildTextPipeline({ steps: [{ op: op.name }] });
    p.validate(ctx);
    out[`op ${op.name} queries`] = digest(queries.map((q, i) => JSON.stringify(p.augment(q, ctx, base.split(i))[0])));
    out[`op ${op.name} titles`] = digest(titles.map((t, i) => JSON.stringify(p.augment(t, ctx, base.split(i))[0])));
  }
  const four = buildTextPipeline({
    steps: [{ op: 'synonym_replace', p: 0.5 }, { op: 'one_of', steps: [{ op: 'random_swap' }, { op: 'random_insert' }] }, { op: 'typo', rate: 0.1 }, { op: 'unit_variant', p: 0.5 }],
  });
  four.validate(ctx);
  out['pipeline four-steps queries'] = digest(queries.map((q, i) => JSON.stringify(four.augment(q, ctx, base.split(i))[0])));
  for (const f of readdirSync(PIPELINES).filter((n) => n.endsWith('.yaml')).sort()) {
    const { pipeline } = loadTextPipeline(f, { baseDir: PIPELINES });
    out[`example ${f} queries`] = digest(augmentTexts(queries, pipeline, ctx, { seed: 1, views: 2 }).map((r) => JSON.stringify(r)));
  }
  return out;
}

describe('text augmentation output identity (Home Depot training queries)', () => {
  before(async () => {
    // The bench's split (bench/text-augment.ts): query-disjoint, seed 1.
    const { train, products } = querySplit(await readHomeDepot(HOME_DEPOT), { seed: 1 });
    queries = train.map((g) => g.query);
    titles = trainingProducts(train, products).map((p) => p.title);
    ctx = fitTextResources(train, products);
  });

  it('fitted resources, tokenisation, every operator and every example pipeline give the recorded bytes (cold and warm caches)', () => {
    const resources = digest([
      JSON.stringify(ctx.stats),
      JSON.stringify([...ctx.brands.phrases].sort()),
      JSON.stringify([...(ctx.domainSynonyms ?? new Map())].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      JSON.stringify(ctx.typos),
    ]);
    const cold = { resources, queries: String(queries.length), titles: String(titles.length), ...digests() };
    const warm = { resources, queries: String(queries.length), titles: String(titles.length), ...digests() };
    assert.deepEqual(warm, cold, 'a second pass (warm caches) gives the same bytes');
    if (write) writeFileSync(FIXTURE, `${JSON.stringify(cold, null, 2)}\n`);
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf-8')) as Record<string, string>;
    assert.deepEqual(cold, recorded);
  });
});
