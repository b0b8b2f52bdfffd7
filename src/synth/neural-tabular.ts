/**
 * Pieces shared by the neural table synthesizers (CTGAN, TVAE): layer construction, Gumbel
 * sampling of one-hot spans, config validation, and the portable model file.
 *
 * Model file: magic "SMPLSYN1", uint32 LE length of a UTF-8 JSON header (format, config, the
 * fitted transformer, the sample guard, the fit seed, loss curves), then the parameter blob of
 * `encodeParameters` (itself self-describing: names and shapes). Written atomically.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError, ModelStateError, type Rng, writeFileAtomic } from '../core/index.ts';
import { type ColumnSpan, Parameter, constantParameter, decodeParameters, encodeParameters } from '../nn/index.ts';

const MAGIC = 'SMPLSYN1';

/** A fully connected layer with PyTorch's default initialisation (U(±1/√in) for weight and bias). */
export interface Dense {
  readonly w: Parameter;
  readonly b: Parameter;
}

export function dense(name: string, nIn: number, nOut: number, rng: Rng): Dense {
  const bound = 1 / Math.sqrt(Math.max(nIn, 1));
  const w = new Float32Array(nOut * nIn);
  for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * bound;
  const b = new Float32Array(nOut);
  for (let i = 0; i < b.length; i++) b[i] = (rng.next() * 2 - 1) * bound;
  return { w: new Parameter(`${name}.weight`, w, [nOut, nIn]), b: new Parameter(`${name}.bias`, b, [nOut]) };
}

export interface Norm {
  readonly gamma: Parameter;
  readonly beta: Parameter;
}

export function norm(name: string, d: number): Norm {
  return { gamma: constantParameter(`${name}.gamma`, [d], 1), beta: constantParameter(`${name}.beta`, [d], 0) };
}

export function normals(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Gumbel(0, 1) noise on every softmax-span column of an [n, width] matrix, 0 on the others. */
export function gumbelNoise(spans: readonly ColumnSpan[], n: number, width: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) {
    for (const s of spans) {
      if (s.kind !== 'softmax') continue;
      for (let j = 0; j < s.length; j++) {
        let u = rng.next();
        while (u <= 0) u = rng.next();
        out[r * width + s.start + j] = -Math.log(-Math.log(u));
      }
    }
  }
  return out;
}

/**
 * Turns raw network outputs into a decodable sample: tanh on scalar spans, and on each softmax
 * span a one-hot of a category drawn from softmax(logits) (Gumbel-max: argmax(logits + Gumbel)).
 */
export function sampleSpans(raw: Float32Array, n: number, width: number, spans: readonly ColumnSpan[], rng: Rng): Float32Array {
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) {
    for (const s of spans) {
      const a = r * width + s.start;
      if (s.kind === 'tanh') {
        for (let j = 0; j < s.length; j++) out[a + j] = Math.tanh(raw[a + j]!);
        continue;
      }
      let best = 0;
      let bv = -Infinity;
      for (let j = 0; j < s.length; j++) {
        let u = rng.next();
        while (u <= 0) u = rng.next();
        const v = raw[a + j]! - Math.log(-Math.log(u));
        if (v > bv) {
          bv = v;
          best = j;
        }
      }
      out[a + best] = 1;
    }
  }
  return out;
}

/** Validates a config with a zod schema; the first issue becomes a ConfigError naming the key. */
export function parseSynthConfig<T>(schema: z.ZodType<T>, value: unknown, label: string): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = issue.path.map(String).join('.') || '(config)';
  throw new ConfigError(`${label}: '${key}' ${issue.message}`, { field: key });
}

/** Writes header + parameters to one file (atomically). */
export function writeModelFile(path: string, header: unknown, params: readonly Parameter[]): void {
  const hjson = Buffer.from(JSON.stringify(header), 'utf8');
  const blob = encodeParameters(params);
  const buf = Buffer.alloc(12 + hjson.length + blob.length);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(hjson.length, 8);
  hjson.copy(buf, 12);
  Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).copy(buf, 12 + hjson.length);
  writeFileAtomic(path, buf);
}

/** Reads a model file: its JSON header, and a function that fills `params` from the stored blob. */
export function readModelFile(path: string, expectedFormat: string): { header: Record<string, unknown>; loadInto: (params: readonly Parameter[]) => void } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new ModelStateError(`cannot read model file: ${(e as Error).message}`, { file: path });
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new ModelStateError('not a samplify synthesizer file (bad magic)', { file: path });
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new ModelStateError('truncated header', { file: path });
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Record<string, unknown>;
  } catch (e) {
    throw new ModelStateError(`corrupt header (${(e as Error).message})`, { file: path });
  }
  if (header.format !== expectedFormat) throw new ModelStateError(`file holds '${String(header.format)}', expected '${expectedFormat}'`, { file: path });
  const blob = buf.subarray(12 + hlen);
  return {
    header,
    loadInto: (params) => {
      try {
        decodeParameters(params, blob, path);
      } catch (e) {
        throw new ModelStateError((e as Error).message, { file: path });
      }
    },
  };
}

/** "1.234" with a sign-aware fixed width, for epoch lines. */
export function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

/** Throws ModelStateError when a loss is not finite (never train on, never return garbage). */
export function checkFinite(what: string, value: number, epoch: number): void {
  if (!Number.isFinite(value)) throw new ModelStateError(`${what} became ${value} in epoch ${epoch}; try a smaller learning rate or batch size`);
}
