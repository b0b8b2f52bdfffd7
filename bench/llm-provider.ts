/**
 * The HTTP provider against the loopback replay server: requests per second at concurrency
 * 1 / 4 / 16 with a simulated model latency (`--latency-ms`, the server waits that long before
 * each answer) and with none (pure client + server overhead), the most requests the server ever
 * held at once (must equal the limit, never exceed it), and the cache-hit path: median µs per
 * `generate` on a warm on-disk cache, and the same through `generateBatch`.
 *
 *   node --import tsx bench/llm-provider.ts [--requests 200] [--latency-ms 20] [--hits 2000] [--out bench/results/llm-provider.json]
 *
 * No network: everything runs on 127.0.0.1. Writes the JSON atomically.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../src/core/index.ts';
import { CachedGenerator, OpenAICompatibleGenerator, startReplayServer } from '../src/llm/index.ts';
import type { GenerationRequest } from '../src/llm/index.ts';
import { arg } from './args.ts';

const nRequests = Number(arg('requests', '200'));
const latencyMs = Number(arg('latency-ms', '20'));
const nHits = Number(arg('hits', '2000'));
const outPath = resolve(process.cwd(), arg('out', 'bench/results/llm-provider.json'));

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const requests = (n: number, tag: string): GenerationRequest[] => Array.from({ length: n }, (_, i) => ({ prompt: `${tag} product title ${i}`, system: 'Write a search query for this product.', seed: i }));
const responder = () => ({ text: 'cordless drill 20v', finishReason: 'stop' as const, usage: { promptTokens: 20, completionTokens: 5 } });

const throughput: Record<string, unknown>[] = [];
for (const delay of [latencyMs, 0]) {
  for (const concurrency of [1, 4, 16]) {
    const server = await startReplayServer({ responder, delayMs: delay });
    const g = new OpenAICompatibleGenerator({ baseURL: server.url, model: 'bench', concurrency, timeoutMs: 10_000 }, { env: {} });
    await g.generateBatch(requests(8, 'warm'));
    server.stats.maxInFlight = 0;
    const t0 = performance.now();
    const out = await g.generateBatch(requests(nRequests, `c${concurrency}d${delay}`));
    const seconds = (performance.now() - t0) / 1000;
    await server.close();
    const row = {
      serverLatencyMs: delay,
      concurrency,
      requests: nRequests,
      ok: out.filter((o) => o.ok).length,
      requestsPerSecond: Math.round((nRequests / seconds) * 10) / 10,
      maxInFlightMeasuredByServer: server.stats.maxInFlight,
      limitHonoured: server.stats.maxInFlight <= concurrency,
    };
    throughput.push(row);
    console.log(JSON.stringify(row));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'llm-bench-cache-'));
let cacheHit: Record<string, unknown>;
try {
  const server = await startReplayServer({ responder });
  const make = () => new CachedGenerator(new OpenAICompatibleGenerator({ baseURL: server.url, model: 'bench', concurrency: 16 }, { env: {} }), { dir });
  const reqs = requests(nHits, 'hit');
  await make().generateBatch(reqs);
  const callsAfterFill = server.stats.calls;
  const warm = make();
  const perRequestUs: number[] = [];
  for (const r of reqs) {
    const t = process.hrtime.bigint();
    await warm.generate(r);
    perRequestUs.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const t0 = performance.now();
  await make().generateBatch(reqs);
  const batchUsPerRequest = ((performance.now() - t0) * 1000) / nHits;
  cacheHit = {
    entries: nHits,
    medianUsPerGenerate: Math.round(median(perRequestUs) * 10) / 10,
    p90UsPerGenerate: Math.round(perRequestUs.slice().sort((a, b) => a - b)[Math.floor(nHits * 0.9)]! * 10) / 10,
    batchUsPerRequest: Math.round(batchUsPerRequest * 10) / 10,
    providerCallsOnHitRuns: server.stats.calls - callsAfterFill,
  };
  console.log(JSON.stringify(cacheHit));
  await server.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

writeJsonAtomic(outPath, {
  command: `node --import tsx bench/llm-provider.ts --requests ${nRequests} --latency-ms ${latencyMs} --hits ${nHits}`,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: Math.round(loadavg()[0]! * 100) / 100, node: process.version },
  throughput,
  cacheHit,
});
console.log(`wrote ${outPath}`);
