import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelToken, InterruptedError, collectingProgress } from '../../src/core/index.ts';
import { leaveOneOutSplit } from '../../src/data/index.ts';
import { SequenceVaeSynthesizer } from '../../src/synth/index.ts';
import { TvaeSynthesizer } from '../../src/synth/tvae.ts';
import { CtganSynthesizer } from '../../src/synth/ctgan.ts';
import { beautySlice, hasBeauty } from './sequence-helpers.ts';
import { mixedTable } from './transformer-fixtures.ts';
import { tempFolder } from '../temp-folders.ts';

/** A progress reporter that cancels `token` once `n` epoch lines were written. */
function cancelAfter(n: number, token: CancelToken) {
  let seen = 0;
  return { line: (l: string) => void (/ epoch \d+\//.test(l) && ++seen === n && token.cancel()) };
}

test('DP-TVAE and DP-CTGAN interrupted after epoch 2 resume to the same samples and the same ε (the step count is checkpointed)', async () => {
  const { table, metadata } = mixedTable(200, 2);
  const fits = [
    () => new TvaeSynthesizer({ batchSize: 50, embeddingDim: 16, encoderDims: [32], decoderDims: [32], dp: { noiseMultiplier: 1.1 } }),
    () => new CtganSynthesizer({ batchSize: 50, embeddingDim: 16, generatorDims: [32], discriminatorDims: [32], pac: 1, dp: { noiseMultiplier: 1.1 } }),
  ];
  for (const make of fits) {
    const dir = tempFolder('dp-resume-');
    const straight = make();
    const sr = await straight.fit(table, metadata, { seed: 4, epochs: 4 });
    const token = new CancelToken();
    await assert.rejects(make().fit(table, metadata, { seed: 4, epochs: 4, checkpointDir: dir, cancel: token, progress: cancelAfter(2, token) }), InterruptedError);
    const progress = collectingProgress();
    const resumed = make();
    const rr = await resumed.fit(table, metadata, { seed: 4, epochs: 4, checkpointDir: dir, progress });
    assert.ok(progress.lines.some((l) => /: resuming from checkpoint after epoch 2$/.test(l)), progress.lines.join('\n'));
    assert.deepEqual(rr.losses, sr.losses);
    assert.deepEqual(resumed.privacy, straight.privacy);
    assert.deepEqual(resumed.sample(100, { seed: 2 }), straight.sample(100, { seed: 2 }));
    // The finished checkpoint: nothing to train, ε as after 4 epochs.
    const again = make();
    await again.fit(table, metadata, { seed: 4, epochs: 4, checkpointDir: dir });
    assert.deepEqual(again.privacy, straight.privacy);
  }
});

test('sequence VAE: an interrupted fit resumes from its checkpoint to the same histories', { skip: !hasBeauty }, async () => {
  const split = leaveOneOutSplit(beautySlice(200));
  const cfg = { hidden: 16, latent: 8, epochs: 4, batchSize: 64 };
  const straight = new SequenceVaeSynthesizer(cfg);
  const sr = await straight.fit(split.train, { seed: 5 });
  const dir = tempFolder('vae-resume-');
  const token = new CancelToken();
  await assert.rejects(new SequenceVaeSynthesizer(cfg).fit(split.train, { seed: 5, checkpointDir: dir, cancel: token, progress: cancelAfter(1, token) }), InterruptedError);
  const resumed = new SequenceVaeSynthesizer(cfg);
  const rr = await resumed.fit(split.train, { seed: 5, checkpointDir: dir });
  assert.deepEqual(rr.losses, sr.losses);
  assert.deepEqual(resumed.sample(50, { seed: 1 }), straight.sample(50, { seed: 1 }));
  // A shorter fit's checkpoint is continued by a longer one (the epoch cap is not in the fingerprint).
  const shortDir = tempFolder('vae-short-');
  await new SequenceVaeSynthesizer({ ...cfg, epochs: 2 }).fit(split.train, { seed: 5, checkpointDir: shortDir });
  const progress = collectingProgress();
  const longer = new SequenceVaeSynthesizer(cfg);
  assert.deepEqual((await longer.fit(split.train, { seed: 5, checkpointDir: shortDir, progress })).losses, sr.losses);
  assert.ok(progress.lines.some((l) => l === 'vae: resuming from checkpoint after epoch 2'), progress.lines.join('\n'));
});
