/** The per-run token and cost budget: exceeded mid-run, the remaining requests are counted `budget-exceeded` and never sent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetExceededError } from '../../src/llm/errors.ts';
import { TokenBudget } from '../../src/llm/budget.ts';
import { OpenAICompatibleGenerator } from '../../src/llm/openai.ts';
import { countRejections } from '../../src/llm/batch.ts';
import { SamplifyError } from '../../src/core/errors.ts';
import { echoResponder, FAST, startReplayServer } from './loopback-server.ts';

const reqs = Array.from({ length: 10 }, (_, i) => ({ prompt: `p${i}`, seed: i }));

test('budget: a token budget spent mid-run stops sending; the rest are budget-exceeded outcomes', async () => {
  const server = await startReplayServer({ responder: echoResponder });
  try {
    // Each answer costs 10 + 5 tokens: 45 tokens allow exactly 3 requests at concurrency 1.
    const g = new OpenAICompatibleGenerator({ baseURL: server.url, concurrency: 1, budget: { maxTokens: 45 }, ...FAST }, { env: {} });
    const out = await g.generateBatch(reqs);
    assert.deepEqual(out.map((o) => o.ok), [true, true, true, false, false, false, false, false, false, false]);
    assert.deepEqual(countRejections(out), { 'budget-exceeded': 7 });
    assert.equal(server.stats.calls, 3);
    assert.deepEqual(g.budget.spent(), { promptTokens: 30, completionTokens: 15, costUsd: 0, refused: 7 });
    await assert.rejects(g.generate(reqs[0]!), (e: unknown) => e instanceof BudgetExceededError && e instanceof SamplifyError && e.reason === 'budget-exceeded' && /token budget spent: 45 of 45/.test(e.message));
  } finally {
    await server.close();
  }
});

test('budget: a cost budget priced per 1k tokens; in-flight requests may finish, nothing starts after', async () => {
  const server = await startReplayServer({ responder: echoResponder, delayMs: 5 });
  try {
    // 10 prompt tokens at $1/1k + 5 completion at $2/1k = $0.02 a request; $0.05 is crossed by the 3rd.
    const budget = new TokenBudget({ maxCostUsd: 0.05, promptUsdPer1k: 1, completionUsdPer1k: 2 });
    const g = new OpenAICompatibleGenerator({ baseURL: server.url, concurrency: 2, ...FAST }, { env: {}, budget });
    const out = await g.generateBatch(reqs);
    const kept = out.filter((o) => o.ok).length;
    assert.ok(kept >= 3 && kept <= 4, `kept ${kept}: 3 to cross the limit, plus at most one already in flight`);
    assert.equal(server.stats.calls, kept);
    assert.ok(out.slice(kept).every((o) => !o.ok && o.reason === 'budget-exceeded'), 'kept ones come first, then only refusals');
    assert.ok(Math.abs(budget.spent().costUsd - kept * 0.02) < 1e-12);
  } finally {
    await server.close();
  }
});

test('budget: no limits means no refusals', () => {
  const b = new TokenBudget();
  b.charge({ promptTokens: 1e9, completionTokens: 1e9 });
  assert.doesNotThrow(() => b.check());
  assert.equal(b.exhausted, false);
});
