import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelStateError } from '../../src/core/errors.ts';
import { leaveOneOutSplit, makeTrainView, readInteractions } from '../../src/data/index.ts';
import { MarkovSequenceSynthesizer, createSequenceSynthesizer, eventSequencesFromTable, type EventSequenceData } from '../../src/synth/sequence/index.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { beautySlice, hasBeauty, tvDistance } from './sequence-helpers.ts';

const tmp = (): { dir: string; done: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'samplify-seqsynth-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
};
const arrs = (xs: Int32Array[]): number[][] => xs.map((x) => Array.from(x));

// A small fixture with clear structure: 1 → 2 dominates, 2 → 3 or 4, starts mostly at 1.
const fixture = [
  [1, 2, 3], [1, 2, 4], [1, 2, 3, 5], [2, 3, 4, 5, 6], [1, 2], [1, 3], [6, 5, 4], [1, 2, 3, 4],
  [2, 4], [1, 2, 5, 6], [5, 6], [1, 2, 3],
].map((s) => Int32Array.from(s));
const train = makeTrainView(7, fixture); // item 7 never occurs

async function fitted(noRepeat: boolean | 'auto' = 'auto'): Promise<MarkovSequenceSynthesizer> {
  const m = new MarkovSequenceSynthesizer({ noRepeat });
  await m.fit(train, { seed: 0 });
  return m;
}

describe('Markov sequence synthesizer: statistics of the training data', () => {
  it('reproduces the length and start distributions', async () => {
    const m = await fitted();
    const out = m.sample(6000, { seed: 1 });
    const lens = (xs: Int32Array[]) => xs.reduce((h, s) => ((h[s.length] = (h[s.length] ?? 0) + 1), h), [] as number[]);
    const starts = (xs: readonly Int32Array[]) => xs.reduce((h, s) => ((h[s[0]!] = (h[s[0]!] ?? 0) + 1), h), new Array<number>(8).fill(0));
    assert.ok(tvDistance(lens(out), lens([...fixture])) < 0.03, `length TV ${tvDistance(lens(out), lens([...fixture]))}`);
    assert.ok(tvDistance(starts(out), starts(fixture)) < 0.03, `start TV ${tvDistance(starts(out), starts(fixture))}`);
    for (const s of out) for (const i of s) assert.ok(i >= 1 && i <= 6, `item ${i}: padding, mask or never seen`);
  });

  it('first transitions follow the Witten–Bell interpolation of bigram counts and popularity', async () => {
    const m = await fitted(false);
    const out = m.sample(20000, { seed: 2, lengths: new Array(20000).fill(2) });
    // After item 1: successors 2 (×7), 3 (×1): c = 8, n1 = 2; popularity over 37 occurrences.
    const pop = [0, 8, 9, 6, 5, 5, 4].map((c) => c / 37);
    const expect = (j: number) => ((j === 2 ? 7 : j === 3 ? 1 : 0) + 2 * pop[j]!) / (8 + 2);
    const after1 = out.filter((s) => s[0] === 1).map((s) => s[1]!);
    for (let j = 1; j <= 6; j++) {
      const got = after1.filter((x) => x === j).length / after1.length;
      assert.ok(Math.abs(got - expect(j)) < 0.02, `P(${j} | 1) = ${got.toFixed(3)}, expected ${expect(j).toFixed(3)}`);
    }
  });

  it('no-repeat is auto-detected from the data and respected', async () => {
    const m = await fitted();
    assert.equal(m.noRepeat, true);
    for (const s of m.sample(2000, { seed: 3 })) assert.equal(new Set(s).size, s.length);
    const rep = new MarkovSequenceSynthesizer();
    await rep.fit(makeTrainView(3, [Int32Array.of(1, 1, 2), Int32Array.of(2, 3, 2)]), { seed: 0 });
    assert.equal(rep.noRepeat, false);
    assert.ok(rep.sample(500, { seed: 0 }).some((s) => new Set(s).size < s.length), 'repeats stay possible on data that has them');
  });

  it('honours requested lengths (ending early only when no-repeat runs out of items)', async () => {
    const m = await fitted();
    const out = m.sample(3, { seed: 4, lengths: [1, 4, 40] });
    assert.deepEqual(out.map((s) => s.length), [1, 4, 6]);
    assert.throws(() => m.sample(2, { seed: 0, lengths: [3] }), RangeError);
  });
});

describe('Markov sequence synthesizer: determinism and persistence', () => {
  it('same seed → same histories; history j does not depend on n', async () => {
    const m = await fitted();
    assert.deepEqual(arrs(m.sample(50, { seed: 9 })), arrs(m.sample(50, { seed: 9 })));
    assert.deepEqual(arrs(m.sample(50, { seed: 9 })).slice(0, 20), arrs(m.sample(20, { seed: 9 })));
    assert.notDeepEqual(arrs(m.sample(50, { seed: 9 })), arrs(m.sample(50, { seed: 10 })));
    const again = await fitted();
    assert.deepEqual(arrs(again.sample(50, { seed: 9 })), arrs(m.sample(50, { seed: 9 })));
  });

  it('save → load samples exactly the same; a foreign file is a ModelStateError', async () => {
    const t = tmp();
    try {
      const m = await fitted();
      m.save(join(t.dir, 'markov.json'));
      const l = new MarkovSequenceSynthesizer();
      l.load(join(t.dir, 'markov.json'));
      assert.deepEqual(arrs(l.sample(100, { seed: 5 })), arrs(m.sample(100, { seed: 5 })));
      writeFileSync(join(t.dir, 'other.json'), '{"format":"something-else"}');
      assert.throws(() => l.load(join(t.dir, 'other.json')), ModelStateError);
      assert.throws(() => new MarkovSequenceSynthesizer().sample(1, { seed: 0 }), ModelStateError);
      assert.equal(createSequenceSynthesizer('markov').name, 'markov');
      assert.throws(() => createSequenceSynthesizer('gan'), ConfigError);
      assert.throws(() => new MarkovSequenceSynthesizer({ noRepeat: 'sometimes' as never }), ConfigError);
    } finally {
      t.done();
    }
  });
});

describe('Markov sequence synthesizer: event types', () => {
  const VIEW = 0, CART = 1, BUY = 2;
  // Purchases only ever follow a cart; nothing follows a purchase except a view; a cart never follows a cart.
  const hist = (pairs: [number, number][]) => ({ items: Int32Array.from(pairs, (p) => p[0]), events: Uint8Array.from(pairs, (p) => p[1]) });
  const data: EventSequenceData = {
    numItems: 8,
    eventTypes: ['view', 'cart', 'purchase'],
    sequences: [
      hist([[1, VIEW], [2, VIEW], [2, CART], [2, BUY]]),
      hist([[3, VIEW], [3, CART], [3, BUY], [4, VIEW]]),
      hist([[5, VIEW], [6, VIEW], [7, VIEW], [7, CART], [8, VIEW]]),
      hist([[1, VIEW], [4, VIEW], [4, CART], [4, BUY], [5, VIEW], [6, VIEW]]),
      hist([[8, VIEW], [2, VIEW], [6, VIEW], [6, CART], [6, BUY]]),
      hist([[7, VIEW], [1, VIEW], [1, CART], [5, VIEW]]),
    ],
  };

  it('never generates an event transition the data does not have, though it makes new item transitions', async () => {
    const m = new MarkovSequenceSynthesizer();
    await m.fitEvents(data, { seed: 0 });
    const seen = new Set<string>();
    for (const s of data.sequences) for (let t = 1; t < s.items.length; t++) seen.add(`${s.items[t - 1]}/${s.events[t - 1]}>${s.items[t]}/${s.events[t]}`);
    let novel = 0;
    let buys = 0;
    for (const s of m.sampleWithEvents(3000, { seed: 1 })) {
      assert.equal(s.items.length, s.events.length);
      for (let t = 1; t < s.items.length; t++) {
        const a = s.events[t - 1]!, b = s.events[t]!;
        assert.ok(m.eventTransitionSeen(a, b), `generated ${data.eventTypes[a]} → ${data.eventTypes[b]}`);
        assert.ok(!(a === VIEW && b === BUY) && !(a === CART && b === CART) && !(a === BUY && b !== VIEW));
        if (!seen.has(`${s.items[t - 1]}/${a}>${s.items[t]}/${b}`)) novel++;
        if (b === BUY) buys++;
      }
    }
    assert.ok(novel > 100, `the fallback should make new item transitions (made ${novel})`);
    assert.ok(buys > 100, 'purchases are generated');
    assert.equal(m.noRepeat, true, 'no (item, event) pair repeats in this data');
  });

  it('reads event histories from a CSV with an event column (time order, given event order)', async () => {
    const t = tmp();
    try {
      const csv = join(t.dir, 'events.csv');
      writeFileSync(csv, 'user,item,ts,event\nu1,a,3,purchase\nu1,a,1,view\nu1,a,2,cart\nu2,b,5,view\nu2,a,6,view\n');
      const { table } = await readInteractions(csv, { format: 'csv', columns: { user: 'user', item: 'item', timestamp: 'ts', eventType: 'event' } });
      const { data: d, itemIds, userIds } = eventSequencesFromTable(table, ['view', 'cart', 'purchase']);
      assert.deepEqual(userIds, ['u1', 'u2']);
      assert.deepEqual(itemIds, ['<pad>', 'a', 'b']);
      assert.deepEqual(Array.from(d.sequences[0]!.events), [0, 1, 2]);
      assert.deepEqual(Array.from(d.sequences[1]!.items), [2, 1]);
      const m = new MarkovSequenceSynthesizer();
      await m.fitEvents(d, { seed: 0 });
      assert.ok(!m.eventTransitionSeen(0, 2) && m.eventTransitionSeen(1, 2));
    } finally {
      t.done();
    }
  });
});

describe('Markov on a Beauty slice', { skip: !hasBeauty && 'needs ../shared/data/beauty/Beauty.txt' }, () => {
  it('length and popularity distributions close to the training data; only training items', async () => {
    const ds = beautySlice(3000);
    const split = leaveOneOutSplit(ds);
    const m = new MarkovSequenceSynthesizer();
    await m.fit(split.train, { seed: 0 });
    const real = split.train.users().map((u) => split.train.sequence(u));
    const fake = m.sample(real.length, { seed: 0 });
    const hist = (xs: Int32Array[], of: (s: Int32Array) => number[]) => xs.reduce((h, s) => (of(s).forEach((v) => (h[v] = (h[v] ?? 0) + 1)), h), new Array<number>(ds.numItems + 1).fill(0));
    const lengthTv = tvDistance(hist(fake, (s) => [s.length]), hist(real, (s) => [s.length]));
    const popTv = tvDistance(hist(fake, (s) => Array.from(s)), hist(real, (s) => Array.from(s)));
    assert.ok(lengthTv < 0.05, `length TV ${lengthTv}`);
    assert.ok(popTv < 0.35, `popularity TV ${popTv}`);
    const inTrain = new Set(real.flatMap((s) => Array.from(s)));
    for (const s of fake) for (const i of s) assert.ok(inTrain.has(i));
  });
});
