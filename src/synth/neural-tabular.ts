/**
 * Pieces shared by the neural table synthesizers (CTGAN, TVAE): layer construction, Gumbel
 * sampling of one-hot spans, config validation, and the portable model file.
 *
 * Model file: one JSON object in the registry's convention (format 'samplify-synthesizer', kind,
 * version) with the config, the fitted transformer, the sample guard, the fit seed, the loss curve
 * and the parameters (base64 of the `encodeParameters` blob). Written atomically.
 */
import { z } from 'zod';
import { ConfigError, ModelStateError, type Rng, writeFileAtomic } from '../core/index.ts';
import { type ColumnSpan, Parameter, constantParameter, decodeParameters, encodeParameters } from '../nn/index.ts';
import { readSynthesizerFileOf, SYNTHESIZER_FILE_FORMAT } from './saved-file.ts';

const FILE_VERSION = 1;

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

/**
 * Writes one JSON file (atomically): the registry's header (`format: 'samplify-synthesizer'`,
 * `kind`, `version`), the synthesizer's own fields, and `parameters`: the base64 of the
 * `encodeParameters` blob (self-describing: names, shapes, little-endian float32 values).
 */
export function writeModelFile(path: string, kind: string, body: Readonly<Record<string, unknown>>, params: readonly Parameter[]): void {
  const blob = encodeParameters(params);
  const doc = { format: SYNTHESIZER_FILE_FORMAT, kind, version: FILE_VERSION, ...body, parameters: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('base64') };
  writeFileAtomic(path, JSON.stringify(doc) + '\n');
}

/** Reads a model file of `kind`: its JSON fields, and a function that fills `params` from the stored blob. */
export function readModelFile(path: string, kind: string): { header: Record<string, unknown>; loadInto: (params: readonly Parameter[]) => void } {
  const header = readSynthesizerFileOf(path, kind, FILE_VERSION);
  if (typeof header.parameters !== 'string') throw new ModelStateError('the file has no parameters', { file: path });
  const blob = Buffer.from(header.parameters, 'base64');
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

/** Schema pieces shared by the CTGAN and TVAE configs. */
export const positiveInt = z.number().int().min(1);
/** Hidden layer widths of an MLP (1 to 8 layers). */
export const layerDims = z.array(positiveInt).min(1).max(8);

/**
 * The config fields of the DataTransformer and the sample guard, one definition for CTGAN and TVAE.
 * Only the mixture defaults differ between them (CTGAN fits the whole column as SDV/RDT does; TVAE
 * keeps a 5,000-value subsample, which measured better for it: docs/results/table-synthesis.md).
 */
export function transformerConfigFields(mixture: { readonly fitValues: number; readonly maxIterations: number }) {
  return {
    maxModes: positiveInt.max(50).default(10),
    idBuckets: positiveInt.max(10000).default(50),
    /** Whole-number columns with at most this many distinct values are encoded as discrete (0: never); see TransformerOptions. */
    discreteIntegerMaxValues: z.number().int().min(0).max(1000).default(10),
    /** Values each continuous column's mixture is fitted on at most (0: the whole column, as SDV/RDT); see TransformerOptions. */
    mixtureFitValues: z.number().int().min(0).default(mixture.fitValues),
    /** EM iterations of each column's mixture at most (SDV/RDT: 100, which keeps up to maxModes modes). */
    mixtureMaxIterations: positiveInt.max(100000).default(mixture.maxIterations),
    /** Remove sampled rows identical to a training row (the privacy default). */
    removeExactCopies: z.boolean().default(true),
  };
}
