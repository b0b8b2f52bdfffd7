/** The registries and the name lists config schemas and the CLI use cannot drift apart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_NAMES, models } from '../../src/models/index.ts';
import { SEQUENCE_SYNTHESIZERS, sequenceSynthesizers, synthesizers, synthesizerNames } from '../../src/synth/index.ts';
import { operators, operatorNames } from '../../src/augment/index.ts';

test('name lists match their registries', () => {
  assert.deepEqual([...MODEL_NAMES], models.names());
  assert.deepEqual([...SEQUENCE_SYNTHESIZERS], sequenceSynthesizers.names());
  assert.deepEqual(synthesizerNames(), synthesizers.names());
  assert.deepEqual(operatorNames(), operators.names());
  for (const r of [models, synthesizers, sequenceSynthesizers, operators]) for (const e of r.entries()) assert.ok(e.description.trim().length > 0, `${r.kind} ${e.name} has a description`);
});
