/**
 * `samplify augment-images` end to end through the CLI: augmented copies + manifest + labels, the
 * skipped files counted, byte-identical output for the same seed (one worker or two), no partial
 * or overwritten output, and clear errors for a bad pipeline or a folder with nothing readable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/core/index.ts';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(import.meta.dirname, '..', '..');
const PIPELINE = join(root, 'examples', 'pipelines', 'images', 'product-photos.yaml');

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function filesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name)).toString('base64'));
    }
  };
  walk(dir, '');
  return out;
}

const tmp = tempFolder('samplify-cli-augment-images-');
const photos = join(tmp, 'photos');
const rng = new Rng(4);
for (const c of ['bag', 'shoe']) {
  mkdirSync(join(photos, c), { recursive: true });
  for (let k = 0; k < 3; k++) {
    const w = 20 + 4 * k;
    const px = Buffer.from(Uint8Array.from({ length: w * 16 * 3 }, () => rng.int(256)));
    await sharp(px, { raw: { width: w, height: 16, channels: 3 } }).png().toFile(join(photos, c, `p${k}.png`));
  }
}
writeFileSync(join(photos, 'bag', 'truncated.jpg'), Buffer.from('\xff\xd8\xff\xe0 not a whole jpeg', 'latin1'));
writeFileSync(join(photos, 'shoe', 'empty.png'), Buffer.alloc(0));

test('augment-images: copies, manifest and labels; skipped files counted; same seed ⇒ same bytes with 1 or 2 workers', () => {
  const a = cli(['augment-images', '--images', 'photos', '--pipeline', PIPELINE, '--views', '2', '--seed', '3', '--workers', '1', '--out', 'out-a', '--json'], tmp);
  assert.equal(a.code, 0, a.stderr);
  const r = JSON.parse(a.stdout) as { images: number; written: number; skipCounts: Record<string, number>; path: string };
  assert.equal(r.images, 8);
  assert.equal(r.written, 12, '6 readable images × 2 views');
  assert.equal(r.skipCounts['corrupt']! + r.skipCounts['unsupported-format']!, 1, 'the broken JPEG');
  assert.equal(r.skipCounts['zero-byte'], 1);
  const manifest = readFileSync(join(tmp, 'out-a', 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string; chain: { op: string }[] });
  assert.equal(manifest.length, 12);
  for (const m of manifest) {
    assert.ok(existsSync(join(tmp, 'out-a', m.file)), m.file);
    assert.equal(m.file.split('/')[0], m.label, 'copies stay in their class folder');
    assert.ok(m.chain.length >= 1);
  }
  assert.match(readFileSync(join(tmp, 'out-a', 'labels.csv'), 'utf8'), /^file,label\nbag\//);
  const b = cli(['augment-images', '--images', 'photos', '--pipeline', PIPELINE, '--views', '2', '--seed', '3', '--workers', '2', '--out', 'out-b'], tmp);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /12 augmented images from 8 sources written to .*out-b \(skipped: .*1 zero-byte.*\)/);
  assert.deepEqual(filesOf(join(tmp, 'out-b')), filesOf(join(tmp, 'out-a')));
  const c = cli(['augment-images', '--images', 'photos', '--pipeline', PIPELINE, '--views', '2', '--seed', '4', '--workers', '1', '--out', 'out-c'], tmp);
  assert.equal(c.code, 0, c.stderr);
  assert.notDeepEqual(filesOf(join(tmp, 'out-c')), filesOf(join(tmp, 'out-a')), 'another seed, other images');
});

test('augment-images: an existing output is never overwritten; bad pipelines and unreadable folders fail clearly and leave nothing', () => {
  mkdirSync(join(tmp, 'taken'));
  writeFileSync(join(tmp, 'taken', 'keep.txt'), 'mine');
  const taken = cli(['augment-images', '--images', 'photos', '--pipeline', PIPELINE, '--out', 'taken'], tmp);
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, /not empty/);
  assert.equal(readFileSync(join(tmp, 'taken', 'keep.txt'), 'utf8'), 'mine');

  const badPipe = join(tmp, 'bad.yaml');
  writeFileSync(badPipe, 'family: image\nsteps:\n  - { op: rotate, degres: 10 }\n');
  const bad = cli(['augment-images', '--images', 'photos', '--pipeline', badPipe, '--out', 'never'], tmp);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.yaml/);
  assert.match(bad.stderr, /degres/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');

  const seqPipe = join(root, 'examples', 'pipelines', 'crop-reorder.yaml');
  const seq = cli(['augment-images', '--images', 'photos', '--pipeline', seqPipe, '--out', 'never'], tmp);
  assert.equal(seq.code, 2, seq.stderr);

  mkdirSync(join(tmp, 'junk', 'bag'), { recursive: true });
  writeFileSync(join(tmp, 'junk', 'bag', 'x.png'), Buffer.from('garbage'));
  const junk = cli(['augment-images', '--images', 'junk', '--pipeline', PIPELINE, '--out', 'never'], tmp);
  assert.equal(junk.code, 3, junk.stderr);
  assert.match(junk.stderr, /junk: no image could be augmented \(1 images listed; skipped: 1 /);
  const resize = cli(['augment-images', '--images', 'photos', '--pipeline', PIPELINE, '--resize', '20by20', '--out', 'never'], tmp);
  assert.equal(resize.code, 2);
  assert.match(resize.stderr, /resize/);
  // Nothing was left behind: no output folder, no temp folder.
  assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('never')), []);
});
