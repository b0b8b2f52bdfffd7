/**
 * Compute-backend benchmark: the same work on every available src/nn backend, next to PyTorch.
 *
 *   node --import tsx bench/backend.ts [--steps N] [--threads N] [--epoch] [--no-torch] [--out path]
 *
 * 1. matmul GFLOP/s at [12800, 64] · [64, 64] (a SASRec projection over batch 256 × length 50);
 * 2. one full SASRec training step (batch 256, length 50, hidden 64, 2 blocks, 2 heads, dropout
 *    0.5, BCE with one negative per position, Adam 1e-3) on real Beauty batches: median ms;
 *    with --epoch also one measured full epoch (all users, batch 256) on the native backend
 *    (the pure-TS backend reports median step × steps per epoch);
 *    On native backends the same step is also timed in the padded layout (every [256, 50] cell
 *    with a key-padding mask, as the PyTorch reference computes it) for a like-for-like ratio;
 * 3. `/usr/bin/python3 bench/reference/sasrec.py --timing` when torch is importable (the same
 *    network in PyTorch, CPU, same thread count): step median and a full measured epoch.
 * Writes bench/results/backend.json (atomically) and prints a summary table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, writeJsonAtomic } from '../src/core/index.ts';
import { Adam, Tensor, backendInfo, backward, gatherRows, matmul, nativeAvailable, setThreads, useBackend } from '../src/nn/index.ts';
import type { TrainingBatch } from '../src/models/network.ts';
import { createSasrec, pickNegatives, sequenceLoss, targetRows } from '../src/models/sasrec.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const beautyPath = resolve(repoRoot, '../shared/data/beauty/Beauty.txt');

interface Args {
  steps: number;
  threads: number;
  epoch: boolean;
  torch: boolean;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { steps: 20, threads: 2, epoch: false, torch: true, out: resolve(repoRoot, 'bench/results/backend.json') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${k} needs a positive integer`);
      return v;
    };
    if (k === '--steps') a.steps = num();
    else if (k === '--threads') a.threads = num();
    else if (k === '--epoch') a.epoch = true;
    else if (k === '--no-torch') a.torch = false;
    else if (k === '--out') a.out = resolve(argv[++i] ?? '');
    else throw new Error(`unknown option ${k} (use --steps N, --threads N, --epoch, --no-torch, --out path)`);
  }
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

// ------------------------------------------------------------------------------------ data

interface Examples {
  numItems: number;
  inputs: Int32Array[];
  targets: Int32Array[];
  seen: Set<number>[];
}

/** Beauty training examples: inputs s[:-3] → targets s[1:-2], last 50; synthetic when the file is absent. */
function loadExamples(maxLen: number): { ex: Examples; source: string } {
  const seqs: number[][] = [];
  let source = 'Beauty.txt';
  if (existsSync(beautyPath)) {
    for (const line of readFileSync(beautyPath, 'utf8').split('\n')) {
      const parts = line.trim().split(' ');
      if (parts.length > 1) seqs.push(parts.slice(1).map(Number));
    }
  } else {
    // Same size and length profile as Beauty (22,363 users, 12,101 items, mean length ~8.9).
    source = 'synthetic (Beauty.txt absent)';
    const rng = new Rng(42);
    for (let u = 0; u < 22363; u++) {
      const n = 5 + Math.min(199, Math.floor(-Math.log(1 - rng.next()) * 3.9));
      seqs.push(Array.from({ length: n }, () => 1 + rng.int(12101)));
    }
  }
  let numItems = 0;
  const ex: Examples = { numItems: 0, inputs: [], targets: [], seen: [] };
  for (const s of seqs) {
    for (const v of s) numItems = Math.max(numItems, v);
    const train = s.slice(0, -2);
    if (train.length < 2) continue;
    const from = Math.max(0, train.length - 1 - maxLen);
    ex.inputs.push(Int32Array.from(train.slice(from, -1)));
    ex.targets.push(Int32Array.from(train.slice(from + 1)));
    ex.seen.push(new Set(train));
  }
  ex.numItems = numItems;
  return { ex, source };
}

function makeBatch(ex: Examples, order: Int32Array, from: number, to: number, maxLen: number, rng: Rng): TrainingBatch {
  const size = to - from;
  const inputs = new Int32Array(size * maxLen);
  const targets = new Int32Array(size * maxLen);
  const negatives = new Int32Array(size * maxLen);
  for (let b = 0; b < size; b++) {
    const e = order[from + b]!;
    const inp = ex.inputs[e]!;
    const tgt = ex.targets[e]!;
    const off = b * maxLen + maxLen - inp.length;
    inputs.set(inp, off);
    targets.set(tgt, off);
    const seen = ex.seen[e]!;
    for (let t = 0; t < tgt.length; t++) {
      let n = 1 + rng.int(ex.numItems);
      while (seen.has(n)) n = 1 + rng.int(ex.numItems);
      negatives[off + t] = n;
    }
  }
  return { size, maxLen, inputs, targets, negatives };
}

// ------------------------------------------------------------------------------------ measurements

function matmulGflops(): { gflops: number; medianMs: number } {
  const rng = new Rng(1);
  const a = Tensor.fromArray(Array.from({ length: 12800 * 64 }, () => rng.normal()), [12800, 64]);
  const b = Tensor.fromArray(Array.from({ length: 64 * 64 }, () => rng.normal()), [64, 64]);
  for (let i = 0; i < 5; i++) matmul(a, b);
  const times: number[] = [];
  const deadline = performance.now() + 3000;
  for (let i = 0; i < 200 && (i < 10 || performance.now() < deadline); i++) {
    const t0 = performance.now();
    matmul(a, b);
    times.push(performance.now() - t0);
  }
  const ms = median(times);
  return { gflops: (2 * 12800 * 64 * 64) / (ms * 1e6), medianMs: ms };
}

interface StepResult {
  stepMedianMs: number;
  stepTimesMs: number[];
  lastLoss: number;
  epochSeconds?: number;
  epochSteps?: number;
  epochEstimateSeconds: number;
}

/**
 * `padded`: run the network the way the PyTorch reference does (every [B, 50] cell, key-padding
 * mask) instead of the packed non-padding tokens; the math is the same, the work is ~8× larger.
 */
function sasrecSteps(ex: Examples, steps: number, epoch: boolean, padded = false): StepResult {
  const B = 256;
  const L = 50;
  const rng = new Rng(7);
  const net = createSasrec(ex.numItems, { hidden: 64, blocks: 2, heads: 2, dropout: 0.5, attnDropout: 0.5, maxLen: L, loss: 'bce' }, rng);
  const opt = new Adam(net.parameters, { lr: 1e-3 });
  const order = Int32Array.from({ length: ex.inputs.length }, (_, i) => i);
  rng.split('order').shuffle(order);
  const dataRng = rng.split('negatives');
  const trainRng = rng.split('dropout');
  const nBatches = Math.ceil(order.length / B);
  let lastLoss = NaN;
  const paddedLoss = (batch: TrainingBatch): Tensor => {
    const { rows, ids } = targetRows(batch.targets);
    const { h, len, offset } = net.hidden(batch.inputs, batch.size, true, trainRng, batch.targets);
    const cells = Int32Array.from(rows, (r) => Math.floor(r / L) * len + (r % L) - offset);
    return sequenceLoss('bce', gatherRows(h, cells), net.parameters[0]!, ids, pickNegatives(batch, rows), new Int32Array(0));
  };
  const step = (batch: TrainingBatch): void => {
    const loss = padded ? paddedLoss(batch) : net.batchLoss(batch, trainRng);
    lastLoss = loss.item();
    backward(loss);
    opt.step();
    opt.zeroGrad();
  };
  for (let i = 0; i < 2; i++) step(makeBatch(ex, order, i * B, (i + 1) * B, L, dataRng));
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const k = (i + 2) % nBatches;
    const batch = makeBatch(ex, order, k * B, Math.min(order.length, (k + 1) * B), L, dataRng);
    const t0 = performance.now();
    step(batch);
    times.push(performance.now() - t0);
  }
  const stepMedianMs = median(times);
  const res: StepResult = { stepMedianMs, stepTimesMs: times.map((t) => Math.round(t * 10) / 10), lastLoss, epochEstimateSeconds: (stepMedianMs * nBatches) / 1000 };
  if (epoch) {
    const t0 = performance.now();
    for (let k = 0; k < nBatches; k++) step(makeBatch(ex, order, k * B, Math.min(order.length, (k + 1) * B), L, dataRng));
    res.epochSeconds = (performance.now() - t0) / 1000;
    res.epochSteps = nBatches;
    res.lastLoss = lastLoss;
  }
  return res;
}

function torchTiming(threads: number): Record<string, unknown> | { skipped: string } {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return { skipped: `${py} not found` };
  const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: 'torch is not importable by /usr/bin/python3 (apt-get install python3-torch)' };
  const script = resolve(repoRoot, 'bench/reference/sasrec.py');
  const r = spawnSync(py, [script, '--timing', '--loss', 'bce'], {
    encoding: 'utf8', cwd: repoRoot, maxBuffer: 16 << 20,
    env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
  });
  if (r.status !== 0) return { skipped: `reference run failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

// ------------------------------------------------------------------------------------ main

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const startLoad = loadavg()[0];
  setThreads(args.threads);
  const { ex, source } = loadExamples(50);
  const backends: ('native' | 'typescript')[] = nativeAvailable() ? ['native', 'typescript'] : ['typescript'];
  const perBackend: Record<string, unknown>[] = [];
  for (const name of backends) {
    useBackend(name);
    setThreads(args.threads);
    const info = backendInfo();
    process.stderr.write(`backend ${info.name} (${info.threads} thread(s)): matmul…\n`);
    const mm = matmulGflops();
    process.stderr.write(`  matmul ${mm.gflops.toFixed(2)} GFLOP/s; SASRec steps…\n`);
    // A full measured epoch on the pure-TS backend takes minutes; it gets the estimate only.
    const st = sasrecSteps(ex, args.steps, args.epoch && info.name !== 'typescript');
    process.stderr.write(`  step median ${st.stepMedianMs.toFixed(1)} ms\n`);
    const entry: Record<string, unknown> = { loadavg1mAfter: loadavg()[0], backend: info, matmul: { shape: '[12800,64]·[64,64]', ...mm }, sasrecStep: st };
    if (info.name !== 'typescript') {
      const pd = sasrecSteps(ex, args.steps, false, true);
      process.stderr.write(`  padded-layout step median ${pd.stepMedianMs.toFixed(1)} ms\n`);
      entry.sasrecStepPaddedLayout = pd;
    }
    perBackend.push(entry);
  }
  const torch = args.torch ? { ...torchTiming(args.threads), loadavg1mAfter: loadavg()[0] } : { skipped: '--no-torch' };
  const torchStep = typeof (torch as Record<string, unknown>).stepMedianMs === 'number' ? ((torch as Record<string, unknown>).stepMedianMs as number) : null;
  const torchEpoch = typeof (torch as Record<string, unknown>).epochSeconds === 'number' ? ((torch as Record<string, unknown>).epochSeconds as number) : null;
  for (const b of perBackend) {
    const st = b.sasrecStep as StepResult;
    const pd = b.sasrecStepPaddedLayout as StepResult | undefined;
    b.ratioVsTorch = torchStep !== null ? {
      step: st.stepMedianMs / torchStep,
      ...(st.epochSeconds !== undefined && torchEpoch !== null ? { epoch: st.epochSeconds / torchEpoch } : {}),
      ...(pd !== undefined ? { stepPaddedLayout: pd.stepMedianMs / torchStep } : {}),
    } : null;
  }
  const result = {
    when: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    threads: args.threads,
    // The 1-minute load average before the run and after each part: above ~threads, other
    // processes competed for the cores and the timings of that part are inflated.
    loadavg1mBefore: startLoad,
    data: source,
    users: ex.inputs.length,
    numItems: ex.numItems,
    workload: { batch: 256, maxLen: 50, hidden: 64, blocks: 2, heads: 2, dropout: 0.5, attnDropout: 0.5, loss: 'bce', optimizer: 'Adam(lr=1e-3)', steps: args.steps },
    backends: perBackend,
    pytorch: torch,
  };
  writeJsonAtomic(args.out, result);
  const rows = perBackend.map((b) => {
    const st = b.sasrecStep as StepResult;
    const mm = b.matmul as { gflops: number };
    const ratio = b.ratioVsTorch as { step: number } | null;
    return `${(b.backend as { name: string }).name.padEnd(16)} matmul ${mm.gflops.toFixed(2).padStart(7)} GFLOP/s  step ${st.stepMedianMs.toFixed(1).padStart(8)} ms` +
      `  epoch ${(st.epochSeconds ?? st.epochEstimateSeconds).toFixed(1).padStart(7)} s${st.epochSeconds === undefined ? ' (est.)' : ''}` +
      (ratio ? `  ×${ratio.step.toFixed(2)} PyTorch` : '') +
      (b.sasrecStepPaddedLayout ? `\n${''.padEnd(16)} ${'(padded layout, as PyTorch)'.padEnd(24)}  step ${(b.sasrecStepPaddedLayout as StepResult).stepMedianMs.toFixed(1).padStart(8)} ms` : '');
  });
  if (torchStep !== null) rows.push(`${'pytorch'.padEnd(16)} ${''.padEnd(24)}  step ${torchStep.toFixed(1).padStart(8)} ms  epoch ${torchEpoch!.toFixed(1).padStart(7)} s`);
  else rows.push(`pytorch: ${(torch as { skipped: string }).skipped}`);
  process.stdout.write(rows.join('\n') + `\nwrote ${args.out}\n`);
}

main();
