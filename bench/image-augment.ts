/**
 * Image augmentation throughput, side by side in one run: augmented images per second of every
 * image operator (defaults) and of a 5-step pipeline, for 224×224 JPEGs (decode → augment → JPEG
 * encode, all through sharp except the augmentation) and for 28×28 Fashion-MNIST tensors (augment
 * only), against a plain sharp decode + encode of the same images (the reference). One thread:
 * sharp.concurrency(1), images one after another. Medians over `--runs` runs; peak RSS at the end.
 *
 *   node --import tsx bench/image-augment.ts [--jpegs 48] [--tensors 2000] [--runs 5] [--out bench/results/image-augment.json]
 *   node --import tsx bench/image-augment.ts --grid docs/images/fashion-mnist-augmented.png
 *
 * `--grid` only writes a PNG grid (2× nearest): one row per Fashion-MNIST class of the 900-image
 * sample, the original first, then 9 views of the 5-step pipeline (Rng(0).split(`class c view v`)).
 *
 * The JPEGs are Fashion-MNIST images upscaled to 224×224 RGB (q 90), made in memory; the tensors
 * are the first --tensors training images of /usr/share/datasets/fashion-mnist (the Debian
 * package; falls back to the 900-image sample in ../shared/data/fashion-mnist).
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { Rng, writeFileAtomic, writeJsonAtomic } from '../src/core/index.ts';
import { FASHION_MNIST_CLASSES, encodePng, imageGrid, readIdx, type ImageTensor } from '../src/data/index.ts';
import { buildImagePipeline, imageFamily } from '../src/augment/index.ts';
import { arg } from './args.ts';

const nJpeg = Number(arg('jpegs', '48'));
const nTensor = Number(arg('tensors', '2000'));
const runs = Number(arg('runs', '5'));
const outPath = resolve(process.cwd(), arg('out', 'bench/results/image-augment.json'));
sharp.concurrency(1);
sharp.cache(false);
const t0 = performance.now();

const debian = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
const imagesPath = existsSync(debian) ? debian : resolve(process.cwd(), '../shared/data/fashion-mnist/sprite-images-idx3-ubyte.gz');
const fm = readIdx(imagesPath, undefined, { limit: Math.max(nTensor, nJpeg) });
const tensors = fm.samples.slice(0, nTensor).map((s) => s.image);
const jpegs: Buffer[] = [];
for (const s of fm.samples.slice(0, nJpeg)) {
  const im = s.image;
  jpegs.push(await sharp(im.data, { raw: { width: im.width, height: im.height, channels: 1 } }).resize(224, 224, { kernel: 'lanczos3' }).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer());
}

async function decode(buf: Buffer): Promise<ImageTensor> {
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as 3, data };
}
async function encodeJpeg(im: ImageTensor): Promise<Buffer> {
  return sharp(im.data, { raw: { width: im.width, height: im.height, channels: im.channels } }).jpeg({ quality: 90 }).toBuffer();
}
async function encodePngBuf(im: ImageTensor): Promise<Buffer> {
  return sharp(im.data, { raw: { width: im.width, height: im.height, channels: im.channels } }).png().toBuffer();
}

type Pipe = ReturnType<typeof buildImagePipeline>;
const five: Record<string, unknown> = {
  name: 'five-step',
  steps: [
    { op: 'hflip', p: 0.5 },
    { op: 'rotate', degrees: 15, fill: 'reflect' },
    { op: 'random_resized_crop', scale: [0.6, 1] },
    { op: 'brightness', max: 0.2 },
    { op: 'cutout', p: 0.5 },
  ],
};
const pipelines: [string, Pipe][] = [...imageFamily.names().map((n): [string, Pipe] => [n, buildImagePipeline({ steps: [{ op: n }] })]), ['pipeline-5', buildImagePipeline(five)]];

const gridPath = arg('grid', '');
if (gridPath !== '') {
  const sample = readIdx(resolve(process.cwd(), '../shared/data/fashion-mnist/sprite-images-idx3-ubyte.gz'), resolve(process.cwd(), '../shared/data/fashion-mnist/sprite-labels-idx1-ubyte.gz'), { classNames: FASHION_MNIST_CLASSES });
  const p = buildImagePipeline(five);
  const cells: ImageTensor[] = [];
  for (let c = 0; c < 10; c++) {
    const src = sample.samples.find((s) => s.label === c)!.image;
    cells.push(src);
    for (let v = 0; v < 9; v++) cells.push(p.augment(src, {}, new Rng(0).split(`class ${c} view ${v}`))[0]!.output);
  }
  const g = imageGrid(cells, 10, 255);
  const big = await sharp(await encodePng(g)).resize(g.width * 2, g.height * 2, { kernel: 'nearest' }).png({ compressionLevel: 9 }).toBuffer();
  writeFileAtomic(resolve(process.cwd(), gridPath), big);
  console.log(`wrote ${gridPath} (${big.length} bytes): rows = classes ${FASHION_MNIST_CLASSES.join(', ')}; first column = original`);
  process.exit(0);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timeIt(f: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

interface Row {
  name: string;
  imagesPerSec: number;
  ratioToReference: number;
  runsMs: number[];
}

async function suite(label: string, n: number, reference: () => Promise<void>, run: (p: Pipe) => Promise<void> | void): Promise<{ reference: Row; rows: Row[] }> {
  const refMs: number[] = [];
  const ms = new Map<string, number[]>(pipelines.map(([k]) => [k, []]));
  await reference(); // warm-up
  for (const [, p] of pipelines) await run(p);
  for (let r = 0; r < runs; r++) {
    refMs.push(await timeIt(reference));
    for (const [k, p] of pipelines) ms.get(k)!.push(await timeIt(() => run(p)));
  }
  const refRate = n / (median(refMs) / 1000);
  const reference_: Row = { name: 'sharp decode+encode', imagesPerSec: Math.round(refRate), ratioToReference: 1, runsMs: refMs.map((x) => Math.round(x)) };
  const rows = pipelines.map(([k]) => {
    const m = ms.get(k)!;
    const rate = n / (median(m) / 1000);
    return { name: k, imagesPerSec: Math.round(rate), ratioToReference: Math.round((rate / refRate) * 1000) / 1000, runsMs: m.map((x) => Math.round(x)) };
  });
  console.log(`${label}: reference ${reference_.imagesPerSec} img/s`);
  for (const r of rows) console.log(`  ${r.name.padEnd(20)} ${String(r.imagesPerSec).padStart(7)} img/s  ${(r.ratioToReference * 100).toFixed(0)} % of the reference`);
  return { reference: reference_, rows };
}

// 224×224 JPEGs, end to end: decode → augment → JPEG encode, vs decode → JPEG encode.
const jpegSuite = await suite(
  '224×224 JPEG',
  jpegs.length,
  async () => {
    for (const b of jpegs) await encodeJpeg(await decode(b));
  },
  async (p) => {
    for (const [i, b] of jpegs.entries()) await encodeJpeg(p.augment(await decode(b), {}, new Rng(i))[0]!.output);
  },
);
// The same, augmentation alone (images decoded once beforehand).
const decoded = await Promise.all(jpegs.map(decode));
const jpegAugOnly = await suite(
  '224×224 decoded (augment only)',
  decoded.length,
  async () => {
    for (const b of jpegs) await encodeJpeg(await decode(b));
  },
  (p) => {
    for (const [i, im] of decoded.entries()) p.augment(im, {}, new Rng(i));
  },
);
// 28×28 one-channel tensors: augment only, vs a sharp PNG encode + decode of each tensor.
const pngs = await Promise.all(tensors.map(encodePngBuf));
const tensorSuite = await suite(
  '28×28 tensors',
  tensors.length,
  async () => {
    for (const im of tensors) {
      const png = await encodePngBuf(im);
      await sharp(png).raw().toBuffer();
    }
  },
  (p) => {
    for (const [i, im] of tensors.entries()) p.augment(im, {}, new Rng(i));
  },
);
void pngs;

const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`peak RSS ${peakRssMb} MB`);
writeJsonAtomic(outPath, {
  benchmark: 'image-augment',
  command: `node --import tsx bench/image-augment.ts --jpegs ${nJpeg} --tensors ${nTensor} --runs ${runs}`,
  data: { tensors: `${imagesPath} (first ${tensors.length})`, jpegs: `${jpegs.length} Fashion-MNIST images upscaled to 224×224 RGB, JPEG q90, in memory (mean ${Math.round(jpegs.reduce((a, b) => a + b.length, 0) / jpegs.length)} bytes)` },
  method:
    'images/second, one thread (sharp.concurrency(1), images in sequence), median of the runs after one warm-up pass; every run times the reference and every operator back to back. ' +
    'jpeg224: decode (sharp) → augment (TypeScript) → JPEG q90 encode (sharp) vs decode → encode. jpeg224AugmentOnly: augment on pre-decoded images vs the same decode → encode reference. ' +
    'tensor28: augment on 28×28×1 tensors vs sharp PNG encode → decode of each tensor. Operators run with their default configs through a one-step pipeline (rng split per image).',
  pipeline5: five,
  jpeg224: jpegSuite,
  jpeg224AugmentOnly: jpegAugOnly,
  tensor28: tensorSuite,
  peakRssMb,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, sharp: sharp.versions.sharp, vips: sharp.versions.vips, loadavg: loadavg() },
  date: new Date().toISOString(),
  seconds: Math.round((performance.now() - t0) / 100) / 10,
});
console.log(`wrote ${outPath}`);
