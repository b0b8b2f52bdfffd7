/** Image operators: exact cases (identities, rotations, fill modes) and properties over random images. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../../src/core/rng.ts';
import type { ImageTensor } from '../../../src/data/images/index.ts';
import {
  rotate, shift, shear, zoom, randomCrop, randomResizedCrop, hflip, vflip, brightness, contrast, saturation, hue, blur, gaussianNoise, cutout,
  imageOperators, sampleMix, applyMix, fillIndex,
} from '../../../src/augment/image/index.ts';

const ctx = {};
function img(w: number, h: number, c: 1 | 3 | 4, f: (x: number, y: number, ch: number) => number): ImageTensor {
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) data[(y * w + x) * c + ch] = f(x, y, ch);
  return { width: w, height: h, channels: c, data };
}
const at = (im: ImageTensor, x: number, y: number, c = 0): number => im.data[(y * im.width + x) * im.channels + c]!;
const ramp = img(6, 4, 3, (x, y, c) => (x * 40 + y * 7 + c * 3) % 256);
const bytes = (im: ImageTensor): number[] => Array.from(im.data);

test('identities: zero angle / offset / factor, full-size crops, double flips', () => {
  const fillC = { fill: 'constant' as const, fillValue: 0 };
  assert.deepEqual(bytes(rotate.apply(ramp, { angle: 0, ...fillC }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(shear.apply(ramp, { angle: 0, ...fillC }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(shift.apply(ramp, { dx: 0, dy: 0, ...fillC }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(zoom.apply(ramp, { zx: 1, zy: 1, ...fillC }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(randomCrop.apply(ramp, { x: 0, y: 0, width: 6, height: 4, ...fillC }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(randomResizedCrop.apply(ramp, { x: 0, y: 0, w: 6, h: 4, width: 6, height: 4 }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(hflip.apply(hflip.apply(ramp, {}, ctx), {}, ctx)), bytes(ramp));
  assert.deepEqual(bytes(vflip.apply(vflip.apply(ramp, {}, ctx), {}, ctx)), bytes(ramp));
  for (const op of [brightness, contrast, saturation]) assert.deepEqual(bytes(op.apply(ramp, { factor: 1 }, ctx)), bytes(ramp), op.name);
  assert.deepEqual(bytes(hue.apply(ramp, { shift: 0 }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(hue.apply(ramp, { shift: 1 }, ctx)), bytes(ramp), 'a full turn');
  assert.deepEqual(bytes(blur.apply(ramp, { sigma: 0 }, ctx)), bytes(ramp));
  assert.deepEqual(bytes(gaussianNoise.apply(ramp, { std: 0, seed: 3 }, ctx)), bytes(ramp));
});

test('rotate by 90° is an exact quarter turn (counter-clockwise) of a square image', () => {
  const sq = img(4, 4, 1, (x, y) => y * 4 + x);
  const r = rotate.apply(sq, { angle: 90, fill: 'constant', fillValue: 0 }, ctx);
  // Counter-clockwise on screen: the top row (0 1 2 3) becomes the left column read bottom-up.
  for (let i = 0; i < 4; i++) assert.equal(at(r, 0, 3 - i), at(sq, i, 0));
  const back = rotate.apply(r, { angle: -90, fill: 'constant', fillValue: 0 }, ctx);
  assert.deepEqual(bytes(back), bytes(sq));
});

test('fill modes: shift by 2 reads constant, nearest, reflect and wrap as declared', () => {
  const row = img(5, 1, 1, (x) => 10 * (x + 1)); // 10 20 30 40 50
  const s = (fill: 'constant' | 'nearest' | 'reflect' | 'wrap') => bytes(shift.apply(row, { dx: 2, dy: 0, fill, fillValue: 7 }, ctx));
  assert.deepEqual(s('constant'), [7, 7, 10, 20, 30]);
  assert.deepEqual(s('nearest'), [10, 10, 10, 20, 30]);
  assert.deepEqual(s('reflect'), [20, 10, 10, 20, 30]);
  assert.deepEqual(s('wrap'), [40, 50, 10, 20, 30]);
  assert.deepEqual([-1, -2, 5, 6, 10].map((i) => fillIndex(i, 5, 'reflect')), [0, 1, 4, 3, 0]);
  // random_crop's padding uses the same rule.
  assert.deepEqual(bytes(randomCrop.apply(row, { x: -2, y: 0, width: 5, height: 1, fill: 'wrap', fillValue: 0 }, ctx)), [40, 50, 10, 20, 30]);
});

test('zoom 2× enlarges the centre; photometric ops do what they say', () => {
  const sq = img(4, 4, 1, (x, y) => (x >= 1 && x <= 2 && y >= 1 && y <= 2 ? 200 : 0));
  const z = zoom.apply(sq, { zx: 2, zy: 2, fill: 'constant', fillValue: 0 }, ctx);
  assert.equal(at(z, 1, 1), 200);
  assert.equal(at(z, 2, 2), 200);
  assert.equal(at(z, 0, 0), 113, 'the corner samples source (0.75, 0.75): bilinear 0.75² · 200');
  const red = img(2, 2, 3, (_x, _y, c) => (c === 0 ? 255 : 0));
  const green = hue.apply(red, { shift: 1 / 3 }, ctx);
  assert.deepEqual(bytes(green).slice(0, 3), [0, 255, 0]);
  const grey = saturation.apply(red, { factor: 0 }, ctx);
  assert.equal(at(grey, 0, 0, 0), at(grey, 0, 0, 1));
  assert.deepEqual(bytes(brightness.apply(red, { factor: 0.5 }, ctx)).slice(0, 3), [128, 0, 0]);
  const flat = img(7, 5, 3, () => 90);
  assert.deepEqual(bytes(blur.apply(flat, { sigma: 1.7 }, ctx)), bytes(flat), 'blur keeps a constant image');
  assert.deepEqual(bytes(contrast.apply(flat, { factor: 3 }, ctx)), bytes(flat), 'contrast keeps a constant image');
  const rgba = img(3, 3, 4, (_x, _y, c) => (c === 3 ? 77 : 100));
  for (const op of [brightness, contrast, saturation]) {
    const o = op.apply(rgba, { factor: 1.5 }, ctx);
    for (let i = 3; i < o.data.length; i += 4) assert.equal(o.data[i], 77, `${op.name} leaves alpha alone`);
  }
  const cut = cutout.apply(ramp, { boxes: [{ x: 1, y: 1, w: 2, h: 2 }], fill: 'constant', fillValue: 5, seed: 0 }, ctx);
  assert.equal(at(cut, 1, 1), 5);
  assert.equal(at(cut, 2, 2, 2), 5);
  assert.equal(at(cut, 0, 0), at(ramp, 0, 0));
  assert.equal(at(cut, 3, 1), at(ramp, 3, 1));
});

test('apply refuses params that do not fit the image', () => {
  assert.throws(() => randomResizedCrop.apply(ramp, { x: 3, y: 0, w: 6, h: 4, width: 6, height: 4 }, ctx), RangeError);
  assert.throws(() => cutout.apply(ramp, { boxes: [{ x: 5, y: 0, w: 2, h: 1 }], fill: 'constant', fillValue: 0, seed: 0 }, ctx), RangeError);
  assert.throws(() => zoom.apply(ramp, { zx: 0, zy: 1, fill: 'constant', fillValue: 0 }, ctx), RangeError);
  assert.throws(() => rotate.apply(ramp, { angle: Number.NaN, fill: 'constant', fillValue: 0 }, ctx), RangeError);
});

const arbImage = fc
  .record({ w: fc.integer({ min: 1, max: 12 }), h: fc.integer({ min: 1, max: 12 }), c: fc.constantFrom(1 as const, 3 as const, 4 as const), seed: fc.integer({ min: 0, max: 2 ** 31 }) })
  .map(({ w, h, c, seed }) => {
    const r = new Rng(seed);
    return img(w, h, c, () => r.int(256));
  });

test('every operator (defaults): valid output, input untouched, same params ⇒ same bytes, JSON params replay', () => {
  fc.assert(
    fc.property(arbImage, fc.integer({ min: 0, max: 1000 }), (im, seed) => {
      const before = bytes(im);
      for (const op of imageOperators) {
        const config = op.config.parse({});
        const params = op.sample(im, config, ctx, new Rng(seed));
        assert.deepEqual(op.sample(im, config, ctx, new Rng(seed)), params, `${op.name}: same rng, same params`);
        const a = op.apply(im, params, ctx);
        const b = op.apply(im, JSON.parse(JSON.stringify(params)), ctx);
        assert.deepEqual(bytes(b), bytes(a), `${op.name}: replay from JSON`);
        assert.equal(a.channels, im.channels);
        assert.ok(a.width >= 1 && a.height >= 1 && a.data.length === a.width * a.height * a.channels, `${op.name}: shape`);
        assert.ok(a.data instanceof Uint8Array);
        assert.deepEqual(bytes(im), before, `${op.name}: input not modified`);
      }
    }),
    { numRuns: 40 },
  );
});

test('mixup and cutmix: soft targets sum to 1, λ is the kept fraction, replay is exact', () => {
  const batch = [0, 1, 2, 3].map((k) => img(8, 6, 3, () => k * 60));
  const labels = [0, 1, 2, 1];
  for (const kind of ['mixup', 'cutmix'] as const) {
    const params = sampleMix(4, 8, 6, { kind, alpha: 1 }, new Rng(4));
    assert.deepEqual(sampleMix(4, 8, 6, { kind, alpha: 1 }, new Rng(4)), params);
    const m = applyMix(batch, labels, 3, params);
    const m2 = applyMix(batch, labels, 3, JSON.parse(JSON.stringify(params)));
    assert.deepEqual(m.images.map(bytes), m2.images.map(bytes));
    assert.deepEqual([...params.partner].sort(), [0, 1, 2, 3]);
    for (let i = 0; i < 4; i++) {
      const row = Array.from(m.targets.subarray(i * 3, i * 3 + 3));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
      const lam = params.lambda[i]!;
      assert.ok(lam >= 0 && lam <= 1);
      if (kind === 'cutmix') {
        const j = params.partner[i]!;
        const own = m.images[i]!.data.filter((v) => v === i * 60).length / 3;
        const theirs = m.images[i]!.data.filter((v) => v === j * 60).length / 3;
        if (i !== j) assert.equal(own / 48, lam, 'λ equals the fraction of own pixels kept');
        else assert.equal(own + theirs, 96);
      }
    }
  }
  assert.throws(() => sampleMix(2, 4, 4, { kind: 'mixup', alpha: 0 }, new Rng(1)), RangeError);
});
