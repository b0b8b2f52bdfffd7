/**
 * Image readers: folders (sub-folder labels and manifest CSV) with every bad-image case counted as a
 * skip with its reason, colour-space / bit-depth / EXIF normalisation, and IDX files (gzipped or
 * not), including the Fashion-MNIST sample in ../shared/data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { readImageFolder, readIdx, decodeImage, encodePng, encodeIdxImages, encodeIdxLabels, FASHION_MNIST_CLASSES } from '../../../src/data/index.ts';
import { tempFolder } from '../../temp-folders.ts';

/** A 4×2 RGB image whose left half is red and right half blue. */
const W = 4;
const H = 2;
const halves = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) halves.set(x < W / 2 ? [255, 0, 0] : [0, 0, 255], (y * W + x) * 3);
const raw = () => sharp(halves, { raw: { width: W, height: H, channels: 3 } });

/** A PNG whose header claims width × height (no pixel data behind it): the pixel limit must refuse it unread. */
async function hugePngHeader(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp(Buffer.alloc(3), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

async function fixtureFolder(): Promise<string> {
  const dir = tempFolder('samplify-images-');
  for (const c of ['bag', 'shoe', 'shirt']) mkdirSync(join(dir, c));
  await raw().png().toFile(join(dir, 'bag', 'rgb.png'));
  await raw().toColourspace('rgb16').png().toFile(join(dir, 'bag', 'deep16.png'));
  await raw().toColourspace('cmyk').jpeg({ quality: 100 }).toFile(join(dir, 'bag', 'cmyk.jpg'));
  await raw().greyscale().png().toFile(join(dir, 'shoe', 'grey.png'));
  await raw().ensureAlpha(0.5).webp({ lossless: true }).toFile(join(dir, 'shoe', 'rgba.webp'));
  await raw().jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(join(dir, 'shoe', 'exif6.jpg'));
  await sharp(Buffer.from([9, 8, 7]), { raw: { width: 1, height: 1, channels: 3 } }).png().toFile(join(dir, 'shirt', 'one.png'));
  writeFileSync(join(dir, 'shirt', 'empty.jpg'), Buffer.alloc(0));
  const jpg = await sharp(Buffer.alloc(32 * 32 * 3, 90), { raw: { width: 32, height: 32, channels: 3 } }).jpeg().toBuffer();
  writeFileSync(join(dir, 'shirt', 'truncated.jpg'), jpg.subarray(0, jpg.length >> 1));
  writeFileSync(join(dir, 'shirt', 'notes.txt'), 'not an image\n');
  writeFileSync(join(dir, 'shirt', 'huge.png'), await hugePngHeader(20000, 20000));
  await raw().png().toFile(join(dir, 'loose.png'));
  return dir;
}

test('readImageFolder: bad files are counted skips with reasons; the rest is read and normalised', async () => {
  const dir = await fixtureFolder();
  const ds = await readImageFolder(dir, { concurrency: 2 });
  assert.deepEqual(ds.classNames, ['bag', 'shirt', 'shoe']);
  assert.deepEqual(ds.samples.map((s) => s.source), ['bag/cmyk.jpg', 'bag/deep16.png', 'bag/rgb.png', 'shirt/one.png', 'shoe/exif6.jpg', 'shoe/grey.png', 'shoe/rgba.webp']);
  const reasons = Object.fromEntries(ds.skipped.map((s) => [s.source, s.reason]));
  assert.deepEqual(reasons, {
    'loose.png': 'unlabelled',
    'shirt/empty.jpg': 'zero-byte',
    'shirt/huge.png': 'too-many-pixels',
    'shirt/notes.txt': 'unsupported-format',
    'shirt/truncated.jpg': 'corrupt',
  });
  assert.deepEqual(ds.skipCounts, { 'zero-byte': 1, 'unsupported-format': 1, corrupt: 1, 'too-many-pixels': 1, unlabelled: 1 });
  for (const s of ds.skipped) assert.ok(s.detail.length > 0 && !s.detail.includes('\n'));
  const by = Object.fromEntries(ds.samples.map((s) => [s.source, s]));
  for (const s of ds.samples) {
    assert.equal(s.image.channels, 3);
    assert.equal(s.image.data.length, s.image.width * s.image.height * 3);
  }
  assert.equal(by['bag/rgb.png']!.label, 0);
  assert.equal(by['shoe/grey.png']!.label, 2);
  // 16-bit and CMYK come out as 8-bit sRGB close to the original colours.
  assert.deepEqual(Array.from(by['bag/deep16.png']!.image.data), Array.from(halves));
  const cmyk = by['bag/cmyk.jpg']!.image.data;
  assert.ok(cmyk[0]! > 200 && cmyk[2]! < 60, `CMYK red pixel came out as ${Array.from(cmyk.subarray(0, 3))}`);
  // Grey input becomes three equal channels.
  const grey = by['shoe/grey.png']!.image.data;
  for (let i = 0; i < grey.length; i += 3) assert.ok(grey[i] === grey[i + 1] && grey[i] === grey[i + 2]);
  // EXIF orientation 6 (rotate 90° clockwise): 4×2 becomes 2×4, red (left half) on top.
  const ex = by['shoe/exif6.jpg']!.image;
  assert.equal(ex.width, 2);
  assert.equal(ex.height, 4);
  assert.ok(ex.data[0]! > 200 && ex.data[2]! < 60, 'top-left is red after orientation');
  assert.ok(ex.data[(3 * 2) * 3 + 2]! > 200, 'bottom-left is blue after orientation');
  // 1×1 images read fine.
  assert.deepEqual([by['shirt/one.png']!.image.width, by['shirt/one.png']!.image.height], [1, 1]);
});

test('readImageFolder: declared channel counts (grey, RGBA), pixel limit, resize', async () => {
  const dir = await fixtureFolder();
  const g = await readImageFolder(dir, { channels: 1 });
  for (const s of g.samples) assert.equal(s.image.data.length, s.image.width * s.image.height);
  const a = await readImageFolder(dir, { channels: 4 });
  const rgba = a.samples.find((s) => s.source === 'shoe/rgba.webp')!.image;
  assert.ok(Math.abs(rgba.data[3]! - 128) <= 1, `alpha kept (${rgba.data[3]})`);
  assert.equal(a.samples.find((s) => s.source === 'bag/rgb.png')!.image.data[3], 255, 'opaque alpha added');
  const lim = await readImageFolder(dir, { maxPixels: 4 });
  assert.equal(lim.skipCounts['too-many-pixels'], 7, 'every image over 4 pixels is refused; only the 1×1 is read');
  assert.deepEqual(lim.samples.map((s) => s.source), ['shirt/one.png']);
  const r = await readImageFolder(dir, { resize: { width: 5, height: 5 } });
  for (const s of r.samples) assert.deepEqual([s.image.width, s.image.height], [5, 5]);
});

test('readImageFolder: manifest labels; a bad manifest line is a DataValidationError naming the line', async () => {
  const dir = await fixtureFolder();
  writeFileSync(join(dir, 'labels.csv'), 'file,label\nbag/rgb.png,tote\nloose.png,tote\nshoe/grey.png,"boot, ankle"\n');
  const ds = await readImageFolder(dir, { labels: { manifest: 'labels.csv' } });
  assert.deepEqual(ds.classNames, ['boot, ankle', 'tote']);
  assert.deepEqual(ds.samples.map((s) => [s.source, s.label]), [['bag/rgb.png', 1], ['loose.png', 1], ['shoe/grey.png', 0]]);
  writeFileSync(join(dir, 'bad.csv'), 'file,label\nbag/rgb.png,tote\nmissing.png,tote\n');
  await assert.rejects(readImageFolder(dir, { labels: { manifest: 'bad.csv' } }), (e: Error & { location?: { line?: number; field?: string } }) => e.name === 'DataValidationError' && e.location?.line === 3 && e.location.field === 'file');
  await assert.rejects(readImageFolder(join(dir, 'nope')), (e: Error) => e.name === 'DataValidationError');
});

test('decodeImage / encodePng: lossless round trip, byte-stable encoding', async () => {
  const img = { width: 3, height: 2, channels: 3 as const, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) };
  const a = await encodePng(img);
  const b = await encodePng(img);
  assert.deepEqual(a, b);
  const back = await decodeImage(a);
  assert.deepEqual(Array.from(back.data), Array.from(img.data));
  await assert.rejects(decodeImage(new Uint8Array(0)), (e: Error & { reason?: string }) => e.reason === 'zero-byte');
});

test('readIdx: plain and gzipped files give the same dataset; damaged files are DataValidationErrors', () => {
  const dir = tempFolder('samplify-idx-');
  const imgs = [0, 1, 2].map((k) => ({ width: 3, height: 2, data: Uint8Array.from({ length: 6 }, (_, i) => k * 10 + i) }));
  writeFileSync(join(dir, 'i'), encodeIdxImages(imgs));
  writeFileSync(join(dir, 'l'), encodeIdxLabels([2, 0, 1]));
  writeFileSync(join(dir, 'i.gz'), encodeIdxImages(imgs, true));
  writeFileSync(join(dir, 'l.gz'), encodeIdxLabels([2, 0, 1], true));
  const a = readIdx(join(dir, 'i'), join(dir, 'l'));
  const b = readIdx(join(dir, 'i.gz'), join(dir, 'l.gz'));
  assert.deepEqual(a.samples.map((s) => [s.label, Array.from(s.image.data)]), b.samples.map((s) => [s.label, Array.from(s.image.data)]));
  assert.deepEqual(a.samples.map((s) => s.label), [2, 0, 1]);
  assert.deepEqual(Array.from(a.samples[1]!.image.data), [10, 11, 12, 13, 14, 15]);
  assert.equal(a.samples[0]!.image.width, 3);
  const full = encodeIdxImages(imgs);
  writeFileSync(join(dir, 'short'), full.subarray(0, full.length - 1));
  assert.throws(() => readIdx(join(dir, 'short')), (e: Error & { location?: { file?: string } }) => e.name === 'DataValidationError' && e.location?.file === join(dir, 'short') && /truncated/.test(e.message));
  writeFileSync(join(dir, 'l4'), encodeIdxLabels([1, 2, 3, 4]));
  assert.throws(() => readIdx(join(dir, 'i'), join(dir, 'l4')), /4 labels for 3 images/);
  writeFileSync(join(dir, 'junk'), 'hello world');
  assert.throws(() => readIdx(join(dir, 'junk')), (e: Error) => e.name === 'DataValidationError');
});

test('readIdx: the Fashion-MNIST sample (900 images, 90 per class)', () => {
  const base = join(import.meta.dirname, '../../../../shared/data/fashion-mnist');
  const ds = readIdx(join(base, 'sprite-images-idx3-ubyte.gz'), join(base, 'sprite-labels-idx1-ubyte.gz'), { classNames: FASHION_MNIST_CLASSES });
  assert.equal(ds.samples.length, 900);
  assert.equal(ds.classNames[9], 'Ankle boot');
  const counts = new Array(10).fill(0);
  for (const s of ds.samples) counts[s.label]++;
  assert.deepEqual(counts, new Array(10).fill(90));
  assert.deepEqual([ds.samples[0]!.image.width, ds.samples[0]!.image.height, ds.samples[0]!.image.channels], [28, 28, 1]);
});

const debian = '/usr/share/datasets/fashion-mnist';
test('readIdx: the full Fashion-MNIST from Debian (60,000 + 10,000; skipped when dataset-fashion-mnist is not installed)', { skip: !existsSync(`${debian}/t10k-images-idx3-ubyte.gz`) }, () => {
  const tr = readIdx(`${debian}/train-images-idx3-ubyte.gz`, `${debian}/train-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES });
  const te = readIdx(`${debian}/t10k-images-idx3-ubyte.gz`, `${debian}/t10k-labels-idx1-ubyte.gz`, { classNames: FASHION_MNIST_CLASSES });
  assert.equal(tr.samples.length, 60000);
  assert.equal(te.samples.length, 10000);
  for (const ds of [tr, te]) {
    const counts = new Array(10).fill(0);
    for (const s of ds.samples) counts[s.label]++;
    assert.deepEqual(counts, new Array(10).fill(ds.samples.length / 10), 'balanced classes');
  }
});
