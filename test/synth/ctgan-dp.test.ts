import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { collectingProgress, ConfigError } from '../../src/core/index.ts';
import { CtganSynthesizer } from '../../src/synth/ctgan.ts';
import { dpSgdEpsilon, gaussianMechanismRdp, sampledGaussianRdp } from '../../src/synth/dp.ts';
import { loadSynthesizer } from '../../src/synth/index.ts';
import { frequencies, shopTable } from './transformer-fixtures.ts';

describe('RDP accounting of DP-SGD composed with another Gaussian mechanism', () => {
  it('adds the other mechanism’s ε_RDP(α) before converting to (ε, δ)', () => {
    const q = 0.05, sigma = 1.2, steps = 300, delta = 1e-5, countSigma = 5;
    let manual = Infinity;
    for (let a = 2; a <= 256; a++) manual = Math.min(manual, steps * sampledGaussianRdp(q, sigma, a) + a / (2 * countSigma ** 2) + Math.log(1 / delta) / (a - 1));
    const composed = dpSgdEpsilon(q, sigma, steps, delta, (a) => gaussianMechanismRdp(countSigma, a));
    assert.ok(Math.abs(composed.epsilon - manual) < 1e-12);
    assert.ok(composed.epsilon > dpSgdEpsilon(q, sigma, steps, delta).epsilon);
    assert.throws(() => gaussianMechanismRdp(0, 2), RangeError);
  });
});

describe('CTGAN with DP-SGD on the critic', () => {
  const small = { batchSize: 50, embeddingDim: 16, generatorDims: [32], discriminatorDims: [32, 32] };
  const { table, metadata } = shopTable(400, 2);

  it('reports ε from the accountant (critic steps + noisy counts), is deterministic, and saves/loads with its guarantee', async () => {
    const dp = { noiseMultiplier: 1.1, maxGradNorm: 1, countNoiseMultiplier: 4 };
    const progress = collectingProgress();
    const a = new CtganSynthesizer({ ...small, discriminatorSteps: 2, dp });
    const rep = await a.fit(table, metadata, { seed: 5, epochs: 4, progress });
    assert.ok(rep.losses.every((p) => Number.isFinite(p.generator!) && Number.isFinite(p.discriminator!)));
    // 400 rows / batch 50 = 8 steps per epoch, 2 critic steps each, 4 epochs.
    const expected = dpSgdEpsilon(50 / 400, 1.1, 4 * 8 * 2, Math.min(1e-5, 1 / 400), (al) => gaussianMechanismRdp(4, al));
    assert.ok(a.privacy !== null && Math.abs(a.privacy.epsilon - expected.epsilon) < 1e-12, `${a.privacy?.epsilon} vs ${expected.epsilon}`);
    assert.ok(rep.losses[0]!.epsilon! < rep.losses.at(-1)!.epsilon!);
    assert.match(progress.lines.at(-1)!, /ε \d+\.\d{3} \(δ 1\.0e-5\)/);
    const b = new CtganSynthesizer({ ...small, discriminatorSteps: 2, dp });
    await b.fit(table, metadata, { seed: 5, epochs: 4 });
    const s = a.sample(300, { seed: 1 });
    assert.deepEqual(b.sample(300, { seed: 1 }), s);
    const dir = mkdtempSync(join(tmpdir(), 'ctgan-dp-'));
    try {
      a.save(join(dir, 'm.json'));
      const c = loadSynthesizer(join(dir, 'm.json')) as CtganSynthesizer;
      assert.equal(c.privacy?.epsilon, a.privacy.epsilon);
      assert.deepEqual(c.sample(300, { seed: 1 }), s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the DP fit differs from the plain one, and more noise gives a smaller ε; conditions still hold', async () => {
    const plain = new CtganSynthesizer(small);
    await plain.fit(table, metadata, { seed: 5, epochs: 2 });
    const run = async (noiseMultiplier: number): Promise<CtganSynthesizer> => {
      const m = new CtganSynthesizer({ ...small, dp: { noiseMultiplier } });
      await m.fit(table, metadata, { seed: 5, epochs: 2 });
      return m;
    };
    const lo = await run(0.8);
    const hi = await run(2);
    assert.ok(hi.privacy!.epsilon < lo.privacy!.epsilon);
    assert.notDeepEqual(lo.sample(100, { seed: 3 }).table, plain.sample(100, { seed: 3 }).table);
    const vip = hi.sample(200, { seed: 4, conditions: { segment: 'vip' } }).table;
    assert.ok(vip.data.segment!.every((v) => v === 'vip'));
    // Noisy counts keep the categories drawable.
    const seg = frequencies(hi.sample(2000, { seed: 6 }).table.data.segment!);
    assert.ok(seg.size >= 2);
    assert.equal(plain.privacy, null);
    assert.equal(plain.config.pac, 10, 'without dp, the paper’s pac');
    assert.equal(hi.config.pac, 1, 'with dp, pac defaults to 1');
    assert.throws(() => new CtganSynthesizer({ pac: 10, dp: { noiseMultiplier: 1 } }), (e: unknown) => e instanceof ConfigError && e.location.field === 'pac');
  });
});
