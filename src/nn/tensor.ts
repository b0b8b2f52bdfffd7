/**
 * Tensors and the reverse-mode tape. A Tensor is a flat row-major Float32Array plus a shape; ops
 * in ops.ts append a backward closure to a global tape when any input requires grad, and
 * `backward(loss)` replays the tape in reverse, accumulating into `.grad`.
 */

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  grad: Float32Array | null = null;
  readonly requiresGrad: boolean;

  constructor(data: Float32Array, shape: readonly number[], requiresGrad = false) {
    for (const s of shape) {
      if (!Number.isInteger(s) || s < 0) throw new RangeError(`Tensor shape ${shapeStr(shape)} has a bad dimension ${s}`);
    }
    const n = shapeSize(shape);
    if (n !== data.length) throw new RangeError(`Tensor data has ${data.length} values but shape ${shapeStr(shape)} needs ${n}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  static zeros(shape: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape, requiresGrad);
  }

  static fromArray(values: ArrayLike<number>, shape: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(Float32Array.from(values as ArrayLike<number>), shape, requiresGrad);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new RangeError(`item() needs a one-element tensor, got shape ${shapeStr(this.shape)}`);
    return this.data[0]!;
  }

  /** Same data, cut off from the tape. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }
}

/** A trainable leaf tensor with a stable name (used by save/load and the optimiser). */
export class Parameter extends Tensor {
  readonly name: string;
  constructor(name: string, data: Float32Array, shape: readonly number[]) {
    super(data, shape, true);
    this.name = name;
  }
}

interface TapeNode {
  readonly out: Tensor;
  readonly back: (g: Float32Array) => void;
}

let tape: TapeNode[] = [];
let gradEnabled = true;

/** True when an op over these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t !== undefined && t.requiresGrad) return true;
  return false;
}

export function record(out: Tensor, back: (g: Float32Array) => void): void {
  tape.push({ out, back });
}

// Gradient buffers of intermediate tensors are recycled after backward has consumed them (as in
// PyTorch, non-leaf grads are not kept): fresh multi-megabyte buffers cost page faults every step.
const pool = new Map<number, Float32Array[]>();
const POOL_PER_SIZE = 64;
// Packed batches have a different row count every step, so buffer sizes rarely repeat exactly;
// an unbounded pool keyed by size grew to 20 GB in a CE training run. Cap it in bytes, and when
// the cap is reached start over, which keeps the sizes of the recent steps.
const POOL_MAX_FLOATS = 64 * 1024 * 1024;
let pooledFloats = 0;

function takeBuffer(n: number): Float32Array {
  const list = pool.get(n);
  const b = list?.pop();
  if (b !== undefined) {
    pooledFloats -= b.length;
    b.fill(0);
    return b;
  }
  return new Float32Array(n);
}

function giveBuffer(b: Float32Array): void {
  if (b.length < 4096 || b.length > POOL_MAX_FLOATS / 4) return;
  if (pooledFloats + b.length > POOL_MAX_FLOATS) releaseBuffers();
  let list = pool.get(b.length);
  if (list === undefined) pool.set(b.length, (list = []));
  if (list.length < POOL_PER_SIZE) {
    list.push(b);
    pooledFloats += b.length;
  }
}

/** Drop the recycled gradient buffers (frees memory after training). */
export function releaseBuffers(): void {
  pool.clear();
  pooledFloats = 0;
}

/** The gradient buffer of t, allocated (zeros) on first use. */
export function gradOf(t: Tensor): Float32Array {
  if (t.grad === null) t.grad = takeBuffer(t.size);
  return t.grad;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Number of ops recorded since the last backward/resetTape (for leak checks). */
export function tapeLength(): number {
  return tape.length;
}

/** Drop everything recorded so far (e.g. after a forward pass whose loss is not back-propagated). */
export function resetTape(): void {
  tape = [];
}

/** Run fn without recording anything (inference). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Reverse pass from a scalar loss over the ops recorded since the last backward/resetTape.
 * Gradients accumulate (+=) into `.grad` of every leaf requiresGrad tensor reached (Parameters and
 * user-created tensors); gradients of intermediate op outputs are released. The tape is cleared.
 */
export function backward(loss: Tensor): void {
  const nodes = tape;
  tape = [];
  if (loss.size !== 1) throw new RangeError(`backward() needs a scalar loss, got shape ${shapeStr(loss.shape)}`);
  if (!loss.requiresGrad) throw new Error('backward(): the loss does not depend on any tensor that requires grad (was it computed inside noGrad?)');
  gradOf(loss)[0]! += 1;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const out = node.out;
    const g = out.grad;
    if (g !== null) {
      node.back(g);
      // Only tensors produced by ops reach here; their grads are dead once consumed.
      if (out !== loss && !(out instanceof Parameter)) {
        out.grad = null;
        giveBuffer(g);
      }
    }
  }
}
