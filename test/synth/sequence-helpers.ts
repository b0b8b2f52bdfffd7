import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SequenceDataset } from '../../src/data/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const beautyPath = resolve(repoRoot, '../shared/data/beauty/Beauty.txt');
export const hasBeauty = existsSync(beautyPath);

/**
 * The first `users` lines of Beauty.txt as a dataset with dense ids (1..numItems in order of first
 * appearance): a small real slice that trains a tiny SASRec in well under a second.
 */
export function beautySlice(users: number): SequenceDataset {
  const lines = readFileSync(beautyPath, 'utf8').split('\n', users + 1).filter((l) => l.trim() !== '').slice(0, users);
  const itemIds = ['<pad>'];
  const dense = new Map<string, number>();
  const userIds: string[] = [];
  const sequences = lines.map((l) => {
    const [u, ...items] = l.trim().split(/\s+/);
    userIds.push(u!);
    return Int32Array.from(items, (it) => {
      let d = dense.get(it);
      if (d === undefined) dense.set(it, (d = itemIds.push(it) - 1));
      return d;
    });
  });
  return { name: `beauty-${users}`, userIds, itemIds, numItems: itemIds.length - 1, sequences, checksum: 'slice' };
}

/** Total variation distance between two histograms (normalised here). */
export function tvDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.max(a.length, b.length);
  let sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) sa += a[i] ?? 0;
  for (let i = 0; i < b.length; i++) sb += b[i] ?? 0;
  let d = 0;
  for (let i = 0; i < n; i++) d += Math.abs((a[i] ?? 0) / sa - (b[i] ?? 0) / sb);
  return d / 2;
}
