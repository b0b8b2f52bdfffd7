/**
 * The contract of every image synthesizer entry: same seed + images ⇒ byte-identical samples;
 * save → load ⇒ byte-identical samples; a conditional model honours `conditions.label` and an
 * unconditional one refuses it with a ConfigError; samples have the training size, channels and
 * byte range; a bad parameter is a ConfigError naming its key path; a checkpointed fit resumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ConfigError, DataValidationError, Rng } from '../../src/core/index.ts';
import type { ImageSample } from '../../src/data/index.ts';
import { imageSynthesizers, loadImageSynthesizer } from '../../src/synth/index.ts';
import { assertConfigError, checkBadParams, tempDir } from './helpers.ts';

/** Tiny networks: every entry's schema takes a subset of these keys. */
const TINY: Record<string, unknown> = { batchSize: 8, initStd: 0.3, zDim: 4, latentDim: 3, generatorChannels: [4, 3], discriminatorChannels: [3, 4], channels: [3, 4] };
const tinyParams = (keys: readonly string[]): Record<string, unknown> => Object.fromEntries(Object.entries(TINY).filter(([k]) => keys.includes(k)));
const keysOf = (name: string): string[] => Object.keys(imageSynthesizers.entry(name).defaults as Record<string, unknown>);

/** 24 grey 8×8 images of two classes: class 0 bright on top, class 1 bright on the left, with noise. */
function twoClassImages(): ImageSample[] {
  const rng = new Rng(3);
  return Array.from({ length: 24 }, (_, i) => {
    const label = i % 2;
    const data = new Uint8Array(64);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) data[y * 8 + x] = Math.min(255, ((label === 0 ? y < 4 : x < 4) ? 200 : 30) + rng.int(40));
    return { image: { width: 8, height: 8, channels: 1 as const, data }, label, source: `synthetic#${i}` };
  });
}

const images = twoClassImages();
const bytesOf = (s: readonly ImageSample[]): string => Buffer.concat(s.map((x) => Buffer.from(x.image.data))).toString('base64') + JSON.stringify(s.map((x) => x.label));

for (const entry of imageSynthesizers.entries()) {
  const params = tinyParams(keysOf(entry.name));
  const fit = async (extra: Record<string, unknown> = {}) => {
    const s = imageSynthesizers.create(entry.name, { ...params, ...extra });
    const report = await s.fit(images, { seed: 5, epochs: 2 });
    return { s, report };
  };

  test(`image synthesizer ${entry.name}: same seed ⇒ same samples; save → load ⇒ same samples; shape and range`, async () => {
    const { s: a, report } = await fit();
    const { s: b } = await fit();
    assert.equal(report.losses.length, 2, 'one loss point per epoch');
    for (const p of report.losses) for (const [k, v] of Object.entries(p)) assert.ok(Number.isFinite(v), `${k} is finite`);
    assert.ok(report.losses.every((p) => (p.seconds ?? -1) >= 0), 'per-epoch seconds');
    const sa = a.sample(10, { seed: 9 });
    assert.equal(bytesOf(b.sample(10, { seed: 9 })), bytesOf(sa), 'same seed and images ⇒ byte-identical samples');
    assert.notEqual(bytesOf(a.sample(10, { seed: 10 })), bytesOf(sa), 'another sample seed ⇒ other images');
    assert.equal(sa.length, 10);
    for (const x of sa) {
      assert.deepEqual([x.image.width, x.image.height, x.image.channels, x.image.data.length], [8, 8, 1, 64]);
      assert.ok(x.image.data instanceof Uint8Array);
      assert.ok(a.conditional ? x.label === 0 || x.label === 1 : x.label === -1, `label ${x.label}`);
    }
    assert.equal(a.sample(0, { seed: 1 }).length, 0);
    // A sample of 300 spans two generation batches; its first 10 equal the 10-sample (batch independence).
    assert.equal(bytesOf(a.sample(300, { seed: 9 }).slice(0, 10)), bytesOf(sa), 'a larger request starts with the same images');
    const tmp = tempDir(`samplify-image-contract-${entry.name}-`);
    try {
      a.save(tmp.path('model.json'));
      const loaded = imageSynthesizers.create(entry.name, {});
      loaded.load(tmp.path('model.json'));
      assert.equal(bytesOf(loaded.sample(10, { seed: 9 })), bytesOf(sa), 'loaded model samples byte-identically');
      assert.equal(bytesOf(loadImageSynthesizer(tmp.path('model.json')).sample(10, { seed: 9 })), bytesOf(sa), 'loadImageSynthesizer reads the kind');
      assert.equal(loaded.conditional, a.conditional);
    } finally {
      tmp.cleanup();
    }
  });

  test(`image synthesizer ${entry.name}: a condition is honoured (conditional) or refused (unconditional)`, async () => {
    const { s } = await fit();
    if (s.conditional) {
      for (const label of [0, 1]) assert.ok(s.sample(6, { seed: 2, conditions: { label } }).every((x) => x.label === label), `every sample has label ${label}`);
      assertConfigError(() => s.sample(3, { seed: 2, conditions: { label: 7 } }), 'conditions.label', `${entry.name}: unseen label`);
    } else {
      assertConfigError(() => s.sample(3, { seed: 2, conditions: { label: 0 } }), 'conditions.label', `${entry.name}: unconditional`);
    }
    assertConfigError(() => s.sample(3, { seed: 2, conditions: { label: 0, colour: 'red' } as never }), 'conditions.colour', `${entry.name}: unknown condition`);
  });

  test(`image synthesizer ${entry.name}: bad params are ConfigErrors naming the key path; bad images are DataValidationErrors`, async () => {
    assert.ok(entry.description.length > 0);
    assert.deepEqual(imageSynthesizers.parse(entry.name, {}), entry.defaults);
    checkBadParams(entry.schema, [], (raw) => imageSynthesizers.parse(entry.name, raw, ['synthesizer', 'params']), 'synthesizer.params.', entry.name);
    assertConfigError(() => imageSynthesizers.create(entry.name, { hiden_typo: 1 }), 'hiden_typo', entry.name);
    assert.throws(() => imageSynthesizers.create(entry.name, {}).sample(1), (e: Error) => e.name === 'ModelStateError', 'sample before fit');
    const odd = [...images.slice(0, 3), { ...images[3]!, image: { width: 4, height: 4, channels: 1 as const, data: new Uint8Array(16) } }];
    await assert.rejects(imageSynthesizers.create(entry.name, params).fit(odd, { seed: 1, epochs: 1 }), (e: unknown) => e instanceof DataValidationError && e.location.field === 'samples[3].image');
    await assert.rejects(imageSynthesizers.create(entry.name, params).fit(images, { seed: 1, epochs: 0 }), (e: unknown) => e instanceof ConfigError && e.location.field === 'epochs');
  });

  test(`image synthesizer ${entry.name}: a checkpointed fit resumes to the same weights as an uninterrupted one`, async () => {
    const tmp = tempDir(`samplify-image-ckpt-${entry.name}-`);
    try {
      const first = imageSynthesizers.create(entry.name, params);
      await first.fit(images, { seed: 5, epochs: 1, checkpointDir: tmp.dir });
      assert.ok(existsSync(tmp.path('checkpoint.bin')));
      const resumed = imageSynthesizers.create(entry.name, params);
      const r = await resumed.fit(images, { seed: 5, epochs: 2, checkpointDir: tmp.dir });
      assert.equal(r.resumed, true);
      const { s: straight } = await fit();
      assert.equal(bytesOf(resumed.sample(8, { seed: 3 })), bytesOf(straight.sample(8, { seed: 3 })), 'resumed = uninterrupted');
    } finally {
      tmp.cleanup();
    }
  });
}

test('image synthesizers on unlabelled images: conv-vae becomes unconditional and refuses a label; conditional-dcgan rejects them', async () => {
  const unlabelled = images.map((s) => ({ ...s, label: -1 }));
  const vae = imageSynthesizers.create('conv-vae', tinyParams(keysOf('conv-vae')));
  await vae.fit(unlabelled, { seed: 1, epochs: 1 });
  assert.equal(vae.conditional, false);
  assert.ok(vae.sample(4, { seed: 1 }).every((x) => x.label === -1));
  assertConfigError(() => vae.sample(2, { seed: 1, conditions: { label: 0 } }), 'conditions.label', 'unconditional conv-vae');
  const off = imageSynthesizers.create('conv-vae', { ...tinyParams(keysOf('conv-vae')), conditional: false });
  await off.fit(images, { seed: 1, epochs: 1 });
  assert.equal(off.conditional, false, 'conditional: false ignores the labels');
  await assert.rejects(imageSynthesizers.create('conditional-dcgan', tinyParams(keysOf('conditional-dcgan'))).fit(unlabelled, { seed: 1, epochs: 1 }), (e: unknown) => e instanceof DataValidationError && e.location.field === 'samples[0].label');
});
