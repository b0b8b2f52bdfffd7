/**
 * The one batch runner every provider's `generateBatch` uses: a fixed number of workers pull the
 * next request index, so at most `concurrency` requests are in flight; results land in request
 * order. An aborted signal stops workers taking new requests; requests already started finish
 * (and so reach the cache) before the batch rejects with InterruptedError — nothing is generated
 * and then thrown away.
 */
import { InterruptedError } from '../core/errors.ts';
import { GenerationError, rejectionOf } from './errors.ts';
import type { BatchOptions, GenerationOutcome, GenerationRejectReason, GenerationRequest } from './types.ts';

export type RequestRunner = (request: GenerationRequest, index: number) => Promise<GenerationOutcome>;

export async function runBatch(requests: readonly GenerationRequest[], concurrency: number, run: RequestRunner, options: BatchOptions = {}): Promise<GenerationOutcome[]> {
  const { signal, onProgress, onOutcome } = options;
  const outcomes: GenerationOutcome[] = new Array<GenerationOutcome>(requests.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length && !signal?.aborted) {
      const index = next++;
      const request = requests[index] as GenerationRequest;
      let outcome: GenerationOutcome;
      try {
        outcome = await run(request, index);
      } catch (e) {
        // Interrupted while waiting (a retry backoff): nothing was generated, so nothing is recorded;
        // the loop ends because the signal is aborted.
        if (e instanceof InterruptedError) continue;
        // A runner reports failures as outcomes; anything thrown that is not a GenerationError is a bug
        // and must not be hidden as a counted rejection.
        if (!(e instanceof GenerationError)) throw e;
        outcome = rejectionOf(e);
      }
      outcomes[index] = outcome;
      done++;
      onOutcome?.(index, outcome);
      onProgress?.(done, requests.length);
    }
  };
  const workers = Math.max(1, Math.min(concurrency, requests.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (signal?.aborted) throw new InterruptedError(`generation interrupted after ${done} of ${requests.length} requests; completed ones are kept (and cached where a cache wraps the provider)`);
  return outcomes;
}

/** A counting semaphore: `acquire` resolves when fewer than `limit` holders are inside. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most holders ever inside at once (what the concurrency test and benchmark check against the limit). */
  maxActive = 0;
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A released slot is handed straight to the next waiter (active is not decremented), so a caller
    // arriving between the release and the waiter's wake-up cannot slip in above the limit.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    if (this.active > this.maxActive) this.maxActive = this.active;
    try {
      return await fn();
    } finally {
      const wake = this.waiting.shift();
      if (wake !== undefined) wake();
      else this.active--;
    }
  }
}

/** Rejections counted by reason (what a run reports beside the texts it kept). */
export function countRejections(outcomes: readonly GenerationOutcome[]): Partial<Record<GenerationRejectReason, number>> {
  const counts: Partial<Record<GenerationRejectReason, number>> = {};
  for (const o of outcomes) if (!o.ok) counts[o.reason] = (counts[o.reason] ?? 0) + 1;
  return counts;
}
