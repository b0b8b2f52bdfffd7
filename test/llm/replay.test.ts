/**
 * The record → replay path: a run answered by another TextGenerator (here a scripted one standing
 * in for the embedded generator) is recorded as JSONL, and replaying that file through the HTTP
 * provider gives exactly the same outputs — the check issue 15 §4 asks for.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { DataValidationError } from '../../src/core/errors.ts';
import { runBatch } from '../../src/llm/batch.ts';
import { OpenAICompatibleGenerator } from '../../src/llm/openai.ts';
import type { GenerationOutcome, GenerationRequest, GenerationResult, TextGenerator } from '../../src/llm/types.ts';
import { tempDir } from '../contracts/helpers.ts';
import { FAST, readRecording, responderFromGenerator, startReplayServer } from './loopback-server.ts';

/** A deterministic local generator (what the embedded one is to the real experiment). */
const local: TextGenerator = {
  provider: 'local',
  model: 'toy',
  async generate(r: GenerationRequest): Promise<GenerationResult> {
    return { text: `${r.prompt.split(' ').reverse().join(' ')} ${r.seed % 7}`, finishReason: r.prompt.length > 20 ? 'length' : 'stop', usage: { promptTokens: r.prompt.length, completionTokens: 3 }, cached: false };
  },
  generateBatch(rs, o) {
    return runBatch(rs, 1, async (r) => ({ ok: true, result: await this.generate(r) }), o);
  },
  async close() {},
};

const requests: GenerationRequest[] = ['dewalt drill', 'copper pipe fitting 3/4 inch elbow', 'garden hose', '电钻 tools'].map((prompt, i) => ({ prompt, seed: 11 * i, params: { temperature: 0.7, topK: 20 } }));
const view = (os: readonly GenerationOutcome[]): string => JSON.stringify(os.map((o) => (o.ok ? [o.result.text, o.result.finishReason, o.result.usage] : o.reason)));

test('replay: record through a responder, replay the file through the HTTP provider, same outputs as the local generator', async () => {
  const tmp = tempDir('replay-');
  try {
    const file = tmp.path('run.jsonl');
    const recorder = await startReplayServer({ responder: responderFromGenerator(local), recordTo: file });
    const viaRecorder = await new OpenAICompatibleGenerator({ baseURL: recorder.url, model: 'toy', sendTopK: true, ...FAST }, { env: {} }).generateBatch(requests);
    await recorder.close();
    const direct = await local.generateBatch(requests);
    assert.equal(view(viaRecorder), view(direct), 'the HTTP path carries text, finish reason and usage unchanged');
    assert.equal(readRecording(file).length, requests.length);

    const replay = await startReplayServer({ recording: file });
    try {
      const replayed = await new OpenAICompatibleGenerator({ baseURL: replay.url, model: 'toy', sendTopK: true, concurrency: 3, ...FAST }, { env: {} }).generateBatch(requests);
      assert.equal(view(replayed), view(direct));
      assert.equal(replay.stats.served, requests.length);
      // A request the recording does not hold is a non-retryable 404: provider-error, nothing invented.
      const [miss] = await new OpenAICompatibleGenerator({ baseURL: replay.url, model: 'toy', ...FAST }, { env: {} }).generateBatch([{ prompt: 'not recorded', seed: 1 }]);
      assert.ok(miss && !miss.ok && miss.reason === 'provider-error' && /HTTP 404/.test(miss.message));
      assert.equal(replay.stats.unmatched, 1);
    } finally {
      await replay.close();
    }
    // Same run, same recording bytes (sorted by key, canonical JSON).
    const again = tmp.path('again.jsonl');
    const recorder2 = await startReplayServer({ responder: responderFromGenerator(local), recordTo: again });
    await new OpenAICompatibleGenerator({ baseURL: recorder2.url, model: 'toy', sendTopK: true, concurrency: 4, ...FAST }, { env: {} }).generateBatch(requests);
    await recorder2.close();
    assert.equal(readFileSync(again, 'utf8'), readFileSync(file, 'utf8'));
  } finally {
    tmp.cleanup();
  }
});

test('replay: a damaged recording line is a DataValidationError naming file and line', () => {
  const tmp = tempDir('replay-');
  try {
    const file = tmp.path('bad.jsonl');
    writeFileSync(file, '{"request":{"model":"m","messages":[]},"response":{"text":"ok"}}\n{"request":\n');
    assert.throws(() => readRecording(file), (e: unknown) => e instanceof DataValidationError && e.location.file === file && e.location.line === 2);
  } finally {
    tmp.cleanup();
  }
});
