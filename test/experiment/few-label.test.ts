/**
 * The few-label experiment on small real slices: the 900-image Fashion-MNIST sprite set (IDX) and
 * four PriceRunner categories. Tiny classifiers and generators keep the file fast; what is checked
 * is the protocol — determinism, resume, the leakage guard, config errors, the report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, DataValidationError } from '../../src/core/index.ts';
import { parse as readYaml } from 'yaml';
import { encodePng, readIdx } from '../../src/data/index.ts';
import { buildProgram } from '../../src/cli/program.ts';
import {
  ExpansionGuard,
  checkFewLabelPipelines,
  dryRunFewLabelExperiment,
  FewLabelLeakError,
  drawFewLabel,
  parseFewLabelExperimentConfig,
  readFewLabelTitles,
  runFewLabelExperiment,
  type ImageSynthesizerFactory,
} from '../../src/experiment/index.ts';
import { imageSynthesizers, type ImageSynthesizer } from '../../src/synth/image/index.ts';
import { buildReport } from '../../src/report/index.ts';
import { silentProgress } from '../../src/core/index.ts';
import { tempFolder } from '../temp-folders.ts';

const shared = resolve(import.meta.dirname, '../../../shared/data');
const sprite = { idx: join(shared, 'fashion-mnist/sprite-images-idx3-ubyte.gz'), labels: join(shared, 'fashion-mnist/sprite-labels-idx1-ubyte.gz') };
const pricerunner = join(shared, 'pricerunner-products/pricerunner_aggregate.csv');

const imageConfig = (extra: Record<string, unknown> = {}) =>
  parseFewLabelExperimentConfig({
    task: 'few-label',
    name: 'sprite',
    data: { kind: 'images', train: sprite, testPerClass: 30, classNames: 'fashion-mnist' },
    ks: [3],
    seeds: 2,
    validPerClass: 8,
    classifier: { channels: [4, 8], maxEpochs: 3, patience: 2 },
    bootstrap: { resamples: 200 },
    arms: [
      { name: 'offline', views: 1, pipeline: { steps: [{ op: 'hflip', p: 0.5 }, { op: 'shift', x: 0.1, y: 0.1 }] } },
      { name: 'cdcgan', views: 1, synthesize: { name: 'conditional-dcgan', steps: 2, config: { generatorChannels: [8, 4], discriminatorChannels: [4, 8], zDim: 8, batchSize: 16 } } },
    ],
    ...extra,
  });

const titleConfig = () =>
  parseFewLabelExperimentConfig({
    task: 'few-label',
    name: 'titles',
    data: { kind: 'titles', path: pricerunner, classes: ['CPUs', 'Digital Cameras', 'Microwaves', 'Mobile Phones'], testPerClass: 60 },
    ks: [3, 6],
    seeds: 2,
    validPerClass: 10,
    classifier: { iterations: 60 },
    bootstrap: { resamples: 200 },
    arms: [{ name: 'noise', views: 2, pipeline: { steps: [{ op: 'one_of', steps: [{ op: 'keyboard_typo', rate: 0.15 }, { op: 'drop_char', rate: 0.15 }] }] } }],
  });

/** The registry's synthesizer, recording the sources of every image it is fitted on. */
function recordingSynthesizers(fitted: string[][]): ImageSynthesizerFactory {
  return (name, params) => {
    const real = imageSynthesizers.create(name, params);
    return Object.assign(Object.create(real) as ImageSynthesizer, {
      fit: (samples: Parameters<ImageSynthesizer['fit']>[0], o: Parameters<ImageSynthesizer['fit']>[1]) => {
        fitted.push(samples.map((s) => s.source));
        return real.fit(samples, o);
      },
      sample: real.sample.bind(real),
    });
  };
}

test('few-label images: none / offline / conditional DCGAN on the sprite set — byte-identical results.json on a rerun and in a fresh folder, the generator fitted on the labelled images only, resume after a unit, the report', async () => {
  const dir = tempFolder('samplify-few-label-img-');
  const out = join(dir, 'run');
  const fitted: string[][] = [];
  const lines: string[] = [];
  const r = await runFewLabelExperiment({ config: imageConfig(), baseDir: dir, out, synthesizers: recordingSynthesizers(fitted), progress: { line: (l) => lines.push(l) } });
  assert.equal(r.pending, undefined);
  assert.deepEqual(r.summary.map((s) => s.arm), ['none', 'offline', 'cdcgan']);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(results.kind, 'few-label');
  assert.equal(results.modality, 'images');
  assert.equal(results.dataset.test, 300);
  const [none, offline, gan] = results.summary;
  assert.equal(none.trainExamples, 30);
  assert.equal(offline.trainExamples, 60, 'one augmented copy per labelled image');
  assert.equal(gan.trainExamples, 60, 'k × views generated images per class');
  for (const row of [offline, gan]) {
    assert.equal(row.vsNone.n, 300);
    assert.ok(row.vsNone.ci95[0] <= row.vsNone.meanDiff && row.vsNone.meanDiff <= row.vsNone.ci95[1]);
    assert.ok(['better', 'worse', 'not significant'].includes(row.verdict));
  }
  assert.ok(!readFileSync(join(out, 'results.json'), 'utf8').includes('seconds'), 'no timings in results.json');
  assert.ok(JSON.parse(readFileSync(join(out, 'stages.json'), 'utf8')).units.length === 6);
  // The generator saw exactly the labelled images of its (k, seed), each once — and no held-out one.
  assert.equal(fitted.length, 2, 'one fit per seed');
  const sprites = readIdx(sprite.idx, sprite.labels);
  for (const [seed, sources] of fitted.entries()) {
    const record = JSON.parse(readFileSync(join(out, 'arms', 'cdcgan', 'k3', `seed${seed}.json`), 'utf8')).result;
    assert.deepEqual([...sources].sort(), [...record.labelled].sort());
    assert.equal(new Set(sources).size, 30);
    const labels = sources.map((s) => sprites.samples[Number(s.slice(s.lastIndexOf('#') + 1))]!.label);
    for (let c = 0; c < 10; c++) assert.equal(labels.filter((l) => l === c).length, 3);
  }
  assert.ok(existsSync(join(out, 'grids', 'k3-offline.png')) && existsSync(join(out, 'grids', 'k3-cdcgan.png')));
  const bytes = readFileSync(join(out, 'results.json'));

  // A rerun trains nothing and writes the same bytes; dropping one unit's record reruns that unit only.
  rmSync(join(out, 'arms', 'offline', 'k3', 'seed1.json'));
  const again: string[] = [];
  await runFewLabelExperiment({ config: imageConfig(), baseDir: dir, out, progress: { line: (l) => again.push(l) } });
  assert.equal(again.filter((l) => l.includes('finished earlier')).length, 5);
  assert.ok(again.some((l) => l.startsWith('── offline/k3/seed1: ') && !l.includes('finished earlier')));
  assert.deepEqual(readFileSync(join(out, 'results.json')), bytes);

  // The report renders the experiment with the few-label kind: the accuracy table and the grids.
  const report = await buildReport(out);
  assert.equal(report.kind, 'few-label-images');
  assert.deepEqual(report.notes, []);
  assert.match(report.html, new RegExp(`data-value="${offline.testAccuracyMean}"`));
  assert.match(report.html, /<img alt="grids\/k3-cdcgan.png"/);
});

test('few-label "both" arms (synthesis + classical augmentation): the generator is fitted once per seed on the unaugmented k-per-class labelled images only; the selected arm is tested against none', async () => {
  const dir = tempFolder('samplify-few-label-both-');
  const out = join(dir, 'run');
  const sprites = readIdx(sprite.idx, sprite.labels);
  const fitted: { source: string; image: { data: Uint8Array }; label: number }[][] = [];
  const recording: ImageSynthesizerFactory = (name, params) => {
    const real = imageSynthesizers.create(name, params);
    return Object.assign(Object.create(real) as ImageSynthesizer, {
      fit: (samples: Parameters<ImageSynthesizer['fit']>[0], o: Parameters<ImageSynthesizer['fit']>[1]) => {
        fitted.push(samples.map((x) => ({ source: x.source ?? '', image: x.image, label: x.label })));
        return real.fit(samples, o);
      },
      sample: real.sample.bind(real),
    });
  };
  const offline = imageConfig().arms[0]!;
  const gan = imageConfig().arms[1]!;
  const both = (name: string, online: boolean) => ({ name, views: 1, pipeline: offline.pipeline, synthesize: gan.synthesize, online });
  const config = imageConfig({ arms: [offline, both('gan+offline', false), both('gan+online', true)] });
  const r = await runFewLabelExperiment({ config, baseDir: dir, out, synthesizers: recording });
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const row = (arm: string) => results.summary.find((x: { arm: string }) => x.arm === arm);
  assert.equal(row('gan+offline').trainExamples, 90, '30 labelled + 30 augmented copies + 30 generated');
  assert.equal(row('gan+online').trainExamples, 60, '30 labelled + 30 generated, augmented online');
  // One fit per seed, shared by both arms; its inputs are the labelled images of that seed, each
  // once, 3 per class, pixel for pixel the originals (not the augmented copies), with their labels.
  assert.equal(fitted.length, 2);
  for (const [seed, samples] of fitted.entries()) {
    for (const arm of ['gan+offline', 'gan+online']) {
      const record = JSON.parse(readFileSync(join(out, 'arms', arm, 'k3', `seed${seed}.json`), 'utf8')).result;
      assert.deepEqual(samples.map((x) => x.source).sort(), [...record.labelled].sort());
    }
    assert.equal(new Set(samples.map((x) => x.source)).size, 30);
    for (const x of samples) {
      const original = sprites.samples[Number(x.source.slice(x.source.lastIndexOf('#') + 1))]!;
      assert.equal(x.label, original.label, x.source);
      assert.deepEqual(x.image.data, original.image.data, `${x.source} reached the generator altered`);
    }
    for (let c = 0; c < 10; c++) assert.equal(samples.filter((x) => x.label === c).length, 3);
  }
  // Selection on validation, as a procedure: its Δ vs none is the mean over seeds of (chosen arm − none).
  const [sel] = results.selectedOnValidation;
  assert.deepEqual(sel, JSON.parse(JSON.stringify(r.selectedOnValidation[0])));
  const acc = (arm: string, seed: number) => results.runs.find((u: { arm: string; seed: number }) => u.arm === arm && u.seed === seed).testAccuracy as number;
  const expected = (acc(sel.chosenArms[0], 0) - acc('none', 0) + acc(sel.chosenArms[1], 1) - acc('none', 1)) / 2;
  assert.ok(Math.abs(sel.vsNone.meanDiff - expected) < 1e-12, `${sel.vsNone.meanDiff} vs ${expected}`);
  assert.equal(sel.vsNone.n, 300);
  if (sel.chosenArms.every((a: string) => a === 'none')) assert.equal(sel.vsNone.pValue, 1);
  else assert.ok(sel.vsNone.pValue >= 0 && sel.vsNone.pValue <= 1);
  assert.match(r.table, /k=3: validation picks per seed .* Δ vs none [+-]\d/);
});

test('few-label images: a fresh folder gives byte-identical results.json', async () => {
  const dir = tempFolder('samplify-few-label-img2-');
  const config = imageConfig({ arms: [{ name: 'offline', views: 1, pipeline: { steps: [{ op: 'hflip', p: 0.5 }] } }], seeds: 1 });
  await runFewLabelExperiment({ config, baseDir: dir, out: join(dir, 'a') });
  await runFewLabelExperiment({ config, baseDir: dir, out: join(dir, 'b') });
  assert.deepEqual(readFileSync(join(dir, 'b', 'results.json')), readFileSync(join(dir, 'a', 'results.json')));
});

test('few-label leakage guard: a generator that has seen test images is caught; held-out or unlabelled inputs are refused', async () => {
  const dir = tempFolder('samplify-few-label-leak-');
  const sprites = readIdx(sprite.idx, sprite.labels);
  // A planted leak: a "pretrained" generator whose samples are images it was never given — here the whole sprite file, test images included.
  const leaking: ImageSynthesizerFactory = (name, params) => {
    const real = imageSynthesizers.create(name, params);
    return Object.assign(Object.create(real) as ImageSynthesizer, {
      fit: real.fit.bind(real),
      sample: (n: number, o?: { conditions?: { label: number } }) => sprites.samples.filter((s) => s.label === o?.conditions?.label).slice(-n),
    });
  };
  const config = imageConfig({ seeds: 1, arms: [imageConfig().arms[1]] });
  await assert.rejects(runFewLabelExperiment({ config, baseDir: dir, out: join(dir, 'run'), synthesizers: leaking }), (e: unknown) => e instanceof FewLabelLeakError && /exact copy of a validation or test image/.test(e.message));
  assert.ok(!existsSync(join(dir, 'run', 'arms', 'cdcgan', 'k3', 'seed0.json')), 'a leaking unit stores nothing');

  // The input side: what reaches a fit or an augmenter must be the unit's labelled examples.
  const guard = new ExpansionGuard({ labelled: [{ key: 'a', content: '1' }, { key: 'b', content: '2' }], heldOut: [{ key: 't', content: '3' }], where: 'test' });
  guard.checkInputs('a fit', ['a', 'b']);
  assert.throws(() => guard.checkInputs('a fit', ['a', 't']), /held-out example 't' reached a fit/);
  assert.throws(() => guard.checkInputs('a fit', ['a', 'x']), /'x' reached a fit but is not one of the 2 labelled examples/);
  assert.throws(() => guard.checkInputs('a fit', ['a', 'a']), /twice/);
  assert.equal(guard.isHeldOutCopy('3'), true);
  assert.equal(guard.isHeldOutCopy('2'), false);
  assert.throws(() => new ExpansionGuard({ labelled: [{ key: 't', content: '3' }], heldOut: [{ key: 't', content: '3' }], where: 'test' }), FewLabelLeakError);
});

test('few-label titles: cluster-disjoint draws, byte-identical reruns, resume, the report', async () => {
  const dir = tempFolder('samplify-few-label-titles-');
  const config = titleConfig();
  const data = await readFewLabelTitles(config.data as Parameters<typeof readFewLabelTitles>[0], dir, silentProgress);
  assert.equal(data.classNames.length, 4);
  const testClusters = new Set(data.test.map((e) => e.group));
  for (const seed of [0, 1]) {
    const { labelled, valid } = drawFewLabel(data, 6, 10, seed);
    assert.equal(labelled.length, 24);
    assert.equal(valid.length, 40);
    const lc = new Set(labelled.map((e) => e.group));
    assert.ok(valid.every((e) => !lc.has(e.group)), 'validation titles come from clusters no labelled title is in');
    assert.ok([...labelled, ...valid].every((e) => !testClusters.has(e.group)), 'no test cluster in training or validation');
  }
  const out = join(dir, 'run');
  const r = await runFewLabelExperiment({ config, baseDir: dir, out });
  assert.equal(r.summary.length, 4);
  const bytes = readFileSync(join(out, 'results.json'));
  const results = JSON.parse(bytes.toString('utf8'));
  assert.equal(results.modality, 'titles');
  assert.ok(results.summary[1].added > 0);
  rmSync(join(out, 'arms', 'noise', 'k6', 'seed0.json'));
  const lines: string[] = [];
  await runFewLabelExperiment({ config, baseDir: dir, out: join(out), progress: { line: (l) => lines.push(l) } });
  assert.equal(lines.filter((l) => l.includes('finished earlier')).length, 7);
  assert.deepEqual(readFileSync(join(out, 'results.json')), bytes);
  await runFewLabelExperiment({ config, baseDir: dir, out: join(dir, 'fresh') });
  assert.deepEqual(readFileSync(join(dir, 'fresh', 'results.json')), bytes);
  assert.deepEqual(readdirSync(join(out, 'arms')).sort(), ['noise', 'none']);
  const report = await buildReport(out);
  assert.equal(report.kind, 'few-label-titles');
  assert.deepEqual(report.notes, []);
  assert.match(report.html, new RegExp(`data-value="${results.summary[3].testAccuracyMean}"`));
  // Provenance: config, seeds, the data's checksum, and from stages.json the version, machine and wall time.
  const prov = report.html.slice(report.html.indexOf('data-testid="provenance"'));
  const rows = new Map([...prov.matchAll(/<dt>([^<]*)<\/dt><dd>(.*?)<\/dd>/gs)].map((m) => [m[1]!, m[2]!]));
  assert.doesNotMatch(report.html, /config: <span class="nr">not recorded/);
  for (const row of ['seeds', 'datasets', 'samplify version (run)', 'machine', 'backend', 'wall time']) {
    assert.ok(rows.has(row) && !/^<span class="nr">not recorded/.test(rows.get(row)!), `provenance row ${row}: ${rows.get(row) ?? 'absent'}`);
  }
  assert.match(rows.get('datasets')!, /<code>[0-9a-f]{16,}<\/code>/);
});

test('few-label config: unknown keys and misplaced arms fail at parse time, naming the key path', () => {
  const base = { task: 'few-label', data: { kind: 'titles', path: 'x.csv' } };
  const fails = (raw: unknown, path: RegExp) =>
    assert.throws(() => parseFewLabelExperimentConfig(raw, 'exp.yaml'), (e: unknown) => e instanceof ConfigError && path.test(e.location.field ?? '') && e.location.file === 'exp.yaml', JSON.stringify(raw));
  fails({ ...base, seedz: 3 }, /seedz/);
  fails({ ...base, data: { kind: 'titles', path: 'x.csv', testCluster: 0.2 } }, /data\.testCluster/);
  fails({ ...base, data: { kind: 'images', train: { idx: 'a', labels: 'b', folderz: 'c' }, testPerClass: 3 } }, /data\.train\.folderz/);
  fails({ ...base, data: { kind: 'images', train: { idx: 'a', labels: 'b' } } }, /data\.testPerClass/);
  fails({ ...base, classifier: { hiden: 3 } }, /classifier\.hiden/);
  fails({ ...base, data: { kind: 'images', train: { idx: 'a', labels: 'b' }, testPerClass: 3 }, classifier: { iterations: 3 } }, /classifier\.iterations/);
  fails({ ...base, arms: [{ name: 'a', pipeline: 'p.yaml', view: 2 }] }, /arms\[0\]\.view/);
  fails({ ...base, arms: [{ name: 'a', pipeline: 'p.yaml', online: true }] }, /arms\[0\]\.online/);
  fails({ ...base, arms: [{ name: 'none', pipeline: 'p.yaml' }] }, /arms\[0\]\.name/);
  fails({ ...base, data: { kind: 'images', train: { idx: 'a', labels: 'b' }, testPerClass: 3 }, arms: [{ name: 'g', synthesize: { name: 'conditional-dcgan', config: { zdim: 3 } } }] }, /arms\[0\]\.synthesize\.config\.zdim/);
  fails({ ...base, data: { kind: 'audio' } }, /data\.kind/);
  // A text step that needs what only a query log gives (a typo profile) is refused before any data is read.
  const typo = parseFewLabelExperimentConfig({ ...base, arms: [{ name: 't', pipeline: 'examples/pipelines/text/typo.yaml' }] });
  assert.throws(() => checkFewLabelPipelines(typo, resolve(import.meta.dirname, '../..')), (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].pipeline' && /typo profile/.test(e.message));
});

test('few-label images from a folder (labels from sub-folders, test carved out with testPerClass) and the CLI: a bad --set key is exit 2 naming it, --queue is refused', async () => {
  const dir = tempFolder('samplify-few-label-folder-');
  const sprites = readIdx(sprite.idx, sprite.labels);
  for (const c of [0, 1, 7]) {
    mkdirSync(join(dir, 'photos', `class-${c}`), { recursive: true });
    const mine = sprites.samples.filter((s) => s.label === c).slice(0, 16);
    for (const [i, s] of mine.entries()) writeFileSync(join(dir, 'photos', `class-${c}`, `${i}.png`), await encodePng(s.image));
  }
  writeFileSync(join(dir, 'photos', 'class-0', 'broken.png'), 'not a png');
  const config = parseFewLabelExperimentConfig({
    task: 'few-label',
    data: { kind: 'images', train: { folder: 'photos', channels: 1 }, testPerClass: 6 },
    ks: [3],
    seeds: 1,
    validPerClass: 4,
    classifier: { channels: [4, 8], maxEpochs: 2, patience: 1 },
    bootstrap: { resamples: 100 },
    arms: [{ name: 'flip', views: 1, pipeline: { steps: [{ op: 'hflip' }] } }],
  });
  const lines: string[] = [];
  const r = await runFewLabelExperiment({ config, baseDir: dir, out: join(dir, 'run'), progress: { line: (l) => lines.push(l) } });
  assert.deepEqual(r.summary.map((s) => [s.arm, s.trainExamples]), [['none', 9], ['flip', 18]]);
  const results = JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8'));
  assert.deepEqual(results.classNames, ['class-0', 'class-1', 'class-7']);
  assert.equal(results.dataset.test, 18);
  assert.equal(results.dataset.pool, 30, '48 readable images − 18 test (the unreadable file is a counted skip)');
  assert.equal(results.dataset.skipped, 1);
  assert.ok(lines.some((l) => /1 file\(s\) skipped \(1 corrupt|1 file\(s\) skipped \(1 unsupported/.test(l)), lines.join('\n'));

  const cfg = join(dir, 'exp.yaml');
  writeFileSync(cfg, `task: few-label\ndata: { kind: images, train: { folder: photos, channels: 1 }, testPerClass: 6 }\nks: [3]\nseeds: 1\nvalidPerClass: 4\narms: [{ name: flip, pipeline: { steps: [{ op: hflip }] } }]\n`);
  const run = (args: string[]) => buildProgram().parseAsync(['node', 'samplify', 'experiment', cfg, ...args]);
  const dry = await dryRunFewLabelExperiment(parseFewLabelExperimentConfig(readYaml(readFileSync(cfg, 'utf8'))), dir);
  assert.equal(dry.units, 2);
  assert.deepEqual(dry.classes, ['class-0', 'class-1', 'class-7']);
  await assert.rejects(dryRunFewLabelExperiment(parseFewLabelExperimentConfig({ ...readYaml(readFileSync(cfg, 'utf8')), ks: [20] }), dir), (e: unknown) => e instanceof DataValidationError && e.location.field === 'ks');
  await assert.rejects(run(['--set', 'arms[0].veiws=2']), (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && e.location.field === 'arms[0].veiws');
  await assert.rejects(run(['--set', 'classifier.hiden=2']), (e: unknown) => e instanceof ConfigError && e.location.field === 'classifier.hiden');
  await assert.rejects(run(['--queue', 'redis://127.0.0.1:6379/0']), (e: unknown) => e instanceof ConfigError && e.location.field === 'queue');
});
