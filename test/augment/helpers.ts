import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.ts';
import type { AugmentContext, OperatorDef } from '../../src/augment/index.ts';

export const seq = (...xs: number[]): Int32Array => Int32Array.from(xs);
export const arr = (x: Int32Array): number[] => Array.from(x);

export function tempDir(prefix = 'samplify-augment-'): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The contract every operator must meet, on one input: sample draws only from its rng (same seed →
 * same params), params survive JSON, apply is pure (input untouched, same output twice, same output
 * from JSON-revived params) and keeps at least one item of a non-empty input.
 */
export function checkContract(op: OperatorDef, config: unknown, input: Int32Array, ctx: AugmentContext, seed = 7): { params: unknown; out: Int32Array } {
  const before = arr(input);
  const p1 = op.sample(input, config, ctx, new Rng(seed));
  const p2 = op.sample(input, config, ctx, new Rng(seed));
  assert.deepEqual(p1, p2, `${op.name}: same rng → same params`);
  const revived = JSON.parse(JSON.stringify(p1));
  assert.deepEqual(revived, p1, `${op.name}: params survive JSON`);
  const out = op.apply(input, p1, ctx);
  assert.ok(out instanceof Int32Array, `${op.name}: returns an Int32Array`);
  assert.notEqual(out, input, `${op.name}: returns a new array`);
  assert.deepEqual(arr(input), before, `${op.name}: input not modified`);
  assert.deepEqual(arr(op.apply(input, revived, ctx)), arr(out), `${op.name}: replay from JSON params`);
  if (input.length > 0) assert.ok(out.length >= 1, `${op.name}: keeps at least one item`);
  return { params: p1, out };
}
