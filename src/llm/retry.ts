/**
 * Retry timing: exponential backoff with jitter drawn from the request's own seed (never
 * Math.random), so a rerun waits the same way, and a server's Retry-After is honoured exactly.
 */
import { InterruptedError } from '../core/errors.ts';
import { hashSeed, Rng } from '../core/rng.ts';

export interface BackoffConfig {
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** Wait before retry number `attempt` (0 = first retry): base·2^attempt capped at max, scaled by a seeded factor in [0.5, 1). */
export function backoffDelayMs(config: BackoffConfig, attempt: number, seed: number): number {
  const ceiling = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** attempt);
  const jitter = 0.5 + 0.5 * new Rng(hashSeed(seed, `llm-retry:${attempt}`)).next();
  return Math.round(ceiling * jitter);
}

/**
 * Milliseconds a response asks us to wait: `retry-after-ms` (OpenAI, vLLM), else `retry-after` as
 * seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const after = headers.get('retry-after');
  if (after === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(after.trim())) return Number(after) * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new InterruptedError('interrupted while waiting to retry'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new InterruptedError('interrupted while waiting to retry'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
