/**
 * OpenAICompatibleGenerator against the loopback server: parameter mapping, every failure path
 * (429 storms with Retry-After, 500s, hangs, resets, malformed JSON, truncated bodies and streams,
 * non-retryable 4xx), the concurrency limit measured by the server, and abort.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, InterruptedError } from '../../src/core/errors.ts';
import { GenerationError } from '../../src/llm/errors.ts';
import { OpenAICompatibleGenerator } from '../../src/llm/openai.ts';
import type { ChatCompletionBody } from '../../src/llm/chat-mapping.ts';
import type { GenerationRequest } from '../../src/llm/types.ts';
import { echoResponder, FAST, HANG_TIMEOUT_MS, startReplayServer, type FaultPlan } from './loopback-server.ts';

const requests = (n: number): GenerationRequest[] => Array.from({ length: n }, (_, i) => ({ prompt: `drill ${i}`, system: 'write a query', seed: 100 + i }));

async function withServer<T>(faults: FaultPlan | undefined, run: (url: string, stats: import('../../src/llm/replay-server.ts').ReplayServerStats) => Promise<T>, extra: { delayMs?: number } = {}): Promise<T> {
  const server = await startReplayServer({ responder: echoResponder, ...(faults ? { faults } : {}), ...extra });
  try {
    return await run(server.url, server.stats);
  } finally {
    await server.close();
  }
}

test('openai-compatible: maps params onto the body (temperature, top_p, max_tokens, stop, seed; top_k only when asked) and returns the text', async () => {
  const seen: ChatCompletionBody[] = [];
  const server = await startReplayServer({ responder: (b) => (seen.push(b), echoResponder(b)) });
  try {
    const g = new OpenAICompatibleGenerator({ baseURL: server.url, model: 'm1', ...FAST }, { env: {} });
    const r = await g.generate({ prompt: 'hammer', system: 'sys', seed: 7, params: { temperature: 0.2, topP: 0.5, maxTokens: 9, stop: ['\n'], topK: 5 } });
    assert.equal(r.text, echoResponder(seen[0]!).text);
    assert.deepEqual(r.usage, { promptTokens: 10, completionTokens: 5 });
    assert.equal(r.cached, false);
    assert.deepEqual(seen[0]!.messages, [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hammer' }]);
    assert.equal(seen[0]!.temperature, 0.2);
    assert.equal(seen[0]!.top_p, 0.5);
    assert.equal(seen[0]!.max_tokens, 9);
    assert.deepEqual(seen[0]!.stop, ['\n']);
    assert.equal(seen[0]!.seed, 7);
    assert.equal(seen[0]!.top_k, undefined, 'top_k is not sent unless sendTopK');
    const g2 = new OpenAICompatibleGenerator({ baseURL: server.url, model: 'm1', sendTopK: true, ...FAST }, { env: {} });
    await g2.generate({ prompt: 'hammer', seed: 7, params: { topK: 5 } });
    assert.equal(seen[1]!.top_k, 5);
  } finally {
    await server.close();
  }
});

test('openai-compatible: a 429 storm with Retry-After is waited out (the wait honoured), then the answer is kept', async () => {
  await withServer((call) => (call < 3 ? { kind: 'status', status: 429, retryAfterS: 0.05 } : undefined), async (url, stats) => {
    const g = new OpenAICompatibleGenerator({ baseURL: url, ...FAST }, { env: {} });
    const t0 = performance.now();
    const r = await g.generate({ prompt: 'saw', seed: 1 });
    const took = performance.now() - t0;
    assert.match(r.text, /^answer to saw/);
    assert.equal(stats.calls, 4);
    assert.equal(g.stats.retries, 3);
    assert.ok(took >= 150, `three Retry-After waits of 50 ms each (took ${took.toFixed(0)} ms)`);
  });
});

test('openai-compatible: a Retry-After beyond maxRetryAfterMs ends the request as provider-error without waiting', async () => {
  await withServer(() => ({ kind: 'status', status: 429, retryAfterS: 3600 }), async (url, stats) => {
    const g = new OpenAICompatibleGenerator({ baseURL: url, ...FAST }, { env: {} });
    const [o] = await g.generateBatch([{ prompt: 'x', seed: 1 }]);
    assert.equal(o!.ok, false);
    assert.equal(!o!.ok && o!.reason, 'provider-error');
    assert.match(!o!.ok ? o!.message : '', /asked to wait 3600000 ms/);
    assert.equal(stats.calls, 1);
  });
});

test('openai-compatible: 500s, resets, hangs (timeouts), malformed JSON and truncated bodies are retried, then kept once the server recovers', async () => {
  const faultKinds = [
    { kind: 'status', status: 500 },
    { kind: 'reset' },
    { kind: 'hang' },
    { kind: 'malformed-json' },
    { kind: 'truncated-body' },
  ] as const;
  for (const fault of faultKinds) {
    await withServer((call) => (call === 0 ? fault : undefined), async (url, stats) => {
      const g = new OpenAICompatibleGenerator({ baseURL: url, ...FAST, ...(fault.kind === 'hang' ? { timeoutMs: HANG_TIMEOUT_MS } : {}) }, { env: {} });
      const r = await g.generate({ prompt: 'level', seed: 3 });
      assert.match(r.text, /^answer to level/, fault.kind);
      assert.equal(stats.calls, 2, `${fault.kind}: one failed call, one good`);
      assert.equal(g.stats.retries, 1, fault.kind);
    });
  }
});

test('openai-compatible: when retries run out, each fault is an outcome with its counted reason and no text', async () => {
  const cases = [
    [{ kind: 'status', status: 503 }, 'provider-error', /HTTP 503/],
    [{ kind: 'hang' }, 'provider-error', /timed out after 1000 ms/],
    [{ kind: 'malformed-json' }, 'invalid-output', /malformed JSON/],
    [{ kind: 'truncated-body' }, 'truncated', /cut short/],
    [{ kind: 'reset' }, 'provider-error', /connection/],
  ] as const;
  for (const [fault, reason, message] of cases) {
    await withServer(() => fault, async (url, stats) => {
      const g = new OpenAICompatibleGenerator({ baseURL: url, ...FAST, retries: 1, timeoutMs: HANG_TIMEOUT_MS }, { env: {} });
      const [o] = await g.generateBatch([{ prompt: 'p', seed: 1 }]);
      assert.ok(o && !o.ok, `${fault.kind}: rejected`);
      assert.equal(o.reason, reason, `${fault.kind}: ${o.message}`);
      assert.match(o.message, message, fault.kind);
      assert.match(o.message, /after 2 attempts/);
      assert.equal(stats.calls, 2, `${fault.kind}: first try + 1 retry`);
      assert.equal(stats.served, 0);
    });
  }
});

test('openai-compatible: a non-retryable 4xx is provider-error at once; 401 names the variable, never a key', async () => {
  await withServer(() => ({ kind: 'status', status: 401 }), async (url, stats) => {
    const secret = 'sk-test-SECRET-never-shown';
    const g = new OpenAICompatibleGenerator({ baseURL: url, apiKeyEnv: 'MY_LLM_KEY', ...FAST }, { env: { MY_LLM_KEY: secret } });
    await assert.rejects(g.generate({ prompt: 'p', seed: 1 }), (e: unknown) => {
      assert.ok(e instanceof GenerationError);
      assert.equal(e.reason, 'provider-error');
      assert.match(e.message, /HTTP 401.*MY_LLM_KEY/);
      assert.ok(!e.message.includes(secret));
      return true;
    });
    assert.equal(stats.calls, 1, 'no retry');
  });
});

test('openai-compatible: the API key is sent as a bearer token but appears in no config, stats or message', async () => {
  let auth: string | undefined;
  const server = await startReplayServer({ responder: echoResponder });
  const { createServer } = await import('node:http');
  // A proxy in front of the replay server that records the Authorization header.
  const proxy = createServer((req, res) => {
    auth = req.headers.authorization;
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', async () => {
      const r = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: Buffer.concat(parts), headers: { 'content-type': 'application/json' } });
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(await r.text());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (proxy.address() as import('node:net').AddressInfo).port;
    const g = new OpenAICompatibleGenerator({ baseURL: `http://127.0.0.1:${port}/v1`, ...FAST }, { env: { OPENAI_API_KEY: 'sk-abc-123' } });
    await g.generate({ prompt: 'p', seed: 1 });
    assert.equal(auth, 'Bearer sk-abc-123');
    assert.ok(!JSON.stringify(g.config).includes('sk-abc'));
    assert.ok(!JSON.stringify(g.stats).includes('sk-abc'));
    assert.ok(!g.model.includes('sk-abc'));
  } finally {
    proxy.close();
    await server.close();
  }
});

test('openai-compatible: a key pasted into apiKeyEnv is a ConfigError that does not echo it', () => {
  assert.throws(() => new OpenAICompatibleGenerator({ apiKeyEnv: 'sk-live-abcdef' }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.location.field, 'apiKeyEnv');
    assert.ok(!e.message.includes('sk-live-abcdef'), e.message);
    return true;
  });
});

test('openai-compatible: streaming keeps a complete stream; a truncated stream is `truncated` after retries, its prefix never kept', async () => {
  await withServer(undefined, async (url) => {
    const g = new OpenAICompatibleGenerator({ baseURL: url, stream: true, ...FAST }, { env: {} });
    const r = await g.generate({ prompt: 'chisel', seed: 2 });
    const plain = await new OpenAICompatibleGenerator({ baseURL: url, ...FAST }, { env: {} }).generate({ prompt: 'chisel', seed: 2 });
    assert.equal(r.text, plain.text);
    assert.deepEqual(r.usage, plain.usage);
  });
  await withServer(() => ({ kind: 'truncated-stream' }), async (url, stats) => {
    const g = new OpenAICompatibleGenerator({ baseURL: url, stream: true, ...FAST, retries: 2 }, { env: {} });
    const [o] = await g.generateBatch([{ prompt: 'chisel', seed: 2 }]);
    assert.ok(o && !o.ok);
    assert.equal(o.reason, 'truncated');
    assert.equal(stats.calls, 3);
    assert.equal(g.stats.rejected.truncated, 1);
  });
  await withServer((call) => (call === 0 ? { kind: 'truncated-stream' } : undefined), async (url) => {
    const g = new OpenAICompatibleGenerator({ baseURL: url, stream: true, ...FAST }, { env: {} });
    assert.match((await g.generate({ prompt: 'chisel', seed: 2 })).text, /^answer to chisel/);
  });
});

for (const limit of [1, 3]) {
  test(`openai-compatible: concurrency ${limit} — the server never holds more than ${limit} requests; results in request order`, async () => {
    await withServer(undefined, async (url, stats) => {
      const g = new OpenAICompatibleGenerator({ baseURL: url, concurrency: limit, ...FAST }, { env: {} });
      const reqs = requests(12);
      const outcomes = await g.generateBatch(reqs);
      assert.equal(stats.maxInFlight, limit, 'the limit is reached and never passed');
      assert.ok(g.stats.maxInFlight <= limit);
      outcomes.forEach((o, i) => assert.ok(o.ok && o.result.text.startsWith(`answer to drill ${i} `)));
      // Single generate calls share the same limiter.
      await Promise.all(reqs.map((r) => g.generate(r)));
      assert.equal(stats.maxInFlight, limit);
    }, { delayMs: 15 });
  });
}

test('openai-compatible: same seed ⇒ same retry waits (jitter from the request seed, not Math.random)', async () => {
  const { backoffDelayMs } = await import('../../src/llm/retry.ts');
  const cfg = { backoffBaseMs: 100, backoffMaxMs: 10_000 };
  const a = [0, 1, 2, 3].map((k) => backoffDelayMs(cfg, k, 42));
  assert.deepEqual(a, [0, 1, 2, 3].map((k) => backoffDelayMs(cfg, k, 42)));
  a.forEach((d, k) => assert.ok(d >= 50 * 2 ** k && d < 100 * 2 ** k, `attempt ${k}: ${d}`));
  assert.notDeepEqual(a, [0, 1, 2, 3].map((k) => backoffDelayMs(cfg, k, 43)));
});

test('openai-compatible: an abort mid-batch stops new requests, lets sent ones finish, and rejects with InterruptedError', async () => {
  await withServer(undefined, async (url, stats) => {
    const g = new OpenAICompatibleGenerator({ baseURL: url, concurrency: 2, ...FAST }, { env: {} });
    const ctl = new AbortController();
    await assert.rejects(g.generateBatch(requests(10), { signal: ctl.signal, onProgress: (done) => done === 3 && ctl.abort() }), InterruptedError);
    assert.ok(stats.calls >= 3 && stats.calls <= 5, `stopped early (${stats.calls} calls)`);
    assert.equal(stats.served, stats.calls, 'requests already sent were answered, not cut off');
  }, { delayMs: 10 });
});

test('openai-compatible: an empty completion is invalid-output (as the embedded generator reports it), not kept and not retried with the same seed', async () => {
  for (const stream of [false, true]) {
    const server = await startReplayServer({ responder: (b) => ({ text: b.seed === 1 ? '  ' : 'ok', finishReason: 'stop' }) });
    try {
      const g = new OpenAICompatibleGenerator({ baseURL: server.url, model: 'm', stream, ...FAST }, { env: {} });
      const [empty, kept] = await g.generateBatch([{ prompt: 'p', seed: 1 }, { prompt: 'p', seed: 2 }]);
      assert.ok(empty && !empty.ok && empty.reason === 'invalid-output' && /no text/.test(empty.message), JSON.stringify(empty));
      assert.ok(kept?.ok && kept.result.text === 'ok');
      assert.equal(server.stats.calls, 2, 'one call each: the empty answer is not asked for again');
    } finally {
      await server.close();
    }
  }
});
