/**
 * Portable parameter files: magic "SMPLNN01", uint32 LE header length, a UTF-8 JSON header
 * {format, params: [{name, shape}]}, zero padding to a multiple of 4 bytes, then every parameter's
 * values as little-endian float32 in header order. Written to a temp file, then renamed.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/fsutil.ts';
import { type Parameter, shapeSize, shapeStr } from './tensor.ts';

const MAGIC = 'SMPLNN01';

interface Header {
  format: string;
  params: { name: string; shape: number[] }[];
}

export function encodeParameters(params: readonly Parameter[]): Uint8Array {
  const header: Header = { format: 'samplify-nn-params/1', params: params.map((p) => ({ name: p.name, shape: [...p.shape] })) };
  const hjson = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = 8 + 4 + hjson.length;
  const dataStart = Math.ceil(pre / 4) * 4;
  let total = dataStart;
  for (const p of params) total += p.size * 4;
  const buf = Buffer.alloc(total);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(hjson.length, 8);
  hjson.copy(buf, 12);
  let off = dataStart;
  for (const p of params) {
    for (let i = 0; i < p.size; i++, off += 4) buf.writeFloatLE(p.data[i]!, off);
  }
  return buf;
}

export function decodeParameters(params: readonly Parameter[], bytes: Uint8Array, source = 'parameter file'): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${source}: not a samplify parameter file (bad magic)`);
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new Error(`${source}: truncated header`);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
  } catch (e) {
    throw new Error(`${source}: corrupt header (${(e as Error).message})`);
  }
  const saved = header.params;
  if (!Array.isArray(saved)) throw new Error(`${source}: corrupt header (no params list)`);
  const problems: string[] = [];
  if (saved.length !== params.length) problems.push(`file has ${saved.length} parameters, model has ${params.length}`);
  for (let i = 0; i < Math.min(saved.length, params.length); i++) {
    const s = saved[i]!;
    const p = params[i]!;
    if (s.name !== p.name) problems.push(`#${i}: file has '${s.name}', model has '${p.name}'`);
    else if (shapeStr(s.shape) !== shapeStr(p.shape)) problems.push(`'${p.name}': file shape ${shapeStr(s.shape)}, model shape ${shapeStr(p.shape)}`);
  }
  if (problems.length > 0) throw new Error(`${source}: parameters do not match the model: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  const dataStart = Math.ceil((12 + hlen) / 4) * 4;
  let need = dataStart;
  for (const s of saved) need += shapeSize(s.shape) * 4;
  if (buf.length !== need) throw new Error(`${source}: expected ${need} bytes, found ${buf.length} (truncated or corrupt)`);
  let off = dataStart;
  for (const p of params) {
    for (let i = 0; i < p.size; i++, off += 4) p.data[i] = buf.readFloatLE(off);
  }
}

export function saveParameters(params: readonly Parameter[], path: string): void {
  writeFileAtomic(path, encodeParameters(params));
}

export function loadParameters(params: readonly Parameter[], path: string): void {
  decodeParameters(params, readFileSync(path), path);
}
