/**
 * Reference scores for the generated-image measures (issue 16 §4), so their scale can be read
 * before any generator is scored: a feature classifier is trained on real Fashion-MNIST training
 * images (no downloaded weights), then imageSynthesisQuality scores reference "generated" sets
 * against the same real training images, each beside the real-holdout baseline:
 *   real-unseen      other official test images (a perfect generator would look like this)
 *   flipped          training images mirrored left–right (the mildest label-preserving change)
 *   augmented        training images through a mild classical pipeline (flip, ±10° rotation, ±2 px shift, 0.9–1.1 zoom)
 *   unseen-noisy     official test images + Gaussian pixel noise (sd --noise-sd)
 *   gaussian-noise   pure noise images, pixels N(mean, sd) of the training pixels
 *   mode-collapse    one training image repeated
 *   train-copies     exact copies of training images
 *
 *   node --import tsx bench/image-quality.ts [--train 10000] [--holdout 1000] [--generated 1000] [--epochs 5]
 *        [--feature-dim 64] [--no-residual] [--k 3] [--noise-sd 30] [--seed 0] [--out bench/results/image-quality.json]
 *
 * train: the first --train official training images (the feature classifier's training images,
 * 10 % of them its early-stopping validation); holdout: the first --holdout official test images;
 * real-unseen / unseen-noisy: the next --generated test images. Reads /usr/share/datasets/fashion-mnist
 * (apt-get install dataset-fashion-mnist). Writes the JSON atomically.
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Rng, stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { FASHION_MNIST_CLASSES, readIdx, type ImageSample } from '../src/data/index.ts';
import { buildImagePipeline } from '../src/augment/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { imageSynthesisQuality, type ImageSynthesisQuality } from '../src/eval/index.ts';
import { trainFeatureMap } from '../src/models/image/feature-map.ts';
import { accuracyOf } from '../src/models/image/cnn-classifier.ts';
import { arg, flag } from './args.ts';

const nTrain = Number(arg('train', '10000'));
const nHoldout = Number(arg('holdout', '1000'));
const nGen = Number(arg('generated', '1000'));
const epochs = Number(arg('epochs', '5'));
const featureDim = Number(arg('feature-dim', '64'));
const k = Number(arg('k', '3'));
const noiseSd = Number(arg('noise-sd', '30'));
const seed = Number(arg('seed', '0'));
const residual = !flag('no-residual');
const outPath = resolve(process.cwd(), arg('out', 'bench/results/image-quality.json'));
const dir = '/usr/share/datasets/fashion-mnist';
const t0 = performance.now();
const progress = stderrProgress;

const trainSet = readIdx(`${dir}/train-images-idx3-ubyte.gz`, `${dir}/train-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES, limit: nTrain });
const testSet = readIdx(`${dir}/t10k-images-idx3-ubyte.gz`, `${dir}/t10k-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES, limit: nHoldout + nGen });
const train = trainSet.samples;
const holdout = testSet.samples.slice(0, nHoldout);
const unseen = testSet.samples.slice(nHoldout, nHoldout + nGen);
const rng = new Rng(seed);

const classifierConfig = { channels: [16, 32] as [number, number], maxEpochs: epochs, batchSize: 64, lr: 1e-3, patience: 3 };
const tf = performance.now();
const trained = await trainFeatureMap(train, seed, { classifier: classifierConfig, featureDim, residual, validShare: 0.1, pcaSamples: 4000 });
const featureSeconds = (performance.now() - tf) / 1000;
const holdoutAccuracy = accuracyOf(trained.classifier.predict(holdout.map((s) => s.image)), holdout.map((s) => s.label));
progress.line(`feature classifier: ${trained.epochs} epochs, valid accuracy ${trained.validAccuracy?.toFixed(4)}, test accuracy ${holdoutAccuracy.toFixed(4)}, PCA ${featureDim} keeps ${(100 * (trained.explainedVariance ?? 1)).toFixed(1)} % of the variance (${featureSeconds.toFixed(0)} s)`);

const clip = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
let pixSum = 0;
let pixSq = 0;
let pixN = 0;
for (const s of train.slice(0, 2000)) for (const v of s.image.data) {
  pixSum += v;
  pixSq += v * v;
  pixN++;
}
const pixMean = pixSum / pixN;
const pixSd = Math.sqrt(pixSq / pixN - pixMean * pixMean);

const augmentSpec = {
  name: 'mild',
  steps: [
    { op: 'hflip', p: 0.5 },
    { op: 'rotate', degrees: 10, fill: 'constant' },
    { op: 'shift', x: 0.07, y: 0.07 },
    { op: 'zoom', scale: [0.9, 1.1] },
  ],
};
const pipeline = buildImagePipeline(augmentSpec);
const flip = buildImagePipeline({ name: 'flip', steps: [{ op: 'hflip', p: 1 }] });
const pickTrain = Array.from({ length: nGen }, (_, i) => train[(i * 7919) % train.length]!);

const cases: { name: string; description: string; make: () => ImageSample[] }[] = [
  { name: 'real-unseen', description: `the next ${nGen} official test images (never seen by anything)`, make: () => unseen },
  {
    name: 'flipped',
    description: `${nGen} training images, mirrored left–right`,
    make: () => pickTrain.map((s, i) => ({ ...s, image: flip.augment(s.image, {}, rng.split(`flip ${i}`))[0]!.output, source: `flipped:${s.source}` })),
  },
  {
    name: 'augmented',
    description: `${nGen} training images, each through the mild pipeline once`,
    make: () => pickTrain.map((s, i) => ({ ...s, image: pipeline.augment(s.image, {}, rng.split(`augment ${i}`))[0]!.output, source: `augmented:${s.source}` })),
  },
  {
    name: 'unseen-noisy',
    description: `the real-unseen images + Gaussian pixel noise, sd ${noiseSd} (of 255)`,
    make: () => {
      const r = rng.split('unseen noise');
      return unseen.map((s) => ({ ...s, image: { ...s.image, data: Uint8Array.from(s.image.data, (v) => clip(v + noiseSd * r.normal())) } }));
    },
  },
  {
    name: 'gaussian-noise',
    description: `${nGen} images of independent pixels N(${pixMean.toFixed(1)}, ${pixSd.toFixed(1)}²), clipped to 0..255 (the training pixels' mean and sd)`,
    make: () => {
      const r = rng.split('pure noise');
      return Array.from({ length: nGen }, (_, i) => ({ image: { width: 28, height: 28, channels: 1 as const, data: Uint8Array.from({ length: 784 }, () => clip(pixMean + pixSd * r.normal())) }, label: -1, source: `noise:${i}` }));
    },
  },
  { name: 'mode-collapse', description: `training image 0 repeated ${nGen} times`, make: () => Array.from({ length: nGen }, () => train[0]!) },
  { name: 'train-copies', description: `${nGen} training images, exact copies`, make: () => pickTrain },
];

function summary(q: ImageSynthesisQuality) {
  const strip = (s: ImageSynthesisQuality['nearCopy']['pixel']) => ({ threshold: s.threshold, share: s.share, exactCopies: s.exactCopies, medianGenerated: s.medianGenerated, medianHoldout: s.medianHoldout, medianRatio: s.medianRatio, flagged: s.flagged.length, closest: s.closest.slice(0, 5) });
  return {
    metrics: Object.fromEntries(q.metrics.map((v) => [v.metric, v.value])),
    frechet: { distance: q.frechet.distance, meanTerm: q.frechet.meanTerm, covarianceTerm: q.frechet.covarianceTerm },
    nearCopy: { pixel: strip(q.nearCopy.pixel), feature: strip(q.nearCopy.feature) },
  };
}

const results: Record<string, unknown>[] = [];
let baseline: ImageSynthesisQuality | undefined;
for (const c of cases) {
  const tc = performance.now();
  const generated = c.make();
  const q = await imageSynthesisQuality({ train, holdout, generated, featureMap: trained.featureMap, seed, k, manifoldSamples: Math.min(nGen, nHoldout), closestPairs: 5 });
  baseline ??= q;
  const s = summary(q);
  const seconds = (performance.now() - tc) / 1000;
  results.push({ name: c.name, description: c.description, seconds: Math.round(seconds), ...s });
  const m = s.metrics;
  progress.line(
    `${c.name.padEnd(15)} FD ${m.ImageFrechetDistance!.toFixed(2).padStart(9)}  P ${m.ImagePrecision!.toFixed(3)}  R ${m.ImageRecall!.toFixed(3)}  D ${m.ImageDensity!.toFixed(3)}  C ${m.ImageCoverage!.toFixed(3)}  copies px ${m.NearCopySharePixel!.toFixed(3)} feat ${m.NearCopyShareFeature!.toFixed(3)}  ratio ${(m.NearestTrainDistanceRatio ?? Number.NaN).toFixed(3)}  (${seconds.toFixed(0)} s)`,
  );
}
const b = baseline!;

writeJsonAtomic(outPath, {
  benchmark: 'image-quality-fashion-mnist',
  command: `node --import tsx bench/image-quality.ts --train ${nTrain} --holdout ${nHoldout} --generated ${nGen} --epochs ${epochs} --feature-dim ${featureDim} --k ${k} --noise-sd ${noiseSd} --seed ${seed}${residual ? '' : ' --no-residual'}`,
  protocol:
    `train = the first ${nTrain} official Fashion-MNIST training images; holdout = the first ${nHoldout} official test images; every case scores ${nGen} "generated" images against train with imageSynthesisQuality ` +
    `(k = ${k}; k-NN measures on ${Math.min(nGen, nHoldout)} images per set; near-copy percentile 0.01). Feature space: the penultimate layer of ImageCnnClassifier ` +
    `(conv3×3(16)-BN-ReLU-maxpool2 → conv3×3(32)-BN-ReLU-maxpool2, 1568 values) trained here on train (90 %, early stopping on the other 10 %, ≤ ${epochs} epochs, Adam 1e-3, batch 64), ` +
    `PCA to ${featureDim} directions fitted on 4000 training images ${residual ? `plus the norm of the PCA residual (${featureDim + 1} values)` : '(no residual coordinate)'}. No downloaded (Inception) weights: distances are comparable within this feature space only, not with published FIDs.`,
  featureSpace: { name: trained.featureMap.name, dim: trained.featureMap.dim },
  featureClassifier: { config: classifierConfig, epochs: trained.epochs, validAccuracy: trained.validAccuracy, testAccuracyOnHoldout: holdoutAccuracy, pcaExplainedVariance: trained.explainedVariance, seconds: Math.round(featureSeconds) },
  baseline: { description: 'the holdout images scored as if generated (real vs real)', metrics: Object.fromEntries(b.baseline.map((v) => [v.metric, v.value])), frechet: b.frechet.baseline, manifold: b.manifold.baseline },
  cases: results,
  definitions: b.definitions,
  augmentPipeline: augmentSpec,
  backend: backendInfo(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
  date: new Date().toISOString(),
  seconds: Math.round((performance.now() - t0) / 1000),
});
console.log(`wrote ${outPath}`);
