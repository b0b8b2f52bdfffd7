/** zod helpers for operator configs, and the translation of zod issues into one-line ConfigErrors. */
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';

/** A ratio in (0, 1] (at least something is kept / touched). */
export const ratioOpen = (def: number) =>
  z.number({ error: 'must be a number in (0, 1]' }).gt(0, { error: 'must be a number in (0, 1]' }).lte(1, { error: 'must be a number in (0, 1]' }).default(def);
/** A ratio in [0, 1]. */
export const ratioClosed = (def: number) =>
  z.number({ error: 'must be a number in [0, 1]' }).gte(0, { error: 'must be a number in [0, 1]' }).lte(1, { error: 'must be a number in [0, 1]' }).default(def);
/** A positive integer. */
export const posInt = (def: number) => z.number({ error: 'must be an integer ≥ 1' }).int({ error: 'must be an integer ≥ 1' }).gte(1, { error: 'must be an integer ≥ 1' }).default(def);
/** A non-negative integer (0 usually meaning "no limit"). */
export const natInt = (def: number, what = 'must be an integer ≥ 0') => z.number({ error: what }).int({ error: what }).gte(0, { error: what }).default(def);
export const bool = (def: boolean) => z.boolean({ error: 'must be true or false' }).default(def);

function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function at(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/**
 * Validates `value` with `schema`; on failure throws a ConfigError such as
 * `step 2 (crop): 'ratio' must be a number in (0, 1], got -0.5`.
 */
export function parseConfig<T>(schema: z.ZodType<T>, value: unknown, label: string, file?: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const loc = file !== undefined ? { file } : {};
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
    throw new ConfigError(`${label}: unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}; expected ${known.length ? known.map((k) => `'${k}'`).join(', ') : 'no keys'}`, {
      ...loc,
      field: keys[0]!,
    });
  }
  const key = issue.path.map(String).join('.');
  const got = at(value, issue.path);
  const msg = issue.message.startsWith('Invalid input') && got === undefined ? 'is required' : issue.message;
  throw new ConfigError(`${label}: '${key}' ${msg}, got ${show(got)}`, { ...loc, field: key });
}
