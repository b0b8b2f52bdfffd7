/**
 * The augmenter contract for every operator of the image family (like test/contracts/augmenters.test.ts
 * for sequences): strict schema (bad keys and values are ConfigErrors naming the key), same seed ⇒
 * identical bytes, the recorded chain replays exactly, YAML / JSON round trips give the same spec and
 * output, and the output is a valid 8-bit image of the input's channel count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, parseWithSchema } from '../../../src/core/index.ts';
import { buildImagePipeline, imageFamily, imageOperators, pipelineFromJson, pipelineFromYaml, pipelineToJson, pipelineToYaml } from '../../../src/augment/index.ts';
import type { ImageTensor } from '../../../src/data/images/index.ts';
import { checkBadParams } from '../../contracts/helpers.ts';

function noiseImage(w: number, h: number, c: 1 | 3 | 4, seed: number): ImageTensor {
  const r = new Rng(seed);
  return { width: w, height: h, channels: c, data: Uint8Array.from({ length: w * h * c }, () => r.int(256)) };
}
const inputs = [noiseImage(28, 28, 1, 1), noiseImage(17, 9, 3, 2), noiseImage(5, 12, 4, 3), noiseImage(1, 1, 3, 4)];
const bytes = (im: ImageTensor): number[] => Array.from(im.data);

test('the image family registers every image operator', () => {
  assert.deepEqual(imageFamily.names(), imageOperators.map((o) => o.name));
  for (const op of imageOperators) assert.equal(op.family, 'image');
});

for (const entry of imageFamily.operators.entries()) {
  const spec = { version: 1, family: 'image', name: `contract-${entry.name}`, steps: [{ op: entry.name }] };

  test(`image operator ${entry.name}: same seed ⇒ same bytes; the chain replays; valid output`, () => {
    const p = buildImagePipeline(spec);
    for (const [i, x] of inputs.entries()) {
      const before = bytes(x);
      const [a] = p.augment(x, {}, new Rng(31).split(i));
      const [b] = p.augment(x, {}, new Rng(31).split(i));
      assert.deepEqual(bytes(b!.output), bytes(a!.output), 'same seed, same output');
      assert.deepEqual(bytes(x), before, 'input not modified');
      const out = a!.output;
      assert.ok(out.data instanceof Uint8Array && out.channels === x.channels && out.data.length === out.width * out.height * out.channels);
      const chain = JSON.parse(JSON.stringify(a!.chain));
      assert.deepEqual(chain, a!.chain, 'params are plain JSON');
      assert.deepEqual(bytes(p.replay(x, chain, {})), bytes(out), 'the recorded chain replays exactly');
    }
    // Different seeds give different draws for every operator with a random choice.
    const draws = new Set(Array.from({ length: 8 }, (_, s) => JSON.stringify(p.augment(inputs[1]!, {}, new Rng(s))[0]!.chain)));
    if (!['hflip', 'vflip'].includes(entry.name)) assert.ok(draws.size > 1, 'seeds change the draws');
  });

  test(`image operator ${entry.name}: YAML and JSON round trips give the same spec and output`, () => {
    const p = buildImagePipeline(spec);
    for (const q of [pipelineFromYaml(pipelineToYaml(p), { family: imageFamily }), pipelineFromJson(pipelineToJson(p), { family: imageFamily })]) {
      assert.deepEqual(q.spec, p.spec);
      assert.equal(pipelineToYaml(q), pipelineToYaml(p));
      assert.deepEqual(bytes(q.augment(inputs[1]!, {}, new Rng(5))[0]!.output), bytes(p.augment(inputs[1]!, {}, new Rng(5))[0]!.output));
    }
  });

  test(`image operator ${entry.name}: strict schema; bad params are ConfigErrors naming the key`, () => {
    assert.ok(entry.description.length > 0);
    assert.deepEqual(parseWithSchema(entry.schema, {}), entry.defaults);
    checkBadParams(entry.schema, [], (raw) => imageFamily.operators.parse(entry.name, raw, ['steps', 0]), 'steps[0].', entry.name);
    assert.throws(() => buildImagePipeline({ steps: [{ op: entry.name, hiden_typo: 1 }] }), (e: Error & { location?: { field?: string } }) => e.name === 'ConfigError' && e.location?.field === 'hiden_typo' && /step 1/.test(e.message));
  });
}

test('a composed image pipeline: compose, one_of, p; chains replay; a sequence operator is refused', () => {
  const p = buildImagePipeline({
    name: 'five-step',
    steps: [
      { op: 'hflip', p: 0.5 },
      { op: 'one_of', steps: [{ op: 'rotate', degrees: 20, fill: 'reflect' }, { op: 'shear', degrees: 8 }] },
      { op: 'random_resized_crop', scale: [0.6, 1] },
      { op: 'compose', p: 0.8, steps: [{ op: 'brightness', max: 0.3 }, { op: 'contrast' }] },
      { op: 'cutout', p: 0.5 },
    ],
  });
  const seen = new Set<string>();
  for (let s = 0; s < 20; s++) {
    const [r] = p.augment(inputs[1]!, {}, new Rng(s));
    seen.add(r!.chain.map((e) => e.op).join(','));
    assert.deepEqual(bytes(p.replay(inputs[1]!, JSON.parse(JSON.stringify(r!.chain)), {})), bytes(r!.output));
  }
  assert.ok(seen.size > 3, `p and one_of vary the chain (${[...seen].join(' | ')})`);
  assert.equal(pipelineFromYaml(pipelineToYaml(p), { family: imageFamily }).spec.steps.length, 5);
  assert.throws(() => buildImagePipeline({ steps: [{ op: 'crop' }] }), (e: Error) => e.name === 'ConfigError' && /unknown operator 'crop'/.test(e.message));
  assert.throws(() => buildImagePipeline({ steps: [{ op: 'by_length', threshold: 3, short: { op: 'hflip' }, long: { op: 'vflip' } }] }), (e: Error) => e.name === 'ConfigError');
});
