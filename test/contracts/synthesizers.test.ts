/**
 * The contract of every synthesizer entry (tables and whole histories): same seed ⇒ same samples;
 * save → load ⇒ the same samples; bad params are ConfigErrors naming the key path, at config parse
 * time (synthesizer.params.<key>).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWithSchema } from '../../src/core/index.ts';
import { synthesizers, sequenceSynthesizers, synthesizerSpecSchema } from '../../src/synth/index.ts';
import { mixedTable } from '../synth/transformer-fixtures.ts';
import { assertConfigError, checkBadParams, tempDir, tinyFor, tinyTrain } from './helpers.ts';

const { table, metadata } = mixedTable(120, 5);
const train = tinyTrain();

for (const [kind, registry] of [['table', synthesizers], ['sequence', sequenceSynthesizers]] as const) {
  test(`${kind} synthesizer registry: an unknown name is a ConfigError at synthesizer.name listing every entry`, () => {
    assert.throws(
      () => parseWithSchema(synthesizerSpecSchema(registry as never), { name: 'gan9000' }, { prefix: ['synthesizer'] }),
      (e: Error & { location?: { field?: string } }) => e.name === 'ConfigError' && e.location?.field === 'synthesizer.name' && registry.names().every((n) => e.message.includes(n)),
    );
  });
}

for (const entry of synthesizers.entries()) {
  const params = tinyFor(entry.schema);
  test(`table synthesizer ${entry.name}: same seed ⇒ same samples; save → load ⇒ same samples`, async () => {
    const fit = async () => {
      const s = synthesizers.create(entry.name, params);
      await s.fit(table, metadata, { seed: 4 });
      return s;
    };
    const a = await fit();
    const b = await fit();
    const sample = JSON.stringify(a.sample(40, { seed: 9 }).table);
    assert.equal(JSON.stringify(b.sample(40, { seed: 9 }).table), sample, 'same seed, same rows');
    const tmp = tempDir(`samplify-contract-${entry.name}-`);
    try {
      a.save(tmp.path('model.json'));
      const loaded = synthesizers.create(entry.name, params);
      loaded.load(tmp.path('model.json'));
      assert.equal(JSON.stringify(loaded.sample(40, { seed: 9 }).table), sample, 'loaded synthesizer samples as the saved one');
    } finally {
      tmp.cleanup();
    }
  });
  test(`table synthesizer ${entry.name}: bad params are ConfigErrors naming synthesizer.params.<key>`, () => {
    assert.ok(entry.description.length > 0);
    assert.deepEqual(parseWithSchema(entry.schema, {}), entry.defaults);
    const spec = synthesizerSpecSchema(synthesizers);
    checkBadParams(entry.schema, [], (raw) => parseWithSchema(spec, { name: entry.name, params: raw }, { prefix: ['synthesizer'] }), 'synthesizer.params.', entry.name);
    assertConfigError(() => synthesizers.create(entry.name, { hiden_typo: 1 }), 'hiden_typo', entry.name);
  });
}

for (const entry of sequenceSynthesizers.entries()) {
  const network = tinyFor(entry.schema, ['network']);
  const params = { ...tinyFor(entry.schema), ...(Object.keys(network).length ? { network } : {}) };
  test(`sequence synthesizer ${entry.name}: same seed ⇒ same histories; save → load ⇒ same histories`, async () => {
    const fit = async () => {
      const s = sequenceSynthesizers.create(entry.name, params);
      await s.fit(train, { seed: 4 });
      return s;
    };
    const a = await fit();
    const b = await fit();
    const show = (h: Int32Array[]) => JSON.stringify(h.map((x) => Array.from(x)));
    const sample = show(a.sample(15, { seed: 9 }));
    assert.equal(show(b.sample(15, { seed: 9 })), sample, 'same seed, same histories');
    const tmp = tempDir(`samplify-contract-${entry.name}-`);
    try {
      a.save(tmp.path('model'));
      const loaded = sequenceSynthesizers.create(entry.name, params);
      loaded.load(tmp.path('model'));
      assert.equal(show(loaded.sample(15, { seed: 9 })), sample, 'loaded synthesizer samples as the saved one');
    } finally {
      tmp.cleanup();
    }
  });
  test(`sequence synthesizer ${entry.name}: bad params are ConfigErrors naming synthesizer.params.<key>`, () => {
    assert.ok(entry.description.length > 0);
    assert.deepEqual(parseWithSchema(entry.schema, {}), entry.defaults);
    const spec = synthesizerSpecSchema(sequenceSynthesizers);
    checkBadParams(entry.schema, [], (raw) => parseWithSchema(spec, { name: entry.name, params: raw }, { prefix: ['synthesizer'] }), 'synthesizer.params.', entry.name);
    assertConfigError(() => sequenceSynthesizers.create(entry.name, { hiden_typo: 1 }), 'hiden_typo', entry.name);
  });
}
