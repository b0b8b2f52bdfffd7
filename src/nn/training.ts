/**
 * The one epoch loop every trained model runs on (sequence recommenders, CTR networks, CTGAN,
 * TVAE, the sequence VAE). A model brings its own per-batch step; the loop owns what is the same
 * for all of them:
 *
 * - per-epoch RNG streams: epoch e draws only from `rng.split('epoch-e')`, so an epoch's randomness
 *   does not depend on how many numbers earlier epochs drew, and a resumed run replays it exactly;
 * - progress: one line per epoch (the model words it), plus resume and early-stop lines;
 * - optional early stopping on a declared validation metric with a direction and a patience; the
 *   best weights are restored when training ends;
 * - a checkpoint after every epoch: one file, written atomically, holding the weights, the
 *   optimisers' state, the best weights, the epoch, the logs and the model's own carried state;
 *   a run that finds a checkpoint with the same fingerprint resumes after its epoch and ends with
 *   the same weights as an uninterrupted run;
 * - Ctrl-C: the cancel token is checked before every batch, and the loop yields to the event loop
 *   at least every YIELD_MS (and after every epoch) so a SIGINT handler gets to run however few
 *   batches an epoch has. A cancelled run throws InterruptedError between batches; the checkpoint
 *   on disk is then the complete one of the last finished epoch.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fingerprintHash, type CancelToken, InterruptedError, ModelStateError, type ProgressReporter, type Rng, silentProgress, writeFileAtomic } from '../core/index.ts';
import type { Adam } from './optim.ts';
import type { Parameter } from './tensor.ts';

/** Longest stretch of batches without a turn of the event loop (a pending SIGINT waits at most this, plus one batch). */
const YIELD_MS = 25;
const CHECKPOINT_FORMAT = 'samplify-checkpoint/2';

export interface EpochLogBase {
  readonly epoch: number;
}

/** Stop when the validation score has not improved for `patience` epochs; keep the best weights. */
export interface EarlyStopping {
  /** The score's name in messages, e.g. 'NDCG@20' or 'valid AUC'. */
  readonly metric: string;
  readonly direction: 'higher' | 'lower';
  readonly patience: number;
  /** Validate every n epochs (and always on the last). Default 1. */
  readonly every?: number;
  /**
   * Epochs 1…warmupEpochs are a warm-up (e.g. pre-training on other data): they are neither
   * validated nor candidates for the best weights, and patience counts from the warm-up's end.
   * Default 0.
   */
  readonly warmupEpochs?: number;
}

/** What a model does in one epoch: its batches, and its log once they are done. */
export interface EpochPlan<L extends EpochLogBase> {
  readonly batches: number;
  /** One optimisation step on batch `batch` (0-based). */
  step(batch: number): void;
  /**
   * The epoch's log after its last batch. `validate` says whether this is a validation epoch (only
   * with early stopping); then `score` is the validation score (NaN never counts as better).
   */
  finish(validate: boolean): { readonly log: L; readonly score?: number };
}

export interface TrainingLoopOptions<L extends EpochLogBase> {
  /** Prefix of the loop's own messages, e.g. 'tvae' (empty for none). */
  readonly label: string;
  readonly maxEpochs: number;
  /** Root stream: epoch e gets rng.split(`epoch-${e}`). */
  readonly rng: Rng;
  /** Every trained weight (checkpointed; the best of them restored under early stopping). */
  readonly parameters: readonly Parameter[];
  readonly optimizers: readonly Adam[];
  readonly earlyStopping?: EarlyStopping | undefined;
  /**
   * Per-epoch checkpoint file; resumed from when its fingerprint matches `fingerprint`. Leave the
   * epoch cap out of the fingerprint: a run with a larger cap continues a shorter run's checkpoint.
   */
  readonly checkpoint?: { readonly path: string; readonly fingerprint: unknown } | undefined;
  /**
   * State besides weights and optimisers that carries from one epoch to the next (a shuffle order
   * kept across epochs, a privacy step count), as JSON; saved with every checkpoint.
   */
  readonly state?: { save(): unknown; load(saved: unknown): void };
  readonly progress?: ProgressReporter | undefined;
  readonly cancel?: CancelToken | undefined;
  /**
   * Called after each epoch this process trains (after its checkpoint), with that epoch's weights
   * in the parameters (not the best ones) and every log so far: a caller can keep a snapshot of the
   * run at some epoch, e.g. a generator that is exactly this run's first epochs.
   */
  readonly afterEpoch?: ((epoch: number, logs: readonly L[]) => void) | undefined;
  /** Sets up epoch `epoch` (its randomness comes from `rng` only). */
  epoch(epoch: number, rng: Rng): EpochPlan<L>;
  /** The epoch's progress line; `improved` marks a new best validation score. */
  line(log: L, improved: boolean): string;
}

export interface TrainingResult<L extends EpochLogBase> {
  /** Every finished epoch's log, resumed ones included. */
  readonly logs: L[];
  /** The epoch whose weights the parameters hold now (the last one without early stopping). */
  readonly bestEpoch: number;
  /** Best validation score (−∞ for 'higher', +∞ for 'lower' before any improvement); null without early stopping. */
  readonly bestScore: number | null;
  readonly resumed: boolean;
  readonly stoppedEarly: boolean;
}

/** A short stable hash of a typed array's bytes (training data in a fingerprint). */
export function hashArray(a: ArrayBufferView): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
}

/** "1 epoch took 3.2 s; the remaining 299 take up to ~16 min" (early stopping may end sooner). */
export function paceLine(epochSeconds: number, remaining: number, earlyStopping: boolean): string {
  const total = epochSeconds * remaining;
  const span = total < 90 ? `${Math.round(total)} s` : total < 5400 ? `${Math.round(total / 60)} min` : `${(total / 3600).toFixed(1)} h`;
  return `1 epoch took ${epochSeconds.toFixed(1)} s; the remaining ${remaining} take ${earlyStopping ? 'up to ' : ''}~${span}${earlyStopping ? ' (early stopping may end sooner)' : ''}`;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function runTrainingLoop<L extends EpochLogBase>(o: TrainingLoopOptions<L>): Promise<TrainingResult<L>> {
  const progress = o.progress ?? silentProgress;
  const params = o.parameters;
  const es = o.earlyStopping;
  const sign = es?.direction === 'lower' ? -1 : 1;
  const every = es?.every ?? 1;
  const warmup = es?.warmupEpochs ?? 0;
  const prefix = o.label ? `${o.label}: ` : '';
  const fp = o.checkpoint ? fingerprintHash(o.checkpoint.fingerprint) : '';

  let startEpoch = 1;
  const worst = -sign * Number.POSITIVE_INFINITY;
  let bestScore = worst;
  let bestEpoch = 0;
  // Under early stopping the weights to return start as the initial ones (no epoch may beat them).
  let best: Float32Array[] | null = es ? params.map((p) => p.data.slice()) : null;
  const logs: L[] = [];
  let resumed = false;
  let stopped = false;

  const ck = o.checkpoint ? readCheckpoint(o.checkpoint.path) : null;
  // A checkpoint past this run's cap (left by a run with a larger one) is not this run's past.
  if (ck && ck.meta.format === CHECKPOINT_FORMAT && ck.meta.fingerprint === fp && (ck.meta.epoch as number) <= o.maxEpochs) {
    const arrays = ck.arrays;
    let at = 0;
    const take = (n: number): Float32Array[] => arrays.slice(at, (at += n));
    take(params.length).forEach((a, i) => params[i]!.data.set(a));
    if (es) best = take(params.length);
    const steps = ck.meta.optimizerSteps as number[];
    o.optimizers.forEach((opt, i) => {
      const n = opt.params.length;
      opt.loadStateDict({ step: steps[i]!, m: take(n), v: take(n) });
    });
    if (o.state) o.state.load(ck.meta.state);
    startEpoch = (ck.meta.epoch as number) + 1;
    bestScore = ck.meta.bestScore === null ? worst : (ck.meta.bestScore as number);
    bestEpoch = ck.meta.bestEpoch as number;
    logs.push(...(ck.meta.logs as L[]));
    stopped = ck.meta.stopped === true;
    resumed = true;
    progress.line(`${prefix}resuming from checkpoint after epoch ${startEpoch - 1}${es ? ` (best ${fmt(bestScore)} at epoch ${bestEpoch})` : ''}`);
  }

  let lastYield = performance.now();
  const loopStart = performance.now();
  for (let epoch = startEpoch; epoch <= o.maxEpochs && !stopped; epoch++) {
    const plan = o.epoch(epoch, o.rng.split(`epoch-${epoch}`));
    for (let b = 0; b < plan.batches; b++) {
      if (o.cancel?.cancelled) throw interrupted(prefix, epoch, o.checkpoint !== undefined);
      plan.step(b);
      progress.step?.(`${prefix}epoch ${epoch}/${o.maxEpochs}`, b + 1, plan.batches);
      if (performance.now() - lastYield >= YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    const inWarmup = epoch <= warmup;
    const validate = es !== undefined && !inWarmup && (epoch % every === 0 || epoch === o.maxEpochs);
    const { log, score } = plan.finish(validate);
    let improved = false;
    if (es && inWarmup) {
      // Patience starts after the warm-up; the weights it ends with are the ones to beat.
      bestEpoch = epoch;
      best = params.map((p) => p.data.slice());
    } else if (es) {
      if (validate && score !== undefined && sign * score > sign * bestScore) {
        bestScore = score;
        bestEpoch = epoch;
        best = params.map((p) => p.data.slice());
        improved = true;
      }
      stopped = epoch - bestEpoch >= es.patience;
    } else {
      bestEpoch = epoch;
    }
    logs.push(log);
    progress.line(o.line(log, improved));
    if (o.checkpoint) {
      const states = o.optimizers.map((opt) => opt.stateDict());
      const meta = {
        format: CHECKPOINT_FORMAT, fingerprint: fp, epoch, bestScore: Number.isFinite(bestScore) ? bestScore : null, bestEpoch, stopped,
        optimizerSteps: states.map((s) => s.step), logs, ...(o.state ? { state: o.state.save() } : {}),
      };
      writeCheckpoint(o.checkpoint.path, meta, [...params.map((p) => p.data), ...(best ?? []), ...states.flatMap((s) => [...s.m, ...s.v])]);
    }
    o.afterEpoch?.(epoch, logs);
    // After the first epoch of this process, say how long the rest can take (a 300-epoch fit
    // should not start silently); later epochs' lines carry their own timings.
    if (epoch === startEpoch && !stopped && epoch < o.maxEpochs) progress.line(`${prefix}${paceLine((performance.now() - loopStart) / 1000, o.maxEpochs - epoch, es !== undefined)}`);
    if (stopped) progress.line(`${prefix}early stop: no better ${es!.metric} for ${es!.patience} epochs; best epoch ${bestEpoch} (${es!.metric} ${fmt(bestScore)})`);
    await yieldToEventLoop();
    lastYield = performance.now();
  }
  if (best) params.forEach((p, i) => p.data.set(best[i]!));
  return { logs, bestEpoch, bestScore: es ? bestScore : null, resumed, stoppedEarly: stopped };
}

function interrupted(prefix: string, epoch: number, checkpointed: boolean): InterruptedError {
  const kept = !checkpointed ? '' : epoch > 1 ? `; the checkpoint after epoch ${epoch - 1} is intact — run the same command again to resume` : '; no epoch had finished, so there is no checkpoint yet';
  return new InterruptedError(`${prefix}interrupted during epoch ${epoch}${kept}`);
}

/**
 * One checkpoint = one file: an 8-byte header length, a JSON header, then float32 arrays back to
 * back. A single file written atomically means a Ctrl-C or kill mid-save can never pair new
 * weights with an old optimiser state.
 */
export function writeCheckpoint(path: string, meta: Record<string, unknown>, arrays: readonly Float32Array[]): void {
  const header = Buffer.from(JSON.stringify({ ...meta, lengths: arrays.map((a) => a.length) }), 'utf8');
  const total = arrays.reduce((s, a) => s + a.byteLength, 0);
  const buf = Buffer.alloc(8 + header.length + total);
  buf.writeBigUInt64LE(BigInt(header.length), 0);
  header.copy(buf, 8);
  let off = 8 + header.length;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, off);
    off += a.byteLength;
  }
  writeFileAtomic(path, buf);
}

/** The checkpoint at `path`, or null when there is none. */
export function readCheckpoint(path: string): { meta: Record<string, unknown>; arrays: Float32Array[] } | null {
  if (!existsSync(path)) return null;
  try {
    const buf = readFileSync(path);
    const headerLen = Number(buf.readBigUInt64LE(0));
    const meta = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, unknown> & { lengths: number[] };
    let off = 8 + headerLen;
    const arrays = meta.lengths.map((n) => {
      if (off + n * 4 > buf.length) throw new Error('the file ends inside its arrays');
      const a = new Float32Array(n);
      Buffer.from(a.buffer).set(buf.subarray(off, off + n * 4));
      off += n * 4;
      return a;
    });
    return { meta, arrays };
  } catch (e) {
    throw new ModelStateError(`unreadable checkpoint (${(e as Error).message}); delete it to start over`, { file: path });
  }
}
