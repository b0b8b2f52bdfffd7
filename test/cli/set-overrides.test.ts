/** The layering mechanism under every command (src/core/config.ts): --set parsing, merge order, key paths in errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { applyOverrides, ConfigError, layerConfig, mergeLayers, parseSetOverride, parseWithSchema, allowedKeysAt } from '../../src/core/index.ts';

test('--set values are read as YAML scalars / JSON; key paths take dots and [i]', () => {
  assert.deepEqual(parseSetOverride('seeds=1'), { path: ['seeds'], value: 1 });
  assert.deepEqual(parseSetOverride('model.config.loss=ce'), { path: ['model', 'config', 'loss'], value: 'ce' });
  assert.deepEqual(parseSetOverride('a.b=true'), { path: ['a', 'b'], value: true });
  assert.deepEqual(parseSetOverride('arms[1].views=2'), { path: ['arms', 1, 'views'], value: 2 });
  assert.deepEqual(parseSetOverride('arms.1.views=2'), { path: ['arms', 1, 'views'], value: 2 });
  assert.deepEqual(parseSetOverride('xs=[1, 2]'), { path: ['xs'], value: [1, 2] });
  assert.deepEqual(parseSetOverride('o={"a": 1}'), { path: ['o'], value: { a: 1 } });
  assert.deepEqual(parseSetOverride('s="007"'), { path: ['s'], value: '007' });
  assert.deepEqual(parseSetOverride('eq=a=b'), { path: ['eq'], value: 'a=b' });
  assert.throws(() => parseSetOverride('novalue'), ConfigError);
  assert.throws(() => parseSetOverride('a..b=1'), ConfigError);
  assert.throws(() => parseSetOverride('x=[1, '), (e: unknown) => e instanceof ConfigError && e.location.field === 'x');
});

test('layers: defaults < file < --set; objects merge, arrays and scalars are replaced; the input is not modified', () => {
  const defaults = { a: 1, m: { x: 1, y: 2 }, list: [1, 2, 3] };
  const file = { m: { y: 20 }, list: [9] };
  const before = JSON.stringify(file);
  assert.deepEqual(mergeLayers(defaults, file), { a: 1, m: { x: 1, y: 20 }, list: [9] });
  assert.deepEqual(layerConfig(defaults, file, ['m.x=5', 'list[1]=7', 'n.k=v', 'a=3', 'a=4']), { a: 4, m: { x: 5, y: 20 }, list: [9, 7], n: { k: 'v' } });
  assert.equal(JSON.stringify(file), before);
  assert.deepEqual(applyOverrides({ a: 1 }, [{ path: ['a'], value: { b: 2 } }]), { a: { b: 2 } });
});

test('zod issues become one ConfigError with the full key path; unknown keys list the allowed ones', () => {
  const schema = z.object({ model: z.object({ config: z.object({ hidden: z.number().default(1), blocks: z.number().default(2) }).strict() }).strict(), arms: z.array(z.object({ views: z.number() }).strict()) }).strict();
  assert.deepEqual(allowedKeysAt(schema, ['model', 'config']), ['hidden', 'blocks']);
  assert.deepEqual(allowedKeysAt(schema, ['arms', 0]), ['views']);
  assert.throws(() => parseWithSchema(schema, { model: { config: { hiden: 3 } }, arms: [] }, 'c.yaml'), (e: unknown) =>
    e instanceof ConfigError && e.location.field === 'model.config.hiden' && e.location.file === 'c.yaml' && /Unrecognized key 'hiden'; allowed keys: hidden, blocks/.test(e.message));
  assert.throws(() => parseWithSchema(schema, { model: { config: {} }, arms: [{ views: 'x' }] }), (e: unknown) => e instanceof ConfigError && e.location.field === 'arms[0].views' && /got "x"/.test(e.message));
  assert.throws(() => parseWithSchema(schema, { model: { config: {} } }), (e: unknown) => e instanceof ConfigError && e.location.field === 'arms' && /required/.test(e.message));
  assert.throws(() => parseWithSchema(schema.shape.model, { config: { blocks: 'x' } }, { prefix: ['model'] }), (e: unknown) => e instanceof ConfigError && e.location.field === 'model.config.blocks');
});

test('settings: SAMPLIFY_THREADS is the default of settings.threads; applied settings are what runSettings() records', async () => {
  const { defaultThreads, nativeAvailable } = await import('../../src/nn/backend.ts');
  const { applySettings, runSettings, settingsSchema } = await import('../../src/experiment/index.ts');
  const saved = process.env.SAMPLIFY_THREADS;
  try {
    process.env.SAMPLIFY_THREADS = '3';
    assert.equal(defaultThreads(), 3);
    process.env.SAMPLIFY_THREADS = 'x';
    assert.ok(defaultThreads() >= 1);
  } finally {
    if (saved === undefined) delete process.env.SAMPLIFY_THREADS;
    else process.env.SAMPLIFY_THREADS = saved;
  }
  assert.deepEqual(settingsSchema.parse({}), { backend: 'auto' });
  if (nativeAvailable()) {
    applySettings({ threads: 3, backend: 'native' });
    assert.deepEqual(runSettings(), { threads: 3, backend: 'native-openblas' });
  }
  applySettings({ backend: 'typescript' });
  assert.deepEqual(runSettings(), { threads: 1, backend: 'typescript' });
});
