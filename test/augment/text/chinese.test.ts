/** Chinese product text: jieba segmentation, the same operators on words, synonyms mined from the data or supplied. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/rng.ts';
import { buildTextPipeline, fitTextResources, parseSynonymText, protectedSpans, splitRaw, type TextContext } from '../../../src/augment/index.ts';
import { chineseFixture } from './fixtures.ts';

const { groups, products } = chineseFixture();
const res = fitTextResources(groups, products, { wordnet: false, minSupport: 2 });

describe('Chinese text', () => {
  it('segments titles into words', () => {
    assert.deepEqual(splitRaw('不锈钢保温杯'), ['不锈钢', '保温杯']);
  });

  it('mines synonyms from queries that lead to the same products (电饭煲 ↔ 电饭锅), and brands from titles', () => {
    assert.deepEqual(res.domainSynonyms.get('电饭煲'), ['电饭锅']);
    assert.ok(res.brands.phrases.has('美的'), [...res.brands.phrases].join(' '));
  });

  it('runs the token operators on words and keeps protected spans', () => {
    const user = parseSynonymText('保温杯, 保温瓶\n不锈钢, 304不锈钢 # a user table\n');
    const ctx: TextContext = { ...res, domainSynonyms: new Map([...res.domainSynonyms, ...user]) };
    const title = '美的 电饭煲 家用 4L 智能 不锈钢 保温杯 500毫升';
    const spans = protectedSpans(title, ctx.brands);
    assert.ok(spans.includes('500毫升') && spans.includes('美的'), spans.join(' | '));
    const outputs = new Set<string>();
    for (const op of ['synonym_replace', 'random_insert', 'random_swap', 'random_delete', 'reformulate']) {
      const p = buildTextPipeline({ steps: [{ op, ratio: 0.5 }] });
      p.validate(ctx);
      for (let s = 0; s < 10; s++) {
        const out = p.augment(title, ctx, new Rng(s))[0]!.output;
        for (const sp of spans) assert.ok(out.includes(sp), `${op}: ${sp} in ${out}`);
        if (out !== title) assert.ok(!/[\u4e00-\u9fff] | [\u4e00-\u9fff]/.test(out), `${op}: Chinese words join without spaces: ${out}`);
        outputs.add(out);
      }
    }
    const syn = buildTextPipeline({ steps: [{ op: 'synonym_replace', ratio: 1, source: 'domain' }] });
    const out = syn.augment('电饭煲 保温杯', ctx, new Rng(1))[0]!.output;
    assert.equal(out, '电饭锅保温瓶');
    assert.ok(outputs.size > 10, `operators vary the title (${outputs.size} distinct outputs)`);
  });

  it('character typos leave Chinese words alone (no keyboard model for them)', () => {
    const p = buildTextPipeline({ steps: [{ op: 'keyboard_typo', rate: 1 }] });
    const r = p.augment('不锈钢 保温杯', res, new Rng(1))[0]!;
    assert.equal(r.output, '不锈钢 保温杯', 'nothing to edit: the input comes back as it was');
    assert.deepEqual(r.chain, [{ op: 'keyboard_typo', params: { edits: [] } }]);
  });
});
