/**
 * A per-run token and cost budget. Every provider call checks it before sending and charges the
 * usage the server reports after; once a limit is reached no further request is sent, and each
 * remaining one becomes a `budget-exceeded` outcome (or a BudgetExceededError from `generate`).
 * Requests already in flight when the limit is crossed still finish, so the overshoot is at most
 * what the concurrency limit lets run at once; the limit is never crossed by a request started after.
 */
import { z } from 'zod';
import { BudgetExceededError } from './errors.ts';
import type { TokenUsage } from './types.ts';

export const tokenBudgetSchema = z
  .object({
    /** Most prompt + completion tokens for the run (absent = no limit). */
    maxTokens: z.number().int().positive().optional(),
    /** Most spend in USD for the run, priced with the two per-1k rates below (absent = no limit). */
    maxCostUsd: z.number().positive().optional(),
    promptUsdPer1k: z.number().nonnegative().default(0),
    completionUsdPer1k: z.number().nonnegative().default(0),
  })
  .strict();
export type TokenBudgetConfig = z.infer<typeof tokenBudgetSchema>;

export interface BudgetSpent {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number;
  /** Requests refused because the budget was spent. */
  readonly refused: number;
}

export class TokenBudget {
  private promptTokens = 0;
  private completionTokens = 0;
  private refused = 0;
  constructor(readonly config: TokenBudgetConfig = tokenBudgetSchema.parse({})) {}

  /** Throws BudgetExceededError (and counts the refusal) when a limit is already reached. */
  check(): void {
    const why = this.exhaustedBecause();
    if (why === undefined) return;
    this.refused++;
    throw new BudgetExceededError(why);
  }

  charge(usage: TokenUsage): void {
    this.promptTokens += usage.promptTokens;
    this.completionTokens += usage.completionTokens;
  }

  get exhausted(): boolean {
    return this.exhaustedBecause() !== undefined;
  }

  spent(): BudgetSpent {
    return { promptTokens: this.promptTokens, completionTokens: this.completionTokens, costUsd: this.cost(), refused: this.refused };
  }

  private cost(): number {
    return (this.promptTokens * this.config.promptUsdPer1k + this.completionTokens * this.config.completionUsdPer1k) / 1000;
  }

  private exhaustedBecause(): string | undefined {
    const { maxTokens, maxCostUsd } = this.config;
    const tokens = this.promptTokens + this.completionTokens;
    if (maxTokens !== undefined && tokens >= maxTokens) return `token budget spent: ${tokens} of ${maxTokens} prompt+completion tokens used; no further requests are sent`;
    const cost = this.cost();
    if (maxCostUsd !== undefined && cost >= maxCostUsd) return `cost budget spent: $${cost.toFixed(4)} of $${maxCostUsd} used; no further requests are sent`;
    return undefined;
  }
}
