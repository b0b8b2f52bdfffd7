/** Structured and checked text output: JSON (fenced or not) validated by zod, retried with derived seeds, invalid answers never kept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { GenerationError } from '../../src/llm/errors.ts';
import { extractJson, generateStructured, generateText, retrySeed } from '../../src/llm/structured.ts';
import type { BatchOptions, GenerationOutcome, GenerationRequest, GenerationResult, TextGenerator } from '../../src/llm/types.ts';

/** A generator that answers from a script, one entry per call, recording the seeds it was asked with. */
class ScriptedGenerator implements TextGenerator {
  readonly provider = 'scripted';
  readonly model = 'script';
  readonly seeds: number[] = [];
  constructor(private readonly answers: (string | GenerationError)[]) {}
  async generate(request: GenerationRequest): Promise<GenerationResult> {
    this.seeds.push(request.seed);
    const a = this.answers.shift();
    if (a === undefined) throw new Error('script ran out');
    if (a instanceof GenerationError) throw a;
    return { text: a, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, cached: false };
  }
  async generateBatch(_: readonly GenerationRequest[], __?: BatchOptions): Promise<GenerationOutcome[]> {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

const Query = z.object({ query: z.string().min(1), intent: z.enum(['buy', 'browse']) }).strict();

test('structured: plain and ```json-fenced JSON both parse', async () => {
  assert.deepEqual(extractJson('{"a":1}'), { a: 1 });
  assert.deepEqual(extractJson('Here you go:\n```json\n{"a": [1, 2]}\n```\n'), { a: [1, 2] });
  assert.deepEqual(extractJson('```\n[1]\n```'), [1]);
  const g = new ScriptedGenerator(['```json\n{"query":"cordless drill","intent":"buy"}\n```']);
  const o = await generateStructured(g, { prompt: 'p', seed: 5 }, Query);
  assert.ok(o.ok);
  assert.deepEqual(o.value, { query: 'cordless drill', intent: 'buy' });
  assert.equal(o.attempts, 1);
});

test('structured: invalid answers are retried with derived seeds; the valid one is kept', async () => {
  const g = new ScriptedGenerator(['not json', '{"query":"","intent":"buy"}', '{"query":"saw","intent":"browse"}']);
  const o = await generateStructured(g, { prompt: 'p', seed: 9 }, Query, { retries: 2 });
  assert.ok(o.ok);
  assert.equal(o.value.query, 'saw');
  assert.equal(o.attempts, 3);
  assert.deepEqual(g.seeds, [9, retrySeed(9, 1), retrySeed(9, 2)]);
  assert.equal(new Set(g.seeds).size, 3);
});

test('structured: after the retries the outcome is invalid-output with the rejected answers counted; nothing kept', async () => {
  const g = new ScriptedGenerator(['{"query":"x"}', '{"query":"x","intent":"steal"}', '[]']);
  const o = await generateStructured(g, { prompt: 'p', seed: 1 }, Query, { retries: 2 });
  assert.ok(!o.ok);
  assert.equal(o.reason, 'invalid-output');
  assert.equal(o.rejectedAnswers, 3);
  assert.match(o.message, /3 answers rejected: schema: intent/);
  assert.ok(!('value' in o));
});

test('structured: a provider failure keeps its own reason (no extra retries)', async () => {
  const g = new ScriptedGenerator([new GenerationError('budget-exceeded', 'spent')]);
  const o = await generateStructured(g, { prompt: 'p', seed: 1 }, Query);
  assert.ok(!o.ok);
  assert.equal(o.reason, 'budget-exceeded');
  assert.equal(g.seeds.length, 1);
});

test('text validator: empty, whitespace-only and over-long answers are invalid-output; a good one is kept trimmed', async () => {
  const bad = new ScriptedGenerator(['', '   \n\t', 'x'.repeat(101)]);
  const o = await generateText(bad, { prompt: 'p', seed: 1 }, { retries: 2, maxChars: 100 });
  assert.ok(!o.ok);
  assert.equal(o.reason, 'invalid-output');
  assert.match(o.message, /empty; whitespace only; 101 characters, more than 100/);
  const good = new ScriptedGenerator(['  ', '  drill bits \n']);
  const k = await generateText(good, { prompt: 'p', seed: 1 }, { retries: 1 });
  assert.ok(k.ok);
  assert.equal(k.value, 'drill bits');
});
