/**
 * Quality and privacy measures for generated images, on real Fashion-MNIST images (the 900-image
 * sample): the Fréchet distance is 0 for identical sets, symmetric, and grows with a mean shift and
 * with noise; precision/recall are 1 on identical sets, recall falls for a collapsed set and
 * precision for noise; the near-copy check flags exact and jittered training copies and not
 * holdout images; the entry point is deterministic and JSON-serialisable; the classifier feature
 * space is the classifier's penultimate layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.ts';
import { readIdx, type ImageSample, type ImageTensor } from '../../src/data/index.ts';
import {
  QUALITY_METRICS,
  frechetDistance,
  frechetDistanceOf,
  imageSynthesisQuality,
  manifoldScores,
  nearCopySpace,
  nearestTrainFeatures,
  nearestTrainPixels,
  pixelRandomProjection,
  fitPca,
  projectPca,
  type FeatureMatrix,
} from '../../src/eval/index.ts';
import { trainFeatureMap } from '../../src/models/image/feature-map.ts';

const base = join(import.meta.dirname, '../../../shared/data/fashion-mnist');
const ds = readIdx(join(base, 'sprite-images-idx3-ubyte.gz'), join(base, 'sprite-labels-idx1-ubyte.gz'));
const order = ds.samples.map((_, i) => i);
new Rng(7).shuffle(order);
const train = order.slice(0, 500).map((k) => ds.samples[k]!);
const holdout = order.slice(500, 700).map((k) => ds.samples[k]!);
const spare = order.slice(700).map((k) => ds.samples[k]!);
const map = pixelRandomProjection({ width: 28, height: 28, channels: 1, dim: 24, seed: 1 });
const feats = (s: readonly ImageSample[]): FeatureMatrix => map.extract(s.map((x) => x.image));

function withPixels(im: ImageTensor, f: (v: number, i: number) => number): ImageTensor {
  return { ...im, data: Uint8Array.from(im.data, (v, i) => Math.max(0, Math.min(255, Math.round(f(v, i))))) };
}
function noisy(s: ImageSample, sd: number, rng: Rng): ImageSample {
  return { ...s, image: withPixels(s.image, (v) => v + sd * rng.normal()) };
}

test('Fréchet distance: the Gaussian formula on diagonal covariances, 0 for identical sets, symmetric', () => {
  // Diagonal Σ: Σ_t (μ1 − μ2)² + (σ1 − σ2)², σ the standard deviations.
  const a = { n: 10, dim: 3, mean: Float64Array.from([0, 1, 2]), cov: Float64Array.from([4, 0, 0, 0, 1, 0, 0, 0, 9]) };
  const b = { n: 10, dim: 3, mean: Float64Array.from([1, 1, 0]), cov: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 16]) };
  const d = frechetDistance(a, b);
  assert.ok(Math.abs(d.meanTerm - 5) < 1e-12);
  assert.ok(Math.abs(d.covarianceTerm - (1 + 0 + 1)) < 1e-10, `${d.covarianceTerm}`);

  const real = feats(train);
  const same = frechetDistanceOf(real, real);
  assert.ok(same.distance < 1e-8 * frechetDistanceOf(real, feats(holdout)).distance, `identical sets: ${same.distance}`);
  const x = feats(holdout);
  const ab = frechetDistanceOf(real, x).distance;
  const ba = frechetDistanceOf(x, real).distance;
  assert.ok(Math.abs(ab - ba) <= 1e-9 * ab, `${ab} vs ${ba}`);
});

test('Fréchet distance grows with a brightness shift and with added noise; a real holdout sits lowest', () => {
  const real = feats(train);
  const fid = (s: readonly ImageSample[]): number => frechetDistanceOf(real, feats(s)).distance;
  const held = fid(holdout);
  const shifts = [10, 30, 60].map((b) => fid(holdout.map((s) => ({ ...s, image: withPixels(s.image, (v) => v + b) }))));
  const rng = new Rng(3);
  const noises = [10, 30, 60].map((sd) => fid(holdout.map((s) => noisy(s, sd, rng.split(`noise ${sd}`)))));
  for (const series of [shifts, noises]) {
    assert.ok(held < series[0]!, `holdout ${held} vs ${series[0]}`);
    for (let i = 1; i < series.length; i++) assert.ok(series[i - 1]! < series[i]!, `not increasing: ${series.join(', ')}`);
  }
});

test('precision / recall: 1 on identical sets; a collapsed set loses recall; noise loses precision', () => {
  const real = feats(train.slice(0, 200));
  const same = manifoldScores(real, real, 3);
  assert.deepEqual([same.precision, same.recall, same.coverage], [1, 1, 1]);
  assert.ok(Math.abs(same.density - 1) < 0.5, `density ${same.density}`);

  const held = manifoldScores(real, feats(holdout), 3);
  assert.ok(held.precision > 0.6 && held.recall > 0.6, JSON.stringify(held));

  const collapsed = feats(Array.from({ length: 200 }, () => train[0]!));
  const c = manifoldScores(real, collapsed, 3);
  assert.equal(c.precision, 1, 'a real training image is inside its own ball');
  assert.ok(c.recall < 0.05 && c.coverage < 0.05, JSON.stringify(c));

  const rng = new Rng(4);
  const noise = holdout.map((s) => ({ ...s, image: withPixels(s.image, () => rng.int(256)) }));
  const n = manifoldScores(real, feats(noise), 3);
  assert.ok(n.precision < 0.05 && n.density < 0.05, JSON.stringify(n));
  assert.ok(n.precision < held.precision && c.recall < held.recall);
  assert.throws(() => manifoldScores(real, feats(holdout.slice(0, 3)), 3), (e: Error) => e.name === 'ConfigError' && /more than 3/.test(e.message));
});

test('near-copy check: flags exact and jittered copies of training images, not holdout images', () => {
  const trainImages = train.map((s) => s.image);
  const rng = new Rng(5);
  const exact = train.slice(0, 10);
  const jittered = train.slice(10, 20).map((s) => noisy(s, 3, rng));
  const generated = [...exact, ...jittered, ...spare.slice(0, 30)];
  const pixHold = nearestTrainPixels(holdout.map((s) => s.image), trainImages);
  const pixGen = nearestTrainPixels(generated.map((s) => s.image), trainImages);
  const r = nearCopySpace(pixGen, pixHold, 0.01, 20);
  assert.equal(r.exactCopies, 10);
  for (let i = 0; i < 20; i++) assert.ok(r.flagged.includes(i), `copy ${i} not flagged (${pixGen.distance[i]} vs threshold ${r.threshold})`);
  assert.ok(r.flagged.filter((i) => i >= 20).length <= 2, `unseen real images flagged: ${r.flagged.filter((i) => i >= 20).join(', ')}`);
  // The closest pairs point at the copied training images, exact copies first.
  assert.deepEqual(r.closest.slice(0, 10).map((p) => [p.generated, p.train, p.distance]), exact.map((_, i) => [i, i, 0]));
  assert.deepEqual(new Set(r.closest.slice(10, 20).map((p) => p.generated === p.train && p.generated >= 10)), new Set([true]));

  // The same in feature space; holdout images scored against their own threshold land near p.
  const fTrain = feats(train);
  const featGen = nearestTrainFeatures(feats(generated), fTrain);
  const featHold = nearestTrainFeatures(feats(holdout), fTrain);
  const f = nearCopySpace(featGen, featHold, 0.01, 5);
  for (let i = 0; i < 20; i++) assert.ok(f.flagged.includes(i));
  assert.ok(nearCopySpace(featHold, featHold, 0.05, 0).share <= 0.05);
  assert.ok(r.medianRatio! < nearCopySpace(nearestTrainPixels(spare.map((s) => s.image), trainImages), pixHold, 0.01, 0).medianRatio!);
});

test('imageSynthesisQuality: real-vs-real baseline beside the generated numbers; same seed ⇒ same JSON; named metrics', async () => {
  const rng = new Rng(6);
  const generated = [...train.slice(0, 20), ...spare.slice(0, 60).map((s) => noisy(s, 40, rng))];
  const run = () => imageSynthesisQuality({ train, holdout, generated, featureMap: map, seed: 3, manifoldSamples: 150, closestPairs: 5 });
  const a = await run();
  const json = JSON.stringify(a);
  assert.equal(JSON.stringify(await run()), json);
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(a)));
  const byName = (vs: typeof a.metrics) => Object.fromEntries(vs.map((v) => [v.metric, v.value]));
  const g = byName(a.metrics);
  const b = byName(a.baseline);
  for (const v of [...a.metrics, ...a.baseline]) {
    const spec = QUALITY_METRICS[v.metric as keyof typeof QUALITY_METRICS];
    assert.ok(spec, `${v.metric} is not a registered metric`);
    assert.equal(v.direction, spec.direction);
    if (spec.range[0] !== null) assert.ok(v.value >= spec.range[0], `${v.metric} = ${v.value}`);
    if (spec.range[1] !== null) assert.ok(v.value <= spec.range[1], `${v.metric} = ${v.value}`);
  }
  assert.ok(g.ImageFrechetDistance! > b.ImageFrechetDistance!);
  assert.ok(g.NearCopySharePixel! >= 0.2 && b.NearCopySharePixel! <= 0.02, `${g.NearCopySharePixel} / ${b.NearCopySharePixel}`);
  assert.equal(a.frechet.sizes.compared, 80);
  assert.equal(a.manifold.samples, 80);
  assert.equal(a.nearCopy.pixel.closest.length, 5);
  assert.deepEqual(a.definitions.map((d) => d.name).sort(), Object.keys(g).sort());
  // A mismatched image size is a ConfigError naming the set.
  const big: ImageSample = { image: { width: 2, height: 2, channels: 1, data: new Uint8Array(4) }, label: 0, source: 'x' };
  await assert.rejects(imageSynthesisQuality({ train, holdout, generated: [...generated, big], featureMap: map, seed: 1 }), (e: Error) => e.name === 'ConfigError' && /generated image 80/.test(e.message));
});

test('PCA: scores on the principal directions plus the norm of the rest; an off-subspace point stands out only through the residual', () => {
  // Points on the plane z = 0 with most variance along x: rank 1 keeps x, the residual is |y| (and |z| off the plane).
  const rng = new Rng(8);
  const pts = Array.from({ length: 200 }, () => [10 * rng.normal(), rng.normal(), 0]);
  const x: FeatureMatrix = { n: 200, dim: 3, data: Float64Array.from(pts.flat()) };
  const basis = fitPca(x, 1);
  assert.equal(basis.dim, 2);
  assert.ok(basis.explainedVariance > 0.95);
  const mean = [0, 1, 2].map((t) => pts.reduce((a, p) => a + p[t]!, 0) / 200);
  const probe = projectPca(basis, { n: 2, dim: 3, data: Float64Array.from([mean[0]! + 3, mean[1]!, 0, mean[0]!, mean[1]!, 50]) });
  assert.ok(Math.abs(Math.abs(probe.data[0]!) - 3) < 1e-3 && Math.abs(probe.data[1]!) < 0.05, `on the main direction: ${probe.data[0]}, ${probe.data[1]}`);
  assert.ok(Math.abs(probe.data[2]!) < 0.1 && Math.abs(probe.data[3]! - 50) < 0.1, `off the plane: ${probe.data[2]}, ${probe.data[3]}`);
  assert.equal(fitPca(x, 1, { residual: false }).dim, 1);
  assert.equal(fitPca(x, 3).dim, 3, 'nothing left out: no residual coordinate');
});

test('classifier feature space: the penultimate layer, PCA-reduced, deterministic; a trained space separates classes', async () => {
  const opts = { classifier: { channels: [4, 8] as [number, number], maxEpochs: 2, batchSize: 50, lr: 3e-3 }, featureDim: 16, pcaSamples: 300 };
  const a = await trainFeatureMap(train, 1, opts);
  assert.equal(a.classifier.featureDim, 8 * 7 * 7);
  assert.equal(a.featureMap.dim, 17, '16 principal directions + the residual norm');
  assert.equal(a.featureMap.name, 'cnn-penultimate-pca16+residual');
  assert.ok(a.validAccuracy! > 0.4, `valid accuracy ${a.validAccuracy}`);
  const raw = a.classifier.features(holdout.slice(0, 3).map((s) => s.image));
  assert.equal(raw.length, 3 * 392);
  assert.ok(raw.every((v) => v >= 0), 'ReLU then max-pool: non-negative');
  const b = await trainFeatureMap(train, 1, opts);
  const fa = a.featureMap.extract(holdout.map((s) => s.image));
  assert.deepEqual(Array.from(b.featureMap.extract(holdout.map((s) => s.image)).data), Array.from(fa.data));
  // Same-class images sit closer than other-class images on average.
  let within = 0;
  let across = 0;
  let nw = 0;
  let na = 0;
  for (let i = 0; i < 100; i++) {
    for (let j = i + 1; j < 100; j++) {
      let s = 0;
      for (let t = 0; t < 17; t++) s += (fa.data[i * 17 + t]! - fa.data[j * 17 + t]!) ** 2;
      if (holdout[i]!.label === holdout[j]!.label) {
        within += Math.sqrt(s);
        nw++;
      } else {
        across += Math.sqrt(s);
        na++;
      }
    }
  }
  assert.ok(within / nw < 0.8 * (across / na), `within ${within / nw} vs across ${across / na}`);
});
