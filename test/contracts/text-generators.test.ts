/**
 * The contract of every text generator entry: a description; defaults = what its strict schema
 * gives for {}; an unknown key or a value of the wrong kind is a ConfigError naming the key path;
 * the generator it builds reports the entry's name as its provider (the cache keys on it) and a
 * model identity that holds no secret.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedKeysAt, ConfigError, parseWithSchema } from '../../src/core/index.ts';
import { NODE_LLAMA_CPP_MISSING, textGenerators } from '../../src/llm/index.ts';

/** The least each entry needs to build (keys an entry does not allow are dropped). */
const REQUIRED: Readonly<Record<string, unknown>> = { modelPath: 'tiny-model.gguf' };
const requiredFor = (name: string): Record<string, unknown> => {
  const allowed = new Set(allowedKeysAt(textGenerators.entry(name).schema, []));
  return Object.fromEntries(Object.entries(REQUIRED).filter(([k]) => allowed.has(k)));
};

test('text generator registry: openai-compatible and llama-cpp are registered; every entry has a description and the defaults its schema gives', () => {
  for (const name of ['openai-compatible', 'llama-cpp']) assert.ok(textGenerators.has(name), name);
  for (const e of textGenerators.entries()) {
    assert.ok(e.description.trim().length > 0, e.name);
    assert.deepEqual(parseWithSchema(e.schema, {}), e.defaults, e.name);
  }
});

for (const entry of textGenerators.entries()) {
  test(`text generator ${entry.name}: unknown keys and wrongly typed values are ConfigErrors naming the key path`, () => {
    const allowed = allowedKeysAt(entry.schema, []);
    assert.throws(
      () => textGenerators.parse(entry.name, { hiden_typo: 3 }, ['llm', 'config']),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.location.field, 'llm.config.hiden_typo');
        for (const k of allowed) assert.match(e.message, new RegExp(`\\b${k}\\b`), `lists ${k}`);
        return true;
      },
    );
    // A nested array fits no field of any kind (string, number, boolean, object, list of strings).
    for (const k of allowed)
      assert.throws(
        () => textGenerators.create(entry.name, { ...requiredFor(entry.name), [k]: [[1]] }),
        (e: unknown) => e instanceof ConfigError && e.location.field === k,
        `${entry.name}.${k}`,
      );
  });

  test(`text generator ${entry.name}: builds with its provider name and a model identity free of secrets`, async () => {
    const g = textGenerators.create(entry.name, requiredFor(entry.name));
    try {
      assert.equal(g.provider, entry.name);
      assert.ok(g.model.length > 0);
      assert.ok(!/sk-|key/i.test(g.model));
    } finally {
      await g.close();
    }
  });
}

test('text generator openai-compatible: apiKeyEnv is a variable name; a key pasted there is refused', () => {
  assert.equal((textGenerators.parse('openai-compatible', {}) as { apiKeyEnv: string }).apiKeyEnv, 'OPENAI_API_KEY');
  assert.throws(() => textGenerators.create('openai-compatible', { apiKeyEnv: 'sk-proj-123' }), (e: unknown) => e instanceof ConfigError && e.location.field === 'apiKeyEnv' && !e.message.includes('sk-proj-123'));
});

test('text generator llama-cpp: modelPath is required; without node-llama-cpp installed, generate is the ConfigError naming the install command', async () => {
  assert.throws(() => textGenerators.create('llama-cpp', {}), (e: unknown) => e instanceof ConfigError && e.location.field === 'modelPath');
  const g = textGenerators.create('llama-cpp', { modelPath: '/models/tiny.gguf', contextSize: 512 });
  assert.equal(g.model, 'tiny.gguf', 'the identity is the file name, not the machine-specific folder');
  await assert.rejects(g.generate({ prompt: 'p', seed: 1 }), (e: unknown) => e instanceof ConfigError && e.message === NODE_LLAMA_CPP_MISSING);
  await assert.rejects(g.generateBatch([{ prompt: 'p', seed: 1 }]), ConfigError, 'a missing module is a config problem for the whole batch, not a per-request rejection');
  await g.close();
});
