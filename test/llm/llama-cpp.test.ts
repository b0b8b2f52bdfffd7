/** LlamaCppGenerator without node-llama-cpp: the missing-module error, and its option mapping against a stand-in module. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../src/core/errors.ts';
import { LlamaCppGenerator, loadNodeLlamaCpp, NODE_LLAMA_CPP_MISSING } from '../../src/llm/llama-cpp.ts';
import { tempDir } from '../contracts/helpers.ts';
import * as fake from './fake-node-llama-cpp.ts';

const FAKE = pathToFileURL(new URL('./fake-node-llama-cpp.ts', import.meta.url).pathname).href;

test('llama-cpp: a missing node-llama-cpp is the ConfigError with the install command', async () => {
  await assert.rejects(loadNodeLlamaCpp('node-llama-cpp'), (e: unknown) => e instanceof ConfigError && e.message === NODE_LLAMA_CPP_MISSING);
  assert.match(NODE_LLAMA_CPP_MISSING, /npm install node-llama-cpp@3\.22\.1/);
});

test('llama-cpp: a missing model file is a ConfigError naming the file', async () => {
  const g = new LlamaCppGenerator({ modelPath: '/nowhere/m.gguf' }, { moduleSpecifier: FAKE });
  await assert.rejects(g.generate({ prompt: 'p', seed: 1 }), (e: unknown) => e instanceof ConfigError && e.location.file === '/nowhere/m.gguf');
});

test('llama-cpp: params, seed, system prompt and stop strings reach the session; maxTokens stops are `length`; close disposes', async () => {
  const tmp = tempDir('llama-');
  try {
    const modelPath = tmp.path('m.gguf');
    writeFileSync(modelPath, 'GGUF');
    const g = new LlamaCppGenerator({ modelPath }, { moduleSpecifier: FAKE });
    const r = await g.generate({ prompt: 'cordless drill', system: 'write a query', seed: 77, params: { temperature: 0.3, topK: 40, topP: 0.9, maxTokens: 12, stop: ['\n'] } });
    assert.equal(r.text, 'local answer to cordless drill');
    assert.equal(r.finishReason, 'stop');
    assert.deepEqual(r.usage, { promptTokens: 4, completionTokens: 5 });
    assert.deepEqual(fake.calls[0], { prompt: 'cordless drill', systemPrompt: 'write a query', options: { temperature: 0.3, topK: 40, topP: 0.9, seed: 77, maxTokens: 12, customStopTriggers: ['\n'] } });
    const [o] = await g.generateBatch([{ prompt: 'long one', seed: 1 }]);
    assert.ok(o?.ok && o.result.finishReason === 'length');
    assert.equal(fake.calls[1]!.options.topK, undefined, 'topK 0 (the default) means off: not sent');
    await g.close();
    assert.deepEqual(fake.disposed, ['context', 'model', 'llama']);
  } finally {
    tmp.cleanup();
  }
});
