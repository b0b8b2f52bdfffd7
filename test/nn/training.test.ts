import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelToken, InterruptedError, ModelStateError, Rng, collectingProgress, type ProgressReporter } from '../../src/core/index.ts';
import * as nn from '../../src/nn/index.ts';
import { paceLine } from '../../src/nn/index.ts';
import { tempFolder } from '../temp-folders.ts';

/**
 * A toy model on the loop: least squares y ≈ X w over 40 rows in batches of 8, with a shuffle order
 * that carries over from epoch to epoch (loop state, as TVAE's) and a validation score per epoch
 * taken from `scores` (or, without, no early stopping).
 */
function toy(o: { seed: number; maxEpochs: number; scores?: number[]; direction?: 'higher' | 'lower'; patience?: number; checkpoint?: string; cancel?: CancelToken; progress?: ProgressReporter; slowMs?: number; batch?: number }) {
  const data = new Rng(99);
  const n = 40, d = 4, B = o.batch ?? 8;
  const X = Float32Array.from({ length: n * d }, () => data.normal());
  const y = Float32Array.from({ length: n }, (_, i) => X[i * d]! - 2 * X[i * d + 1]! + 0.1 * data.normal());
  const w = nn.normalParameter('w', [d, 1], 0.1, new Rng(o.seed).split('init'));
  const adam = new nn.Adam([w], { lr: 0.05 });
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let validations = 0;
  const run = nn.runTrainingLoop<{ epoch: number; loss: number; valid?: number }>({
    label: 'toy',
    maxEpochs: o.maxEpochs,
    rng: new Rng(o.seed),
    parameters: [w],
    optimizers: [adam],
    ...(o.scores ? { earlyStopping: { metric: 'score', direction: o.direction ?? 'higher', patience: o.patience ?? 2 } } : {}),
    ...(o.checkpoint ? { checkpoint: { path: o.checkpoint, fingerprint: { toy: 1, seed: o.seed } } } : {}),
    state: { save: () => Array.from(order), load: (s) => order.set(s as number[]) },
    ...(o.progress ? { progress: o.progress } : {}),
    ...(o.cancel ? { cancel: o.cancel } : {}),
    epoch: (epoch, rng) => {
      rng.split('shuffle').shuffle(order);
      let sum = 0;
      return {
        batches: n / B,
        step: (b) => {
          const rows = order.subarray(b * B, (b + 1) * B);
          const xb = new Float32Array(B * d);
          const yb = new Float32Array(B);
          rows.forEach((r, i) => {
            xb.set(X.subarray(r * d, r * d + d), i * d);
            yb[i] = y[r]! + 0.01 * rng.split(`noise-${b}`).normal();
          });
          const diff = nn.add(nn.matmul(new nn.Tensor(xb, [B, d]), w), nn.scale(new nn.Tensor(yb, [B, 1]), -1));
          const loss = nn.mean(nn.mul(diff, diff));
          adam.zeroGrad();
          nn.backward(loss);
          adam.step();
          sum += loss.item();
          if (o.slowMs) for (const t0 = performance.now(); performance.now() - t0 < o.slowMs; );
        },
        finish: (validate) => {
          const log = { epoch, loss: sum / (n / B) };
          if (!validate) return { log };
          const score = o.scores![validations++]!;
          return { log: { ...log, valid: score }, score };
        },
      };
    },
    line: (log, improved) => `toy epoch ${log.epoch} loss ${log.loss.toFixed(4)}${improved ? ' *' : ''}`,
  });
  return { run, w };
}

test('early stopping on a lower-is-better metric keeps the best epoch and restores its weights', async () => {
  // Lowest at epoch 3, then no better for 2 epochs.
  const scores = [5, 4, 1, 2, 3, 0.5];
  const three = toy({ seed: 1, maxEpochs: 3 });
  await three.run;
  const progress = collectingProgress();
  const t = toy({ seed: 1, maxEpochs: 10, scores, direction: 'lower', progress });
  const r = await t.run;
  assert.equal(r.bestEpoch, 3);
  assert.equal(r.bestScore, 1);
  assert.equal(r.logs.length, 5);
  assert.equal(r.stoppedEarly, true);
  assert.deepEqual(Array.from(t.w.data), Array.from(three.w.data));
  assert.ok(progress.lines.some((l) => /^toy epoch 3 .* \*$/.test(l)));
  assert.ok(progress.lines.at(-1)!.startsWith('toy: early stop: no better score for 2 epochs; best epoch 3'));
  // The same scores read as higher-is-better: epoch 1 (5) is never beaten, stop after epoch 3.
  const h = await toy({ seed: 1, maxEpochs: 10, scores, direction: 'higher' }).run;
  assert.equal(h.bestEpoch, 1);
  assert.equal(h.logs.length, 3);
});

test('a run interrupted mid-epoch resumes from its checkpoint and ends with the weights of an uninterrupted run', async () => {
  const dir = tempFolder('loop-');
  const path = join(dir, 'checkpoint.bin');
  const scores = [1, 2, 3, 2.5, 4, 3, 3.5, 5];
  const straight = toy({ seed: 4, maxEpochs: 8, scores, patience: 3 });
  const sr = await straight.run;
  const cancel = new CancelToken();
  let lines = 0;
  // Cancel during epoch 4: its batches stop; the checkpoint after epoch 3 stays.
  const first = toy({ seed: 4, maxEpochs: 8, scores, patience: 3, checkpoint: path, cancel, progress: { line: () => void (++lines === 4 && /* epoch 1, its pace line, epochs 2 and 3 */ setImmediate(() => cancel.cancel())) }, slowMs: 30 });
  await assert.rejects(first.run, (e: unknown) => e instanceof InterruptedError && /toy: interrupted during epoch 4; the checkpoint after epoch 3 is intact/.test(e.message));
  assert.ok(existsSync(path));
  const progress = collectingProgress();
  const again = toy({ seed: 4, maxEpochs: 8, scores: scores.slice(3), patience: 3, checkpoint: path, progress });
  const ar = await again.run;
  assert.equal(ar.resumed, true);
  assert.match(progress.lines[0]!, /^toy: resuming from checkpoint after epoch 3 \(best 3\.0000 at epoch 3\)/);
  assert.deepEqual(Array.from(again.w.data), Array.from(straight.w.data));
  assert.deepEqual(ar.logs.map((l) => [l.epoch, l.loss, l.valid]), sr.logs.map((l) => [l.epoch, l.loss, l.valid]));
  assert.equal(ar.bestEpoch, sr.bestEpoch);
  // A finished run's checkpoint: nothing left to train, same weights.
  const done = toy({ seed: 4, maxEpochs: 8, scores: [], patience: 3, checkpoint: path });
  assert.equal((await done.run).logs.length, sr.logs.length);
  assert.deepEqual(Array.from(done.w.data), Array.from(straight.w.data));
});

test('a checkpoint with another fingerprint is not resumed; an unreadable one is a ModelStateError naming the file', async () => {
  const dir = tempFolder('loop-');
  const path = join(dir, 'checkpoint.bin');
  await toy({ seed: 1, maxEpochs: 2, checkpoint: path }).run;
  const other = await toy({ seed: 2, maxEpochs: 2, checkpoint: path }).run;
  assert.equal(other.resumed, false);
  writeFileSync(path, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  await assert.rejects(toy({ seed: 2, maxEpochs: 2, checkpoint: path }).run, (e: unknown) => e instanceof ModelStateError && e.message.includes('unreadable checkpoint') && JSON.stringify(e).includes(path));
});

test('a cancel that arrives from the event loop is seen even when every epoch is a single batch', async () => {
  // Ctrl-C reaches the loop through a SIGINT handler, which only runs when the loop yields; an
  // epoch of few batches must yield too. Here every batch takes 30 ms and the cancel comes from a timer.
  const cancel = new CancelToken();
  let epochs = 0;
  const t = toy({ seed: 1, maxEpochs: 1000, cancel, slowMs: 30, batch: 40, progress: { line: () => void epochs++ } });
  setTimeout(() => cancel.cancel(), 100);
  await assert.rejects(t.run, InterruptedError);
  assert.ok(epochs < 10, `${epochs} epochs ran after the cancel`);
});

test('after the first epoch the loop says how long the rest can take', async () => {
  const progress = collectingProgress();
  await toy({ seed: 1, maxEpochs: 5, scores: [1, 2, 3, 4, 5], patience: 10, progress });
  const pace = progress.lines.filter((l) => / epoch took /.test(l));
  assert.equal(pace.length, 1, progress.lines.join('\n'));
  assert.match(pace[0]!, /^toy: 1 epoch took \d+\.\d s; the remaining 4 take up to ~\d+ s \(early stopping may end sooner\)$/);
  assert.equal(paceLine(30, 300, false), '1 epoch took 30.0 s; the remaining 300 take ~2.5 h');
  assert.equal(paceLine(2, 30, false), '1 epoch took 2.0 s; the remaining 30 take ~60 s');
  assert.equal(paceLine(10, 30, true), '1 epoch took 10.0 s; the remaining 30 take up to ~5 min (early stopping may end sooner)');
});
