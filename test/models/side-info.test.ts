import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ConfigError, DataValidationError, Rng } from '../../src/core/index.ts';
import { loadDataset } from '../../src/data/index.ts';
import { Adam, backward, noGrad, resetTape } from '../../src/nn/index.ts';
import { createRecommender, type ModelSpec } from '../../src/models/index.ts';
import { Sasrec } from '../../src/models/sasrec.ts';
import { Gru4rec } from '../../src/models/gru4rec.ts';
import { AttributePredictionHead, SideInfoFusion, loadAttributeFeatures, type CategoricalItemFeatures, type DenseItemFeatures, type FusionMode } from '../../src/models/side-info.ts';
import { armModelSpec, readExperimentConfig } from '../../src/experiment/index.ts';
import { buildTrainingExamples, makeBatch } from '../../src/models/trainer.ts';
import type { NeuralRecommender } from '../../src/models/neural.ts';
import { bytes, tempDir, tinyTrain } from '../contracts/helpers.ts';
import { gradcheck, randTensor } from '../nn/helpers.ts';

const train = tinyTrain(); // 24 items
const histories = train.users().slice(0, 10).map((u) => train.sequence(u));
const tmp = tempDir('samplify-side-info-');
after(() => tmp.cleanup());

// Items 1..20 carry 1–3 of 6 attributes (grouped by id), item 21 has an empty list, 22–24 are absent.
const attrObj: Record<string, number[]> = {};
for (let i = 1; i <= 20; i++) attrObj[String(i)] = [100 + (i % 3), ...(i % 2 === 0 ? [200] : []), ...(i % 5 === 0 ? [300, 301] : [])];
attrObj['21'] = [];
attrObj['999'] = [1]; // not in the dataset: ignored
const attrFile = tmp.path('attrs.json');
writeFileSync(attrFile, JSON.stringify(attrObj));

const MODES: readonly FusionMode[] = ['sum', 'concat', 'gate'];
const sasrecTiny = { hidden: 16, blocks: 1, heads: 2, maxLen: 10, loss: 'ce' } as const;
const gruTiny = { embedding: 16, hidden: 16, maxLen: 10, loss: 'ce' } as const;

describe('side information: attribute features', () => {
  it('maps dense ids, renumbers values, leaves items without attributes empty and counts the rest', () => {
    const f = loadAttributeFeatures(attrFile, 24);
    assert.equal(f.numItems, 24);
    assert.equal(f.numValues, 6);
    const count = (i: number): number => f.offsets[i + 1]! - f.offsets[i]!;
    assert.equal(count(10), 4); // 10 % 3 = 1, even, multiple of 5
    assert.equal(count(21), 0);
    assert.equal(count(22), 0);
    assert.equal(count(0), 0);
  });

  it('a missing or broken file is a DataValidationError naming it', () => {
    assert.throws(() => loadAttributeFeatures(tmp.path('nope.json'), 24), (e: unknown) => e instanceof DataValidationError && e.location.file === tmp.path('nope.json'));
    const bad = tmp.path('bad.json');
    writeFileSync(bad, '{"1": 3}');
    assert.throws(() => loadAttributeFeatures(bad, 24), DataValidationError);
  });

  it('Beauty: the attribute keys are the dense ids loadDataset gives Beauty.txt, and every item has attributes', async () => {
    const { dataset } = await loadDataset('../shared/data/beauty/Beauty.txt', 'seqtxt');
    for (let i = 1; i <= dataset.numItems; i++) assert.equal(dataset.itemIds[i], String(i), `item ${i}`);
    const f = loadAttributeFeatures('../shared/data/beauty/Beauty_item2attributes.json', dataset.numItems, dataset.itemIds);
    const g = loadAttributeFeatures('../shared/data/beauty/Beauty_item2attributes.json', dataset.numItems);
    assert.deepEqual(f.offsets, g.offsets);
    assert.deepEqual(f.values, g.values);
    let empty = 0;
    for (let i = 1; i <= dataset.numItems; i++) if (f.offsets[i + 1] === f.offsets[i]) empty++;
    assert.equal(empty, 0);
    assert.equal(f.numValues, 637);
  });
});

describe('side information: the fusion layer', () => {
  const feats = (): CategoricalItemFeatures => loadAttributeFeatures(attrFile, 24);

  for (const mode of MODES) {
    it(`${mode}: gradients of the fused table match finite differences (item table and every fusion parameter)`, () => {
      const rng = new Rng(5);
      const fusion = new SideInfoFusion([feats()], 24, 25, 4, mode, 0.5, rng);
      const E = randTensor(rng, [25, 4]);
      gradcheck(`fuse ${mode}`, [E, ...fusion.parameters], ([e]) => fusion.fuse(e!), { maxPerInput: 24 });
    });
  }

  it('dense features: projected, rows without a vector contribute nothing, gradients check', () => {
    const rng = new Rng(6);
    const vectors = new Float32Array(25 * 3).map(() => rng.normal());
    const present = new Uint8Array(25).fill(1);
    present[0] = 0;
    present[7] = 0;
    const dense: DenseItemFeatures = { kind: 'dense', name: 'title', numItems: 24, dim: 3, vectors, present };
    const fusion = new SideInfoFusion([dense], 24, 25, 4, 'sum', 0.5, rng);
    // Bias 0 at init: make it non-zero so a leak through a masked row would show.
    fusion.parameters[1]!.data.fill(0.3);
    const side = noGrad(() => fusion.sideTable());
    assert.deepEqual(Array.from(side.data.subarray(7 * 4, 8 * 4)), [0, 0, 0, 0]);
    assert.ok(side.data.subarray(8 * 4, 9 * 4).some((v) => v !== 0));
    gradcheck('fuse dense', [randTensor(rng, [25, 4]), ...fusion.parameters], ([e]) => fusion.fuse(e!));
  });

  it('sum: items without attributes keep their item embedding; concat starts near the item embedding', () => {
    const rng = new Rng(7);
    const E = randTensor(rng, [25, 4]);
    const sum = new SideInfoFusion([feats()], 24, 25, 4, 'sum', 0.1, rng);
    const fused = noGrad(() => sum.fuse(E));
    for (const i of [0, 21, 22, 24]) assert.deepEqual(Array.from(fused.data.subarray(i * 4, (i + 1) * 4)), Array.from(E.data.subarray(i * 4, (i + 1) * 4)), `item ${i}`);
    assert.notDeepEqual(Array.from(fused.data.subarray(4, 8)), Array.from(E.data.subarray(4, 8)));
    const concat = new SideInfoFusion([feats()], 24, 25, 4, 'concat', 1e-4, rng);
    const c = noGrad(() => concat.fuse(E));
    for (let k = 0; k < c.size; k++) assert.ok(Math.abs(c.data[k]! - E.data[k]!) < 1e-2, `entry ${k}`);
  });

  it('rejects sources that do not match the network and unknown modes', () => {
    const f = feats();
    assert.throws(() => new SideInfoFusion([f], 30, 31, 4, 'sum', 0.1, new Rng(1)), ConfigError);
    assert.throws(() => new SideInfoFusion([], 24, 25, 4, 'sum', 0.1, new Rng(1)), ConfigError);
    assert.throws(() => new SideInfoFusion([f], 24, 25, 4, 'max' as FusionMode, 0.1, new Rng(1)), ConfigError);
  });
});

describe('side information: the attribute-prediction head (sideInfo.attributeLoss)', () => {
  const feats = (): CategoricalItemFeatures => loadAttributeFeatures(attrFile, 24);

  it('is λ × the mean over targets of the cross-entropy against the uniform distribution on the next item\'s attributes', () => {
    const f = feats();
    const head = new AttributePredictionHead(f, 4, 0.7, 0.5, new Rng(2));
    const h = randTensor(new Rng(5), [3, 4]);
    const targets = Int32Array.of(10, 21, 3); // 4 attributes, none, 1 attribute
    const got = noGrad(() => head.loss(h, targets)!.item());
    // By hand: logits = h Wᵀ + b (b = 0 at init), log-softmax per row.
    const [w] = head.parameters;
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const t = targets[i]!;
      const attrs = Array.from(f.values.subarray(f.offsets[t]!, f.offsets[t + 1]!));
      if (attrs.length === 0) continue;
      const z = Array.from({ length: f.numValues }, (_, a) => {
        let v = 0;
        for (let j = 0; j < 4; j++) v += h.data[i * 4 + j]! * w!.data[a * 4 + j]!;
        return v;
      });
      const max = Math.max(...z);
      const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
      total += attrs.reduce((s, a) => s + (lse - z[a]!), 0) / attrs.length;
    }
    assert.ok(Math.abs(got - (0.7 * total) / 3) < 1e-5, `${got} vs ${(0.7 * total) / 3}`);
    // Row weights scale each target's term; a target without attributes is null on its own.
    const weighted = noGrad(() => head.loss(h, targets, Float32Array.of(1, 1, 1))!.item());
    assert.ok(Math.abs(weighted - got) < 1e-6);
    assert.equal(noGrad(() => head.loss(randTensor(new Rng(1), [1, 4]), Int32Array.of(21))), null);
    assert.throws(() => new AttributePredictionHead(f, 4, 0, 0.5, new Rng(2)), ConfigError);
  });

  it('its gradient matches finite differences', () => {
    const head = new AttributePredictionHead(feats(), 4, 1.3, 0.5, new Rng(2));
    const targets = Int32Array.of(10, 3, 5, 21);
    gradcheck('attribute loss', [randTensor(new Rng(8), [4, 4]), ...head.parameters], ([h]) => head.loss(h!, targets)!);
  });

  for (const [kind, make] of Object.entries({
    sasrec: (cfg: Record<string, unknown>) => new Sasrec(24, { ...sasrecTiny, ...cfg }, new Rng(3).split('init')),
    gru4rec: (cfg: Record<string, unknown>) => new Gru4rec(24, { ...gruTiny, ...cfg }, new Rng(3).split('init')),
  })) {
    it(`${kind}: λ = 0 leaves the config as before; λ > 0 appends the head, keeps every other weight, and changes the loss`, () => {
      const side = { attributes: attrFile, fusion: 'gate' };
      const off = make({ sideInfo: { ...side, attributeLoss: 0 } });
      assert.deepEqual(off.config.sideInfo, { ...side, output: true });
      const on = make({ sideInfo: { ...side, attributeLoss: 0.5 } });
      assert.deepEqual(on.config.sideInfo, { ...side, output: true, attributeLoss: 0.5 });
      assert.deepEqual(on.parameters.slice(off.parameters.length).map((p) => p.name), ['side.attr_pred.w', 'side.attr_pred.b']);
      off.parameters.forEach((p, i) => assert.equal(bytes(on.parameters[i]!.data), bytes(p.data), p.name));
      const ex = buildTrainingExamples(train, on.maxLen);
      const batch = makeBatch(ex, Int32Array.from({ length: ex.users.length }, (_, i) => i), on.maxLen, 24, null);
      const lossOff = off.batchLoss(batch, new Rng(9)).item();
      const lossOn = on.batchLoss(batch, new Rng(9));
      assert.ok(lossOn.item() > lossOff, `${lossOn.item()} vs ${lossOff}: the auxiliary term is added`);
      backward(lossOn);
      const w = on.parameters.find((p) => p.name === 'side.attr_pred.w')!;
      assert.ok(w.grad !== null && w.grad.some((v) => v !== 0), 'the head is trained');
      resetTape();
      // Scoring does not read the head: same weights ⇒ same scores.
      assert.equal(bytes(on.scoreNext(histories)), bytes(off.scoreNext(histories)));
    });
  }

  it('a negative or non-numeric attributeLoss is a ConfigError naming the key', () => {
    for (const bad of [-1, 'high']) {
      assert.throws(
        () => createRecommender({ model: 'sasrec', config: { sideInfo: { attributes: attrFile, attributeLoss: bad } } }),
        (e: unknown) => e instanceof ConfigError && /sideInfo\.attributeLoss/.test(e.location.field ?? ''),
      );
    }
  });
});

describe('side information in SASRec and GRU4Rec', () => {
  const nets = {
    sasrec: (cfg: Record<string, unknown>) => new Sasrec(24, { ...sasrecTiny, ...cfg }, new Rng(3).split('init')),
    gru4rec: (cfg: Record<string, unknown>) => new Gru4rec(24, { ...gruTiny, ...cfg }, new Rng(3).split('init')),
  };

  for (const [kind, make] of Object.entries(nets)) {
    it(`${kind}: without sideInfo the config and parameters are unchanged; with it the base parameters are drawn identically`, () => {
      const off = make({});
      assert.equal('sideInfo' in off.config, false);
      for (const mode of MODES) {
        const on = make({ sideInfo: { attributes: attrFile, fusion: mode } });
        assert.deepEqual(on.config.sideInfo, { attributes: attrFile, fusion: mode, output: true });
        assert.ok(on.parameters.length > off.parameters.length);
        off.parameters.forEach((p, i) => {
          assert.equal(on.parameters[i]!.name, p.name);
          assert.equal(bytes(on.parameters[i]!.data), bytes(p.data), `${mode}: ${p.name}`);
        });
      }
    });

    for (const mode of MODES) {
      for (const output of [true, false]) {
        it(`${kind} ${mode}${output ? '' : ' (input side only)'}: the training loss falls on the tiny fixture`, () => {
          const net = make({ sideInfo: { attributes: attrFile, fusion: mode, output } });
          const adam = new Adam(net.parameters, { lr: 1e-2 });
          const ex = buildTrainingExamples(train, net.maxLen);
          const order = Int32Array.from({ length: ex.users.length }, (_, i) => i);
          const batch = makeBatch(ex, order, net.maxLen, 24, null);
          const rng = new Rng(9);
          const losses: number[] = [];
          for (let step = 0; step < 25; step++) {
            adam.zeroGrad();
            const loss = net.batchLoss(batch, rng.split(`s${step}`));
            losses.push(loss.item());
            backward(loss);
            adam.step();
            resetTape();
          }
          assert.ok(losses.every(Number.isFinite));
          assert.ok(losses.at(-1)! < losses[0]! * 0.9, `${losses[0]} → ${losses.at(-1)}`);
          // Fusion parameters receive gradient (they are trained, not decorative).
          const attr = net.parameters.find((p) => p.name.endsWith('attr_emb'))!;
          assert.ok(attr.grad !== null && attr.grad.some((v) => v !== 0));
        });
      }
    }

    it(`${kind}: scores with sideInfo.output differ from input-only scoring (the output side reads the fused table)`, () => {
      const a = make({ sideInfo: { attributes: attrFile, fusion: 'sum', output: true } }).scoreNext(histories);
      const b = make({ sideInfo: { attributes: attrFile, fusion: 'sum', output: false } }).scoreNext(histories);
      assert.notEqual(bytes(a), bytes(b));
    });
  }

  it('bad sideInfo values are ConfigErrors naming the key', () => {
    const field = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        if (e instanceof ConfigError) return e.location.field ?? '';
        throw e;
      }
      return '<no error>';
    };
    assert.match(field(() => createRecommender({ model: 'sasrec', config: { sideInfo: { attributes: attrFile, fusion: 'max' } } })), /sideInfo\.fusion/);
    assert.match(field(() => createRecommender({ model: 'gru4rec', config: { sideInfo: { attributes: attrFile, fusoin: 'sum' } } })), /sideInfo\.fusoin/);
    assert.match(field(() => createRecommender({ model: 'sasrec', config: { sideInfo: { fusion: 'sum' } } })), /sideInfo\.attributes/);
  });
});

describe('side information: the model contract (same seed ⇒ same scores; save → load ⇒ same scores)', () => {
  const specs: ModelSpec[] = [
    { model: 'sasrec', config: { ...sasrecTiny, sideInfo: { attributes: attrFile, fusion: 'gate' } }, trainer: { batchSize: 16 } },
    { model: 'sasrec', config: { ...sasrecTiny, maskToken: true, sideInfo: { attributes: attrFile, fusion: 'concat' } }, trainer: { batchSize: 16 } },
    { model: 'gru4rec', config: { ...gruTiny, sideInfo: { attributes: attrFile, fusion: 'sum' } }, trainer: { batchSize: 16 } },
    { model: 'sasrec', config: { ...sasrecTiny, sideInfo: { attributes: attrFile, fusion: 'gate', attributeLoss: 0.5 } }, trainer: { batchSize: 16 } },
  ];
  for (const spec of specs) {
    it(`${spec.model} ${JSON.stringify((spec.config as { sideInfo: { fusion: string } }).sideInfo.fusion)}`, async () => {
      const fit = async () => {
        const m = createRecommender(spec);
        await m.fit(train, { seed: 4, epochs: 2 });
        return m;
      };
      const a = await fit();
      const b = await fit();
      const scores = a.scoreAll(histories);
      assert.ok(scores.every(Number.isFinite));
      assert.equal(bytes(b.scoreAll(histories)), bytes(scores));
      const dir = tempDir('samplify-side-info-model-');
      try {
        a.save(dir.dir);
        const loaded = createRecommender(spec);
        loaded.load(dir.dir);
        assert.equal(bytes(loaded.scoreAll(histories)), bytes(scores));
        const names = (loaded as NeuralRecommender).network.parameters.map((p) => p.name);
        assert.ok(names.some((n) => n.startsWith('side.')), 'the fusion parameters are saved and loaded');
      } finally {
        dir.cleanup();
      }
    });
  }
});

describe('side information: the shipped example config', () => {
  it('examples/experiments/beauty-side-info.yaml parses; its baseline is plain SASRec-CE and its fusion arms build on Beauty', () => {
    const { config } = readExperimentConfig('examples/experiments/beauty-side-info.yaml');
    assert.equal((config.model.config as { sideInfo?: unknown }).sideInfo, undefined, 'the baseline has no side information');
    const fused = config.arms.filter((a) => a.model !== undefined);
    assert.deepEqual(fused.map((a) => a.name), ['attributes-gate', 'attributes-gate+recipe']);
    for (const arm of fused) {
      const spec = armModelSpec(config, arm);
      assert.deepEqual((spec.config as { sideInfo: unknown }).sideInfo, { attributes: '../shared/data/beauty/Beauty_item2attributes.json', fusion: 'gate' });
      assert.equal((spec.config as { loss: string }).loss, 'ce', 'merged onto the baseline config');
      const net = new Sasrec(12101, spec.config ?? {}, new Rng(0));
      assert.ok(net.parameters.some((p) => p.name === 'side.0.attr_emb' && p.shape[0] === 637));
    }
  });
});
