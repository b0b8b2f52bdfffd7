/**
 * The search readers on the real files in ../shared/data (skipped where the data is absent). The
 * counts are those of the data's READMEs; the rejections are the real duplicates of these files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { catalogueVocabulary, groupQueries, isLikelyMisspelled, querySplit, readCrowdFlower, readHomeDepot, readProductTitles, splitCatalogue } from '../../../src/data/index.ts';
import { assertAccounting, sharedData } from '../helpers.ts';

const homeDepot = sharedData('homedepot-search/train.csv');
const crowdFlower = sharedData('crowdflower-search/train.csv');
const priceRunner = sharedData('pricerunner-products/pricerunner_aggregate.csv');

describe('Home Depot train.csv', { skip: !existsSync(homeDepot) && 'no ../shared/data/homedepot-search' }, () => {
  it('reads 74,067 pairs / 11,795 search terms; the only rejections are the duplicate pairs', async () => {
    const d = await readHomeDepot(homeDepot);
    assertAccounting(d.report);
    assert.equal(d.report.rowsIn, 74_067);
    // Once queries are normalised, 6 (query, product) pairs occur twice with different labels (12 rows)
    // and 3 twice with the same label (the raw strings alone give 5 conflicting pairs and no others).
    assert.deepEqual(d.report.rejectedByCode, { 'conflicting-label': 12, duplicate: 3 });
    assert.equal(d.report.rowsKept, 74_052);
    assert.equal(new Set(d.judgements.map((j) => j.query)).size, 11_795);
    const groups = groupQueries(d.judgements);
    assert.equal(groups.length, 11_792, 'distinct normalised keys');
    assert.equal(d.products.size, 54_665);
    assert.ok(d.warnings?.[0]?.startsWith('24 kept rows name a product id already seen with another title'));
    // No mojibake from the latin-1 bytes: no replacement characters anywhere.
    assert.ok(![...d.products.values()].some((p) => p.title.includes('\ufffd')));

    const s = querySplit(d, { seed: 0 });
    assert.deepEqual([s.train.length, s.valid.length, s.test.length], [9_434, 1_179, 1_179]);
    const c = splitCatalogue(s);
    assert.deepEqual([c.train.size, c.valid.size, c.test.size], [45_892, 7_162, 6_996]);

    const vocab = catalogueVocabulary(d.products);
    assert.equal(groups.filter((g) => isLikelyMisspelled(g.key, vocab)).length, 1_557);
    for (const q of ['toliet seats', 'sprkinler', 'basemetnt']) assert.ok(isLikelyMisspelled(q, vocab), q);
  });

  it("'mean' keeps one row per duplicate pair: every product and search term stays", async () => {
    const d = await readHomeDepot(homeDepot, { duplicates: 'mean' });
    assertAccounting(d.report);
    assert.deepEqual(d.report.rejectedByCode, { duplicate: 9 });
    assert.equal(d.products.size, 54_667);
  });
});

describe('CrowdFlower train.csv', { skip: !existsSync(crowdFlower) && 'no ../shared/data/crowdflower-search' }, () => {
  it('reads 10,158 pairs / 261 queries through quoted newlines', async () => {
    const d = await readCrowdFlower(crowdFlower);
    assertAccounting(d.report);
    assert.equal(d.report.rowsIn, 10_158);
    assert.deepEqual(d.report.rejectedByCode, { duplicate: 97, 'conflicting-label': 92 });
    assert.equal(d.report.rowsKept, 9_969);
    assert.equal(groupQueries(d.judgements).length, 261);
    assert.ok([...d.products.values()].some((p) => p.description?.includes('\n')), 'descriptions keep their newlines');
    const s = querySplit(d, { seed: 0 });
    assert.deepEqual([s.train.length, s.valid.length, s.test.length], [209, 26, 26]);
  });
});

describe('PriceRunner pricerunner_aggregate.csv', { skip: !existsSync(priceRunner) && 'no ../shared/data/pricerunner-products' }, () => {
  it('reads 35,311 titles in 10 categories', async () => {
    const s = await readProductTitles(priceRunner);
    assertAccounting(s.report);
    assert.equal(s.report.rowsIn, 35_311);
    assert.equal(s.report.rowsKept, 35_311);
    assert.equal(s.categories.length, 10);
    assert.equal(s.titles.filter((t) => t.category === 'Mobile Phones').length, 4_081);
  });
});
