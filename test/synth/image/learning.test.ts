/**
 * Image synthesizers learn (tests that can fail): trained briefly on two visually distinct
 * Fashion-MNIST classes from the 900-image sprite set (trousers vs bags), a conditional model's
 * samples for each label are recovered by a nearest-centroid classifier built on the real images
 * well above chance (0.5), and the VAE's reconstruction loss falls. (With so few images the CVAE
 * needs β > 1, or z carries the class and the label is ignored: docs/decisions/image-synthesizers.md.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readIdx, type ImageSample } from '../../../src/data/index.ts';
import { imageSynthesizers, type ImageSynthesizer } from '../../../src/synth/index.ts';

const dir = '../shared/data/fashion-mnist';
const have = existsSync(`${dir}/sprite-images-idx3-ubyte.gz`);
const CLASSES = [1, 8]; // Trouser, Bag

function twoClasses(): ImageSample[] {
  const ds = readIdx(`${dir}/sprite-images-idx3-ubyte.gz`, `${dir}/sprite-labels-idx1-ubyte.gz`);
  // Relabel to 0/1 so a conditional model sees exactly two classes.
  return ds.samples.filter((s) => CLASSES.includes(s.label)).map((s) => ({ ...s, label: CLASSES.indexOf(s.label) }));
}

function centroids(samples: readonly ImageSample[]): Float64Array[] {
  const px = samples[0]!.image.data.length;
  const sums = CLASSES.map(() => new Float64Array(px));
  const counts = CLASSES.map(() => 0);
  for (const s of samples) {
    counts[s.label]!++;
    s.image.data.forEach((v, i) => {
      sums[s.label]![i]! += v;
    });
  }
  return sums.map((c, k) => c.map((v) => v / counts[k]!));
}

function nearest(c: readonly Float64Array[], data: Uint8Array): number {
  let best = 0;
  let bestD = Infinity;
  c.forEach((m, k) => {
    let d = 0;
    for (let i = 0; i < data.length; i++) d += (data[i]! - m[i]!) ** 2;
    if (d < bestD) [best, bestD] = [k, d];
  });
  return best;
}

async function conditionAccuracy(s: ImageSynthesizer, train: readonly ImageSample[]): Promise<number> {
  const c = centroids(train);
  let right = 0;
  let total = 0;
  for (const label of [0, 1]) {
    for (const x of s.sample(40, { seed: 11, conditions: { label } })) {
      right += nearest(c, x.image.data) === label ? 1 : 0;
      total++;
    }
  }
  return right / total;
}

test('conv-vae (conditional): samples of each label are recovered by nearest centroid; reconstruction loss falls', { skip: !have && 'no ../shared/data/fashion-mnist' }, async () => {
  const train = twoClasses();
  assert.ok(train.length >= 100, `${train.length} images`);
  const s = imageSynthesizers.create('conv-vae', { channels: [8, 16], latentDim: 8, batchSize: 32, lr: 3e-3, beta: 8 });
  const report = await s.fit(train, { seed: 1, epochs: 30 });
  assert.equal(s.conditional, true);
  const rec = report.losses.map((l) => l.reconstruction!);
  assert.ok(rec.at(-1)! < 0.8 * rec[0]!, `reconstruction ${rec.map((v) => v.toFixed(1)).join(' → ')}`);
  const acc = await conditionAccuracy(s, train);
  assert.ok(acc >= 0.85, `nearest-centroid accuracy on conditional samples ${acc}`);
});

test('conditional-dcgan: samples of each label are recovered by nearest centroid above chance', { skip: !have && 'no ../shared/data/fashion-mnist' }, async () => {
  const train = twoClasses();
  const s = imageSynthesizers.create('conditional-dcgan', { generatorChannels: [16, 8], discriminatorChannels: [8, 16], zDim: 16, batchSize: 32, lr: 1e-3 });
  await s.fit(train, { seed: 1, epochs: 30 });
  const acc = await conditionAccuracy(s, train);
  assert.ok(acc >= 0.75, `nearest-centroid accuracy on conditional samples ${acc}`);
});
