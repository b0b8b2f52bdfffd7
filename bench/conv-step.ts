/**
 * Convolutional training-step benchmark (issue 16 §3), ours side by side with PyTorch in one run:
 * (a) the few-label classifier (src/models/image/cnn-classifier.ts: conv 3×3 p1 → BN → ReLU → max
 *     pool 2, twice, channels 16/32, then linear → 10; cross-entropy; Adam), batch 64 of 28×28×1;
 * (b) a DCGAN step for 28×28 (G: dense 100 → 128·7·7, BN, ReLU, convT 128→64 k4 s2 p1, BN, ReLU,
 *     convT 64→1 k4 s2 p1, tanh; D: conv 1→64 k4 s2 p1, LeakyReLU 0.2, conv 64→128 k4 s2 p1, BN,
 *     LeakyReLU 0.2, dense → 1 logit; BCE with logits; one D step on real + fake, one G step;
 *     Adam 2e-4, β1 0.5), batch 64.
 * The same shapes, batch and thread counts run in bench/reference/conv_step.py (torch). Each
 * figure is the median of --steps timed steps after --warmup untimed ones. Every entry also
 * records a hash of all parameters after its steps: equal hashes across runs and thread counts show
 * the native step is deterministic (the TypeScript backend runs fewer steps, so its hash differs).
 *
 *   node --import tsx bench/conv-step.ts [--steps 10] [--warmup 3] [--threads 1,2] [--ts-steps 3]
 *        [--models classifier,dcgan] [--no-torch] [--no-ts] [--out bench/results/conv-step.json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '../src/core/rng.ts';
import { writeFileAtomic } from '../src/core/fsutil.ts';
import * as nn from '../src/nn/index.ts';
import { arg, flag } from './args.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STEPS = Number(arg('steps', '10'));
const WARMUP = Number(arg('warmup', '3'));
const TS_STEPS = Number(arg('ts-steps', '3'));
const THREADS = arg('threads', '1,2').split(',').map(Number);
const MODELS = arg('models', 'classifier,dcgan').split(',') as ('classifier' | 'dcgan')[];
const OUT = resolve(repoRoot, arg('out', 'bench/results/conv-step.json'));
const BATCH = 64;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function timeSteps(step: () => void, steps: number, warmup: number): { medianMs: number; stepsMs: number[] } {
  for (let i = 0; i < warmup; i++) step();
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    ts.push(performance.now() - t0);
  }
  return { medianMs: median(ts), stepsMs: ts.map((t) => Math.round(t * 100) / 100) };
}

function randn(rng: Rng, n: number, s = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * s);
}

interface StepBench {
  step: () => void;
  params: nn.Parameter[];
}

/** Hash of every parameter's values (in order). */
function paramsHash(params: readonly nn.Parameter[]): string {
  const all = new Float32Array(params.reduce((n, p) => n + p.size, 0));
  let o = 0;
  for (const p of params) {
    all.set(p.data, o);
    o += p.size;
  }
  return nn.hashArray(all);
}

/** One classifier training step on a fixed random batch (the data pipeline is not timed). */
export function classifierStep(): StepBench {
  const rng = new Rng(1);
  const he = (fanIn: number): number => Math.sqrt(2 / fanIn);
  const w1 = nn.normalParameter('conv1.weight', [16, 1, 3, 3], he(9), rng);
  const g1 = nn.constantParameter('bn1.weight', [16], 1);
  const b1 = nn.constantParameter('bn1.bias', [16], 0);
  const w2 = nn.normalParameter('conv2.weight', [32, 16, 3, 3], he(16 * 9), rng);
  const g2 = nn.constantParameter('bn2.weight', [32], 1);
  const b2 = nn.constantParameter('bn2.bias', [32], 0);
  const wf = nn.uniformParameter('fc.weight', [10, 32 * 7 * 7], 1 / Math.sqrt(32 * 49), rng);
  const bf = nn.constantParameter('fc.bias', [10], 0);
  const rs = { m1: new Float32Array(16), v1: new Float32Array(16).fill(1), m2: new Float32Array(32), v2: new Float32Array(32).fill(1) };
  const params = [w1, g1, b1, w2, g2, b2, wf, bf];
  const opt = new nn.Adam(params, { lr: 1e-3 });
  const x = new nn.Tensor(randn(rng, BATCH * 28 * 28), [BATCH, 1, 28, 28]);
  const y = Int32Array.from({ length: BATCH }, () => rng.int(10));
  const step = (): void => {
    opt.zeroGrad();
    let h = nn.conv2d(x, w1, undefined, { padding: 1 });
    h = nn.maxPool2d(nn.relu(nn.batchNorm2d(h, g1, b1, { training: true, runningMean: rs.m1, runningVar: rs.v1 })), { kernel: 2 });
    h = nn.conv2d(h, w2, undefined, { padding: 1 });
    h = nn.maxPool2d(nn.relu(nn.batchNorm2d(h, g2, b2, { training: true, runningMean: rs.m2, runningVar: rs.v2 })), { kernel: 2 });
    const logits = nn.linear(nn.reshape(h, [BATCH, -1]), wf, bf);
    nn.backward(nn.crossEntropy(logits, y));
    opt.step();
  };
  return { step, params };
}

/** One DCGAN step: a D step on real + (detached) fake, then a G step through D. */
export function dcganStep(): StepBench {
  const rng = new Rng(2);
  const Z = 100;
  const n = (name: string, shape: number[]) => nn.normalParameter(name, shape, 0.02, rng);
  const c = (name: string, size: number, v: number) => nn.constantParameter(name, [size], v);
  const G = { fcW: n('g.fc.w', [128 * 49, Z]), fcB: c('g.fc.b', 128 * 49, 0), bn0g: c('g.bn0.g', 128, 1), bn0b: c('g.bn0.b', 128, 0), ct1: n('g.ct1.w', [128, 64, 4, 4]), bn1g: c('g.bn1.g', 64, 1), bn1b: c('g.bn1.b', 64, 0), ct2: n('g.ct2.w', [64, 1, 4, 4]), ct2b: c('g.ct2.b', 1, 0) };
  const D = { c1: n('d.c1.w', [64, 1, 4, 4]), c1b: c('d.c1.b', 64, 0), c2: n('d.c2.w', [128, 64, 4, 4]), bn2g: c('d.bn2.g', 128, 1), bn2b: c('d.bn2.b', 128, 0), fcW: n('d.fc.w', [1, 128 * 49]), fcB: c('d.fc.b', 1, 0) };
  const gStats = { m0: new Float32Array(128), v0: new Float32Array(128).fill(1), m1: new Float32Array(64), v1: new Float32Array(64).fill(1) };
  const dStats = { m2: new Float32Array(128), v2: new Float32Array(128).fill(1) };
  const gParams = Object.values(G);
  const dParams = Object.values(D);
  const optG = new nn.Adam(gParams, { lr: 2e-4, beta1: 0.5 });
  const optD = new nn.Adam(dParams, { lr: 2e-4, beta1: 0.5 });
  const real = new nn.Tensor(randn(rng, BATCH * 28 * 28), [BATCH, 1, 28, 28]);
  const ones = new Float32Array(BATCH).fill(1);
  const zeros = new Float32Array(BATCH);
  const generator = (z: nn.Tensor): nn.Tensor => {
    let h = nn.reshape(nn.linear(z, G.fcW, G.fcB), [BATCH, 128, 7, 7]);
    h = nn.relu(nn.batchNorm2d(h, G.bn0g, G.bn0b, { training: true, runningMean: gStats.m0, runningVar: gStats.v0 }));
    h = nn.convTranspose2d(h, G.ct1, undefined, { stride: 2, padding: 1 });
    h = nn.relu(nn.batchNorm2d(h, G.bn1g, G.bn1b, { training: true, runningMean: gStats.m1, runningVar: gStats.v1 }));
    return nn.tanh(nn.convTranspose2d(h, G.ct2, G.ct2b, { stride: 2, padding: 1 }));
  };
  const discriminator = (x: nn.Tensor): nn.Tensor => {
    let h = nn.leakyRelu(nn.conv2d(x, D.c1, D.c1b, { stride: 2, padding: 1 }), 0.2);
    h = nn.conv2d(h, D.c2, undefined, { stride: 2, padding: 1 });
    h = nn.leakyRelu(nn.batchNorm2d(h, D.bn2g, D.bn2b, { training: true, runningMean: dStats.m2, runningVar: dStats.v2 }), 0.2);
    return nn.linear(nn.reshape(h, [BATCH, -1]), D.fcW, D.fcB);
  };
  const step = (): void => {
    // D step: real → 1, G(z) (no graph through G) → 0.
    optD.zeroGrad();
    const fake = nn.noGrad(() => generator(new nn.Tensor(randn(rng, BATCH * Z), [BATCH, Z])));
    const lossD = nn.add(nn.bceWithLogits(discriminator(real), ones), nn.bceWithLogits(discriminator(fake), zeros));
    nn.backward(lossD);
    optD.step();
    // G step: G(z) → D → 1.
    optG.zeroGrad();
    optD.zeroGrad();
    nn.backward(nn.bceWithLogits(discriminator(generator(new nn.Tensor(randn(rng, BATCH * Z), [BATCH, Z]))), ones));
    optG.step();
  };
  return { step, params: [...gParams, ...dParams] };
}

export const builders = { classifier: classifierStep, dcgan: dcganStep };

function torchTiming(model: string, threads: number): Record<string, unknown> {
  const py = '/usr/bin/python3';
  if (flag('no-torch')) return { skipped: '--no-torch' };
  if (!existsSync(py)) return { skipped: `${py} not found` };
  const r = spawnSync(py, [resolve(repoRoot, 'bench/reference/conv_step.py'), '--model', model, '--threads', String(threads), '--steps', String(STEPS), '--warmup', String(WARMUP), '--batch', String(BATCH)], {
    encoding: 'utf8', cwd: repoRoot, maxBuffer: 16 << 20,
    env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
  });
  if (r.status !== 0) return { skipped: `reference run failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

function main(): void {
  const loadStart = loadavg();
  const results: Record<string, unknown>[] = [];
  const rows: string[] = [];
  for (const model of MODELS) {
    for (const threads of THREADS) {
      const entry: Record<string, unknown> = { model, threads, batch: BATCH };
      if (nn.nativeAvailable()) {
        nn.useBackend('native');
        nn.setThreads(threads);
        const b = builders[model]();
        const r = timeSteps(b.step, STEPS, WARMUP);
        entry.native = { ...r, paramsHash: paramsHash(b.params), loadavg1m: loadavg()[0] };
      }
      const torch = torchTiming(model, threads);
      entry.torch = { ...torch, loadavg1m: loadavg()[0] };
      const tMs = typeof torch.medianMs === 'number' ? torch.medianMs : null;
      if (tMs !== null && entry.native) entry.ratioNativeVsTorch = Math.round(((entry.native as { medianMs: number }).medianMs / tMs) * 1000) / 1000;
      results.push(entry);
      const nMs = (entry.native as { medianMs: number } | undefined)?.medianMs;
      rows.push(`${model.padEnd(11)} threads ${threads}  native ${nMs?.toFixed(1).padStart(8) ?? '       -'} ms  torch ${tMs?.toFixed(1).padStart(8) ?? '       -'} ms  ratio ${(entry.ratioNativeVsTorch as number | undefined)?.toFixed(2) ?? '-'}`);
      process.stderr.write(`${rows[rows.length - 1]}\n`);
    }
    if (!flag('no-ts')) {
      nn.useBackend('typescript');
      const b = builders[model]();
      const r = timeSteps(b.step, TS_STEPS, 1);
      const torch1 = results.find((e) => e.model === model && e.threads === 1)?.torch as { medianMs?: number } | undefined;
      const entry: Record<string, unknown> = { model, threads: 1, batch: BATCH, typescript: { ...r, paramsHash: paramsHash(b.params), loadavg1m: loadavg()[0] } };
      if (typeof torch1?.medianMs === 'number') entry.ratioTypescriptVsTorch1 = Math.round((r.medianMs / torch1.medianMs) * 1000) / 1000;
      results.push(entry);
      rows.push(`${model.padEnd(11)} typescript  ${r.medianMs.toFixed(1).padStart(8)} ms  ratio vs torch 1 thread ${(entry.ratioTypescriptVsTorch1 as number | undefined)?.toFixed(2) ?? '-'}`);
      process.stderr.write(`${rows[rows.length - 1]}\n`);
    }
  }
  const out = {
    command: `node --import tsx bench/conv-step.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavgStart: loadStart,
    loadavgEnd: loadavg(),
    steps: STEPS,
    warmup: WARMUP,
    results,
  };
  writeFileAtomic(OUT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(rows.join('\n'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
