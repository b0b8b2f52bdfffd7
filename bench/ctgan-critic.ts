/**
 * Why CTGAN's columns drift with more epochs on the ml-100k CTR table: is its critic able to tell
 * the generator's rows from real ones, and does it, during training? (writes
 * bench/results/ctgan-critic-ml100k-1seed.json)
 *
 *   SAMPLIFY_THREADS=1 nice node --import tsx bench/ctgan-critic.ts [--epochs 10,20] [--critic-steps 1,5] [--seed 0]
 *
 * For each (critic steps per generator step, epochs): fit CTGAN on the synth-report split's
 * training rows, then
 * - fidelity: the quality report of as many sampled rows (overall, column shapes per column);
 * - the in-training critic: the last epoch's Wasserstein estimate E[D(real)] − E[D(fake)]
 *   (= −(loss_d − gradient penalty));
 * - a fresh critic: the same architecture and loss (PacGAN 10, dropout 0.5, WGAN-GP λ 10, Adam
 *   2e-4), trained for 600 steps on real rows vs the fitted generator's sampled rows (both encoded
 *   by one transformer fitted on the real rows), its estimate recorded every 100 steps. A gap well
 *   above the in-training one means the samples are separable and the critic inside training
 *   lagged behind the generator.
 */
import { cpus, loadavg } from 'node:os';
import { Rng, stderrProgress, writeJsonAtomic } from '../src/core/index.ts';
import type { Table, TableMetadata } from '../src/data/index.ts';
import { qualityReport } from '../src/eval/index.ts';
import * as nn from '../src/nn/index.ts';
import { CtganSynthesizer, wganGpCriticLoss } from '../src/synth/ctgan.ts';
import { dense } from '../src/synth/neural-tabular.ts';
import { DataTransformer } from '../src/synth/transformer.ts';
import { loadMl100kSynthSplit } from './ml100k-synth-split.ts';
import { arg } from './args.ts';

const epochList = arg('epochs', '10,20').split(',').map(Number);
const criticSteps = arg('critic-steps', '1,5').split(',').map(Number);
const seed = Number(arg('seed', '0'));
const out = arg('out', 'bench/results/ctgan-critic-ml100k-1seed.json');

const PAC = 10;
const BATCH = 500;
const STEPS = 600;

/** Trains a fresh WGAN-GP critic on encoded real vs synthetic rows; its estimate every 100 steps. */
function freshCriticGaps(real: Float32Array, fake: Float32Array, width: number, rng: Rng): { step: number; gap: number }[] {
  const D = { hidden: [dense('c.h0', width * PAC, 256, rng.split('h0')), dense('c.h1', 256, 256, rng.split('h1'))], out: dense('c.out', 256, 1, rng.split('out')) };
  const opt = new nn.Adam([...D.hidden.flatMap((l) => [l.w, l.b]), D.out.w, D.out.b], { lr: 2e-4, beta1: 0.5, beta2: 0.9, weightDecay: 1e-6 });
  const nReal = real.length / width;
  const nFake = fake.length / width;
  const gaps: { step: number; gap: number }[] = [];
  let window = 0;
  for (let step = 1; step <= STEPS; step++) {
    const r = rng.split(`step-${step}`);
    const xr = new Float32Array(BATCH * width);
    const xf = new Float32Array(BATCH * width);
    for (let i = 0; i < BATCH; i++) {
      const a = r.int(nReal);
      const b = r.int(nFake);
      xr.set(real.subarray(a * width, (a + 1) * width), i * width);
      xf.set(fake.subarray(b * width, (b + 1) * width), i * width);
    }
    // The same loss as CTGAN's critic (PacGAN 10, dropout 0.5, LeakyReLU 0.2, λ 10).
    const { loss, gp } = wganGpCriticLoss(D, xr, xf, BATCH / PAC, { slope: 0.2, dropout: 0.5, gradientPenalty: 10 }, r);
    window += gp - loss.item();
    opt.zeroGrad();
    nn.backward(loss);
    opt.step();
    if (step % 100 === 0) {
      gaps.push({ step, gap: window / 100 });
      window = 0;
    }
  }
  nn.releaseBuffers();
  return gaps;
}

const t0 = performance.now();
const { train, metadata } = await loadMl100kSynthSplit('bench/ctgan-critic');
const encoder = DataTransformer.fit(train, metadata, new Rng(seed).split('critic-encoder'), {});
const realEncoded = encoder.transform(train, new Rng(seed).split('critic-encode-real')).data;

interface Row {
  criticSteps: number;
  epochs: number;
  fitSeconds: number;
  fidelity: number;
  columnShapes: number;
  pairTrends: number | null;
  detectionAuc: number | null;
  perColumn: Record<string, number>;
  inTrainingGapLastEpoch: number;
  freshCritic: { step: number; gap: number }[];
}
const rows: Row[] = [];
for (const d of criticSteps) {
  for (const epochs of epochList) {
    const s = new CtganSynthesizer({ discriminatorSteps: d });
    const t = performance.now();
    await s.fit(train, metadata, { seed, epochs, progress: { line: (l) => stderrProgress.line(`  d=${d} ${l}`) } });
    const fitSeconds = (performance.now() - t) / 1000;
    const synthetic: Table = s.sample(train.rowCount, { seed }).table;
    const q = qualityReport(train, synthetic, metadata as TableMetadata, { seed });
    const last = s.losses[s.losses.length - 1]!;
    const fakeEncoded = encoder.transform(synthetic, new Rng(seed).split('critic-encode-fake')).data;
    const freshCritic = freshCriticGaps(realEncoded, fakeEncoded, encoder.width, new Rng(seed).split(`critic-${d}-${epochs}`));
    const row: Row = {
      criticSteps: d,
      epochs,
      fitSeconds,
      fidelity: q.overall.value,
      columnShapes: q.columnShapes.score.value,
      pairTrends: q.columnPairs.score?.value ?? null,
      detectionAuc: 'detectionAuc' in q.detection ? q.detection.detectionAuc.linear.value : null,
      perColumn: Object.fromEntries(q.columnShapes.columns.flatMap((c) => (c.score ? [[c.column, +c.score.value.toFixed(4)]] : []))),
      inTrainingGapLastEpoch: -(last.discriminator! - last.gradientPenalty!),
      freshCritic,
    };
    rows.push(row);
    stderrProgress.line(`critic steps ${d}, ${epochs} epochs: fidelity ${row.fidelity.toFixed(3)}, detection ${row.detectionAuc?.toFixed(3)}, in-training gap ${row.inTrainingGapLastEpoch.toFixed(3)}, fresh critic ${freshCritic.map((g) => g.gap.toFixed(2)).join(' → ')}`);
  }
}

writeJsonAtomic(out, {
  benchmark: 'ctgan-critic',
  command: `node --import tsx bench/ctgan-critic.ts ${process.argv.slice(2).join(' ')}`.trim(),
  data: 'the synth-report split of the ml-100k CTR table (16,000 training rows, 29 columns)',
  seed,
  directions: {
    fidelity: 'higher is better (0..1)',
    detectionAuc: '0.5 is best',
    inTrainingGapLastEpoch: "the critic's own Wasserstein estimate E[D(real)] − E[D(fake)] in the last epoch; near 0 means it cannot tell them apart",
    freshCritic: 'the estimate of a new critic trained only on real vs the final samples (mean over each 100 steps); larger = more separable',
  },
  rows,
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version, loadavg: loadavg() },
  seconds: (performance.now() - t0) / 1000,
  date: new Date().toISOString(),
});
stderrProgress.line(`wrote ${out}`);
