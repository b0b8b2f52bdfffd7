import { join } from 'node:path';
import { Rng } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';
import { ConfigError } from '../core/index.ts';
import { Adam, Tensor, add, backward, crossEntropy, hashArray, matmul, runTrainingLoop, scale } from '../nn/index.ts';
import type { SequenceNetwork, TrainingBatch } from './network.ts';
import type { EpochLog, FitOptions, FitReport, TrainingAugmentation, TrainingWarmup } from './types.ts';

export interface TrainerConfig {
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  /** Maximum epochs (FitOptions.epochs overrides). */
  readonly epochs: number;
  /** Epochs without a new best validation score before stopping (FitOptions.patience overrides). */
  readonly patience: number;
  /** Validate every n epochs (and always on the last). */
  readonly evalEvery: number;
}

/** Trainer overrides as configs give them (each key may be absent or undefined). */
export type TrainerOverrides = { readonly [K in keyof TrainerConfig]?: TrainerConfig[K] | undefined };

export const DEFAULT_TRAINER: TrainerConfig = { batchSize: 256, lr: 1e-3, weightDecay: 0, epochs: 200, patience: 40, evalEvery: 1 };

/**
 * One training example per user: the training part s is shifted by one, inputs s[:-1] predict
 * targets s[1:] at every position (the CoSeRec/S3-Rec scheme; with a causal model it trains on
 * every prefix at once). Sequences longer than maxLen + 1 keep their most recent part.
 */
export interface TrainingExamples {
  readonly users: Int32Array;
  readonly inputs: Int32Array[];
  readonly targets: Int32Array[];
  /** Items each example's user has in training, for negative sampling. */
  readonly seen: Set<number>[];
  /** The (maxLen + 1)-truncated training sequence each example was cut from (online augmentation reads it). */
  readonly sequences: Int32Array[];
}

export function buildTrainingExamples(train: TrainView, maxLen: number): TrainingExamples {
  const users: number[] = [];
  const inputs: Int32Array[] = [];
  const targets: Int32Array[] = [];
  const seen: Set<number>[] = [];
  const sequences: Int32Array[] = [];
  for (const u of train.users()) {
    const s = train.sequence(u);
    if (s.length < 2) continue;
    const from = Math.max(0, s.length - 1 - maxLen);
    users.push(u);
    inputs.push(s.slice(from, s.length - 1));
    targets.push(s.slice(from + 1));
    seen.push(new Set(s));
    sequences.push(s.slice(from));
  }
  return { users: Int32Array.from(users), inputs, targets, seen, sequences };
}

/**
 * This epoch's examples under online augmentation: each example's sequence is, with the given
 * probability, replaced by a fresh transform of it (kept as is when the transform leaves fewer
 * than two items). With `keepTargets` only the inputs are replaced and the targets stay the real
 * next items. Drawn from `rng` in example order. `maxId` is numItems, or numItems + 1 when the
 * network embeds the mask token.
 */
export function augmentExamples(ex: TrainingExamples, online: NonNullable<TrainingAugmentation['online']>, maxLen: number, numItems: number, rng: Rng, maxId = numItems): TrainingExamples {
  const inputs = ex.inputs.slice();
  const targets = ex.targets.slice();
  const keepTargets = online.keepTargets === true;
  const idLimit = keepTargets ? maxId : numItems;
  for (let e = 0; e < ex.sequences.length; e++) {
    if (!(rng.next() < online.probability)) continue;
    const seq = ex.sequences[e]!;
    const a = online.transform(seq, rng);
    if (keepTargets && a.length !== seq.length) {
      throw new ConfigError(`online augmentation with keepTargets needs length-preserving steps (mask, substitute): a sequence of ${seq.length} items came back with ${a.length}`, { field: 'augmentation.online.keepTargets' });
    }
    if (a.length < 2) continue;
    for (let i = 0; i < a.length; i++) {
      if (!(a[i]! >= 1 && a[i]! <= idLimit)) {
        const hint = a[i] === numItems + 1 ? (keepTargets ? ' (the mask token: set the network option maskToken: true)' : ' (mask tokens are for keepTargets or contrastive views only; strip them for online training)') : '';
        throw new ConfigError(`online augmentation emitted id ${a[i]} outside 1..${idLimit}${hint}`, { field: 'augmentation.online' });
      }
    }
    const from = Math.max(0, a.length - 1 - maxLen);
    inputs[e] = a.slice(from, a.length - 1);
    if (!keepTargets) targets[e] = a.slice(from + 1);
  }
  return { ...ex, inputs, targets };
}

/**
 * InfoNCE over two views (NT-Xent as in CL4SRec/SimCLR): `z` is [2B, d], rows i and i + B are the
 * two views of one sequence; each row's other view is its positive and the remaining 2B − 2 rows
 * are negatives; similarity is the dot product / temperature.
 */
export function infoNce(z: Tensor, temperature: number): Tensor {
  const n = z.shape[0]!;
  if (n % 2 !== 0 || n < 2) throw new RangeError(`infoNce: expected an even number of rows, got ${n}`);
  const B = n / 2;
  const sim = scale(matmul(z, z, { transB: true }), 1 / temperature);
  const selfMask = new Float32Array(n * n);
  for (let i = 0; i < n; i++) selfMask[i * n + i] = -1e9;
  const logits = add(sim, new Tensor(selfMask, [n, n]));
  const pos = new Int32Array(n);
  for (let i = 0; i < B; i++) {
    pos[i] = i + B;
    pos[i + B] = i;
  }
  return crossEntropy(logits, pos);
}

/** Left-padded [size, maxLen] batch; negatives (one per non-padding position) when asked. */
export function makeBatch(ex: TrainingExamples, order: Int32Array | number[], maxLen: number, numItems: number, rng: Rng | null, userWeights?: Float32Array): TrainingBatch {
  const size = order.length;
  const weights = userWeights ? Float32Array.from(order, (e) => userWeights[ex.users[e]!]!) : undefined;
  const inputs = new Int32Array(size * maxLen);
  const targets = new Int32Array(size * maxLen);
  const negatives = rng ? new Int32Array(size * maxLen) : undefined;
  for (let b = 0; b < size; b++) {
    const e = order[b]!;
    const inp = ex.inputs[e]!, tgt = ex.targets[e]!;
    const off = b * maxLen + (maxLen - inp.length);
    inputs.set(inp, off);
    targets.set(tgt, off);
    if (negatives && rng) {
      const seen = ex.seen[e]!;
      for (let t = 0; t < tgt.length; t++) {
        let neg = 1 + rng.int(numItems);
        // Negatives are drawn from items the user has not interacted with in training; the
        // user's validation/test items are unknown here, so they cannot shape sampling.
        while (seen.has(neg) && seen.size < numItems) neg = 1 + rng.int(numItems);
        negatives[off + t] = neg;
      }
    }
  }
  return { size, maxLen, inputs, targets, ...(negatives ? { negatives } : {}), ...(weights ? { weights } : {}) };
}

/**
 * Two views of each picked example's input sequence, [view 1 of every example, then view 2]. A view
 * that comes out empty falls back to the untransformed input; the mask token needs a network with
 * a mask embedding row.
 */
function contrastiveViews(ex: TrainingExamples, picked: Int32Array, transform: (s: Int32Array, r: Rng) => Int32Array, net: SequenceNetwork, numItems: number, rng: Rng): Int32Array[] {
  const first: Int32Array[] = [];
  const second: Int32Array[] = [];
  const maxId = net.acceptsMaskToken ? numItems + 1 : numItems;
  for (const e of picked) {
    const input = ex.inputs[e]!;
    for (const out of [first, second]) {
      let v = transform(input, rng);
      if (v.length === 0) v = input;
      for (let i = 0; i < v.length; i++) {
        if (!(v[i]! >= 1 && v[i]! <= maxId)) {
          throw new ConfigError(`contrastive view holds id ${v[i]} outside 1..${maxId}${v[i] === numItems + 1 ? ' (the mask token: set the network option maskToken: true)' : ''}`, { field: 'augmentation.contrastive' });
        }
      }
      out.push(v);
    }
  }
  return [...first, ...second];
}

/** Sample weights: one per training-view user, finite, ≥ 0, not all 0. */
function checkSampleWeights(w: Float32Array, users: number): void {
  if (!(w instanceof Float32Array) || w.length !== users) throw new ConfigError(`sampleWeights must be a Float32Array with one weight per training user (${users}), got ${w instanceof Float32Array ? w.length : typeof w}`, { field: 'sampleWeights' });
  let sum = 0;
  for (let u = 0; u < w.length; u++) {
    const v = w[u]!;
    if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`sampleWeights[${u}] = ${v}; weights must be finite and ≥ 0`, { field: `sampleWeights[${u}]` });
    sum += v;
  }
  if (!(sum > 0)) throw new ConfigError('sampleWeights are all 0: nothing to train on', { field: 'sampleWeights' });
}

/** A warm-up: a whole number of epochs ≥ 1 and, for each phase, a 0/1 flag per user with at least one user set. */
function checkWarmup(w: TrainingWarmup, users: number): void {
  if (!(Number.isInteger(w.epochs) && w.epochs >= 1)) throw new ConfigError(`warmup.epochs must be a whole number ≥ 1, got ${w.epochs}`, { field: 'warmup.epochs' });
  for (const phase of ['during', 'after'] as const) {
    const flags = w[phase];
    if (!(flags instanceof Uint8Array) || flags.length !== users) throw new ConfigError(`warmup.${phase} must be a Uint8Array with one flag per training user (${users})`, { field: `warmup.${phase}` });
    if (!flags.some((f) => f === 1)) throw new ConfigError(`warmup.${phase} flags no user: that phase has nothing to train on`, { field: `warmup.${phase}` });
  }
}

/**
 * Trains a SequenceNetwork with Adam on the shared epoch loop (nn/training.ts): early stopping on
 * the caller's validation score, a checkpoint per epoch in options.checkpointDir (a run that finds
 * one with the same fingerprint resumes after its epoch), per-epoch RNG streams (seed → 'epoch-N'),
 * Ctrl-C between batches. When training ends the best weights are restored.
 */
export async function trainSequenceNetwork(
  net: SequenceNetwork,
  train: TrainView,
  trainer: TrainerConfig,
  options: FitOptions,
  validateNet: (() => { score: number; metrics: Record<string, number> }) | undefined,
): Promise<FitReport> {
  const t0 = performance.now();
  // Statistics of the training data a network learns besides its weights (a popularity sampler's counts).
  net.observeTraining?.(train);
  const maxEpochs = options.epochs ?? trainer.epochs;
  const params = net.parameters;
  const adam = new Adam(params, { lr: trainer.lr, weightDecay: trainer.weightDecay });
  const ex = buildTrainingExamples(train, net.maxLen);
  const aug = options.augmentation;
  const contrastive = aug?.contrastive;
  if (contrastive && !net.representations) throw new ConfigError(`the ${net.kind} network does not support a contrastive objective`, { field: 'augmentation.contrastive' });
  if (contrastive && !(contrastive.temperature > 0)) throw new ConfigError(`temperature must be > 0, got ${contrastive.temperature}`, { field: 'augmentation.contrastive.temperature' });
  if (aug?.online && !(aug.online.probability >= 0 && aug.online.probability <= 1)) throw new ConfigError(`probability must be in [0, 1], got ${aug.online.probability}`, { field: 'augmentation.online.probability' });
  const weights = options.sampleWeights;
  if (weights) checkSampleWeights(weights, train.numUsers);
  const warmup = options.warmup;
  if (warmup) checkWarmup(warmup, train.numUsers);
  // Each phase's examples: an example trains in a phase when its user is flagged for it.
  const phaseOrder = (flags: Uint8Array | undefined): Int32Array => {
    const all = Int32Array.from({ length: ex.users.length }, (_, i) => i);
    return flags ? all.filter((e) => flags[ex.users[e]!] === 1) : all;
  };
  const warmupOrder = phaseOrder(warmup?.during);
  const mainOrder = phaseOrder(warmup?.after);
  const fingerprint = {
    kind: net.kind, config: net.config, trainer, seed: options.seed, numItems: train.numItems, interactions: train.interactionCount, examples: ex.users.length,
    ...(aug ? { augmentation: aug.key } : {}),
    ...(weights ? { sampleWeights: hashArray(weights) } : {}),
    ...(warmup ? { warmup: { epochs: warmup.epochs, during: hashArray(warmup.during), after: hashArray(warmup.after) } } : {}),
  };

  let trainSeconds = 0; // of the epoch just finished, for its progress line
  const result = await runTrainingLoop<EpochLog>({
    label: '',
    maxEpochs,
    rng: new Rng(options.seed),
    parameters: params,
    optimizers: [adam],
    earlyStopping: validateNet ? { metric: 'validation score', direction: 'higher', patience: options.patience ?? trainer.patience, every: trainer.evalEvery, ...(warmup ? { warmupEpochs: warmup.epochs } : {}) } : undefined,
    checkpoint: options.checkpointDir ? { path: join(options.checkpointDir, 'checkpoint.bin'), fingerprint } : undefined,
    progress: options.progress,
    cancel: options.cancel,
    afterEpoch: options.afterEpoch,
    epoch: (epoch, erng) => {
      const te = performance.now();
      const order = (warmup && epoch <= warmup.epochs ? warmupOrder : mainOrder).slice();
      erng.split('shuffle').shuffle(order);
      const negRng = net.needsNegatives ? erng.split('negatives') : null;
      const dropRng = erng.split('dropout');
      const epochEx = aug?.online ? augmentExamples(ex, aug.online, net.maxLen, train.numItems, erng.split('online'), net.acceptsMaskToken ? train.numItems + 1 : train.numItems) : ex;
      const viewRng = erng.split('views');
      let clSum = 0;
      let lossSum = 0;
      let batches = 0;
      return {
        batches: Math.ceil(order.length / trainer.batchSize),
        step: (b) => {
          const picked = order.subarray(b * trainer.batchSize, (b + 1) * trainer.batchSize);
          const batch = makeBatch(epochEx, picked, net.maxLen, train.numItems, negRng, weights);
          adam.zeroGrad();
          let loss = net.batchLoss(batch, dropRng);
          if (contrastive) {
            const cl = infoNce(net.representations!(contrastiveViews(epochEx, picked, contrastive.transform, net, train.numItems, viewRng), dropRng), contrastive.temperature);
            clSum += cl.item();
            loss = add(loss, scale(cl, contrastive.weight));
          }
          const l = loss.item();
          if (!Number.isFinite(l)) throw new Error(`training loss became ${l} at epoch ${epoch}, batch ${batches + 1}`);
          backward(loss);
          adam.step();
          lossSum += l;
          batches++;
        },
        finish: (validate) => {
          trainSeconds = (performance.now() - te) / 1000;
          const v = validate ? validateNet!() : undefined;
          const base = { epoch, loss: lossSum / Math.max(1, batches), seconds: (performance.now() - te) / 1000, ...(contrastive ? { contrastiveLoss: clSum / Math.max(1, batches) } : {}) };
          return { log: v ? { ...base, valid: v.metrics } : base, ...(v ? { score: v.score } : {}) };
        },
      };
    },
    line: (log, improved) => {
      const validText = log.valid ? ' ' + Object.entries(log.valid).map(([k, x]) => `${k} ${fmt(x)}`).join(' ') + (improved ? ' *' : '') : '';
      const clText = log.contrastiveLoss !== undefined ? ` (InfoNCE ${log.contrastiveLoss.toFixed(4)})` : '';
      return `epoch ${String(log.epoch).padStart(3)}/${maxEpochs} loss ${log.loss.toFixed(4)}${clText}${validText} train ${trainSeconds.toFixed(1)}s total ${log.seconds.toFixed(1)}s`;
    },
  });
  return { epochs: result.logs, bestEpoch: result.bestEpoch, seconds: (performance.now() - t0) / 1000, resumed: result.resumed };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}
