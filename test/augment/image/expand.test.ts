/** Offline image expansion: byte-identical files for the same seed (in-thread and with a worker pool), manifest, replay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../../src/core/rng.ts';
import { collectingProgress } from '../../../src/core/progress.ts';
import { buildImagePipeline, expandImageFolder, type ImageManifestRow } from '../../../src/augment/index.ts';
import { decodeImage, readImageFolder } from '../../../src/data/index.ts';
import { tempFolder } from '../../temp-folders.ts';

const spec = {
  steps: [
    { op: 'hflip', p: 0.5 },
    { op: 'rotate', degrees: 25, fill: 'reflect' },
    { op: 'random_resized_crop', width: 20, height: 16, scale: [0.5, 1] },
    { op: 'brightness', max: 0.3 },
    { op: 'gaussian_noise', std: [0, 8] },
  ],
};

async function sourceFolder(): Promise<string> {
  const dir = tempFolder('samplify-expand-src-');
  const r = new Rng(9);
  for (const c of ['bag', 'shoe']) {
    mkdirSync(join(dir, c));
    for (let k = 0; k < 3; k++) {
      const w = 24 + k * 5;
      const h = 18 + k * 3;
      const px = Buffer.from(Uint8Array.from({ length: w * h * 3 }, () => r.int(256)));
      await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).toFile(join(dir, c, `item${k}.jpg`));
    }
  }
  writeFileSync(join(dir, 'shoe', 'broken.jpg'), Buffer.from('not really a jpeg'));
  return dir;
}

function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name)));
    }
  };
  walk(dir, '');
  return out;
}

test('expandImageFolder: same seed ⇒ byte-identical files, in-thread and with 2 workers; manifest replays', async () => {
  const src = await sourceFolder();
  const a = tempFolder('samplify-expand-a-');
  const b = tempFolder('samplify-expand-b-');
  const c = tempFolder('samplify-expand-c-');
  const progress = collectingProgress();
  const ra = await expandImageFolder(src, a, spec, { views: 2, seed: 7, workers: 0, progress });
  const rb = await expandImageFolder(src, b, spec, { views: 2, seed: 7, workers: 2 });
  await expandImageFolder(src, c, spec, { views: 2, seed: 8, workers: 0 });
  assert.equal(ra.images, 7);
  assert.equal(ra.written, 12);
  assert.equal(rb.workers, 2);
  assert.deepEqual(ra.skipCounts.corrupt + ra.skipCounts['unsupported-format'], 1);
  assert.deepEqual(ra.skipped.map((s) => s.source), ['shoe/broken.jpg']);
  assert.deepEqual(rb.skipped, ra.skipped);
  assert.ok(progress.lines.at(-1)!.includes('7/7'), progress.lines.join('\n'));
  const fa = filesOf(a);
  const fb = filesOf(b);
  assert.deepEqual([...fa.keys()].sort(), [...fb.keys()].sort());
  for (const [k, v] of fa) assert.ok(v.equals(fb.get(k)!), `${k} is byte-identical`);
  assert.ok(fa.has('bag/item0__v1.png') && fa.has('manifest.jsonl') && fa.has('labels.csv'));
  const fc = filesOf(c);
  assert.ok(!fa.get('bag/item0__v0.png')!.equals(fc.get('bag/item0__v0.png')!), 'another seed, other images');
  // The manifest: one row per file, and each chain replays on the decoded source to the written pixels.
  const rows = readFileSync(join(a, 'manifest.jsonl'), 'utf-8').trim().split('\n').map((l) => JSON.parse(l) as ImageManifestRow);
  assert.equal(rows.length, 12);
  const p = buildImagePipeline(spec);
  for (const r of rows.slice(0, 4)) {
    assert.equal(r.seed, 7);
    const source = await decodeImage(join(src, r.source));
    const out = await decodeImage(join(a, r.file));
    assert.deepEqual(Array.from(p.replay(source, r.chain, {}).data), Array.from(out.data), `${r.file} replays from the manifest`);
    assert.deepEqual([out.width, out.height], [20, 16]);
  }
  // The output folder reads back with the same labels (sub-folders, or labels.csv).
  const back = await readImageFolder(a);
  assert.deepEqual(back.classNames, ['bag', 'shoe']);
  assert.equal(back.samples.length, 12);
  const viaCsv = await readImageFolder(a, { labels: { manifest: 'labels.csv' } });
  assert.deepEqual(viaCsv.samples.map((s) => s.label), back.samples.map((s) => s.label));
});

test('expandImageFolder: bad options are ConfigErrors', async () => {
  const src = await sourceFolder();
  const out = tempFolder('samplify-expand-bad-');
  await assert.rejects(expandImageFolder(src, out, spec, { views: 0 }), (e: Error) => e.name === 'ConfigError');
  await assert.rejects(expandImageFolder(src, out, { steps: [{ op: 'rotate', degrees: 'lots' }] }), (e: Error) => e.name === 'ConfigError' && /degrees/.test(e.message));
});
