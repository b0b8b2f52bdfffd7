import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { DataValidationError } from '../../src/core/errors.ts';
import type { ReadReport, SequenceDataset } from '../../src/data/index.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedData = (rel: string): string => resolve(repoRoot, '../shared/data', rel);

export function tempDir(prefix = 'samplify-data-'): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Awaits `p` and checks it failed with a DataValidationError carrying the given location. */
export async function expectDataError(p: Promise<unknown>, want: { file?: string; line?: number; field?: string; message?: RegExp }): Promise<DataValidationError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof DataValidationError, `expected DataValidationError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  if (want.file !== undefined) assert.equal(err.location.file, want.file);
  if (want.line !== undefined) assert.equal(err.location.line, want.line);
  if (want.field !== undefined) assert.equal(err.location.field, want.field);
  if (want.message !== undefined) assert.match(err.message, want.message);
  // One line, no stack: what the CLI prints.
  assert.ok(!err.describe().includes('\n'), `describe() spans lines: ${err.describe()}`);
  return err;
}

export function assertAccounting(r: ReadReport): void {
  assert.equal(r.rowsIn, r.rowsKept + r.rowsRejected, 'rowsIn = kept + rejected');
  const byCode = Object.values(r.rejectedByCode).reduce((a, b) => a + b, 0);
  assert.equal(byCode, r.rowsRejected, 'rejectedByCode sums to rowsRejected');
}

/** The rejected file is complete (one JSON object per rejected row) and no temp file is left beside it. */
export function assertRejectedFile(path: string, report: ReadReport): unknown[] {
  assert.equal(report.rejectedFile, path);
  const lines = readFileSync(path, 'utf-8').split('\n').filter((l) => l !== '');
  assert.equal(lines.length, report.rowsRejected);
  assertNoTemp(dirname(path));
  return lines.map((l) => JSON.parse(l));
}

export function assertNoTemp(dir: string): void {
  if (!existsSync(dir)) return;
  const tmp = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(tmp, [], 'no temp files left behind');
}

export function seqOf(d: SequenceDataset, user: string): string[] {
  const u = d.userIds.indexOf(user);
  assert.ok(u >= 0, `user ${user} present`);
  return Array.from(d.sequences[u]!, (i) => d.itemIds[i]!);
}

export function makeDataset(seqs: number[][], timestamps?: number[][]): SequenceDataset {
  const numItems = Math.max(0, ...seqs.flat());
  return {
    name: 'gen',
    userIds: seqs.map((_, u) => String(u + 1)),
    itemIds: ['<pad>', ...Array.from({ length: numItems }, (_, i) => String(i + 1))],
    numItems,
    sequences: seqs.map((s) => Int32Array.from(s)),
    ...(timestamps ? { timestamps: timestamps.map((t) => Float64Array.from(t)) } : {}),
    checksum: 'x',
  };
}
