import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Rng, ConfigError } from '../../src/core/index.ts';
import { readCheckpoint } from '../../src/nn/index.ts';
import { checkExperimentPipelines, parseExperimentConfig, readExperimentConfig, runLiftExperiment } from '../../src/experiment/index.ts';
import { loadPipeline } from '../../src/augment/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'samplify-lift-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const data = join(tmp, 'seqs.txt');
const rng = new Rng(5);
writeFileSync(data, Array.from({ length: 60 }, (_, u) => {
  let it = 1 + rng.int(30);
  return `${u + 1} ${Array.from({ length: 4 + rng.int(8) }, () => (it = 1 + ((it + 1 + rng.int(2)) % 30))).join(' ')}`;
}).join('\n') + '\n');

/** A SASRec small enough for a test: a lift run takes seconds. */
const tinySasrec = (loss: 'ce' | 'bce') => ({ model: 'sasrec', config: { hidden: 8, blocks: 1, heads: 2, maxLen: 10, loss }, trainer: { batchSize: 16 } });

test('config errors name the bad key and what was expected', () => {
  const ok = { data: { path: data }, model: { model: 'sasrec' }, arms: [{ name: 'a', pipeline: 'x.yaml' }] };
  assert.equal(parseExperimentConfig(ok).seeds, 3);
  const bad = (raw: unknown, field: RegExp, msg: RegExp) => {
    try {
      parseExperimentConfig(raw, 'exp.yaml');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(e.location.field ?? '', field);
      assert.match(e.message, msg);
    }
  };
  bad({ ...ok, seeds: 0 }, /^seeds$/, />=1/);
  bad({ ...ok, arms: [{ name: 'a', pipeline: 'x.yaml', views: -1 }] }, /^arms\[0\]\.views$/, />=1/);
  bad({ ...ok, model: { model: 'bert4rec' } }, /^model\.model$/, /sasrec/);
  bad({ ...ok, epoch: 3 }, /epoch/, /Unrecognized key/);
  bad({ ...ok, arms: [] }, /^arms$/, />=1|too small/i);
});

test('a missing or malformed config file is a ConfigError naming the file', () => {
  assert.throws(() => readExperimentConfig(join(tmp, 'none.yaml')), /config file not found/);
  const f = join(tmp, 'broken.yaml');
  writeFileSync(f, 'name: [unclosed\n');
  assert.throws(() => readExperimentConfig(f), (e: unknown) => e instanceof ConfigError && e.location.file === f);
});

test('lift experiment end to end on a tiny set: baseline and an arm, paired test, segments, CSV; resumes', async () => {
  const config = parseExperimentConfig({
    name: 'tiny',
    data: { path: data },
    model: tinySasrec('bce'),
    seeds: 2,
    epochs: 2,
    bootstrap: { resamples: 200 },
    arms: [
      { name: 'crop-reorder', pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml'), views: 2 },
      { name: 'crop-reorder-disc', pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml'), views: 2, align: 'discriminator', keepShare: 0.5 },
    ],
  });
  const out = join(tmp, 'out');
  const r = await runLiftExperiment({ config, baseDir: tmp, out });
  assert.deepEqual(r.arms.map((a) => a.name), ['baseline', 'crop-reorder', 'crop-reorder-disc']);
  const disc = r.arms[2]!.alignment!;
  assert.equal(disc.method, 'discriminator');
  assert.equal(disc.kept, Math.ceil(disc.augmentedSamples * 0.5));
  assert.ok(disc.discriminatorAuc! >= 0 && disc.discriminatorAuc! <= 1);
  assert.ok(r.arms[2]!.trainSequences < r.arms[1]!.trainSequences);
  assert.deepEqual(r.arms[1]!.alignment!.before, r.arms[1]!.alignment!.after, 'no alignment: nothing changes');
  const arm = r.arms[1]!;
  assert.ok(arm.trainSequences > r.arms[0]!.trainSequences, 'the arm trains on more sequences');
  assert.ok(arm.significance!.tTest.pValue >= 0 && arm.significance!.tTest.pValue <= 1);
  assert.ok(arm.significance!.bootstrap.lo <= arm.significance!.bootstrap.hi);
  // The seed-level test pairs each arm run with the baseline run of the same seed.
  const seedNdcg = (name: string, seed: number): number => JSON.parse(readFileSync(join(out, 'arms', name, 'seeds', `seed${seed}.json`), 'utf8')).result.test['NDCG@20'];
  assert.deepEqual(arm.significance!.seeds.diffs, [0, 1].map((s) => seedNdcg('crop-reorder', s) - seedNdcg('baseline', s)));
  assert.equal(arm.significance!.seeds.better, arm.significance!.seeds.diffs.filter((d) => d > 0).length);
  assert.ok(Array.isArray((arm.segments as { historyLength: unknown[] }).historyLength));
  const byCount = (arm.segments as { targetCount: { segment: string; n: number }[] }).targetCount;
  assert.deepEqual(byCount.map((r) => r.segment), ['≤5', '>5']);
  assert.equal(byCount[0]!.n + byCount[1]!.n, (arm.significance!.tTest as { n: number }).n, 'every test user in one bucket');
  assert.match(r.table, /crop-reorder/);
  const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(saved.arms.length, 3);
  assert.ok(existsSync(join(out, 'results.csv')));
  const lines: string[] = [];
  const again = await runLiftExperiment({ config, baseDir: tmp, out, progress: { line: (l) => void lines.push(l) } });
  assert.equal(lines.filter((l) => /already done/.test(l)).length, 6, 'every (arm, seed) run is reused');
  assert.deepEqual(again.arms.map((a) => a.test), r.arms.map((a) => a.test));
});

test('arms may train with online augmentation or a contrastive objective; an arm with neither is a ConfigError', async () => {
  const base = { data: { path: data }, model: { model: 'sasrec' } };
  assert.throws(() => parseExperimentConfig({ ...base, arms: [{ name: 'empty' }] }), (e: unknown) => e instanceof ConfigError && /at least one of pipeline/.test(e.message));
  assert.throws(() => parseExperimentConfig({ ...base, arms: [{ name: 'x', contrastive: { pipeline: 'p.yaml', temperature: 0 } }] }), (e: unknown) => e instanceof ConfigError && /contrastive\.temperature/.test(e.location.field ?? ''));
  const config = parseExperimentConfig({
    name: 'tiny-train-aug',
    data: { path: data },
    model: tinySasrec('ce'),
    seeds: 1,
    epochs: 1,
    bootstrap: { resamples: 100 },
    arms: [
      { name: 'cl4srec', contrastive: { pipeline: join(root, 'examples', 'pipelines', 'cl4srec.yaml') } },
      { name: 'online', online: { pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml'), probability: 0.5 } },
      { name: 'input-mask', online: { pipeline: join(root, 'examples', 'pipelines', 'input-mask.yaml'), probability: 1, keepTargets: true } },
      {
        // The default recipe's shape: neighbours from the item embedding of a model trained on the training view.
        name: 'input-substitute-embedding',
        online: {
          pipeline: { version: 1, resources: { similarity: { kind: 'model-embedding', topK: 5, model: { epochs: 1, config: tinySasrec('ce').config } } }, steps: [{ op: 'substitute', ratio: 0.5 }] },
          probability: 1,
          keepTargets: true,
        },
      },
    ],
  });
  const lines: string[] = [];
  const r = await runLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'out-train-aug'), progress: { line: (l) => void lines.push(l) } });
  const [baseline, cl, online, inputMask, substitute] = r.arms;
  assert.ok(lines.some((l) => l.startsWith('similarity: cosine of the trained sasrec item embeddings')));
  assert.equal(readdirSync(join(tmp, 'out-train-aug', 'generators')).filter((d) => d.startsWith('forward-')).length, 1, 'the similarity model is cached beside the generators');
  assert.notDeepEqual(substitute!.test, baseline!.test);
  // keepTargets with the mask operator: the experiment gave SASRec a mask embedding, and says so.
  assert.equal((inputMask!.training as { online: { keepTargets?: boolean } }).online.keepTargets, true);
  assert.notDeepEqual(inputMask!.test, baseline!.test);
  // A length-changing pipeline cannot keep targets aligned: refused by name.
  const cropKeep = parseExperimentConfig({
    name: 'tiny-keep-crop', data: { path: data }, model: tinySasrec('ce'), seeds: 1, epochs: 1, bootstrap: { resamples: 100 },
    arms: [{ name: 'crop-keep', online: { pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml'), probability: 1, keepTargets: true } }],
  });
  await assert.rejects(runLiftExperiment({ config: cropKeep, baseDir: tmp, out: join(tmp, 'out-keep-crop') }), (e: unknown) => e instanceof ConfigError && /length-preserving/.test(e.message) && e.location.field === 'arms.crop-keep.online.keepTargets');
  assert.equal(cl!.trainSequences, baseline!.trainSequences, 'nothing is added offline');
  assert.equal((cl!.training as { contrastive: { weight: number } }).contrastive.weight, 0.1);
  assert.equal((online!.training as { online: { probability: number } }).online.probability, 0.5);
  assert.notDeepEqual(cl!.test, baseline!.test);
  assert.notDeepEqual(online!.test, baseline!.test);
});

test('several workers share one output folder: a run locked by a live process is skipped, a stale lock is taken over', async () => {
  const config = parseExperimentConfig({
    name: 'tiny-workers',
    data: { path: data },
    model: { model: 'pop' },
    seeds: 2,
    bootstrap: { resamples: 100 },
    arms: [{ name: 'crop', pipeline: join(root, 'examples', 'pipelines', 'crop-reorder.yaml') }],
  });
  const out = join(tmp, 'out-workers');
  mkdirSync(join(out, 'arms', 'crop', 'seeds'), { recursive: true });
  // pid 1 is alive in every environment; 2^22 + 12345 exceeds Linux's pid_max, so it is never alive.
  writeFileSync(join(out, 'arms', 'crop', 'seeds', 'seed1.lock'), '1');
  writeFileSync(join(out, 'arms', 'crop', 'seeds', 'seed0.lock'), String(2 ** 22 + 12345));
  const first = await runLiftExperiment({ config, baseDir: tmp, out });
  assert.deepEqual(first.pending, ['crop/seed1']);
  assert.equal(existsSync(join(out, 'results.json')), false, 'nothing is aggregated while a run is pending');
  assert.ok(existsSync(join(out, 'arms', 'crop', 'seeds', 'seed0.json')), 'the stale lock was taken over and the run done');
  assert.equal(existsSync(join(out, 'arms', 'crop', 'seeds', 'seed0.lock')), false, 'the lock is released');
  rmSync(join(out, 'arms', 'crop', 'seeds', 'seed1.lock'));
  const second = await runLiftExperiment({ config, baseDir: tmp, out });
  assert.equal(second.pending, undefined);
  assert.equal(second.arms.length, 2);
  assert.ok(existsSync(join(out, 'results.json')));
});

test('an arm can add synthetic users from a sequence synthesizer fitted on the training view only', async () => {
  const base = { data: { path: data }, model: { model: 'sasrec' } };
  assert.throws(
    () => parseExperimentConfig({ ...base, arms: [{ name: 'both', pipeline: 'p.yaml', synthesize: { model: 'markov' } }] }),
    (e: unknown) => e instanceof ConfigError && /either augmented views .* or synthetic users/.test(e.message) && e.location.field === 'arms[0].synthesize',
  );
  assert.throws(
    () => parseExperimentConfig({ ...base, arms: [{ name: 'imp', synthesize: { model: 'markov' }, align: 'importance', keepOriginal: false }] }),
    (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].align' && /keepOriginal: true/.test(e.message),
  );
  assert.throws(() => parseExperimentConfig({ ...base, arms: [{ name: 'x', synthesize: { model: 'gan' } }] }), (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].synthesize.model');
  const config = parseExperimentConfig({
    name: 'tiny-synth',
    data: { path: data },
    model: tinySasrec('ce'),
    seeds: 1,
    epochs: 1,
    bootstrap: { resamples: 100 },
    arms: [
      { name: 'markov-users', synthesize: { model: 'markov', share: 0.5 } },
      { name: 'markov-users-pop', synthesize: { model: 'markov', share: 0.5 }, align: 'popularity' },
      { name: 'markov-users-imp', synthesize: { model: 'markov', share: 0.5 }, align: 'importance' },
    ],
  });
  const firstLines: string[] = [];
  const r = await runLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'out-synth'), progress: { line: (l) => void firstLines.push(l) } });
  assert.equal(firstLines.filter((l) => /markov fitted on/.test(l)).length, 3, 'each arm fits its synthesizer once');
  const [baseline, markov, aligned, weighted] = r.arms;
  assert.equal(markov!.trainSequences, baseline!.trainSequences + 30, '0.5 × 60 real users added');
  assert.equal(markov!.alignment!.augmentedSamples, 30);
  assert.deepEqual(markov!.synthesize, { model: 'markov', config: {}, share: 0.5 });
  assert.equal(aligned!.alignment!.method, 'popularity');
  assert.ok(aligned!.alignment!.kept > 0 && aligned!.alignment!.kept <= 30);
  assert.notDeepEqual(markov!.test, baseline!.test);
  // Importance weighting keeps every synthetic user and weights its loss instead.
  const imp = weighted!.alignment!;
  assert.equal(imp.method, 'importance');
  assert.equal(imp.kept, 30);
  assert.equal(weighted!.trainSequences, baseline!.trainSequences + 30);
  assert.ok(imp.effectiveSampleSize! > 0 && imp.effectiveSampleSize! <= 30 + 1e-9);
  assert.ok(imp.discriminatorAuc! >= 0 && imp.discriminatorAuc! <= 1);
  assert.notDeepEqual(weighted!.test, markov!.test, 'the weights reach the trainer');
  // A rerun reuses the saved synthetic users instead of refitting the synthesizer, and gets the same results.
  const lines: string[] = [];
  const again = await runLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'out-synth'), progress: { line: (l) => void lines.push(l) } });
  assert.equal(lines.filter((l) => /markov fitted on/.test(l)).length, 0, 'no refit on rerun');
  assert.deepEqual(again.arms.map((a) => a.test), r.arms.map((a) => a.test));
  assert.deepEqual(again.arms.map((a) => a.alignment?.after), r.arms.map((a) => a.alignment?.after));
});

test('synthetic users as pre-training: trained first, then the real users alone; the pre-training epochs are never selected', async () => {
  const base = { data: { path: data }, model: { model: 'sasrec' } };
  assert.throws(
    () => parseExperimentConfig({ ...base, arms: [{ name: 'p', synthesize: { model: 'markov', pretrain: { epochs: 2 } }, keepOriginal: false }] }),
    (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].synthesize.pretrain' && /keepOriginal: true/.test(e.message),
  );
  assert.throws(() => parseExperimentConfig({ ...base, arms: [{ name: 'p', synthesize: { model: 'markov', pretrain: { epochs: 0 } } }] }), (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].synthesize.pretrain.epochs');
  const config = parseExperimentConfig({
    name: 'tiny-pretrain',
    data: { path: data },
    model: tinySasrec('ce'),
    seeds: 1,
    epochs: 4,
    patience: 10,
    bootstrap: { resamples: 100 },
    arms: [
      { name: 'mixed', synthesize: { model: 'markov', share: 0.5 } },
      { name: 'pretrain', synthesize: { model: 'markov', share: 0.5, pretrain: { epochs: 2 } } },
      { name: 'pretrain-with-real', synthesize: { model: 'markov', share: 0.5, pretrain: { epochs: 2, withReal: true } } },
    ],
  });
  const out = join(tmp, 'out-pretrain');
  const r = await runLiftExperiment({ config, baseDir: tmp, out });
  const [, mixed, pretrain, withReal] = r.arms;
  assert.deepEqual(pretrain!.synthesize, { model: 'markov', config: {}, share: 0.5, pretrain: { epochs: 2, withReal: false } });
  const curve = (arm: string) => readCheckpoint(join(out, 'arms', arm, 'checkpoints', 'seed0', 'checkpoint.bin'))!.meta['logs'] as { epoch: number; valid?: unknown }[];
  for (const arm of ['pretrain', 'pretrain-with-real']) {
    assert.deepEqual(curve(arm).filter((e) => e.valid !== undefined).map((e) => e.epoch), [3, 4], `${arm}: epochs 1–2 are pre-training, not validated`);
    const seedFile = JSON.parse(readFileSync(join(out, 'arms', arm, 'seeds', 'seed0.json'), 'utf8')) as { result: { bestEpoch: number } };
    assert.ok(seedFile.result.bestEpoch >= 3, `${arm}: best epoch ${seedFile.result.bestEpoch} is a pre-training epoch`);
  }
  assert.equal(curve('mixed').filter((e) => e.valid !== undefined).length, 4);
  // The three ways of using the same synthetic users train different models.
  assert.notDeepEqual(pretrain!.test, mixed!.test);
  assert.notDeepEqual(pretrain!.test, withReal!.test);
});

test('a seed whose synthesizer another worker is fitting is left to that worker, not fitted a second time', async () => {
  const config = parseExperimentConfig({
    name: 'tiny-synth-shared',
    data: { path: data },
    model: tinySasrec('ce'),
    seeds: 1,
    epochs: 1,
    bootstrap: { resamples: 100 },
    arms: [{ name: 'markov-users', synthesize: { model: 'markov', share: 0.5 } }],
  });
  const out = join(tmp, 'out-synth-shared');
  // A first run leaves the sample; keep it aside and start over with another live worker's lock on it.
  await runLiftExperiment({ config, baseDir: tmp, out });
  const cache = join(out, 'arms', 'markov-users', 'synthetic', 'seed0.json');
  const sample = readFileSync(cache, 'utf8');
  rmSync(join(out, 'arms', 'markov-users'), { recursive: true, force: true });
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(`${cache}.lock`, String(process.ppid)); // alive, and not this process
  const lines: string[] = [];
  const held = await runLiftExperiment({ config, baseDir: tmp, out, progress: { line: (l) => void lines.push(l) } });
  assert.deepEqual(held.pending, ['markov-users/seed0']);
  assert.ok(lines.some((l) => /another worker is fitting its synthesizer and will train it; skipped here/.test(l)), lines.join(' | '));
  assert.equal(lines.filter((l) => /markov fitted on/.test(l)).length, 0, 'not fitted here');
  assert.equal(readFileSync(`${cache}.lock`, 'utf8'), String(process.ppid), "the other worker's lock is left alone");
  // The other worker saves its sample and lets go; a rerun trains on that sample without fitting.
  writeFileSync(cache, sample);
  rmSync(`${cache}.lock`);
  lines.length = 0;
  const r = await runLiftExperiment({ config, baseDir: tmp, out, progress: { line: (l) => void lines.push(l) } });
  assert.equal(r.pending, undefined);
  assert.equal(lines.filter((l) => /markov fitted on/.test(l)).length, 0);
  assert.equal(r.arms[1]!.trainSequences, r.arms[0]!.trainSequences + 30);
});

test('an arm can change the model config (side information): merged onto the baseline, checked at parse time, trained as its own arm', async () => {
  const attrs = join(tmp, 'attrs.json');
  writeFileSync(attrs, JSON.stringify(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [String(i + 1), [i % 4, 10 + (i % 3)]]))));
  const base = { name: 'tiny-fusion', data: { path: data }, model: tinySasrec('ce'), seeds: 1, epochs: 2, bootstrap: { resamples: 100 } };
  // A typo inside the arm's model change names the merged path; a model change alone is an arm.
  assert.throws(
    () => parseExperimentConfig({ ...base, arms: [{ name: 'fused', model: { config: { sideInfo: { attributes: attrs, fusion: 'sideways' } } } }] }),
    (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].model.config.sideInfo.fusion',
  );
  assert.throws(
    () => parseExperimentConfig({ ...base, arms: [{ name: 'fused', model: { config: { hiden: 4 } } }] }),
    (e: unknown) => e instanceof ConfigError && /arms\[0\]\.model\.config/.test(e.location.field ?? '') && /hiden/.test(e.message),
  );
  const config = parseExperimentConfig({ ...base, arms: [{ name: 'fused', model: { config: { sideInfo: { attributes: attrs, fusion: 'gate' } } } }] });
  const out = join(tmp, 'out-fusion');
  const r = await runLiftExperiment({ config, baseDir: tmp, out });
  assert.deepEqual(r.arms.map((a) => a.name), ['baseline', 'fused']);
  assert.equal(r.arms[1]!.trainSequences, r.arms[0]!.trainSequences, 'the same training data');
  const seedRun = (arm: string) => JSON.parse(readFileSync(join(out, 'arms', arm, 'seeds', 'seed0.json'), 'utf8')) as { model?: { config?: Record<string, unknown> } };
  const fusedModel = JSON.stringify(seedRun('fused'));
  assert.match(fusedModel, /"fusion":"gate"/, 'the arm trained the fused model');
  assert.match(fusedModel, /"hidden":8/, 'on top of the baseline config');
  assert.doesNotMatch(JSON.stringify(seedRun('baseline')), /sideInfo/);
  assert.notDeepEqual(r.arms[1]!.test, r.arms[0]!.test);
});

test('an attribute-aware offline arm: samples.json shows augmented samples beside their source with the changed items\' attributes', async () => {
  const attrs = join(tmp, 'attrs-samples.json');
  writeFileSync(attrs, JSON.stringify(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [String(i + 1), [`brand${i % 3}`, `cat${i % 5}`]]))));
  const pipeline = { resources: { similarity: { kind: 'attribute-jaccard', topK: 5 }, attributes: attrs }, steps: [{ op: 'substitute', sameAttribute: true, p: 0.5 }] };
  const config = parseExperimentConfig({ name: 'tiny-attr', data: { path: data }, model: { model: 'pop' }, seeds: 1, bootstrap: { resamples: 100 }, arms: [{ name: 'substitute', pipeline }] });
  const out = join(tmp, 'out-attr-samples');
  await runLiftExperiment({ config, baseDir: tmp, out });
  const s = JSON.parse(readFileSync(join(out, 'arms', 'substitute', 'samples.json'), 'utf8')) as { samples: { source: string[]; augmented: string[] }[]; itemAttributes: Record<string, string[]> };
  assert.ok(s.samples.length > 0);
  for (const x of s.samples) {
    assert.equal(x.augmented.length, x.source.length, 'substitution keeps the length');
    for (const it of [...x.source, ...x.augmented]) assert.deepEqual([...s.itemAttributes[it]!].sort(), [`brand${(Number(it) - 1) % 3}`, `cat${(Number(it) - 1) % 5}`]);
  }
  const { buildReport } = await import('../../src/report/index.ts');
  const page = await buildReport(out);
  assert.match(page.html, /id="augmented-samples-0"/);
  if (s.samples.some((x) => x.source.join() !== x.augmented.join())) assert.match(page.html, /id="augmented-item-attributes"/);
});

test("a generator that is exactly the baseline's first epochs is taken from the baseline's run: same weights, same results, trained once", async () => {
  const model = tinySasrec('ce');
  const similarity = { kind: 'model-embedding', topK: 5, model: { epochs: 2, seed: 0, config: model.config, trainer: model.trainer } };
  const config = parseExperimentConfig({
    name: 'tiny-reuse', data: { path: data }, model, seeds: 2, epochs: 3, patience: 10, bootstrap: { resamples: 100 },
    arms: [{ name: 'neighbours', online: { pipeline: { version: 1, resources: { similarity }, steps: [{ op: 'substitute', ratio: 0.5 }] }, probability: 1, keepTargets: true } }],
  });
  const lines: string[] = [];
  const reused = join(tmp, 'out-reuse');
  await runLiftExperiment({ config, baseDir: tmp, out: reused, progress: { line: (l) => void lines.push(l) } });
  assert.ok(lines.some((l) => /1 generator\(s\) are the first 2 epochs of the baseline's seed-0 run/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /generator \(forward\): loaded .* \(the baseline's seed-0 run after epoch 2\)/.test(l)), 'the generator is the snapshot, not a new fit');
  assert.equal(lines.filter((l) => /^seed 0: fitting sasrec/.test(l)).length, 2, 'seed 0 is fitted twice (baseline, arm), nothing else of it — the baseline is not rerun');
  // The same experiment with the generator trained on its own: identical generator weights and results.
  const trained = join(tmp, 'out-no-reuse');
  await runLiftExperiment({ config, baseDir: tmp, out: trained, reuseBaselineRuns: false });
  const [gen] = readdirSync(join(trained, 'generators')).filter((d) => d.startsWith('forward-'));
  assert.ok(gen && existsSync(join(reused, 'generators', gen)), 'same cache key');
  assert.deepEqual(readFileSync(join(reused, 'generators', gen, 'weights.bin')), readFileSync(join(trained, 'generators', gen, 'weights.bin')));
  assert.equal(readFileSync(join(reused, 'results.json'), 'utf8'), readFileSync(join(trained, 'results.json'), 'utf8'));
  // A generator trained differently (another batch size) is not a prefix of the baseline: trained as before.
  const other = parseExperimentConfig({ ...config, name: 'tiny-no-match', arms: [{ name: 'neighbours', online: { pipeline: { version: 1, resources: { similarity: { ...similarity, model: { ...similarity.model, trainer: { batchSize: 8 } } } }, steps: [{ op: 'substitute', ratio: 0.5 }] }, probability: 1, keepTargets: true } }] });
  const lines2: string[] = [];
  await runLiftExperiment({ config: other, baseDir: tmp, out: join(tmp, 'out-no-match'), progress: { line: (l) => void lines2.push(l) } });
  assert.ok(!lines2.some((l) => /generator\(s\) are the first/.test(l)));
});

test("an autoregressive synthesizer's network that is the baseline's first epochs is taken from the baseline's run: same synthetic users, same results", async () => {
  const model = tinySasrec('ce');
  const synthesize = { model: 'autoregressive', share: 0.5, config: { epochs: 2, network: model.config, trainer: model.trainer }, pretrain: { epochs: 1 } };
  const config = parseExperimentConfig({ name: 'tiny-ar-reuse', data: { path: data }, model, seeds: 1, epochs: 3, patience: 10, bootstrap: { resamples: 100 }, arms: [{ name: 'ar', synthesize }] });
  const lines: string[] = [];
  const reused = join(tmp, 'out-ar-reuse');
  await runLiftExperiment({ config, baseDir: tmp, out: reused, progress: { line: (l) => void lines.push(l) } });
  assert.ok(lines.some((l) => /1 generator\(s\) are the first 2 epochs of the baseline's seed-0 run/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /generator \(forward\): loaded .* \(the baseline's seed-0 run after epoch 2\)/.test(l)), 'the network is the snapshot, not a new fit');
  const trained = join(tmp, 'out-ar-no-reuse');
  const lines2: string[] = [];
  await runLiftExperiment({ config, baseDir: tmp, out: trained, reuseBaselineRuns: false, progress: { line: (l) => void lines2.push(l) } });
  assert.ok(lines2.some((l) => /generator \(forward\): epoch\s+2\//.test(l)), 'without reuse the network is trained');
  const synthetic = (out: string) => readFileSync(join(out, 'arms', 'ar', 'synthetic', 'seed0.json'), 'utf8');
  assert.equal(synthetic(reused), synthetic(trained), 'the same synthetic users');
  assert.equal(readFileSync(join(reused, 'results.json'), 'utf8'), readFileSync(join(trained, 'results.json'), 'utf8'));
  // A network trained otherwise (another batch size) is not the baseline's: trained as before.
  const other = parseExperimentConfig({ ...config, name: 'tiny-ar-no-match', arms: [{ name: 'ar', synthesize: { ...synthesize, config: { ...synthesize.config, trainer: { batchSize: 8 } } } }] });
  const lines3: string[] = [];
  await runLiftExperiment({ config: other, baseDir: tmp, out: join(tmp, 'out-ar-no-match'), progress: { line: (l) => void lines3.push(l) } });
  assert.ok(!lines3.some((l) => /generator\(s\) are the first/.test(l)));
});

/**
 * Runs the experiment while "another process" — a live pid — holds the baseline's seed-0 run lock in
 * `out`; the holder dies once the experiment logs that it waits for that run's snapshot. Returns the
 * result and the progress lines.
 */
async function runWhileBaselineHeldElsewhere(config: ReturnType<typeof parseExperimentConfig>, out: string, tries: number) {
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  mkdirSync(join(out, 'arms', 'baseline', 'seeds'), { recursive: true });
  writeFileSync(join(out, 'arms', 'baseline', 'seeds', 'seed0.lock'), String(holder.pid));
  const lines: string[] = [];
  const run = runLiftExperiment({ config, baseDir: tmp, out, claimPollMs: 20, progress: { line: (l) => void lines.push(l) } });
  for (let t = 0; t < tries && !lines.some((l) => WAITING_FOR_BASELINE.test(l)); t++) await new Promise((r) => setTimeout(r, 20));
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  return { r: await run, lines };
}
const WAITING_FOR_BASELINE = /another process is training the baseline's seed-0 run; waiting/;

test('arms that share an embedding-neighbour model compute its neighbour table once per process', async () => {
  const model = tinySasrec('ce');
  const similarity = { kind: 'model-embedding', topK: 5, model: { epochs: 2, seed: 0, config: model.config, trainer: model.trainer } };
  const pipeline = { version: 1, resources: { similarity }, steps: [{ op: 'substitute', ratio: 0.5 }] };
  const config = parseExperimentConfig({
    name: 'tiny-shared-table', data: { path: data }, model, seeds: 1, epochs: 2, patience: 10, bootstrap: { resamples: 100 },
    arms: [{ name: 'half', online: { pipeline, probability: 0.5, keepTargets: true } }, { name: 'quarter', online: { pipeline, probability: 0.25, keepTargets: true } }],
  });
  const lines: string[] = [];
  const r = await runLiftExperiment({ config, baseDir: tmp, out: join(tmp, 'out-shared-table'), progress: { line: (l) => void lines.push(l) } });
  assert.equal(lines.filter((l) => /^similarity: cosine of the trained sasrec item embeddings/.test(l)).length, 1, lines.join('\n'));
  assert.deepEqual(r.arms.map((a) => a.name), ['baseline', 'half', 'quarter']);
});

test("a process whose baseline snapshot another process holds trains the arms that need no snapshot first, then waits for it", async () => {
  const model = tinySasrec('ce');
  const similarity = { kind: 'model-embedding', topK: 5, model: { epochs: 2, seed: 0, config: model.config, trainer: model.trainer } };
  const config = parseExperimentConfig({
    name: 'tiny-defer', data: { path: data }, model, seeds: 1, epochs: 3, patience: 10, bootstrap: { resamples: 100 },
    arms: [
      { name: 'neighbours', online: { pipeline: { version: 1, resources: { similarity }, steps: [{ op: 'substitute', ratio: 0.5 }] }, probability: 1, keepTargets: true } },
      { name: 'itemcf', online: { pipeline: { version: 1, resources: { similarity: { kind: 'itemcf-iuf', topK: 5 } }, steps: [{ op: 'substitute', ratio: 0.5 }] }, probability: 1, keepTargets: true } },
    ],
  });
  const { r, lines } = await runWhileBaselineHeldElsewhere(config, join(tmp, 'out-defer'), 1000);
  const waiting = WAITING_FOR_BASELINE;
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.ok(at(/the arms that need its epoch-2 snapshot run after the others/) >= 0, lines.join('\n'));
  assert.ok(at(/^── itemcf, seed 0/) >= 0 && at(/^── itemcf, seed 0/) < at(waiting), 'the arm without a snapshot trained while the baseline was held elsewhere');
  assert.ok(at(/generator \(forward\): loaded .* \(the baseline's seed-0 run after epoch 2\)/) > at(waiting), 'the snapshot generator, once the baseline was taken over');
  assert.equal(r.pending, undefined, 'the baseline taken over is asked again at the end: nothing pending');
  assert.deepEqual(r.arms.map((a) => a.name), ['baseline', 'neighbours', 'itemcf']);
});

test("a 'model: downstream' generator is the experiment's own model, sampled softmax included: taken from the baseline's run and the same as spelling the model out", async () => {
  const tiny = tinySasrec('ce');
  const model = { ...tiny, config: { ...tiny.config, ceNegatives: 8 } };
  const pipeline = (similarityModel: unknown) => ({ version: 1, resources: { similarity: { kind: 'model-embedding', topK: 5, model: similarityModel } }, steps: [{ op: 'substitute', ratio: 0.5 }] });
  const experiment = (similarityModel: unknown) => parseExperimentConfig({
    name: 'tiny-downstream', data: { path: data }, model, seeds: 1, epochs: 3, patience: 10, bootstrap: { resamples: 100 },
    arms: [{ name: 'neighbours', online: { pipeline: pipeline(similarityModel), probability: 1, keepTargets: true } }],
  });
  const lines: string[] = [];
  const viaDownstream = join(tmp, 'out-downstream');
  const a = await runLiftExperiment({ config: experiment({ model: 'downstream', epochs: 2, seed: 0 }), baseDir: tmp, out: viaDownstream, progress: { line: (l) => void lines.push(l) } });
  assert.ok(lines.some((l) => /1 generator\(s\) are the first 2 epochs of the baseline's seed-0 run/.test(l)), lines.join('\n'));
  const spelled = join(tmp, 'out-downstream-spelled');
  const b = await runLiftExperiment({ config: experiment({ model: 'sasrec', epochs: 2, seed: 0, config: model.config, trainer: model.trainer }), baseDir: tmp, out: spelled });
  assert.deepEqual(readdirSync(join(viaDownstream, 'generators')), readdirSync(join(spelled, 'generators')), 'the same generator (cache key)');
  assert.deepEqual(a.arms.map((x) => x.test), b.arms.map((x) => x.test));
  // Without trainer overrides the resolved pipeline is the one written out by hand, key for key
  // (run fingerprints record it: runs made with either are found with the other).
  const noOverrides = { model: 'sasrec', config: { loss: 'ce' }, trainer: {} };
  assert.deepEqual(loadPipeline(pipeline({ model: 'downstream', epochs: 20, seed: 0 }), { downstream: noOverrides }).toJSON(), loadPipeline(pipeline({ model: 'sasrec', epochs: 20, seed: 0, config: { loss: 'ce' } })).toJSON());
  // Outside an experiment 'downstream' means nothing, and its config comes only from the experiment.
  const refused = (field: RegExp) => (e: unknown) => e instanceof ConfigError && field.test(e.location.field ?? '') && /downstream/.test(e.message);
  assert.throws(() => loadPipeline(pipeline({ model: 'downstream' })), refused(/^model$/));
  assert.throws(() => checkExperimentPipelines(experiment({ model: 'downstream', config: { hidden: 4 } }), tmp), refused(/resources\.similarity\.model\.config/));
});

test("a second process sharing the folder waits for the baseline run another process holds instead of training the generator again, and takes the run over when that process dies", async () => {
  const model = tinySasrec('ce');
  const similarity = { kind: 'model-embedding', topK: 5, model: { epochs: 2, seed: 0, config: model.config, trainer: model.trainer } };
  const config = parseExperimentConfig({
    name: 'tiny-reuse', data: { path: data }, model, seeds: 1, epochs: 3, patience: 10, bootstrap: { resamples: 100 },
    arms: [{ name: 'neighbours', online: { pipeline: { version: 1, resources: { similarity }, steps: [{ op: 'substitute', ratio: 0.5 }] }, probability: 1, keepTargets: true } }],
  });
  const { r, lines } = await runWhileBaselineHeldElsewhere(config, join(tmp, 'out-wait'), 250);
  assert.ok(lines.some((l) => WAITING_FOR_BASELINE.test(l)), lines.join('\n'));
  assert.ok(!lines.some((l) => /generator \(forward\): epoch/.test(l)), 'the generator is not trained on its own while the baseline run is held elsewhere');
  assert.ok(lines.some((l) => /generator \(forward\): loaded .* \(the baseline's seed-0 run after epoch 2\)/.test(l)), 'the run taken over gives the snapshot');
  assert.equal(r.pending, undefined);
  assert.equal(r.arms.length, 2);
});
