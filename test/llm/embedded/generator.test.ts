/**
 * The embedded doc2query generator on a planted language: queries are "<colour> <noun>" of the
 * title "<brand> <colour> <noun> <filler…>". The trained model writes them greedily; same seed ⇒
 * same model and queries; a finished fit is loaded, not redone; bad prompts are counted outcomes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../../src/core/index.ts';
import { EmbeddedGenerator, fitQueryGenerator, type TextPair } from '../../../src/llm/index.ts';
import { tempFolder } from '../../temp-folders.ts';

const COLOURS = ['red', 'blue', 'green', 'black', 'white'];
const NOUNS = ['drill', 'saw', 'lamp', 'shelf', 'faucet', 'hammer'];
const BRANDS = ['acme', 'bolt', 'crest'];
const FILLER = ['kit', 'pro', 'set', 'steel', '12 in.'];

function planted(n: number, seed: number): TextPair[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
  return Array.from({ length: n }, () => {
    const c = pick(COLOURS);
    const w = pick(NOUNS);
    return { source: `${pick(BRANDS)} ${c} ${w} ${pick(FILLER)} ${pick(FILLER)}`, target: `${c} ${w}` };
  });
}

const config = { vocabSize: 300, hidden: 32, blocks: 2, heads: 2, maxLen: 16, maxQueryTokens: 6, epochs: 15, patience: 15, batchSize: 64, lr: 0.01, maxTitles: 0, maxPairs: 2000 };
const dir = tempFolder('samplify-embedded-');

test('the generator learns the planted title → query mapping; greedy decoding writes it', async () => {
  const { generator, report } = await fitQueryGenerator({ pairs: planted(800, 1), validPairs: planted(60, 2), config, seed: 0, outDir: join(dir, 'a') });
  assert.ok(report.epochs[report.epochs.length - 1]!.loss < report.epochs[0]!.loss, 'the loss falls');
  // Unseen titles: the model must copy the colour and the noun, not recall training queries.
  const unseen = planted(12, 9);
  const out = await generator.generateBatch(unseen.map((p, i) => ({ prompt: p.source, seed: i, params: { temperature: 0, maxTokens: 6 } })));
  const texts = out.map((o) => (o.ok ? o.result.text : o.reason));
  const right = texts.filter((t, i) => t === unseen[i]!.target).length;
  // The colour is one token and always copied; nouns span several byte-pair tokens at this tiny
  // vocabulary and are sometimes cut short — most must still come out whole.
  assert.ok(right >= 8, `${right} of 12 greedy queries are the planted ones: ${JSON.stringify(texts)}`);
  texts.forEach((t, i) => assert.equal(t.split(' ')[0], unseen[i]!.target.split(' ')[0], `query ${i} '${t}' starts with the title's colour`));
  assert.ok(generator.model.startsWith('embedded-doc2query@'));
});

test('same seed ⇒ the same saved model and the same sampled queries; a finished fit is loaded; save/load keeps generations', async () => {
  const a = await fitQueryGenerator({ pairs: planted(200, 3), validPairs: planted(30, 4), config: { ...config, epochs: 3 }, seed: 5, outDir: join(dir, 'b1') });
  const b = await fitQueryGenerator({ pairs: planted(200, 3), validPairs: planted(30, 4), config: { ...config, epochs: 3 }, seed: 5, outDir: join(dir, 'b2') });
  assert.equal(a.generator.model, b.generator.model, 'identical model bytes');
  const reqs = Array.from({ length: 6 }, (_, i) => ({ prompt: 'acme red drill kit pro', seed: i, params: { temperature: 1, topP: 0.9 } }));
  const ga = await a.generator.generateBatch(reqs);
  assert.deepEqual(ga, await b.generator.generateBatch(reqs));
  assert.deepEqual(ga, await EmbeddedGenerator.load(join(dir, 'b1')).generateBatch(reqs));
  const again = await fitQueryGenerator({ pairs: planted(200, 3), validPairs: planted(30, 4), config: { ...config, epochs: 3 }, seed: 5, outDir: join(dir, 'b1') });
  assert.equal(again.report.loaded, true);
  const saved = JSON.parse(readFileSync(join(dir, 'b1', 'generator.json'), 'utf8'));
  assert.equal(saved.format, 'samplify-embedded-generator-1');
});

test('empty prompts are counted invalid outputs; maxTokens and stop strings are honoured; non-Latin prompts work', async () => {
  const { generator } = await fitQueryGenerator({ pairs: planted(100, 6), validPairs: planted(20, 7), config: { ...config, epochs: 2 }, seed: 0, outDir: join(dir, 'c') });
  const out = await generator.generateBatch([
    { prompt: '   ', seed: 0 },
    { prompt: 'acme red drill kit pro', seed: 0, params: { maxTokens: 1, temperature: 1 } },
    { prompt: '冰箱 🧊 مرحبا', seed: 0 },
    { prompt: 'x'.repeat(10_000), seed: 0 },
  ]);
  assert.equal(out[0]!.ok, false);
  assert.equal(!out[0]!.ok && out[0]!.reason, 'invalid-output');
  if (out[1]!.ok) assert.ok(out[1]!.result.usage.completionTokens <= 1);
  assert.ok(out[2]!.ok || out[2]!.reason === 'invalid-output');
  assert.ok(out[3]!.ok || out[3]!.reason === 'invalid-output', 'a 10 kB title is cut to the context, not an error');
});

test('copy-aware decoding writes whole title words, never repeats one, and reuses the fitted model', async () => {
  // A model trained for one epoch on a few pairs writes little of the title on its own; the context
  // holds the whole title (a cut one would end in a word fragment the copy may finish).
  const fit = { ...config, maxLen: 32, epochs: 1, patience: 1 };
  const pairs = planted(60, 11);
  const valid = planted(20, 12);
  const plain = await fitQueryGenerator({ pairs, validPairs: valid, config: fit, seed: 1, outDir: join(dir, 'd') });
  const copying = await fitQueryGenerator({ pairs, validPairs: valid, config: { ...fit, decoding: { copyBias: 20, minQueryTokens: 1 } }, seed: 1, outDir: join(dir, 'd') });
  assert.equal(copying.report.loaded, true, 'decoding is not part of the fit');
  assert.notEqual(copying.generator.model, plain.generator.model, 'the cache identity names the decoding');
  const titles = planted(30, 13).map((p) => p.source);
  const reqs = titles.map((t, i) => ({ prompt: t, seed: i, params: { temperature: 1, topP: 1, maxTokens: 6 } }));
  const out = await copying.generator.generateBatch(reqs);
  let words = 0;
  // A query whose only word was cut off is empty: a counted invalid output, never a fragment.
  assert.ok(out.filter((o) => o.ok).length >= 24, 'most requests wrote a query');
  for (const [i, o] of out.entries()) {
    if (!o.ok) {
      assert.equal(o.reason, 'invalid-output', `request ${i}`);
      continue;
    }
    const titleWords = titles[i]!.split(' ');
    // Every word is whole: one cut off by maxTokens inside a title word is dropped, not written half.
    const w = o.result.text.split(' ');
    w.forEach((x) => assert.ok(titleWords.includes(x), `'${x}' of '${o.result.text}' is a title word`));
    assert.equal(new Set(w).size, w.length, `'${o.result.text}' repeats no word`);
    words += w.length;
  }
  assert.ok(words >= 24, 'at least one word per query (minQueryTokens)');
  assert.ok(out.some((o) => o.ok && o.result.finishReason === 'length'), 'some queries reached maxTokens (the cut is exercised)');
  assert.deepEqual(out, await EmbeddedGenerator.load(join(dir, 'd'), { copyBias: 20, minQueryTokens: 1 }).generateBatch(reqs), 'same seed ⇒ same queries');
  const without = await plain.generator.generateBatch(reqs);
  const copied = (os: typeof out) => os.filter((o, i) => o.ok && o.result.text.split(' ').every((x) => titles[i]!.split(' ').includes(x))).length;
  assert.ok(copied(without) < copied(out), `without the bias fewer queries are all title words (${copied(without)} vs ${copied(out)})`);
});
