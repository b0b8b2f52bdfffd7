/**
 * Few-label Fashion-MNIST (issue 16 §5, first part: classical augmentation). A small CNN
 * (src/models/image/cnn-classifier.ts) is trained on k labelled images per class, drawn per seed
 * from the official 60k training set; validation (early stopping, --valid-per-class per class) is
 * drawn from the rest of the training set; the test set is the official 10k. Arms: no expansion;
 * offline augmentation (--views augmented copies of every labelled image, fixed before training);
 * online augmentation (the same pipeline applied afresh to every image of every batch).
 * Synthetic arms (issue 16 §5, second part): `gan` (conditional DCGAN) and `vae` (conditional conv
 * VAE), each fitted per seed on the SAME k-per-class labelled images and nothing else (asserted
 * below: no other image or label reaches the generator), then --synth-per-class generated images
 * per class (default k × views) added to the training images; `gan+offline` / `vae+offline` add
 * both the synthetic images and the offline augmented copies. Selection (early stopping) on the
 * validation images only; the generators' settings are fixed flags, not tuned on the test set.
 * Per arm and k: mean ± std test accuracy over seeds, and a paired t-test per test image (the
 * image's correctness averaged over seeds) against no expansion.
 *
 *   node --import tsx bench/few-label.ts [--k 5,10,20,50] [--seeds 3] [--arms none,offline,online,gan,vae,gan+offline,vae+offline] [--views 4]
 *        [--valid-per-class 50] [--max-epochs 60] [--patience 10] [--out bench/results/few-label-fashion-mnist.json]
 *        [--synth-per-class k×views] [--gan-steps 300] [--vae-steps 300] [--grids docs/images]
 *
 * Reads /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist). Writes the JSON atomically.
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Rng, writeJsonAtomic, stderrProgress } from '../src/core/index.ts';
import { FASHION_MNIST_CLASSES, readIdx, type ImageTensor } from '../src/data/index.ts';
import { buildImagePipeline } from '../src/augment/index.ts';
import { pairedTTest, meanStd } from '../src/stats/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { ImageCnnClassifier, accuracyOf } from '../src/models/image/cnn-classifier.ts';
import { imageSynthesizers, writeImageGrid, type ImageSynthesizer } from '../src/synth/image/index.ts';
import { arg } from './args.ts';

const ks = arg('k', '5,10,20,50').split(',').map(Number);
const seeds = Number(arg('seeds', '3'));
const arms = arg('arms', 'none,offline,online').split(',');
const views = Number(arg('views', '4'));
const validPerClass = Number(arg('valid-per-class', '50'));
const maxEpochs = Number(arg('max-epochs', '60'));
const patience = Number(arg('patience', '10'));
const testLimit = Number(arg('test-limit', '10000'));
const outPath = resolve(process.cwd(), arg('out', 'bench/results/few-label-fashion-mnist.json'));
const synthPerClassFlag = arg('synth-per-class', '');
const ganSteps = Number(arg('gan-steps', '300'));
const vaeSteps = Number(arg('vae-steps', '300'));
const gridDir = arg('grids', '');
/** The generators of the synthetic arms: small enough to fit per seed on 2 shared cores. */
const generatorSpecs = {
  gan: { name: 'conditional-dcgan', params: { generatorChannels: [64, 32], discriminatorChannels: [32, 64], zDim: 64, batchSize: 32 } },
  // β > 1: with tens of images per class a β = 1 CVAE lets z carry the class and ignores the label (docs/decisions/image-synthesizers.md).
  vae: { name: 'conv-vae', params: { channels: [32, 64], latentDim: 16, batchSize: 32, lr: 2e-3, beta: 4 } },
} as const;
const usesSynth = arms.some((a) => a.startsWith('gan') || a.startsWith('vae'));
const dir = '/usr/share/datasets/fashion-mnist';
const t0 = performance.now();

const trainSet = readIdx(`${dir}/train-images-idx3-ubyte.gz`, `${dir}/train-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES });
const testSet = readIdx(`${dir}/t10k-images-idx3-ubyte.gz`, `${dir}/t10k-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES, limit: testLimit });
const testImages = testSet.samples.map((s) => s.image);
const testLabels = Int32Array.from(testSet.samples, (s) => s.label);
const byClass: number[][] = Array.from({ length: 10 }, () => []);
trainSet.samples.forEach((s, i) => byClass[s.label]!.push(i));

// Keras ImageDataGenerator-style product augmentation (no vertical flips: products have an up).
const pipelineSpec = {
  name: 'fashion-few-label',
  steps: [
    { op: 'hflip', p: 0.5 },
    { op: 'rotate', degrees: 10, fill: 'constant' },
    { op: 'shift', x: 0.1, y: 0.1 },
    { op: 'zoom', scale: [0.9, 1.1] },
    { op: 'cutout', p: 0.3, scale: [0.02, 0.1] },
  ],
};
const pipeline = buildImagePipeline(pipelineSpec);

function synthPerClass(k: number): number {
  return synthPerClassFlag ? Number(synthPerClassFlag) : k * views;
}

interface RunRow {
  k: number;
  seed: number;
  arm: string;
  testAccuracy: number;
  validAccuracy: number;
  bestEpoch: number;
  epochs: number;
  trainImages: number;
  seconds: number;
  /** Synthetic arms: the generator's fit (once per k and seed, shared by gan and gan+offline). */
  generatorSeconds?: number;
  generatorEpochs?: number;
}
const runs: RunRow[] = [];
const correct = new Map<string, Float64Array>(); // `${k}/${arm}` → Σ over seeds of per-image correctness

for (const k of ks) {
  for (let seed = 0; seed < seeds; seed++) {
    const draw = new Rng(seed).split(`few-label draw k=${k}`);
    const trainIdx: number[] = [];
    const validIdx: number[] = [];
    for (let c = 0; c < 10; c++) {
      const pool = byClass[c]!.slice();
      draw.shuffle(pool);
      trainIdx.push(...pool.slice(0, k));
      validIdx.push(...pool.slice(k, k + validPerClass));
    }
    const pick = (idx: number[]) => ({ images: idx.map((i) => trainSet.samples[i]!.image), labels: Int32Array.from(idx, (i) => trainSet.samples[i]!.label), numClasses: 10 });
    const train = pick(trainIdx);
    const valid = pick(validIdx);
    const generators = new Map<string, { synth: ImageSynthesizer; seconds: number; epochs: number }>();
    /** The conditional generator of `kind` for this (k, seed), fitted on the k-per-class labelled images only. */
    const generatorFor = async (kind: 'gan' | 'vae') => {
      const have = generators.get(kind);
      if (have) return have;
      const labelled = trainIdx.map((i) => trainSet.samples[i]!);
      // No other label may reach the generator: exactly the drawn labelled images, each once.
      const allowed = new Set(trainIdx);
      const indexOf = (source: string): number => Number(source.slice(source.lastIndexOf('#') + 1));
      if (labelled.length !== 10 * k || new Set(labelled.map((x) => x.source)).size !== labelled.length || !labelled.every((x) => allowed.has(indexOf(x.source)))) throw new Error(`generator training set of k=${k} seed=${seed} is not exactly the ${10 * k} labelled images`);
      const spec = generatorSpecs[kind];
      const synth = imageSynthesizers.create(spec.name, spec.params);
      const batches = Math.ceil(labelled.length / spec.params.batchSize);
      const epochs = Math.max(1, Math.ceil((kind === 'gan' ? ganSteps : vaeSteps) / batches));
      const t = performance.now();
      await synth.fit(labelled, { seed: 2000 + seed, epochs });
      const g = { synth, seconds: Math.round((performance.now() - t) / 100) / 10, epochs };
      generators.set(kind, g);
      stderrProgress.line(`k=${k} seed=${seed} ${kind} generator: ${epochs} epochs on ${labelled.length} labelled images (${g.seconds} s)`);
      if (gridDir && seed === 0) {
        const grid = Array.from({ length: 10 }, (_, c) => synth.sample(10, { seed: 5, conditions: { label: c } })).flat();
        await writeImageGrid(grid, resolve(process.cwd(), gridDir, `fashion-mnist-few-label-k${k}-${kind === 'gan' ? 'cdcgan' : 'cvae'}.png`), { columns: 10, scale: 2 });
      }
      return g;
    };
    for (const arm of arms) {
      const t = performance.now();
      let data = train;
      let generatorSeconds = 0;
      const images: ImageTensor[] = [...train.images];
      const labels: number[] = Array.from(train.labels);
      if (arm === 'offline' || arm.endsWith('+offline')) {
        train.images.forEach((im, i) => {
          for (let v = 0; v < views; v++) {
            images.push(pipeline.augment(im, {}, new Rng(seed).split(`offline k=${k} image ${trainIdx[i]} view ${v}`))[0]!.output);
            labels.push(train.labels[i]!);
          }
        });
      }
      if (arm.startsWith('gan') || arm.startsWith('vae')) {
        const g = await generatorFor(arm.startsWith('gan') ? 'gan' : 'vae');
        generatorSeconds = g.seconds;
        for (let c = 0; c < 10; c++) {
          for (const x of g.synth.sample(synthPerClass(k), { seed: 3000 + seed * 10 + c, conditions: { label: c } })) {
            images.push(x.image);
            labels.push(x.label);
          }
        }
      }
      if (images.length !== train.images.length) data = { images, labels: Int32Array.from(labels), numClasses: 10 };
      // Few labels make tiny epochs: the batch is at most a fifth of the training images, so an epoch has ≥ 5 steps.
      const batchSize = Math.max(8, Math.min(64, Math.floor(data.images.length / 5)));
      const model = new ImageCnnClassifier({ maxEpochs, patience, batchSize, lr: 1e-3 });
      const res = await model.fit(data, { seed: 1000 + seed, valid, ...(arm === 'online' ? { augment: pipeline } : {}) });
      const pred = model.predict(testImages);
      const acc = accuracyOf(pred, testLabels);
      const key = `${k}/${arm}`;
      const sum = correct.get(key) ?? new Float64Array(testImages.length);
      for (let i = 0; i < pred.length; i++) if (pred[i] === testLabels[i]) sum[i]! += 1;
      correct.set(key, sum);
      const best = res.logs.find((l) => l.epoch === res.bestEpoch);
      const row = {
        k, seed, arm, testAccuracy: acc, validAccuracy: best?.validAccuracy ?? Number.NaN, bestEpoch: res.bestEpoch, epochs: res.logs.length, trainImages: data.images.length, seconds: Math.round((performance.now() - t) / 100) / 10,
        ...(generatorSeconds > 0 ? { generatorSeconds, generatorEpochs: generators.get(arm.startsWith('gan') ? 'gan' : 'vae')!.epochs } : {}),
      };
      runs.push(row);
      writeResults(false);
      stderrProgress.line(`k=${k} seed=${seed} ${arm.padEnd(8)} test ${acc.toFixed(4)} valid ${row.validAccuracy.toFixed(4)} best epoch ${res.bestEpoch}/${res.logs.length} (${row.seconds} s)`);
    }
  }
}

function writeResults(complete: boolean): void {
  const summary = ks.flatMap((k) =>
    arms.flatMap((arm) => {
      const accs = runs.filter((r) => r.k === k && r.arm === arm).map((r) => r.testAccuracy);
        if (accs.length === 0) return [];
      const { mean, std } = meanStd(accs);
      const base = correct.get(`${k}/none`);
      const mine = correct.get(`${k}/${arm}`)!;
      const test = arm !== 'none' && base && runs.filter((r) => r.k === k && r.arm === 'none').length === accs.length ? pairedTTest(Float64Array.from(base, (v) => v / accs.length), Float64Array.from(mine, (v) => v / accs.length)) : undefined;
      return [{ k, arm, seeds: accs.length, testAccuracyMean: mean, testAccuracyStd: std, ...(test ? { vsNone: { meanDiff: test.meanDiff, t: test.t, pValue: test.pValue, n: test.n } } : {}) }];
    }),
  );
  // The arm a user would pick without the test set: per seed, the best validation accuracy (ties → the earlier arm in --arms).
  const selection = ks.flatMap((k) => {
    const chosen = Array.from({ length: seeds }, (_, seed) => {
      const rows = arms.map((a) => runs.find((r) => r.k === k && r.seed === seed && r.arm === a));
      if (rows.some((r) => r === undefined)) return undefined;
      return rows.reduce((best, r) => (r!.validAccuracy > best!.validAccuracy ? r : best))!;
    }).filter((r) => r !== undefined);
    if (chosen.length === 0) return [];
    const { mean, std } = meanStd(chosen.map((r) => r.testAccuracy));
    return [{ k, seeds: chosen.length, chosenArms: chosen.map((r) => r.arm), testAccuracyMean: mean, testAccuracyStd: std }];
  });
  if (complete) for (const s of summary) console.log(`k=${String(s.k).padStart(2)} ${s.arm.padEnd(8)} ${(100 * s.testAccuracyMean).toFixed(2)} ± ${(100 * s.testAccuracyStd).toFixed(2)} %${s.vsNone ? `  Δ ${(100 * s.vsNone.meanDiff).toFixed(2)} pt, p = ${s.vsNone.pValue.toExponential(2)}` : ''}`);

  writeJsonAtomic(outPath, {
    benchmark: 'few-label-fashion-mnist',
    complete,
    command: `node --import tsx bench/few-label.ts --k ${ks.join(',')} --seeds ${seeds} --arms ${arms.join(',')} --views ${views} --valid-per-class ${validPerClass} --max-epochs ${maxEpochs} --patience ${patience}${testLimit !== 10000 ? ` --test-limit ${testLimit}` : ''}${usesSynth ? `${synthPerClassFlag ? ` --synth-per-class ${synthPerClassFlag}` : ''} --gan-steps ${ganSteps} --vae-steps ${vaeSteps}` : ''}`,
    protocol:
      'k labelled images per class drawn per seed from the official 60k training set; validation (early stopping on accuracy, best weights restored) drawn from the rest of the training set; test = the official 10k test set. ' +
      'Model: conv3×3(16)-BN-ReLU-maxpool2 → conv3×3(32)-BN-ReLU-maxpool2 → linear; Adam lr 1e-3; batch = clamp(⌊n/5⌋, 8, 64). ' +
      'offline: the labelled images plus `views` augmented copies each, fixed before training; online: the pipeline re-applied to every image of every batch. vsNone: paired t-test over test images of the per-image correctness averaged over seeds; meanDiff = arm − none.',
    pipeline: pipelineSpec,
    ...(usesSynth
      ? {
          synthetic: {
            generators: generatorSpecs, ganSteps, vaeSteps, perClass: synthPerClassFlag ? Number(synthPerClassFlag) : 'k × views',
            note: 'gan / vae: a conditional generator fitted per (k, seed) on the k-per-class labelled images only (asserted in code), then perClass generated images of every class added to training; +offline: plus the offline augmented copies.',
          },
        }
      : {}),
    backend: backendInfo(),
    summary,
    selectedOnValidation: selection,
    runs,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
    date: new Date().toISOString(),
    seconds: Math.round((performance.now() - t0) / 1000),
  });
}
writeResults(true);
console.log(`wrote ${outPath}`);
