/**
 * Few-label Fashion-MNIST (issue 16 §5, first part: classical augmentation). A small CNN
 * (src/models/image/cnn-classifier.ts) is trained on k labelled images per class, drawn per seed
 * from the official 60k training set; validation (early stopping, --valid-per-class per class) is
 * drawn from the rest of the training set; the test set is the official 10k. Arms: no expansion;
 * offline augmentation (--views augmented copies of every labelled image, fixed before training);
 * online augmentation (the same pipeline applied afresh to every image of every batch).
 * Synthetic arms (issue 16 §5, second part): `gan` (conditional DCGAN) and `vae` (conditional conv
 * VAE), each fitted per seed on the SAME k-per-class labelled images and nothing else (asserted
 * below: no other image or label reaches the generator), then --synth-per-class generated images
 * per class (default k × views) added to the training images. "Both" (synthesis with classical
 * augmentation): `gan+offline` / `vae+offline` add the synthetic images and the offline augmented
 * copies of the real ones; `gan+online` / `vae+online` apply the online pipeline to every batch of
 * real + synthetic images. The generator of a both arm is the one of the plain arm (same fit). Selection (early stopping) on the
 * validation images only; the generators' settings are fixed flags, not tuned on the test set.
 * Per arm and k: mean ± std test accuracy over seeds, and a paired t-test per test image (the
 * image's correctness averaged over seeds) against no expansion.
 *
 *   node --import tsx bench/few-label.ts [--k 5,10,20,50] [--seeds 3] [--arms none,offline,online,gan,vae,gan+offline,vae+offline,gan+online,vae+online] [--views 4]
 *        [--valid-per-class 50] [--max-epochs 60] [--patience 10] [--out bench/results/few-label-fashion-mnist.json]
 *        [--synth-per-class k×views] [--gan-steps 300] [--vae-steps 300] [--grids docs/images] [--run runs/few-label-fashion-mnist]
 *
 * Reads /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist). Writes the JSON atomically.
 *
 * A thin caller of the few-label experiment (src/experiment/few-label.ts, `task: few-label`), which
 * owns the protocol, the leakage guard (asserted there for every unit) and the statistics (plus a
 * bootstrap CI per arm); the flags build its config (examples/experiments/fashion-few-label.yaml is
 * the same run as a file). --run is the experiment's run folder (its run store: a rerun resumes);
 * --out gets its results.json with the command, machine and wall time added; --grids gets a copy of
 * the run's grids/k<k>-<arm>.png. Files written by the older, stand-alone version of this script
 * (bench/results/few-label-fashion-mnist*.json: other draws, other grid files) stay readable — the
 * report renders both.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import { parseFewLabelExperimentConfig, runFewLabelExperiment } from '../src/experiment/index.ts';
import { backendInfo } from '../src/nn/index.ts';
import { arg } from './args.ts';

const ks = arg('k', '5,10,20,50').split(',').map(Number);
const seeds = Number(arg('seeds', '3'));
const arms = arg('arms', 'none,offline,online').split(',');
const views = Number(arg('views', '4'));
const validPerClass = Number(arg('valid-per-class', '50'));
const maxEpochs = Number(arg('max-epochs', '60'));
const patience = Number(arg('patience', '10'));
const testLimit = Number(arg('test-limit', '10000'));
const outPath = resolve(process.cwd(), arg('out', 'bench/results/few-label-fashion-mnist.json'));
const runDir = resolve(process.cwd(), arg('run', 'runs/few-label-fashion-mnist'));
const synthPerClassFlag = arg('synth-per-class', '');
const ganSteps = Number(arg('gan-steps', '300'));
const vaeSteps = Number(arg('vae-steps', '300'));
const gridDir = arg('grids', '');
/** The generators of the synthetic arms: small enough to fit per seed on 2 shared cores. */
const generatorSpecs = {
  gan: { name: 'conditional-dcgan', steps: ganSteps, config: { generatorChannels: [64, 32], discriminatorChannels: [32, 64], zDim: 64, batchSize: 32 } },
  // β > 1: with tens of images per class a β = 1 CVAE lets z carry the class and ignores the label (docs/decisions/image-synthesizers.md).
  vae: { name: 'conv-vae', steps: vaeSteps, config: { channels: [32, 64], latentDim: 16, batchSize: 32, lr: 2e-3, beta: 4 } },
} as const;
const usesSynth = arms.some((a) => a.startsWith('gan') || a.startsWith('vae'));
const dir = '/usr/share/datasets/fashion-mnist';
const t0 = performance.now();

// Keras ImageDataGenerator-style product augmentation (no vertical flips: products have an up).
const pipelineSpec = {
  name: 'fashion-few-label',
  steps: [
    { op: 'hflip', p: 0.5 },
    { op: 'rotate', degrees: 10, fill: 'constant' },
    { op: 'shift', x: 0.1, y: 0.1 },
    { op: 'zoom', scale: [0.9, 1.1] },
    { op: 'cutout', p: 0.3, scale: [0.02, 0.1] },
  ],
};

/** A bench arm name (none, offline, online, gan, vae, and gan / vae + offline / online) as an experiment arm; none is built in. */
function armConfig(name: string): Record<string, unknown> | null {
  if (name === 'none') return null;
  if (name === 'offline') return { name, views, pipeline: pipelineSpec };
  if (name === 'online') return { name, views, pipeline: pipelineSpec, online: true };
  const [kind, plus] = name.split('+');
  const spec = generatorSpecs[kind as 'gan' | 'vae'];
  if (!spec || (plus !== undefined && plus !== 'offline' && plus !== 'online')) throw new Error(`unknown arm '${name}' (none, offline, online, gan, vae, gan+offline, vae+offline, gan+online, vae+online)`);
  const synthesize = { ...spec, ...(synthPerClassFlag ? { perClass: Number(synthPerClassFlag) } : {}) };
  // +offline: the generated images plus the offline augmented copies of the real ones; +online: the
  // pipeline applied afresh to every image of every batch, real and generated alike.
  return { name, views, synthesize, ...(plus ? { pipeline: pipelineSpec } : {}), ...(plus === 'online' ? { online: true } : {}) };
}

const config = parseFewLabelExperimentConfig({
  task: 'few-label',
  name: 'few-label-fashion-mnist',
  data: {
    kind: 'images',
    train: { idx: `${dir}/train-images-idx3-ubyte.gz`, labels: `${dir}/train-labels-idx1-ubyte.gz` },
    test: { idx: `${dir}/t10k-images-idx3-ubyte.gz`, labels: `${dir}/t10k-labels-idx1-ubyte.gz`, ...(testLimit !== 10000 ? { limit: testLimit } : {}) },
    classNames: 'fashion-mnist',
  },
  ks,
  seeds,
  validPerClass,
  classifier: { maxEpochs, patience, lr: 1e-3 },
  arms: arms.map(armConfig).filter((a) => a !== null),
});
const r = await runFewLabelExperiment({ config, baseDir: process.cwd(), out: runDir, progress: stderrProgress });
console.log(r.table);
if (r.pending) process.exit(0);
if (gridDir) {
  mkdirSync(resolve(process.cwd(), gridDir), { recursive: true });
  for (const k of ks) {
    for (const a of arms) {
      const from = join(runDir, 'grids', `k${k}-${a}.png`);
      if (existsSync(from)) copyFileSync(from, resolve(process.cwd(), gridDir, `fashion-mnist-few-label-k${k}-${a}.png`));
    }
  }
}
const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as Record<string, unknown>;
// The run store's seconds of every unit, those finished by an earlier (resumed) invocation too:
// `seconds` below is this invocation's wall time only, which is small on a rerun that trains nothing.
const stages = JSON.parse(readFileSync(join(runDir, 'stages.json'), 'utf8')) as { wallSeconds?: number };
writeJsonAtomic(outPath, {
  ...results,
  command: `node --import tsx bench/few-label.ts --k ${ks.join(',')} --seeds ${seeds} --arms ${arms.join(',')} --views ${views} --valid-per-class ${validPerClass} --max-epochs ${maxEpochs} --patience ${patience}${testLimit !== 10000 ? ` --test-limit ${testLimit}` : ''}${usesSynth ? `${synthPerClassFlag ? ` --synth-per-class ${synthPerClassFlag}` : ''} --gan-steps ${ganSteps} --vae-steps ${vaeSteps}` : ''}`,
  backend: backendInfo(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
  date: new Date().toISOString(),
  seconds: Math.round((performance.now() - t0) / 1000),
  ...(stages.wallSeconds !== undefined ? { runStoreSeconds: Math.round(stages.wallSeconds) } : {}),
});
console.log(`wrote ${outPath}`);
