/** The few-label protocol's CNN classifier: learns the Fashion-MNIST sample, deterministic by seed, online augmentation and mixup run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Rng } from '../../../src/core/rng.ts';
import { readIdx } from '../../../src/data/index.ts';
import { buildImagePipeline } from '../../../src/augment/index.ts';
import { ImageCnnClassifier, accuracyOf } from '../../../src/models/image/cnn-classifier.ts';

const base = join(import.meta.dirname, '../../../../shared/data/fashion-mnist');
const ds = readIdx(join(base, 'sprite-images-idx3-ubyte.gz'), join(base, 'sprite-labels-idx1-ubyte.gz'));
const order = ds.samples.map((_, i) => i);
new Rng(3).shuffle(order);
const pick = (idx: number[]) => ({ images: idx.map((k) => ds.samples[k]!.image), labels: Int32Array.from(idx, (k) => ds.samples[k]!.label), numClasses: 10 });
const train = pick(order.slice(0, 500));
const valid = pick(order.slice(500, 700));
const held = pick(order.slice(700));

test('ImageCnnClassifier: learns, early-stops on validation accuracy, same seed ⇒ same predictions', async () => {
  const a = new ImageCnnClassifier({ maxEpochs: 3, patience: 2, batchSize: 50, lr: 3e-3, channels: [8, 16] });
  const ra = await a.fit(train, { seed: 1, valid });
  const accA = accuracyOf(a.predict(held.images), held.labels);
  assert.ok(accA > 0.6, `held-out accuracy ${accA}`);
  assert.ok(ra.logs.every((l) => l.validAccuracy !== undefined));
  const b = new ImageCnnClassifier({ maxEpochs: 3, patience: 2, batchSize: 50, lr: 3e-3, channels: [8, 16] });
  await b.fit(train, { seed: 1, valid });
  assert.deepEqual(Array.from(b.predictProba(held.images.slice(0, 20))), Array.from(a.predictProba(held.images.slice(0, 20))));
});

test('ImageCnnClassifier: online augmentation and mixup train; a size-changing pipeline is a ConfigError', async () => {
  const augment = buildImagePipeline({ steps: [{ op: 'hflip', p: 0.5 }, { op: 'shift', x: 0.1, y: 0.1 }] });
  const m = new ImageCnnClassifier({ maxEpochs: 2, patience: 0, batchSize: 50, lr: 3e-3, channels: [8, 16] });
  const r = await m.fit(train, { seed: 2, augment, mix: { kind: 'mixup', alpha: 0.2, p: 0.5 } });
  assert.equal(r.logs.length, 2);
  assert.ok(r.logs.every((l) => Number.isFinite(l.loss)));
  const bad = buildImagePipeline({ steps: [{ op: 'random_crop', width: 20, height: 20 }] });
  await assert.rejects(new ImageCnnClassifier({ maxEpochs: 1 }).fit(train, { seed: 1, augment: bad }), (e: Error) => e.name === 'ConfigError' && /fixed size/.test(e.message));
});
