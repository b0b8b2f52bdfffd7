/**
 * The errors a TextGenerator throws from `generate`. Each carries the GenerationRejectReason that
 * `generateBatch` would report as an outcome, so a caller can count a thrown failure and a batch
 * outcome under the same name.
 */
import { SamplifyError, type ErrorLocation } from '../core/errors.ts';
import type { GenerationOutcome, GenerationRejectReason } from './types.ts';

export class GenerationError extends SamplifyError {
  constructor(
    readonly reason: GenerationRejectReason,
    message: string,
    location: ErrorLocation = {},
  ) {
    super(message, location);
  }
}

/** The run's token or cost budget is spent: no further request is sent. The caller decides what to keep. */
export class BudgetExceededError extends GenerationError {
  constructor(message: string) {
    super('budget-exceeded', message);
  }
}

/** `offline: true` and the cache has no entry for the request: exit 2, as a config problem is. */
export class OfflineCacheMissError extends GenerationError {
  override readonly exitCode = 2;
  constructor(
    readonly cacheKey: string,
    file: string,
  ) {
    super('cache-miss-offline', `offline and no cached answer for key ${cacheKey} (expected ${file}); rerun without offline to generate it`, { file });
  }
}

/** The rejection outcome a GenerationError stands for. */
export function rejectionOf(e: GenerationError): GenerationOutcome {
  return { ok: false, reason: e.reason, message: e.message };
}
