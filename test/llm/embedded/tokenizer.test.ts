/** The byte-level BPE tokenizer: any text round-trips to its normalised form; training is a function of the corpus. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BpeTokenizer, normalizeText } from '../../../src/llm/embedded/index.ts';

const corpus = ['cordless drill 18v', 'drill bits set', '3/4 in. x 8 ft. pvc pipe', 'pvc pipe fittings', 'behr premium plus paint', 'paint roller 9 in.', 'cordless drill kit'];
const tok = BpeTokenizer.train(corpus.concat(corpus), 320);

test('decode(encode(x)) is the normalised text for any Unicode string (emoji, CJK, RTL included)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (x) => {
      assert.equal(tok.decode(tok.encode(x)), normalizeText(x));
    }),
  );
  assert.equal(tok.decode(tok.encode('冰箱 🧊 مرحبا  Drill')), '冰箱 🧊 مرحبا drill');
});

test('merges shorten frequent words; training is deterministic and respects the vocabulary size', () => {
  assert.ok(tok.encode('cordless drill').length < ' cordless drill'.length, 'frequent words are merged');
  assert.ok(tok.vocabSize <= 320);
  const again = BpeTokenizer.train(corpus.concat(corpus), 320);
  assert.deepEqual(again.toState(), tok.toState());
  const loaded = BpeTokenizer.fromState(JSON.parse(JSON.stringify(tok.toState())));
  assert.deepEqual(loaded.encode('pvc drill paint'), tok.encode('pvc drill paint'));
  assert.throws(() => BpeTokenizer.fromState({ format: 'samplify-bpe-1', merges: [[9999, 1]] }), /merge 0/);
});
