import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { Adam, Parameter, backward, noGrad, resetTape } from '../../src/nn/index.ts';
import { createGru4rec, parseGru4recConfig } from '../../src/models/gru4rec.ts';
import { createSasrec, packTokens, parseSasrecConfig, sequenceLoss } from '../../src/models/sasrec.ts';
import { CeNegativeSampler, drawCeNegatives, type CeSample } from '../../src/models/sampled-softmax.ts';
import { makeTrainView } from '../../src/data/index.ts';
import type { SequenceNetwork, TrainingBatch } from '../../src/models/network.ts';
import { assertClose, fixtureBatch, loadFixture, loadWeights, maxAbs } from '../fixtures/crosscheck/load.ts';

for (const loss of ['bce', 'ce'] as const) {
  test(`SASRec (${loss}) matches the PyTorch reference: loss, every gradient, eval scores`, () => {
    const f = loadFixture(`sasrec-${loss}.json`);
    const net = createSasrec(f.numItems, f.config, new Rng(1));
    loadWeights(net.parameters, f);
    const l = net.batchLoss(fixtureBatch(f), new Rng(2));
    assertClose([l.item()], [f.loss], 1e-5, 1e-7, 'loss');
    backward(l);
    for (let i = 0; i < net.parameters.length; i++) {
      const p = net.parameters[i]!;
      const g = f.gradients[i]!;
      assert.equal(p.name, g.name);
      const grad = p.grad ?? new Float32Array(p.size);
      // float32 vs float64: relative 1e-3, absolute scaled by the tensor's largest gradient.
      assertClose(grad, g.values, 1e-3, Math.max(1e-4 * maxAbs(g.values), 1e-7), `grad ${p.name}`);
    }
    const scores = net.scoreNext(f.histories.map((h) => Int32Array.from(h)));
    assertClose(scores, f.scores, 1e-4, 1e-5, 'scoreNext');
    // Alone, a short history is computed on trimmed columns: still the PyTorch full-length result.
    const V = f.numItems + 1;
    f.histories.forEach((h, i) => assertClose(net.scoreNext([Int32Array.from(h)]), f.scores.slice(i * V, (i + 1) * V), 1e-4, 1e-5, `history ${i} alone`));
  });
}

function smallNet(seed: number, loss: 'bce' | 'ce' = 'bce', extra: Record<string, unknown> = {}) {
  return createSasrec(20, { hidden: 8, blocks: 2, heads: 2, maxLen: 7, loss, ...extra }, new Rng(seed));
}

function batchOf(rows: number[][], maxLen: number, numItems: number, rng: Rng): TrainingBatch {
  const size = rows.length;
  const inputs = new Int32Array(size * maxLen);
  const targets = new Int32Array(size * maxLen);
  const negatives = new Int32Array(size * maxLen);
  rows.forEach((s, b) => {
    const inp = s.slice(0, -1).slice(-maxLen);
    const tgt = s.slice(1).slice(-maxLen);
    const off = b * maxLen + maxLen - inp.length;
    inputs.set(inp, off);
    targets.set(tgt, off);
    for (let t = 0; t < tgt.length; t++) {
      let n = 1 + rng.int(numItems);
      while (n === tgt[t]) n = 1 + rng.int(numItems);
      negatives[off + t] = n;
    }
  });
  return { size, maxLen, inputs, targets, negatives };
}

test('SASRec config: defaults are the CoSeRec family, bad options are refused', () => {
  assert.deepEqual(parseSasrecConfig({}), { hidden: 64, blocks: 2, heads: 2, dropout: 0.5, attnDropout: 0.5, maxLen: 50, loss: 'bce', initStd: 0.02, maskToken: false });
  assert.throws(() => parseSasrecConfig({ hidden: 10, heads: 3 }), /divisible/);
  assert.throws(() => parseSasrecConfig({ maskToken: 'yes' }), (e: unknown) => e instanceof ConfigError && e.location.field === 'maskToken');
  assert.equal(createSasrec(5, { maskToken: true }, new Rng(0)).parameters[0]!.shape[0], 7, 'a mask row after the 5 items and padding');
  const field = (name: string) => (e: unknown) => e instanceof ConfigError && e.location.field === name;
  assert.throws(() => parseSasrecConfig({ loss: 'mse' }), field('loss'));
  assert.throws(() => parseSasrecConfig({ dropout: 1 }), field('dropout'));
  assert.throws(() => parseSasrecConfig({ hiden: 64 }), field('hiden'));
  const net = createSasrec(5, { loss: 'ce' }, new Rng(0));
  assert.equal(net.needsNegatives, false);
  assert.equal(createSasrec(5, {}, new Rng(0)).needsNegatives, true);
  assert.equal(net.parameters[0]!.shape[0], 6);
});

test('SASRec scoreNext: shape, truncation to maxLen, chunk/batch independence, empty history', () => {
  const net = smallNet(3);
  const hs = [Int32Array.of(1, 2, 3), Int32Array.of(4), Int32Array.of(5, 6, 7, 8, 9, 10, 11, 12, 13, 14), Int32Array.of()];
  const s = net.scoreNext(hs);
  assert.equal(s.length, hs.length * 21);
  assert.ok(s.every(Number.isFinite));
  // Each row is the same whether the history is scored alone or together with others.
  hs.forEach((h, i) => assertClose(net.scoreNext([h]), s.subarray(i * 21, (i + 1) * 21), 1e-5, 1e-6, `row ${i}`));
  // A history longer than maxLen scores like its last maxLen items.
  assertClose(net.scoreNext([Int32Array.of(8, 9, 10, 11, 12, 13, 14)]), s.subarray(2 * 21, 3 * 21), 1e-6, 1e-7, 'truncation');
  // More than one chunk (256) of histories.
  const many = Array.from({ length: 300 }, (_, i) => Int32Array.of(1 + (i % 20), 1 + ((i * 7) % 20)));
  const sm = net.scoreNext(many);
  assertClose(sm.subarray(299 * 21), net.scoreNext([many[299]!]), 1e-5, 1e-6, 'chunked');
});

test('SASRec is causal and ignores left padding: a hidden state depends only on the items up to it', () => {
  const net = smallNet(4);
  const L = 7;
  const d = 8;
  const a = Int32Array.of(0, 0, 3, 4, 5, 6, 7);
  const b = Int32Array.of(0, 0, 3, 4, 5, 19, 2); // later items changed
  const full = Int32Array.of(1, 2, 3, 4, 5, 6, 7);
  const [ra, rb, rc] = noGrad(() => [net.hidden(a, 1, false, null), net.hidden(b, 1, false, null), net.hidden(new Int32Array(L), 1, false, null)]);
  assert.equal(ra!.offset, 2); // all-padding columns are cut off
  assert.equal(rc!.len, 1);
  const ha = ra!.h.data;
  const hb = rb!.h.data;
  for (let t = 0; t < 3; t++) assertClose(hb.subarray(t * d, (t + 1) * d), ha.subarray(t * d, (t + 1) * d), 1e-6, 1e-7, `position ${t}`);
  assert.ok(hb.subarray(3 * d).some((v, i) => v !== ha[3 * d + i]), 'changing later items must change later positions');
  // In one batch with a full-length row nothing is cut, yet the real positions are the same:
  // padding never leaks into real rows and rows never see each other.
  const both = noGrad(() => net.hidden(Int32Array.of(...a, ...full, ...b), 3, false, null));
  assert.equal(both.offset, 0);
  assertClose(both.h.data.subarray(2 * d, L * d), ha, 1e-5, 1e-6, 'batch row 0');
  assertClose(both.h.data.subarray((2 * L + 2) * d, 3 * L * d), hb, 1e-5, 1e-6, 'batch row 2');
  const alone = noGrad(() => net.hidden(full, 1, false, null));
  assertClose(both.h.data.subarray(L * d, 2 * L * d), alone.h.data, 1e-5, 1e-6, 'batch row 1');
});

test('SASRec packed path equals the padded (masked) path', () => {
  const net = smallNet(12, 'ce', { dropout: 0, attnDropout: 0 });
  const rows = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11], [12, 13], [5, 1]];
  const batch = batchOf(rows, 7, 20, new Rng(3));
  const { h, len, offset } = noGrad(() => net.hidden(batch.inputs, batch.size, false, null));
  const tokens = packTokens(batch.inputs, batch.size, 7);
  const hp = noGrad(() => net.hiddenPacked(tokens, false, null));
  assert.equal(hp.shape[0], 2 + 7 + 1 + 1);
  for (let b = 0; b < batch.size; b++) {
    for (let t = tokens.first[b]!; t < 7; t++) {
      const i = tokens.offsets[b]! + t - tokens.first[b]!;
      const j = b * len + t - offset;
      assertClose(hp.data.subarray(i * 8, (i + 1) * 8), h.data.subarray(j * 8, (j + 1) * 8), 1e-5, 1e-6, `row ${b} col ${t}`);
    }
  }
  assert.throws(() => packTokens(Int32Array.of(0, 3, 0, 4), 1, 4), /left-padded/);
});

test('SASRec batchLoss does not depend on batch company (trimmed vs untrimmed layouts agree)', () => {
  const net = smallNet(9, 'ce', { dropout: 0, attnDropout: 0 });
  const short = batchOf([[1, 2, 3]], 7, 20, new Rng(1));
  const long = batchOf([[1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11]], 7, 20, new Rng(1));
  const only = batchOf([[4, 5, 6, 7, 8, 9, 10, 11]], 7, 20, new Rng(1));
  const ls = net.batchLoss(short, new Rng(0)).item();
  const ll = net.batchLoss(long, new Rng(0)).item();
  const lo = net.batchLoss(only, new Rng(0)).item();
  resetTape();
  // mean over 2 + 7 target positions
  assertClose([ll], [(2 * ls + 7 * lo) / 9], 1e-5, 1e-7, 'loss');
});

test('SASRec training is deterministic by seed, dropout is active in training only, loss falls on a toy task', () => {
  const rows = [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [9, 10, 11, 12], [3, 4, 5, 6, 7, 8, 9, 10, 11]];
  for (const loss of ['bce', 'ce'] as const) {
    const batch = batchOf(rows, 7, 20, new Rng(5));
    const n1 = smallNet(7, loss);
    const n2 = smallNet(7, loss);
    const l1 = n1.batchLoss(batch, new Rng(11));
    resetTape();
    const l2 = n2.batchLoss(batch, new Rng(11));
    resetTape();
    assert.equal(l1.item(), l2.item(), 'same seeds, same loss');
    const l3 = n2.batchLoss(batch, new Rng(12));
    resetTape();
    assert.notEqual(l3.item(), l1.item(), 'dropout draws from the rng');
    // Eval scores do not depend on any rng (no dropout).
    assert.deepEqual(n1.scoreNext([Int32Array.of(1, 2)]), n2.scoreNext([Int32Array.of(1, 2)]));
  }
});

test('SASRec learns: a few Adam steps lower the loss on a fixed batch (both losses)', () => {
  const rows = [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [9, 10, 11, 12], [3, 4, 5, 6, 7, 8, 9, 10, 11]];
  for (const loss of ['bce', 'ce'] as const) {
    const net = smallNet(8, loss, { dropout: 0, attnDropout: 0, initStd: 0.1 });
    const batch = batchOf(rows, 7, 20, new Rng(6));
    const opt = new Adam(net.parameters, { lr: 0.01 });
    const rng = new Rng(1);
    let first = 0;
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const l = net.batchLoss(batch, rng);
      if (i === 0) first = l.item();
      last = l.item();
      backward(l);
      opt.step();
      for (const p of net.parameters) p.grad = null;
    }
    assert.ok(last < first * 0.7, `${loss}: loss ${first} -> ${last}`);
  }
});

/** The batch loss after `steps` Adam steps on that one batch (lr 0.01, rng seed 1). */
function lossAfterSteps(net: SequenceNetwork, batch: TrainingBatch, steps: number): number {
  const opt = new Adam(net.parameters, { lr: 0.01 });
  const rng = new Rng(1);
  let last = 0;
  for (let i = 0; i < steps; i++) {
    const l = net.batchLoss(batch, rng);
    last = l.item();
    backward(l);
    opt.step();
    for (const p of net.parameters) p.grad = null;
  }
  resetTape();
  return last;
}

test('sampled softmax (ceNegatives): distinct uniform draws, accidental hits masked, equals the full softmax when the sample is the catalogue', () => {
  fc.assert(
    fc.property(fc.integer({ min: 3, max: 60 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 1e6 }), (numItems, count, seed) => {
      const drawn = drawCeNegatives(count, numItems, new Rng(seed));
      if (count >= numItems - 1) return drawn === undefined;
      assert.ok(drawn !== undefined);
      assert.equal(drawn.length, count);
      assert.equal(new Set(drawn).size, count, 'distinct');
      assert.ok(drawn.every((v) => v >= 1 && v <= numItems), 'real item ids only');
      assert.deepEqual(drawCeNegatives(count, numItems, new Rng(seed)), drawn, 'same seed, same draw');
      return true;
    }),
  );
  // Uniform: over many draws of 3 from 10, every item is picked about 30 % of the time.
  const hits = new Array<number>(11).fill(0);
  const rng = new Rng(7);
  for (let t = 0; t < 20000; t++) for (const v of drawCeNegatives(3, 10, rng)!) hits[v]!++;
  for (let v = 1; v <= 10; v++) assert.ok(Math.abs(hits[v]! / 20000 - 0.3) < 0.015, `item ${v} drawn ${hits[v]} / 20000`);

  // With the whole catalogue as the sample, each row's own target is an accidental hit: masked, the
  // sampled softmax is the full softmax, value and gradient.
  const r = new Rng(3);
  const numItems = 9;
  const hData = Float32Array.from({ length: 5 * 4 }, () => r.normal());
  const eData = Float32Array.from({ length: (numItems + 1) * 4 }, () => r.normal());
  const ids = Int32Array.of(1, 4, 9, 4, 2);
  const realItems = Int32Array.from({ length: numItems }, (_, i) => i + 1);
  const run = (sample?: CeSample) => {
    const h = new Parameter('h', hData.slice(), [5, 4]);
    const E = new Parameter('E', eData.slice(), [numItems + 1, 4]);
    const loss = sequenceLoss('ce', h, E, ids, null, realItems, undefined, sample);
    backward(loss);
    const out = { loss: loss.item(), gh: Float32Array.from(h.grad!), gE: Float32Array.from(E.grad!) };
    resetTape();
    return out;
  };
  const full = run();
  const sampled = run({ ids: Int32Array.of(5, 2, 8, 1, 9, 3, 7, 4, 6) });
  assert.ok(Math.abs(full.loss - sampled.loss) < 1e-5, `${full.loss} vs ${sampled.loss}`);
  const gap = (a: Float32Array, b: Float32Array) => maxAbs(a.map((v, i) => v - b[i]!));
  assert.ok(gap(full.gh, sampled.gh) < 1e-5 && gap(full.gE, sampled.gE) < 1e-5, 'same gradients');
  // A partial sample: the loss is the softmax over [target, sample minus the row's own target].
  const part = Int32Array.of(4, 7);
  const got = run({ ids: part }).loss;
  let want = 0;
  for (let i = 0; i < 5; i++) {
    const dot = (item: number) => { let s = 0; for (let d = 0; d < 4; d++) s += hData[i * 4 + d]! * eData[item * 4 + d]!; return s; };
    const cols = [dot(ids[i]!), ...[...part].filter((v) => v !== ids[i]).map(dot)];
    const m = Math.max(...cols);
    want += m + Math.log(cols.reduce((s, x) => s + Math.exp(x - m), 0)) - cols[0]!;
  }
  assert.ok(Math.abs(got - want / 5) < 1e-5, `${got} vs ${want / 5}`);
});

test("ceSampler 'popularity': draws follow the training counts, every logit is corrected by −log(K·q), hits masked", () => {
  // Item 1 occurs 7 times, item 2 three times, items 3–4 never; +1 each: q = 8/14, 4/14, 1/14, 1/14.
  const train = makeTrainView(4, [Int32Array.of(1, 2, 1, 1), Int32Array.of(1, 1, 2, 1, 2, 1)]);
  assert.equal(new CeNegativeSampler(3, 4, 'popularity').draw(new Rng(0)), undefined, 'K covering the catalogue: the full softmax');
  const sampler = new CeNegativeSampler(2, 4, 'popularity');
  assert.throws(() => sampler.draw(new Rng(0)), /observing its training data/, 'no counts, no draw');
  sampler.observeTraining(train);
  const q = [0, 8 / 14, 4 / 14, 1 / 14, 1 / 14];
  const hits = new Array<number>(5).fill(0);
  const rng = new Rng(11);
  let first: CeSample | undefined;
  for (let t = 0; t < 5000; t++) {
    const s = sampler.draw(rng)!;
    first ??= s;
    assert.equal(s.ids.length, 2, 'K draws, with replacement');
    for (const v of s.ids) hits[v]!++;
  }
  for (let v = 1; v <= 4; v++) assert.ok(Math.abs(hits[v]! / 10000 - q[v]!) < 0.015, `item ${v}: ${hits[v]! / 10000} vs q ${q[v]}`);
  for (let v = 1; v <= 4; v++) assert.ok(Math.abs(first!.logExpected![v]! - Math.log(2 * q[v]!)) < 1e-6, 'log expected count');
  const again = new CeNegativeSampler(2, 4, 'popularity');
  again.observeTraining(train);
  assert.deepEqual(again.draw(new Rng(11))!.ids, first!.ids, 'same seed, same draw');

  // The loss against a hand computation: columns [target, sample…], each logit minus log(K·q), the
  // row's own target masked wherever the sample holds it (item 1 twice here).
  const r = new Rng(5);
  const hData = Float32Array.from({ length: 3 * 4 }, () => r.normal());
  const eData = Float32Array.from({ length: 5 * 4 }, () => r.normal());
  const ids = Int32Array.of(1, 2, 4);
  const sample: CeSample = { ids: Int32Array.of(1, 3, 1, 2), logExpected: first!.logExpected! };
  const h = new Parameter('h', hData.slice(), [3, 4]);
  const E = new Parameter('E', eData.slice(), [5, 4]);
  const got = sequenceLoss('ce', h, E, ids, null, Int32Array.of(1, 2, 3, 4), undefined, sample).item();
  resetTape();
  let want = 0;
  for (let i = 0; i < 3; i++) {
    const logit = (item: number) => { let s = 0; for (let d = 0; d < 4; d++) s += hData[i * 4 + d]! * eData[item * 4 + d]!; return s - Math.log(2 * q[item]!); };
    const cols = [logit(ids[i]!), ...[...sample.ids].filter((v) => v !== ids[i]).map(logit)];
    const m = Math.max(...cols);
    want += m + Math.log(cols.reduce((s, x) => s + Math.exp(x - m), 0)) - cols[0]!;
  }
  assert.ok(Math.abs(got - want / 3) < 1e-5, `${got} vs ${want / 3}`);
  // Uncorrected, the same sample gives another loss: the correction is applied.
  const plain = sequenceLoss('ce', new Parameter('h', hData.slice(), [3, 4]), new Parameter('E', eData.slice(), [5, 4]), ids, null, Int32Array.of(1, 2, 3, 4), undefined, { ids: sample.ids }).item();
  resetTape();
  assert.ok(Math.abs(plain - got) > 1e-3);
});

test("ceSampler: 'popularity' needs ceNegatives, is absent from the saved config at 'uniform', and SASRec/GRU4Rec train with it deterministically", () => {
  const field = (name: string) => (e: unknown) => e instanceof ConfigError && e.location.field === name;
  assert.throws(() => parseSasrecConfig({ loss: 'ce', ceSampler: 'popularity' }), field('ceSampler'));
  assert.throws(() => parseGru4recConfig({ ceSampler: 'popular', ceNegatives: 5 }), field('ceSampler'));
  assert.equal('ceSampler' in parseSasrecConfig({ loss: 'ce', ceNegatives: 5, ceSampler: 'uniform' }), false, 'fingerprints of existing configs unchanged');
  assert.equal(parseGru4recConfig({ ceNegatives: 5, ceSampler: 'popularity' }).ceSampler, 'popularity');
  const rows = [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [9, 10, 11, 12], [3, 4, 5, 6, 7, 8, 9, 10, 11]];
  const train = makeTrainView(20, rows.map((r) => Int32Array.from(r)));
  const nets = [
    (seed: number) => smallNet(seed, 'ce', { dropout: 0, attnDropout: 0, initStd: 0.1, ceNegatives: 5, ceSampler: 'popularity' }),
    (seed: number) => createGru4rec(20, { embedding: 8, hidden: 8, dropout: 0, maxLen: 7, ceNegatives: 5, ceSampler: 'popularity' }, new Rng(seed)),
  ];
  for (const make of nets) {
    const batch = batchOf(rows, 7, 20, new Rng(6));
    const net = make(8);
    assert.throws(() => net.batchLoss(batch, new Rng(1)), /observing its training data/);
    resetTape();
    net.observeTraining!(train);
    const first = net.batchLoss(batch, new Rng(1)).item();
    resetTape();
    const twin = make(8);
    twin.observeTraining!(train);
    assert.equal(twin.batchLoss(batch, new Rng(1)).item(), first, 'same seed, same sample, same loss');
    resetTape();
    const last = lossAfterSteps(net, batch, 30);
    assert.ok(last < first, `${net.kind}: loss ${first} -> ${last}`);
  }
});

test('ceNegatives: only with loss ce, absent from the saved config when 0, and a SASRec/GRU4Rec trained with it learns deterministically', () => {
  const field = (name: string) => (e: unknown) => e instanceof ConfigError && e.location.field === name;
  assert.throws(() => parseSasrecConfig({ ceNegatives: 8 }), field('ceNegatives'), 'bce has no softmax to sample');
  assert.throws(() => parseGru4recConfig({ loss: 'bce', ceNegatives: 8 }), field('ceNegatives'));
  assert.throws(() => parseSasrecConfig({ loss: 'ce', ceNegatives: -1 }), field('ceNegatives'));
  assert.equal('ceNegatives' in parseSasrecConfig({ loss: 'ce', ceNegatives: 0 }), false, 'fingerprints of existing configs unchanged');
  assert.equal(parseSasrecConfig({ loss: 'ce', ceNegatives: 5 }).ceNegatives, 5);
  assert.equal(parseGru4recConfig({ ceNegatives: 5 }).ceNegatives, 5);
  const rows = [[1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [9, 10, 11, 12], [3, 4, 5, 6, 7, 8, 9, 10, 11]];
  const nets = [
    (seed: number) => smallNet(seed, 'ce', { dropout: 0, attnDropout: 0, initStd: 0.1, ceNegatives: 5 }),
    (seed: number) => createGru4rec(20, { embedding: 8, hidden: 8, dropout: 0, maxLen: 7, ceNegatives: 5 }, new Rng(seed)),
  ];
  for (const make of nets) {
    const batch = batchOf(rows, 7, 20, new Rng(6));
    const first = make(8).batchLoss(batch, new Rng(1)).item();
    resetTape();
    assert.equal(make(8).batchLoss(batch, new Rng(1)).item(), first, 'same seed, same sample, same loss');
    resetTape();
    assert.notEqual(make(8).batchLoss(batch, new Rng(2)).item(), first, 'the sample is drawn from the rng');
    resetTape();
    const net = make(8);
    const last = lossAfterSteps(net, batch, 30);
    assert.ok(last < first * 0.7, `${net.kind}: loss ${first} -> ${last}`);
  }
});
