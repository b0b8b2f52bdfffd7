/**
 * What every registry contract test shares: tiny data, tiny parameters picked by key from what a
 * schema allows (so a new entry gets its tests with no edit here), and the bad-parameter checks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { allowedKeysAt, ConfigError, Rng, schemasAt } from '../../src/core/index.ts';
import { makeTrainView, type TrainView } from '../../src/data/index.ts';

/** Small values for whatever size/epoch keys an entry's schema has (the rest keep their defaults). */
export const TINY: Readonly<Record<string, unknown>> = {
  hidden: 8, embedding: 8, embeddingDim: 8, latent: 4, blocks: 1, heads: 1, maxLen: 8,
  epochs: 1, batchSize: 16, pac: 1, generatorDims: [8], discriminatorDims: [8], encoderDims: [8], decoderDims: [8],
  maxModes: 2, neighbors: 5,
};

/** The TINY values for the keys `schema` allows at `path`. */
export function tinyFor(schema: z.ZodType, path: readonly (string | number)[] = []): Record<string, unknown> {
  const allowed = new Set(allowedKeysAt(schema, path));
  return Object.fromEntries(Object.entries(TINY).filter(([k]) => allowed.has(k)));
}

/** 40 users over 24 items, lengths 4–9, deterministic. */
export function tinyTrain(): TrainView {
  const rng = new Rng(11);
  const seqs = Array.from({ length: 40 }, () => {
    const len = 4 + rng.int(6);
    const start = 1 + rng.int(24);
    return Int32Array.from({ length: len }, (_, k) => 1 + ((start - 1 + k * (1 + rng.int(3))) % 24));
  });
  return makeTrainView(24, seqs);
}

export function tempDir(prefix: string): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const bytes = (a: ArrayLike<number>): string => Buffer.from(Float64Array.from(a).buffer).toString('base64');

/** `fn` throws a ConfigError whose field is `field`. */
export function assertConfigError(fn: () => unknown, field: string, what: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `${what}: expected a ConfigError, got ${String(e)}`);
    assert.equal(e.location.field, field, `${what}: the error names ${field} (${e.message})`);
    return true;
  });
}

/**
 * The bad-parameter contract for one schema: an unknown key is a ConfigError naming its full path
 * and listing the allowed keys; every declared key given a value of the wrong kind is a ConfigError
 * naming that key.
 */
export function checkBadParams(schema: z.ZodType, path: readonly (string | number)[], parse: (raw: Record<string, unknown>) => unknown, prefix: string, what: string): void {
  const allowed = allowedKeysAt(schema, path);
  assert.throws(() => parse({ hiden_typo: 3 }), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `${what}: unknown key → ConfigError, got ${String(e)}`);
    assert.equal(e.location.field, `${prefix}hiden_typo`, `${what}: names the key path (${e.message})`);
    for (const k of allowed) assert.match(e.message, new RegExp(`\\b${k}\\b`), `${what}: lists the allowed key ${k}`);
    return true;
  });
  for (const k of allowed) {
    // A key that takes free text (a column name) must say so in its schema's description; a number
    // is its wrong kind. Any other key that accepts an arbitrary string is a defect this catches.
    const freeText = schemasAt(schema, [...path, k]).some((s) => /column name/i.test(s.description ?? ''));
    assertConfigError(() => parse({ [k]: freeText ? 12345 : '__not_a_valid_value__' }), `${prefix}${k}`, `${what}.${k}`);
  }
}
