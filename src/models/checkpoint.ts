import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/index.ts';

/**
 * One checkpoint = one file: an 8-byte header length, a JSON header, then float32 arrays back to
 * back. A single file written atomically means a Ctrl-C mid-save can never pair new weights with
 * an old optimiser state.
 */
export function writeCheckpoint(path: string, meta: Record<string, unknown>, arrays: readonly Float32Array[]): void {
  const header = Buffer.from(JSON.stringify({ ...meta, lengths: arrays.map((a) => a.length) }), 'utf8');
  const total = arrays.reduce((s, a) => s + a.byteLength, 0);
  const buf = Buffer.alloc(8 + header.length + total);
  buf.writeBigUInt64LE(BigInt(header.length), 0);
  header.copy(buf, 8);
  let off = 8 + header.length;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, off);
    off += a.byteLength;
  }
  writeFileAtomic(path, buf);
}

export function readCheckpoint(path: string): { meta: Record<string, unknown>; arrays: Float32Array[] } | null {
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const meta = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, unknown> & { lengths: number[] };
  let off = 8 + headerLen;
  const arrays = meta.lengths.map((n) => {
    const a = new Float32Array(n);
    Buffer.from(a.buffer).set(buf.subarray(off, off + n * 4));
    off += n * 4;
    return a;
  });
  return { meta, arrays };
}
