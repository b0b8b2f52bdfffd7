import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectingProgress } from '../../src/core/index.ts';
import { dpSgdEpsilon, sampledGaussianRdp } from '../../src/synth/dp.ts';
import { TvaeSynthesizer } from '../../src/synth/tvae.ts';
import { frequencies, shopTable } from './transformer-fixtures.ts';

describe('RDP accountant of the sampled Gaussian mechanism', () => {
  it('reproduces published DP-SGD guarantees', () => {
    // TensorFlow Privacy's MNIST tutorial: n 60,000, batch 256, noise 1.1, 60 epochs, δ 1e-5 → ε ≈ 3.01.
    const mnist = dpSgdEpsilon(256 / 60000, 1.1, Math.ceil((60 * 60000) / 256), 1e-5);
    assert.ok(Math.abs(mnist.epsilon - 3.01) < 0.05, String(mnist.epsilon));
    // Abadi et al. 2016: q 0.01, σ 4, 10,000 steps, δ 1e-5 → ε ≈ 1.26.
    assert.ok(Math.abs(dpSgdEpsilon(0.01, 4, 10000, 1e-5).epsilon - 1.26) < 0.02);
  });

  it('q = 1 is the Gaussian mechanism (α / 2σ²); ε grows with steps and shrinks with noise', () => {
    assert.ok(Math.abs(sampledGaussianRdp(1, 2, 5) - 5 / 8) < 1e-12);
    assert.ok(sampledGaussianRdp(0.1, 1, 4) < sampledGaussianRdp(1, 1, 4));
    const e = (sigma: number, steps: number): number => dpSgdEpsilon(0.05, sigma, steps, 1e-5).epsilon;
    assert.ok(e(1, 200) < e(1, 400));
    assert.ok(e(2, 200) < e(1, 200));
    assert.throws(() => dpSgdEpsilon(0.1, 1, 10, 0), RangeError);
  });
});

describe('TVAE with DP-SGD', () => {
  const small = { batchSize: 50, embeddingDim: 16, encoderDims: [32], decoderDims: [32] };
  const { table, metadata } = shopTable(300, 4);

  it('trains with clipping + noise, reports ε from the accountant, stays deterministic and usable', async () => {
    const cfg = { ...small, dp: { noiseMultiplier: 1.0, maxGradNorm: 1 } };
    const progress = collectingProgress();
    const a = new TvaeSynthesizer(cfg);
    const rep = await a.fit(table, metadata, { seed: 3, epochs: 6, progress });
    assert.ok(rep.losses.every((p) => Number.isFinite(p.loss!)));
    const q = 50 / 300;
    const expected = dpSgdEpsilon(q, 1.0, 6 * 6, Math.min(1e-5, 1 / 300));
    assert.ok(a.privacy !== null && Math.abs(a.privacy.epsilon - expected.epsilon) < 1e-12);
    assert.ok(rep.losses[0]!.epsilon! < rep.losses.at(-1)!.epsilon!);
    assert.match(progress.lines.at(-1)!, /ε \d+\.\d{3} \(δ 1\.0e-5\)/);
    const b = new TvaeSynthesizer(cfg);
    await b.fit(table, metadata, { seed: 3, epochs: 6 });
    const s = a.sample(300, { seed: 1 });
    assert.deepEqual(b.sample(300, { seed: 1 }), s);
    const seen = new Set(table.data.segment);
    assert.ok(s.table.data.segment!.every((v) => seen.has(v)));
    assert.ok(frequencies(s.table.data.segment!).size >= 2);
  });

  it('more noise: a smaller ε for the same schedule', async () => {
    const run = async (noiseMultiplier: number): Promise<number> => {
      const m = new TvaeSynthesizer({ ...small, dp: { noiseMultiplier, maxGradNorm: 1 } });
      await m.fit(table, metadata, { seed: 1, epochs: 2 });
      return m.privacy!.epsilon;
    };
    assert.ok((await run(2)) < (await run(0.8)));
  });
});
