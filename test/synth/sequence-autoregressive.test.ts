import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ModelStateError } from '../../src/core/errors.ts';
import { leaveOneOutSplit, makeTrainView } from '../../src/data/index.ts';
import { Rng } from '../../src/core/index.ts';
import { AutoregressiveSequenceSynthesizer } from '../../src/synth/sequence/index.ts';
import { createRecommender, NeuralRecommender } from '../../src/models/index.ts';
import type { EventSequence, EventSequenceData } from '../../src/synth/sequence/types.ts';
import { beautySlice, hasBeauty, tvDistance } from './sequence-helpers.ts';

const tiny = { network: { hidden: 16, blocks: 1, heads: 1, maxLen: 20, dropout: 0.2, attnDropout: 0.2 }, epochs: 2 };
const arrs = (xs: Int32Array[]): number[][] => xs.map((x) => Array.from(x));

describe('autoregressive sequence synthesizer (tiny SASRec on a Beauty slice)', { skip: !hasBeauty && 'needs ../shared/data/beauty/Beauty.txt' }, () => {
  const split = leaveOneOutSplit(beautySlice(600));
  const real = split.train.users().map((u) => split.train.sequence(u));
  const inTrain = new Set(real.flatMap((s) => Array.from(s)));

  it('histories: real start items, requested lengths, training items only, no repeats (Beauty has none); deterministic', async () => {
    const s = new AutoregressiveSequenceSynthesizer({ ...tiny, topK: 50 });
    const rep = await s.fit(split.train, { seed: 0 });
    assert.equal(rep.losses.length, 2);
    const starts = new Set(real.map((r) => r[0]!));
    const out = s.sample(80, { seed: 1 });
    assert.equal(out.length, 80);
    for (const h of out) {
      assert.ok(starts.has(h[0]!), 'start item comes from the real start distribution');
      assert.equal(new Set(h).size, h.length);
      for (const i of h) assert.ok(inTrain.has(i), `item ${i} never occurs in training`);
    }
    // Length buckets (1–3, 4–5, 6–8, 9–15, 16+): coarse enough for 400 draws of a long-tailed distribution.
    const bucket = (n: number) => (n <= 3 ? 0 : n <= 5 ? 1 : n <= 8 ? 2 : n <= 15 ? 3 : 4);
    const lens = (xs: Int32Array[]) => xs.reduce((a, h) => (a[bucket(h.length)]!++, a), [0, 0, 0, 0, 0]);
    assert.ok(tvDistance(lens(s.sample(400, { seed: 2 })), lens(real)) < 0.1, 'lengths follow the training length distribution');
    assert.deepEqual(s.sample(3, { seed: 3, lengths: [1, 5, 12] }).map((h) => h.length), [1, 5, 12]);
    assert.deepEqual(arrs(s.sample(40, { seed: 1 })), arrs(out.slice(0, 40)), 'same seed, same histories; history j does not depend on n');
    assert.notDeepEqual(arrs(s.sample(40, { seed: 4 })), arrs(out.slice(0, 40)));
  });

  it('greedy (topK 1) follows the model argmax; save → load samples exactly the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samplify-ar-'));
    try {
      const s = new AutoregressiveSequenceSynthesizer({ ...tiny, epochs: 1, topK: 1 });
      await s.fit(split.train, { seed: 5 });
      const [h] = s.sample(1, { seed: 0, lengths: [4] });
      const V = split.train.numItems + 1;
      for (let t = 1; t < 4; t++) {
        const scores = s.sampler.scoreNext([h!.subarray(0, t)]);
        let best = 0;
        for (let i = 1; i < V; i++) if (inTrain.has(i) && !h!.subarray(0, t).includes(i) && (best === 0 || scores[i]! > scores[best]!)) best = i;
        assert.equal(h![t], best, `step ${t}`);
      }
      s.save(dir);
      const l = new AutoregressiveSequenceSynthesizer();
      l.load(dir);
      assert.equal(l.config.topK, 1, 'the saved sampling settings come back');
      assert.deepEqual(arrs(l.sample(30, { seed: 6 })), arrs(s.sample(30, { seed: 6 })));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fitWithNetwork: given the network fit() would train, it samples exactly what fit() does; network says what that is', async () => {
    const s = new AutoregressiveSequenceSynthesizer({ ...tiny, topK: 20 });
    await s.fit(split.train, { seed: 7 });
    const n = s.network;
    assert.deepEqual(n, { model: 'sasrec', config: { loss: 'ce', ...tiny.network }, trainer: {}, epochs: 2 });
    const net = createRecommender({ model: n.model, config: n.config, trainer: n.trainer });
    assert.ok(net instanceof NeuralRecommender);
    await net.fit(split.train, { seed: 7, epochs: n.epochs });
    const given = new AutoregressiveSequenceSynthesizer({ ...tiny, topK: 20 });
    const rep = given.fitWithNetwork(split.train, net);
    assert.deepEqual([rep.sequences, rep.losses.length], [real.length, 0], 'nothing trained');
    assert.deepEqual(arrs(given.sample(50, { seed: 8 })), arrs(s.sample(50, { seed: 8 })));
    // Another seed's network is another model: the samples differ (the caller's guarantee matters).
    const other = createRecommender({ model: n.model, config: n.config, trainer: n.trainer }) as NeuralRecommender;
    await other.fit(split.train, { seed: 9, epochs: n.epochs });
    const wrong = new AutoregressiveSequenceSynthesizer({ ...tiny, topK: 20 });
    wrong.fitWithNetwork(split.train, other);
    assert.notDeepEqual(arrs(wrong.sample(50, { seed: 8 })), arrs(s.sample(50, { seed: 8 })));
    const gru = createRecommender({ model: 'gru4rec', config: { hidden: 8 } }) as NeuralRecommender;
    assert.throws(() => new AutoregressiveSequenceSynthesizer(tiny).fitWithNetwork(split.train, gru), ConfigError);
  });
});

describe('autoregressive synthesizer: event types', () => {
  const VIEW = 0, CART = 1, BUY = 2;
  // A shop's rules: a cart follows a view of the same item, a purchase follows a cart, and after a
  // purchase comes a view. So view → purchase, cart → cart and purchase → cart never occur.
  function shopHistories(n: number, seed: number): EventSequenceData {
    const rng = new Rng(seed);
    const sequences: EventSequence[] = [];
    for (let u = 0; u < n; u++) {
      const items: number[] = [];
      const events: number[] = [];
      const len = 4 + rng.int(8);
      while (items.length < len) {
        const item = 1 + rng.int(30);
        items.push(item), events.push(VIEW);
        if (rng.next() < 0.4) {
          items.push(item), events.push(CART);
          if (rng.next() < 0.6) items.push(item), events.push(BUY);
        }
      }
      sequences.push({ items: Int32Array.from(items), events: Uint8Array.from(events) });
    }
    return { numItems: 30, eventTypes: ['view', 'cart', 'purchase'], sequences };
  }
  const data = shopHistories(300, 1);

  it('masks every event transition the data lacks, learns the rest, and round-trips save/load', async () => {
    const s = new AutoregressiveSequenceSynthesizer({ ...tiny, epochs: 3 });
    await s.fitEvents(data, { seed: 0 });
    assert.ok(!s.eventTransitionSeen(VIEW, BUY) && !s.eventTransitionSeen(CART, CART) && !s.eventTransitionSeen(BUY, CART));
    assert.ok(s.eventTransitionSeen(VIEW, CART) && s.eventTransitionSeen(CART, BUY) && s.eventTransitionSeen(BUY, VIEW));
    // The mask, whatever the model scores: after a view (token of item 5, event view), no purchase token can be drawn.
    const afterView = s.sampler.scoreNext([Int32Array.of((5 - 1) * 3 + VIEW + 1)]);
    for (let item = 1; item <= 30; item++) {
      assert.equal(afterView[(item - 1) * 3 + BUY + 1], Number.NEGATIVE_INFINITY);
      assert.ok(Number.isFinite(afterView[(item - 1) * 3 + VIEW + 1]!));
    }
    const out = s.sampleWithEvents(400, { seed: 1 });
    let buys = 0;
    for (const h of out) {
      assert.equal(h.items.length, h.events.length);
      assert.ok(h.items.every((i) => i >= 1 && i <= 30));
      for (let t = 1; t < h.items.length; t++) {
        assert.ok(s.eventTransitionSeen(h.events[t - 1]!, h.events[t]!), `generated ${data.eventTypes[h.events[t - 1]!]} → ${data.eventTypes[h.events[t]!]}`);
        if (h.events[t] === BUY) buys++;
      }
    }
    assert.ok(buys > 50, `purchases are generated (${buys})`);
    assert.deepEqual(arrs(s.sample(50, { seed: 1 })), arrs(out.slice(0, 50).map((h) => h.items)), 'sample() returns the same histories without events');
    const dir = mkdtempSync(join(tmpdir(), 'samplify-ar-ev-'));
    try {
      s.save(dir);
      const l = new AutoregressiveSequenceSynthesizer();
      l.load(dir);
      assert.ok(!l.eventTransitionSeen(VIEW, BUY));
      const again = l.sampleWithEvents(60, { seed: 2 });
      const orig = s.sampleWithEvents(60, { seed: 2 });
      assert.deepEqual(again.map((h) => [Array.from(h.items), Array.from(h.events)]), orig.map((h) => [Array.from(h.items), Array.from(h.events)]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model fitted without events refuses event questions; bad event data is an error', async () => {
    const plain = new AutoregressiveSequenceSynthesizer({ ...tiny, epochs: 1 });
    await plain.fit(makeTrainView(3, [Int32Array.of(1, 2, 3), Int32Array.of(2, 3)]), { seed: 0 });
    assert.throws(() => plain.eventTransitionSeen(0, 0), ModelStateError);
    const s = new AutoregressiveSequenceSynthesizer({ ...tiny, epochs: 1 });
    await assert.rejects(s.fitEvents({ numItems: 3, eventTypes: ['view'], sequences: [{ items: Int32Array.of(1, 2), events: Uint8Array.of(0) }] }, { seed: 0 }), RangeError);
    await assert.rejects(s.fitEvents({ numItems: 3, eventTypes: ['view'], sequences: [{ items: Int32Array.of(1, 4), events: Uint8Array.of(0, 0) }] }, { seed: 0 }), /out of range/);
  });
});

describe('autoregressive synthesizer: errors', () => {
  it('bad settings are ConfigErrors; sampling before fit is a ModelStateError', () => {
    assert.throws(() => new AutoregressiveSequenceSynthesizer({ temperature: -1 }), ConfigError);
    assert.throws(() => new AutoregressiveSequenceSynthesizer({ epochs: 0 }), ConfigError);
    assert.throws(() => new AutoregressiveSequenceSynthesizer().sample(1, { seed: 0 }), ModelStateError);
  });
});
