/**
 * CachedGenerator over the HTTP provider and the loopback server: a rerun makes zero server calls
 * and is byte-identical; offline misses are counted outcomes / a clear error; rejections are never
 * cached; an abort mid-batch leaves only whole entries and the rerun generates nothing twice.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { DataValidationError, InterruptedError } from '../../src/core/errors.ts';
import { CachedGenerator, cacheKey, cacheKeyFields } from '../../src/llm/cache.ts';
import { OfflineCacheMissError } from '../../src/llm/errors.ts';
import { OpenAICompatibleGenerator } from '../../src/llm/openai.ts';
import type { GenerationOutcome, GenerationRequest } from '../../src/llm/types.ts';
import { tempDir } from '../contracts/helpers.ts';
import { echoResponder, FAST, startReplayServer } from './loopback-server.ts';

const requests = (n: number): GenerationRequest[] => Array.from({ length: n }, (_, i) => ({ prompt: `cordless drill ${i}`, seed: i, params: { temperature: 0.5 } }));
const texts = (os: readonly GenerationOutcome[]): string => JSON.stringify(os.map((o) => (o.ok ? [o.result.text, o.result.finishReason, o.result.usage] : [o.reason])));

/** Every file under `dir` (a plain walk: recursive readdir with file types repeats entries on some Node 20 releases). */
function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out.sort();
}

test('cache: a rerun makes zero provider calls and gives byte-identical results; entries hold no key or URL', async () => {
  const tmp = tempDir('llm-cache-');
  const server = await startReplayServer({ responder: echoResponder });
  try {
    const make = () => new CachedGenerator(new OpenAICompatibleGenerator({ baseURL: server.url, model: 'm', ...FAST }, { env: { OPENAI_API_KEY: 'sk-zzz-secret' } }), { dir: tmp.dir });
    const first = make();
    const a = await first.generateBatch(requests(6));
    assert.equal(server.stats.calls, 6);
    assert.deepEqual(first.stats, { hits: 0, misses: 6, writes: 6 });
    const files = allFiles(tmp.dir);
    assert.equal(files.length, 6, files.join('\n'));
    const bytesBefore = files.map((f) => readFileSync(f, 'utf8'));
    for (const b of bytesBefore) {
      assert.ok(!b.includes('sk-zzz'), 'no API key in an entry');
      assert.ok(!b.includes('127.0.0.1'), 'no base URL in an entry');
    }
    const second = make();
    const b = await second.generateBatch(requests(6));
    assert.equal(server.stats.calls, 6, 'zero calls on rerun');
    assert.deepEqual(second.stats, { hits: 6, misses: 0, writes: 0 });
    assert.equal(texts(b), texts(a), 'byte-identical');
    assert.ok(b.every((o) => o.ok && o.result.cached));
    assert.deepEqual(allFiles(tmp.dir).map((f) => readFileSync(f, 'utf8')), bytesBefore, 'entries unchanged');
    const single = await second.generate(requests(6)[2]!);
    assert.equal(single.cached, true);
    assert.equal(server.stats.calls, 6);
  } finally {
    await server.close();
    tmp.cleanup();
  }
});

test('cache: the key covers provider, model, prompt, system, filled-in params and seed — and nothing else', () => {
  const g = { provider: 'p', model: 'm' };
  const base: GenerationRequest = { prompt: 'a', seed: 1 };
  const k = (r: GenerationRequest, gen = g) => cacheKey(cacheKeyFields(gen, r));
  assert.equal(k(base), k({ ...base, params: { temperature: 0.8 } }), 'a default written out is the same key');
  const variants: GenerationRequest[] = [{ ...base, prompt: 'b' }, { ...base, seed: 2 }, { ...base, system: 's' }, { ...base, params: { topK: 3 } }, { ...base, params: { stop: ['x'] } }];
  const keys = new Set([k(base), ...variants.map((v) => k(v)), k(base, { provider: 'q', model: 'm' }), k(base, { provider: 'p', model: 'n' })]);
  assert.equal(keys.size, variants.length + 3);
  fc.assert(
    fc.property(fc.string(), fc.integer({ min: 0, max: 2 ** 31 }), (prompt, seed) => k({ prompt, seed }) === k({ seed, prompt, params: {} })),
    { numRuns: 50 },
  );
});

test('cache: offline — a miss is a cache-miss-offline outcome in a batch and an OfflineCacheMissError naming the key from generate; nothing is called', async () => {
  const tmp = tempDir('llm-cache-');
  const server = await startReplayServer({ responder: echoResponder });
  try {
    const inner = new OpenAICompatibleGenerator({ baseURL: server.url, ...FAST }, { env: {} });
    await new CachedGenerator(inner, { dir: tmp.dir }).generate(requests(2)[0]!);
    const offline = new CachedGenerator(inner, { dir: tmp.dir, offline: true });
    const outcomes = await offline.generateBatch(requests(2));
    assert.ok(outcomes[0]!.ok);
    assert.ok(!outcomes[1]!.ok && outcomes[1]!.reason === 'cache-miss-offline');
    await assert.rejects(offline.generate(requests(2)[1]!), (e: unknown) => {
      assert.ok(e instanceof OfflineCacheMissError);
      assert.equal(e.exitCode, 2);
      assert.equal(e.reason, 'cache-miss-offline');
      assert.ok(e.message.includes(e.cacheKey));
      assert.equal(e.location.file, offline.entryPath(requests(2)[1]!));
      return true;
    });
    assert.equal(server.stats.calls, 1);
  } finally {
    await server.close();
    tmp.cleanup();
  }
});

test('cache: rejections are never cached — a rerun retries them', async () => {
  const tmp = tempDir('llm-cache-');
  let failing = true;
  const server = await startReplayServer({ responder: echoResponder, faults: (_, body) => (failing && body.messages.at(-1)!.content.endsWith(' 1') ? { kind: 'status', status: 500 } : undefined) });
  try {
    const make = () => new CachedGenerator(new OpenAICompatibleGenerator({ baseURL: server.url, ...FAST, retries: 0 }, { env: {} }), { dir: tmp.dir });
    const a = await make().generateBatch(requests(3));
    assert.deepEqual(a.map((o) => o.ok), [true, false, true]);
    assert.equal(allFiles(tmp.dir).length, 2);
    failing = false;
    const again = make();
    const b = await again.generateBatch(requests(3));
    assert.ok(b.every((o) => o.ok));
    assert.deepEqual(again.stats, { hits: 2, misses: 1, writes: 1 });
  } finally {
    await server.close();
    tmp.cleanup();
  }
});

test('cache: a request repeated within a batch is generated once', async () => {
  const tmp = tempDir('llm-cache-');
  const server = await startReplayServer({ responder: echoResponder });
  try {
    const g = new CachedGenerator(new OpenAICompatibleGenerator({ baseURL: server.url, ...FAST }, { env: {} }), { dir: tmp.dir });
    const r = requests(2);
    const out = await g.generateBatch([r[0]!, r[1]!, r[0]!]);
    assert.equal(server.stats.calls, 2);
    assert.equal(texts([out[0]!]), texts([out[2]!]));
  } finally {
    await server.close();
    tmp.cleanup();
  }
});

test('cache: Ctrl-C mid-batch — InterruptedError, only whole entries on disk, and the rerun resumes: every request reaches the server exactly once', async () => {
  const tmp = tempDir('llm-cache-');
  const server = await startReplayServer({ responder: echoResponder, delayMs: 10 });
  try {
    const make = () => new CachedGenerator(new OpenAICompatibleGenerator({ baseURL: server.url, concurrency: 3, ...FAST }, { env: {} }), { dir: tmp.dir });
    const ctl = new AbortController();
    const reqs = requests(20);
    let settled = 0;
    await assert.rejects(make().generateBatch(reqs, { signal: ctl.signal, onProgress: (done) => ((settled = done), done === 7 && ctl.abort()) }), InterruptedError);
    const afterAbort = allFiles(tmp.dir);
    assert.ok(afterAbort.length >= 7 && afterAbort.length < 20, `${afterAbort.length} entries`);
    assert.equal(afterAbort.length, settled, 'every settled answer is on disk');
    for (const f of afterAbort) {
      assert.ok(f.endsWith('.json'), `no temp file left: ${f}`);
      assert.doesNotThrow(() => JSON.parse(readFileSync(f, 'utf8')), 'whole entries only');
    }
    const callsAfterAbort = server.stats.calls;
    assert.equal(callsAfterAbort, afterAbort.length, 'no request was sent and then thrown away');
    const resumed = make();
    const out = await resumed.generateBatch(reqs);
    assert.ok(out.every((o) => o.ok));
    assert.equal(server.stats.calls, 20, 'nothing generated twice');
    assert.equal(resumed.stats.hits, afterAbort.length);
    const fresh = tempDir('llm-cache-');
    try {
      const straight = await new CachedGenerator(new OpenAICompatibleGenerator({ baseURL: server.url, ...FAST }, { env: {} }), { dir: fresh.dir }).generateBatch(reqs);
      assert.equal(texts(out), texts(straight), 'interrupted + resumed = one straight run');
    } finally {
      fresh.cleanup();
    }
  } finally {
    await server.close();
    tmp.cleanup();
  }
});

test('cache: a damaged entry is a DataValidationError naming the file, not a silent miss', async () => {
  const tmp = tempDir('llm-cache-');
  const server = await startReplayServer({ responder: echoResponder });
  try {
    const g = new CachedGenerator(new OpenAICompatibleGenerator({ baseURL: server.url, ...FAST }, { env: {} }), { dir: tmp.dir });
    const r = requests(1)[0]!;
    await g.generate(r);
    writeFileSync(g.entryPath(r), '{"format":');
    await assert.rejects(g.generate(r), (e: unknown) => e instanceof DataValidationError && e.location.file === g.entryPath(r));
  } finally {
    await server.close();
    tmp.cleanup();
  }
});
