import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { hashSeed } from './rng.ts';

/**
 * Write a whole file atomically: to a temp path beside it, then rename. A crash or Ctrl-C leaves
 * either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${hashSeed(Date.now() >>> 0, path).toString(16)}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON with a trailing newline and stable indentation, so equal objects give equal bytes. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
