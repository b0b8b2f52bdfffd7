/**
 * Image synthesizers on Fashion-MNIST (issue 16 §4): fits each registry entry on the first --n
 * images of the official training set (class-balanced: the first n/10 of each class), writes a PNG
 * grid of samples per entry to docs/images/fashion-mnist-<short>.png (rows = classes for
 * conditional models) and bench/results/image-synth.json (config, seconds per epoch, losses,
 * machine load, command).
 *
 *   SAMPLIFY_THREADS=1 node --import tsx bench/image-synth.ts [--n 6000] [--epochs 10]
 *        [--entries dcgan,conditional-dcgan,conv-vae] [--seed 1] [--out bench/results/image-synth.json] [--grids docs/images]
 *        [--params '{"conv-vae":{"beta":4}}'] [--quality 1000]
 *
 * --quality m: score m generated images per entry (class-balanced for conditional models) with
 * imageSynthesisQuality against the training images, m official test images as the real holdout,
 * in the feature space of a classifier trained here on the same training images (Fréchet distance,
 * precision / recall / density / coverage, near-copy share; the real-vs-real baseline beside them).
 * --params: per-entry parameters over the defaults. Entries already in the output file and not
 * named by --entries are kept (each result carries its own command), so one entry can be re-run.
 * Reads /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { writeJsonAtomic, stderrProgress } from '../src/core/index.ts';
import { FASHION_MNIST_CLASSES, readIdx, type ImageSample } from '../src/data/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { imageSynthesizers, writeImageGrid } from '../src/synth/image/index.ts';
import { imageSynthesisQuality } from '../src/eval/index.ts';
import { trainFeatureMap } from '../src/models/index.ts';
import { arg } from './args.ts';

const n = Number(arg('n', '6000'));
const epochs = Number(arg('epochs', '10'));
const entries = arg('entries', 'dcgan,conditional-dcgan,conv-vae').split(',');
const seed = Number(arg('seed', '1'));
const outPath = resolve(process.cwd(), arg('out', 'bench/results/image-synth.json'));
const gridDir = resolve(process.cwd(), arg('grids', 'docs/images'));
const dir = '/usr/share/datasets/fashion-mnist';
const params = JSON.parse(arg('params', '{}')) as Record<string, Record<string, unknown>>;
const qualityN = Number(arg('quality', '0'));
const short: Record<string, string> = { dcgan: 'dcgan', 'conditional-dcgan': 'cdcgan', 'conv-vae': 'cvae' };
const command = `SAMPLIFY_THREADS=${process.env.SAMPLIFY_THREADS ?? ''} node --import tsx bench/image-synth.ts --n ${n} --epochs ${epochs} --entries ${entries.join(',')} --seed ${seed}${qualityN ? ` --quality ${qualityN}` : ''}${Object.keys(params).length ? ` --params '${JSON.stringify(params)}'` : ''}`;

const all = readIdx(`${dir}/train-images-idx3-ubyte.gz`, `${dir}/train-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES });
const perClass = Math.floor(n / 10);
const counts = new Array<number>(10).fill(0);
const train: ImageSample[] = [];
for (const s of all.samples) if (counts[s.label]! < perClass) {
  counts[s.label]!++;
  train.push(s);
}

// The feature space and the real holdout the quality scores use (trained once, shared by every entry).
const quality = qualityN > 0 ? await (async () => {
  const test = readIdx(`${dir}/t10k-images-idx3-ubyte.gz`, `${dir}/t10k-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES, limit: qualityN });
  const space = await trainFeatureMap(train, seed, { featureDim: 64, validShare: 0.1, pcaSamples: Math.min(4000, train.length) });
  stderrProgress.line(`feature classifier: valid accuracy ${space.validAccuracy?.toFixed(4)} after ${space.epochs} epochs`);
  return { holdout: test.samples, space };
})() : null;

const earlier = existsSync(outPath) ? ((JSON.parse(readFileSync(outPath, 'utf8')) as { results?: Record<string, unknown>[] }).results ?? []) : [];
const results: Record<string, unknown>[] = earlier.filter((r) => !entries.includes(String(r.name)));
const t0 = performance.now();
for (const name of entries) {
  const synth = imageSynthesizers.create(name, params[name] ?? {});
  const loadStart = loadavg();
  const report = await synth.fit(train, { seed, epochs, progress: stderrProgress });
  const samples = synth.conditional ? Array.from({ length: 10 }, (_, c) => synth.sample(10, { seed: 7, conditions: { label: c } })).flat() : synth.sample(100, { seed: 7 });
  const gridPath = join(gridDir, `fashion-mnist-${short[name] ?? name}.png`);
  await writeImageGrid(samples, gridPath, { columns: 10, scale: 2 });
  const perEpoch = report.losses.map((l) => l.seconds ?? Number.NaN);
  let scored: unknown;
  if (quality) {
    const generated = synth.conditional
      ? Array.from({ length: 10 }, (_, c) => synth.sample(Math.ceil(qualityN / 10), { seed: 11 + c, conditions: { label: c } })).flat().slice(0, qualityN)
      : synth.sample(qualityN, { seed: 11 });
    const q = await imageSynthesisQuality({
      train, holdout: quality.holdout, generated, seed, featureMap: quality.space.featureMap,
      featureInfo: { validAccuracy: quality.space.validAccuracy, epochs: quality.space.epochs, explainedVariance: quality.space.explainedVariance },
      manifoldSamples: Math.min(qualityN, quality.holdout.length), closestPairs: 5,
    });
    scored = { metrics: q.metrics, baseline: q.baseline, featureSpace: q.featureSpace, sizes: q.sizes };
    stderrProgress.line(`${name}: ${q.metrics.map((m) => `${m.metric} ${m.value.toFixed(3)}`).join(', ')}`);
  }
  results.push({
    name, command, config: imageSynthesizers.parse(name, params[name] ?? {}), conditional: synth.conditional, trainImages: train.length, epochs, seed,
    secondsPerEpoch: perEpoch.reduce((a, b) => a + b, 0) / perEpoch.length, fitSeconds: report.seconds, losses: report.losses,
    grid: gridPath.slice(resolve(process.cwd()).length + 1), loadavgBefore: loadStart, loadavgAfter: loadavg(),
    ...(scored ? { quality: scored } : {}),
  });
  stderrProgress.line(`${name}: ${report.seconds.toFixed(0)} s, ${(report.seconds / epochs).toFixed(1)} s/epoch → ${gridPath}`);
  writeJsonAtomic(outPath, {
    benchmark: 'image-synth', complete: entries.every((e) => results.some((r) => r.name === e)), command, data: `Fashion-MNIST train, first ${perClass} images of each class`,
    backend: backendInfo(), results, machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
    date: new Date().toISOString(), seconds: Math.round((performance.now() - t0) / 1000),
  });
}
console.log(`wrote ${outPath}`);
