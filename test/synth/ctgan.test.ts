import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CancelToken, ConfigError, InterruptedError, ModelStateError, Rng, collectingProgress } from '../../src/core/index.ts';
import type { Cell, Table } from '../../src/data/index.ts';
import * as nn from '../../src/nn/index.ts';
import { acceptanceRatios, type CondBatch, CtganSynthesizer, type Discriminator, discriminatorForward, discriminatorInputGradient, logFrequencyCum, permuteConditions } from '../../src/synth/ctgan.ts';
import { createSynthesizer, loadSynthesizer } from '../../src/synth/index.ts';
import { dense } from '../../src/synth/neural-tabular.ts';
import { backends, gradcheck } from '../nn/helpers.ts';
import { frequencies, shopTable } from './transformer-fixtures.ts';

const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

function smallDiscriminator(inW: number, rng: Rng): Discriminator {
  return { hidden: [dense('h0', inW, 7, rng.split('a')), dense('h1', 7, 5, rng.split('b'))], out: dense('o', 5, 1, rng.split('c')) };
}

for (const be of backends) {
  describe(`CTGAN gradient penalty (${be})`, () => {
    it('∇ₓD(x) written as ops equals finite differences of D, with dropout masks replayed', () => {
      nn.useBackend(be);
      const rng = new Rng(11);
      const D = smallDiscriminator(6, rng);
      const rows = 3;
      const x = new Float32Array(rows * 6);
      for (let i = 0; i < x.length; i++) x[i] = rng.normal();
      const g = nn.noGrad(() => discriminatorInputGradient(D, x, rows, 0.2, 0.5, new Rng(5)));
      const score = (xs: Float32Array): Float32Array => nn.noGrad(() => discriminatorForward(D, new nn.Tensor(xs, [rows, 6]), 0.2, 0.5, new Rng(5)).data);
      const eps = 1e-3;
      for (let i = 0; i < x.length; i++) {
        const r = Math.floor(i / 6);
        const xp = x.slice();
        xp[i]! += eps;
        const xm = x.slice();
        xm[i]! -= eps;
        const numeric = (score(xp)[r]! - score(xm)[r]!) / (2 * eps);
        assert.ok(Math.abs(numeric - g.data[i]!) < 2e-3 + 1e-2 * Math.abs(numeric), `x[${i}]: ops ${g.data[i]} vs numeric ${numeric}`);
      }
    });

    it('the penalty (‖∇ₓD‖ − 1)² is differentiable w.r.t. every discriminator weight (gradient check)', () => {
      nn.useBackend(be);
      const rng = new Rng(12);
      const D = smallDiscriminator(5, rng);
      const rows = 4;
      const x = new Float32Array(rows * 5);
      for (let i = 0; i < x.length; i++) x[i] = rng.normal();
      // Biases only move the (constant) activation masks, so the penalty's gradient w.r.t. them is 0 a.e.
      const params = [D.hidden[0]!.w, D.hidden[1]!.w, D.out.w];
      gradcheck('gradient penalty', params, (ps) => {
        const d: Discriminator = { hidden: [{ w: ps[0]! as nn.Parameter, b: D.hidden[0]!.b }, { w: ps[1]! as nn.Parameter, b: D.hidden[1]!.b }], out: { w: ps[2]! as nn.Parameter, b: D.out.b } };
        const gx = discriminatorInputGradient(d, x, rows, 0.2, 0.5, new Rng(9));
        const norm = nn.sqrt(nn.add(nn.rowDot(gx, gx), nn.Tensor.fromArray([1e-12], [])));
        const dev = nn.add(norm, nn.Tensor.fromArray([-1], []));
        return nn.mul(dev, dev);
      }, { eps: 1e-3, maxPerInput: 20 });
    });
  });
}

describe('CtganSynthesizer', () => {
  const small = { batchSize: 50, pac: 10, embeddingDim: 32, generatorDims: [64, 64], discriminatorDims: [64, 64] };
  const { table, metadata } = shopTable(400, 1);

  /**
   * Fits `config`, cancelled when epoch `stopAfter` ends (its checkpoint is left in `dir`), then
   * fits a fresh synthesizer that resumes from it to the last epoch: what Ctrl-C and a rerun do.
   */
  async function interruptAndResume(config: ConstructorParameters<typeof CtganSynthesizer>[0], fit: { seed: number; epochs: number }, stopAfter: number, dir: string): Promise<CtganSynthesizer> {
    const token = new CancelToken();
    let epochs = 0;
    const progress = { line: (l: string) => void (/ epoch \d+\//.test(l) && ++epochs === stopAfter && token.cancel()) };
    await assert.rejects(new CtganSynthesizer(config).fit(table, metadata, { ...fit, checkpointDir: dir, cancel: token, progress }), InterruptedError);
    const resumed = new CtganSynthesizer(config);
    await resumed.fit(table, metadata, { ...fit, checkpointDir: dir });
    return resumed;
  }

  it('fits a small table in a few seconds; samples keep category frequencies, types and ranges', async () => {
    const m = new CtganSynthesizer(small);
    const progress = collectingProgress();
    const report = await m.fit(table, metadata, { seed: 3, epochs: 80, progress });
    assert.equal(report.losses.length, 80);
    assert.ok(report.losses.every((p) => Number.isFinite(p.generator!) && Number.isFinite(p.discriminator!)));
    assert.ok(progress.lines.some((l) => /^ctgan epoch 80\/80 .*loss_g .*loss_d .* s$/.test(l)), progress.lines.at(-1));
    const { table: s, report: sr } = m.sample(1000, { seed: 1 });
    assert.equal(s.rowCount, 1000);
    assert.equal(sr.produced, 1000);
    const real = frequencies(table.data.segment!);
    const synth = frequencies(s.data.segment!);
    for (const [k, p] of real) assert.ok(Math.abs((synth.get(k) ?? 0) - p) < 0.1, `segment ${k}: real ${p.toFixed(3)} synthetic ${(synth.get(k) ?? 0).toFixed(3)}`);
    for (const v of s.data.member!) assert.equal(typeof v, 'boolean');
    for (const v of s.data.items!) assert.ok(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 5);
    const spends = table.data.spend!.map(Number);
    const lo = Math.min(...spends);
    const hi = Math.max(...spends);
    for (const v of s.data.spend!) assert.ok(typeof v === 'number' && v >= lo && v <= hi);
  });

  it('is deterministic for a seed, and a saved + loaded model samples identical rows', async () => {
    const a = new CtganSynthesizer(small);
    const b = new CtganSynthesizer(small);
    await a.fit(table, metadata, { seed: 7, epochs: 3 });
    await b.fit(table, metadata, { seed: 7, epochs: 3 });
    const sa = a.sample(200, { seed: 4 });
    assert.deepEqual(b.sample(200, { seed: 4 }), sa);
    assert.notDeepEqual(a.sample(200, { seed: 5 }).table, sa.table);
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-'));
    try {
      const path = join(dir, 'model.bin');
      a.save(path);
      const c = new CtganSynthesizer();
      c.load(path);
      assert.deepEqual(c.sample(200, { seed: 4 }), sa);
      assert.equal(c.config.batchSize, 50);
      const viaRegistry = loadSynthesizer(path);
      assert.equal(viaRegistry.name, 'ctgan');
      assert.deepEqual(viaRegistry.sample(200, { seed: 4 }), sa);
      assert.equal(createSynthesizer('ctgan', small).name, 'ctgan');
      assert.throws(() => createSynthesizer('tvae', { batchSize: 0 }), /'batchSize'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('batch-norm generator: fits, samples rows independent of the batch (running statistics), saves and loads', async () => {
    const m = new CtganSynthesizer({ ...small, generatorNorm: 'batch' });
    const rep = await m.fit(table, metadata, { seed: 4, epochs: 3 });
    assert.ok(rep.losses.every((p) => Number.isFinite(p.generator!)));
    const s = m.sample(120, { seed: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-bn-'));
    try {
      m.save(join(dir, 'm.json'));
      const c = new CtganSynthesizer();
      c.load(join(dir, 'm.json'));
      assert.equal(c.config.generatorNorm, 'batch');
      assert.deepEqual(c.sample(120, { seed: 2 }), s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("'batch-train' generator (SDV's sampling): trains as 'batch', samples with batch statistics, never changes the model", async () => {
    const bn = new CtganSynthesizer({ ...small, generatorNorm: 'batch' });
    const bt = new CtganSynthesizer({ ...small, generatorNorm: 'batch-train' });
    const rb = await bn.fit(table, metadata, { seed: 4, epochs: 3 });
    const rt = await bt.fit(table, metadata, { seed: 4, epochs: 3 });
    assert.deepEqual(rt.losses, rb.losses, 'the same training');
    const s = bt.sample(120, { seed: 2 });
    assert.notDeepEqual(s.table, bn.sample(120, { seed: 2 }).table, 'batch statistics, not running ones, at sampling');
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-bt-'));
    try {
      bt.save(join(dir, 'before.bin'));
      assert.deepEqual(bt.sample(120, { seed: 2 }), s);
      bt.sample(700, { seed: 3 });
      bt.save(join(dir, 'after.bin'));
      assert.ok(readFileSync(join(dir, 'after.bin')).equals(readFileSync(join(dir, 'before.bin'))), 'sampling left the running statistics as they were');
      const c = new CtganSynthesizer();
      c.load(join(dir, 'after.bin'));
      assert.equal(c.config.generatorNorm, 'batch-train');
      assert.deepEqual(c.sample(120, { seed: 2 }), s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("'training-batches' keeps rows so that log-frequency proposals end up at the training frequencies, columns still uniform", () => {
    // Two discrete columns: a skewed one (with a 1-row category) and a balanced one.
    const counts = [[900, 90, 9, 1], [500, 500]];
    const freqCum = counts.map((c) => Float64Array.from([0, ...c.map((_, i) => c.slice(0, i + 1).reduce((a, b) => a + b, 0))]));
    const logCum = freqCum.map(logFrequencyCum);
    assert.ok(Math.abs(logCum[0]![1]! - Math.log(901)) < 1e-9 && Math.abs(logCum[0]![4]! - logCum[0]![3]! - Math.log(2)) < 1e-9);
    const keep = acceptanceRatios(freqCum, logCum);
    assert.equal(Math.max(...keep.map((k) => Math.max(...k))), 1);
    const rng = new Rng(3);
    const kept = counts.map((c) => new Float64Array(c.length));
    for (let i = 0; i < 400_000; i++) {
      const j = rng.int(2);
      const u = rng.next() * logCum[j]![logCum[j]!.length - 1]!;
      let c = 0;
      while (logCum[j]![c + 1]! <= u) c++;
      if (rng.next() < keep[j]![c]!) kept[j]![c]!++;
    }
    const total = kept.reduce((a, k) => a + k.reduce((x, y) => x + y, 0), 0);
    counts.forEach((c, j) => {
      const n = kept[j]!.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(n / total - 0.5) < 0.01, `column ${j} keeps ${n / total} of the rows, not half`);
      const sum = c.reduce((a, b) => a + b, 0);
      c.forEach((k, i) => assert.ok(Math.abs(kept[j]![i]! / n - k / sum) < 0.01 + 0.2 * (k / sum), `column ${j} category ${i}: ${kept[j]![i]! / n} vs ${k / sum}`));
    });
  });

  it("sampleConditions changes only sampling: the same fit, deterministic samples, and it survives save + load", async () => {
    const base = new CtganSynthesizer(small);
    const tb = new CtganSynthesizer({ ...small, sampleConditions: 'training-batches' });
    const lf = new CtganSynthesizer({ ...small, sampleConditions: 'log-frequency' });
    const rb = await base.fit(table, metadata, { seed: 4, epochs: 2 });
    assert.deepEqual((await tb.fit(table, metadata, { seed: 4, epochs: 2 })).losses, rb.losses);
    assert.deepEqual((await lf.fit(table, metadata, { seed: 4, epochs: 2 })).losses, rb.losses);
    const s = tb.sample(300, { seed: 2 });
    assert.equal(s.table.rowCount, 300);
    assert.deepEqual(tb.sample(300, { seed: 2 }), s);
    assert.notDeepEqual(s.table, base.sample(300, { seed: 2 }).table);
    assert.notDeepEqual(lf.sample(300, { seed: 2 }).table, base.sample(300, { seed: 2 }).table);
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-tb-'));
    try {
      tb.save(join(dir, 'm.json'));
      const c = new CtganSynthesizer();
      c.load(join(dir, 'm.json'));
      assert.equal(c.config.sampleConditions, 'training-batches');
      assert.deepEqual(c.sample(300, { seed: 2 }), s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('permuteConditions shuffles whole conditions (one-hot, column and category together)', () => {
    // 40 rows over two discrete columns (3 + 4 categories; cond width 7).
    const n = 40;
    const rng = new Rng(9);
    const cb: CondBatch = { cond: new Float32Array(n * 7), column: new Int32Array(n), category: new Int32Array(n) };
    for (let i = 0; i < n; i++) {
      const j = rng.int(2);
      const c = rng.int(j === 0 ? 3 : 4);
      cb.column[i] = j;
      cb.category[i] = c;
      cb.cond[i * 7 + (j === 0 ? 0 : 3) + c] = 1;
    }
    const p = permuteConditions(cb, new Rng(1));
    const key = (b: CondBatch, i: number): string => `${b.column[i]}:${b.category[i]}:${[...b.cond.subarray(i * 7, i * 7 + 7)].join('')}`;
    const keys = (b: CondBatch): string[] => Array.from({ length: n }, (_, i) => key(b, i));
    assert.deepEqual([...keys(p)].sort(), [...keys(cb)].sort(), 'the same conditions');
    for (let i = 0; i < n; i++) assert.equal(p.cond[i * 7 + (p.column[i] === 0 ? 0 : 3) + p.category[i]!], 1, `row ${i}: one-hot matches its column and category`);
    assert.ok(keys(p).some((k, i) => k !== keys(cb)[i]), 'in another order');
    assert.deepEqual(permuteConditions(cb, new Rng(1)), p, 'by the seed');
  });

  it('permuteRealConditions changes the critic step (SDV pairs real rows with shuffled conditions), deterministically', async () => {
    const fit = async (permute: boolean) => {
      const m = new CtganSynthesizer({ ...small, permuteRealConditions: permute });
      return (await m.fit(table, metadata, { seed: 5, epochs: 2 })).losses;
    };
    const permuted = await fit(true);
    assert.notDeepEqual(permuted, await fit(false));
    assert.deepEqual(await fit(true), permuted);
  });

  it('generatorAverage: the same training, a fitted generator that is the average of its steps; an interrupted fit resumes to it', async () => {
    assert.equal(new CtganSynthesizer().config.generatorAverage, 0.999, 'averaged by default');
    const plain = new CtganSynthesizer({ ...small, generatorAverage: 0 });
    const averaged = new CtganSynthesizer({ ...small, generatorAverage: 0.9 });
    const rp = await plain.fit(table, metadata, { seed: 8, epochs: 4 });
    const ra = await averaged.fit(table, metadata, { seed: 8, epochs: 4 });
    assert.deepEqual(ra.losses, rp.losses, 'averaging must not change the training itself');
    const sp = plain.sample(200, { seed: 1 });
    const sa = averaged.sample(200, { seed: 1 });
    assert.notDeepEqual(sa.table, sp.table, 'the averaged generator writes other rows than the last step');
    // Interrupted after epoch 2 and resumed: the average is checkpointed with the weights.
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-avg-'));
    try {
      const resumed = await interruptAndResume({ ...small, generatorAverage: 0.9 }, { seed: 8, epochs: 4 }, 2, dir);
      assert.deepEqual(resumed.sample(200, { seed: 1 }), sa);
      const path = join(dir, 'm.bin');
      resumed.save(path);
      const loaded = new CtganSynthesizer();
      loaded.load(path);
      assert.equal(loaded.config.generatorAverage, 0.9);
      assert.deepEqual(loaded.sample(200, { seed: 1 }), sa);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a 1-row category is held to its training rate, filled through the conditional vector; the counts survive save + load', async () => {
    const segment = [...table.data.segment!];
    segment[0] = 'founder';
    const rare = { ...table, data: { ...table.data, segment } };
    const m = new CtganSynthesizer(small);
    await m.fit(rare, metadata, { seed: 2, epochs: 2 });
    const count = (t: Table) => t.data.segment!.filter((v) => v === 'founder').length;
    // 4,000 rows at the training rate 1/400: a quota of exactly 10.
    const held = m.sample(4000, { seed: 3 });
    assert.equal(count(held.table), 10);
    assert.equal(held.report.produced, 4000);
    assert.deepEqual(held.report.rareCategories?.short, []);
    const free = m.sample(4000, { seed: 3, rareCategoryShare: 0 });
    assert.notEqual(count(free.table), 10, `an unheld 2-epoch fit writes 'founder' ${count(free.table)} times`);
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-rare-'));
    try {
      m.save(join(dir, 'm.bin'));
      const loaded = new CtganSynthesizer();
      loaded.load(join(dir, 'm.bin'));
      assert.deepEqual(loaded.sample(4000, { seed: 3 }), held);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('targetColumn: a classifier learns the target from the other columns, its loss trains the generator; deterministic; resumes; bad targets are ConfigErrors', async () => {
    const cfg = { ...small, targetColumn: 'member' };
    const progress = collectingProgress();
    const a = new CtganSynthesizer(cfg);
    const ra = await a.fit(table, metadata, { seed: 6, epochs: 6, progress });
    assert.ok(ra.losses.every((p) => Number.isFinite(p.classifier!)), 'classifier loss logged every epoch');
    // member is true for every vip and 20 % of the others: far from chance once learned (ln 2 ≈ 0.69).
    assert.ok(ra.losses.at(-1)!.classifier! < 0.6, `classifier loss ${ra.losses.map((p) => p.classifier!.toFixed(3)).join(' ')}`);
    assert.ok(progress.lines.some((l) => /loss_c /.test(l)));
    const plain = await new CtganSynthesizer(small).fit(table, metadata, { seed: 6, epochs: 6 });
    assert.notDeepEqual(plain.losses.map((p) => p.generator), ra.losses.map((p) => p.generator), 'the classifier term changes the generator');
    const b = new CtganSynthesizer(cfg);
    await b.fit(table, metadata, { seed: 6, epochs: 6 });
    assert.deepEqual(b.sample(300, { seed: 2 }), a.sample(300, { seed: 2 }));
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-target-'));
    try {
      const resumed = await interruptAndResume(cfg, { seed: 6, epochs: 6 }, 3, dir);
      assert.deepEqual(resumed.sample(300, { seed: 2 }), a.sample(300, { seed: 2 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(new CtganSynthesizer({ ...small, targetColumn: 'spend' }).fit(table, metadata, { seed: 1, epochs: 1 }), (e: unknown) => e instanceof ConfigError && /not a discrete/.test(e.message) && e.location.field === 'targetColumn');
    await assert.rejects(new CtganSynthesizer({ ...small, targetColumn: 'nope' }).fit(table, metadata, { seed: 1, epochs: 1 }), /not a column of the table/);
    assert.throws(() => new CtganSynthesizer({ targetColumn: 'member', dp: { noiseMultiplier: 1 } }), /cannot be used with 'dp'/);
  });

  it("'batch' generator: an interrupted fit resumes to the same model, running statistics included", async () => {
    const cfg = { ...small, generatorNorm: 'batch' as const, generatorAverage: 0 };
    const straight = new CtganSynthesizer(cfg);
    await straight.fit(table, metadata, { seed: 9, epochs: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-bn-resume-'));
    try {
      const resumed = await interruptAndResume(cfg, { seed: 9, epochs: 4 }, 2, dir);
      assert.deepEqual(resumed.sample(200, { seed: 1 }), straight.sample(200, { seed: 1 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model saved before generatorNorm / generatorAverage existed (a layer-norm generator, not averaged) loads as one', async () => {
    const m = new CtganSynthesizer({ ...small, generatorNorm: 'layer', generatorAverage: 0 });
    await m.fit(table, metadata, { seed: 6, epochs: 2 });
    const s = m.sample(60, { seed: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-old-'));
    try {
      const path = join(dir, 'm.json');
      m.save(path);
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { config: Record<string, unknown> };
      delete doc.config.generatorNorm;
      delete doc.config.generatorAverage;
      writeFileSync(path, JSON.stringify(doc));
      const c = new CtganSynthesizer();
      c.load(path);
      assert.equal(c.config.generatorNorm, 'layer');
      assert.equal(c.config.generatorAverage, 0);
      assert.deepEqual(c.sample(60, { seed: 1 }), s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('conditions: a discrete value natively through the conditional vector, a number by rejection', async () => {
    const m = new CtganSynthesizer(small);
    await m.fit(table, metadata, { seed: 2, epochs: 5 });
    const vip = m.sample(100, { seed: 1, conditions: { segment: 'vip' } });
    assert.equal(vip.report.conditionMethod, 'native');
    assert.ok(vip.table.data.segment!.every((v) => v === 'vip'));
    assert.equal(vip.table.rowCount, 100);
    const both = m.sample(20, { seed: 1, conditions: { segment: 'casual', items: 3 }, maxTriesPerRow: 200 });
    assert.equal(both.report.conditionMethod, 'reject');
    assert.ok(both.table.data.items!.every((v) => v === 3) && both.table.data.segment!.every((v) => v === 'casual'));
    assert.throws(() => m.sample(5, { conditions: { segment: 'unknown' } }), ConfigError);
  });

  it('exact training copies are removed and counted', async () => {
    // Two discrete columns only: the model reproduces training rows all the time.
    const rng = new Rng(1);
    const a: Cell[] = [];
    const b: Cell[] = [];
    for (let i = 0; i < 200; i++) {
      a.push(rng.next() < 0.5 ? 'x' : 'y');
      b.push(rng.next() < 0.5 ? 'p' : 'q');
    }
    const t: Table = { columns: ['a', 'b'], rowCount: 200, data: { a, b } };
    const m = new CtganSynthesizer(small);
    await m.fit(t, { columns: { a: { type: 'categorical' }, b: { type: 'categorical' } } }, { seed: 1, epochs: 2 });
    assert.throws(() => m.sample(10), ConfigError); // every possible row is a training row
  });

  it('bad use is a clear error: sample before fit, bad config, cancellation', async () => {
    assert.throws(() => new CtganSynthesizer().sample(3), ModelStateError);
    assert.throws(() => new CtganSynthesizer({ batchSize: 55 }), /multiple of pac/);
    assert.throws(() => new CtganSynthesizer({ epochs: 0 }), /'epochs'/);
    assert.throws(() => new CtganSynthesizer({ bogus: 1 } as never), ConfigError);
    const cancel = new CancelToken();
    cancel.cancel();
    await assert.rejects(new CtganSynthesizer(small).fit(table, metadata, { seed: 1, epochs: 2, cancel }), InterruptedError);
  });
});
