import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelToken, InterruptedError, Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';
import { createCtrModel } from '../../src/models/index.ts';
import { tempFolder } from '../temp-folders.ts';

const META: TableMetadata = { columns: { user: { type: 'id' }, color: { type: 'categorical' }, price: { type: 'numerical' }, label: { type: 'boolean' } } };

function table(n: number, rng: Rng): Table {
  const cols: Record<string, Cell[]> = { user: [], color: [], price: [], label: [] };
  for (let i = 0; i < n; i++) {
    const u = rng.int(80), c = ['r', 'g', 'b'][rng.int(3)]!, p = rng.next() * 100;
    cols.user!.push(`u${u}`), cols.color!.push(c), cols.price!.push(p);
    cols.label!.push((u % 2 ? 1 : -1) * (c === 'r' ? 1 : -1) + (p > 50 ? 0.5 : -0.5) + rng.next() - 0.5 > 0);
  }
  return { columns: Object.keys(cols), rowCount: n, data: cols };
}

test('deepfm: a fit interrupted after epoch 2 resumes from its checkpoint to the same epochs, best epoch and predictions', async () => {
  const rng = new Rng(3);
  const train = table(2000, rng), validation = table(500, rng);
  const cfg = { epochs: 6, patience: 2, embeddingDim: 4, hidden: [8] };
  const opts = { seed: 1, metadata: META, label: 'label', validation };
  const straight = createCtrModel('deepfm', cfg);
  const sr = await straight.fit(train, opts);
  const dir = tempFolder('ctr-resume-');
  const token = new CancelToken();
  let lines = 0;
  const progress = { line: (l: string) => void (/ epoch /.test(l) && ++lines === 2 && token.cancel()) };
  await assert.rejects(createCtrModel('deepfm', cfg).fit(train, { ...opts, checkpointDir: dir, cancel: token, progress }), InterruptedError);
  const resumed = createCtrModel('deepfm', cfg);
  const rr = await resumed.fit(train, { ...opts, checkpointDir: dir });
  const strip = (r: typeof sr) => ({ ...r, seconds: 0, epochs: r.epochs.map((e) => ({ ...e, seconds: 0 })) });
  assert.deepEqual(strip(rr), strip(sr));
  assert.deepEqual(resumed.predict(validation), straight.predict(validation));
});
