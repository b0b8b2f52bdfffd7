import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/index.ts';
import { runEvaluation, historiesView } from '../../src/experiment/index.ts';
import { leaveOneOutSplit, loadDataset } from '../../src/data/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'samplify-eval-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const data = join(tmp, 'seqs.txt');
const rng = new Rng(11);
writeFileSync(data, Array.from({ length: 80 }, (_, u) => {
  let it = 1 + rng.int(40);
  return `${u + 1} ${Array.from({ length: 5 + rng.int(5) }, () => (it = 1 + ((it + 1 + rng.int(2)) % 40))).join(' ')}`;
}).join('\n') + '\n');

const sasrec = { model: 'sasrec' as const, config: { hidden: 8, blocks: 1, heads: 2, maxLen: 8, loss: 'ce' }, trainer: { batchSize: 16 } };

test('SASRec: the same seeds give identical metrics; results.json carries what a report needs', async () => {
  const a = await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0, 1], epochs: 2, out: join(tmp, 'a') });
  const b = await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0, 1], epochs: 2, out: join(tmp, 'b') });
  assert.deepEqual(a.test, b.test);
  assert.deepEqual(a.seeds.map((s) => s.test), b.seeds.map((s) => s.test));
  const saved = JSON.parse(readFileSync(join(tmp, 'a', 'results.json'), 'utf8'));
  for (const key of ['config', 'dataset', 'valid', 'test', 'validStd', 'testStd', 'seeds', 'backend', 'machine']) assert.ok(key in saved, key);
  assert.equal(saved.dataset.checksum.length, 64);
  assert.equal(saved.seeds.length, 2);
  assert.ok(saved.seeds[0].secondsPerEpoch > 0);
  const ranks = JSON.parse(readFileSync(join(tmp, 'a', 'ranks', 'seed0.json'), 'utf8'));
  assert.equal(ranks.test.length, saved.dataset.testCases);
});

test('rerunning the same command resumes from the checkpoints instead of retraining', async () => {
  const out = join(tmp, 'resume');
  await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0], epochs: 1, out });
  const lines: string[] = [];
  const r = await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0], epochs: 2, out, progress: { line: (l) => void lines.push(l) } });
  assert.ok(lines.some((l) => l.includes('resuming from checkpoint after epoch 1')));
  assert.equal(r.seeds[0]!.resumed, true);
});

test('sampled protocol: candidates saved once per seed and the same for every model', async () => {
  const pop = await runEvaluation({ data, format: 'seqtxt', model: { model: 'pop' }, seeds: [3], protocol: 'sampled', sampledNegatives: 20, out: join(tmp, 'sp') });
  const knn = await runEvaluation({ data, format: 'seqtxt', model: { model: 'itemknn' }, seeds: [3], protocol: 'sampled', sampledNegatives: 20, out: join(tmp, 'sk') });
  assert.equal(readFileSync(join(tmp, 'sp', 'candidates-seed3.json'), 'utf8'), readFileSync(join(tmp, 'sk', 'candidates-seed3.json'), 'utf8'));
  assert.ok(pop.test['HR@20']! >= pop.test['HR@10']!);
  assert.ok(knn.test['HR@5']! > 0);
  assert.equal(existsSync(join(tmp, 'sp', 'results.json')), true);
});

test('history-count models are refit on exactly the test histories (no test target)', async () => {
  const { dataset } = await loadDataset(data, 'seqtxt');
  const split = leaveOneOutSplit(dataset);
  const view = historiesView(split, dataset.numItems);
  for (const c of split.test) {
    const seq = view.sequence(c.user);
    assert.deepEqual(seq, c.history);
    assert.deepEqual([...seq], [...dataset.sequences[c.user]!.subarray(0, -1)]);
  }
});

test('raising the epoch cap reuses a seed that stopped early within it, and retrains one the cap cut short', async () => {
  // lr ≈ 0: validation never improves after epoch 1, so patience 2 stops every run at epoch 3.
  const frozen = { ...sasrec, trainer: { batchSize: 16, lr: 1e-12 } };
  const out = join(tmp, 'cap');
  const first = await runEvaluation({ data, format: 'seqtxt', model: frozen, seeds: [0], epochs: 6, patience: 2, out });
  assert.deepEqual([first.seeds[0]!.bestEpoch, first.seeds[0]!.epochs], [1, 3]);
  const lines: string[] = [];
  const log = { line: (l: string) => void lines.push(l) };
  const raised = await runEvaluation({ data, format: 'seqtxt', model: frozen, seeds: [0], epochs: 20, patience: 2, out, progress: log });
  assert.ok(lines.some((l) => l.includes('seed 0: already done') && l.includes('stopped early at epoch 3')));
  assert.deepEqual(raised.seeds[0], first.seeds[0]);
  // Below the epoch it stopped at, or with another patience, it is not the same run.
  lines.length = 0;
  const cut = await runEvaluation({ data, format: 'seqtxt', model: frozen, seeds: [0], epochs: 2, patience: 2, out: join(tmp, 'cap'), progress: log });
  assert.ok(lines.some((l) => l.startsWith('seed 0: fitting')));
  assert.equal(cut.seeds[0]!.epochs, 2, 'the epoch-3 checkpoint of the longer run is not resumed past the cap');
  // A run that hit its cap without stopping is trained on (from its checkpoint), not reused.
  const capped = join(tmp, 'capped');
  await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0], epochs: 2, patience: 5, out: capped });
  lines.length = 0;
  const longer = await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0], epochs: 3, patience: 5, out: capped, progress: log });
  assert.ok(lines.some((l) => l.includes('resuming from checkpoint after epoch 2')));
  assert.equal(longer.seeds[0]!.epochs, 3);
});

test('a finished seed is not redone when the same evaluation runs again', async () => {
  const out = join(tmp, 'done');
  await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0], epochs: 1, out });
  const lines: string[] = [];
  const again = await runEvaluation({ data, format: 'seqtxt', model: sasrec, seeds: [0, 1], epochs: 1, out, progress: { line: (l) => void lines.push(l) } });
  assert.ok(lines.some((l) => l.startsWith('seed 0: already done')));
  assert.ok(lines.some((l) => l.startsWith('seed 1: fitting')));
  assert.equal(again.seeds.length, 2);
});
