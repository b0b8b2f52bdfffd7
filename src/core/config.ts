/**
 * The config mechanism every command shares: zod issues → one ConfigError naming the full key path
 * (and, for an unknown key, the keys allowed there), and the layering
 *
 *   schema defaults  <  config file  <  `--set key.path=value` on the command line
 *
 * Layers are merged as plain data before the schema parses the result, so a key that no schema
 * declares fails at parse time, before any work, whichever layer it came from.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.ts';

type Path = readonly PropertyKey[];

/** `model.config.hiden`, `arms[1].pipeline`: how a key path is written in messages and `--set`. */
export function formatKeyPath(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

interface ZodDefLike {
  type?: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
  valueType?: z.ZodType;
}

function defOf(s: z.ZodType): ZodDefLike {
  return (s as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** The object schemas `s` may stand for once wrappers (optional, default, pipe, union…) are looked through. */
function objectsIn(s: z.ZodType | undefined, depth = 0): ZodDefLike[] {
  if (!s || depth > 20) return [];
  const d = defOf(s);
  if (d.type === 'object') return [d];
  if (d.innerType) return objectsIn(d.innerType, depth + 1);
  if (d.type === 'pipe' && d.in) return objectsIn(d.in, depth + 1);
  if (d.type === 'union' && d.options) return d.options.flatMap((o) => objectsIn(o, depth + 1));
  return [];
}

function childAt(s: z.ZodType, key: PropertyKey): z.ZodType[] {
  const out: z.ZodType[] = [];
  const visit = (t: z.ZodType | undefined, depth: number): void => {
    if (!t || depth > 20) return;
    const d = defOf(t);
    if (d.type === 'object' && typeof key === 'string' && d.shape?.[key]) out.push(d.shape[key]!);
    else if (d.type === 'array' && typeof key === 'number' && d.element) out.push(d.element);
    else if (d.type === 'record' && d.valueType) out.push(d.valueType);
    else if (d.innerType) visit(d.innerType, depth + 1);
    else if (d.type === 'pipe') visit(d.in, depth + 1);
    else if (d.type === 'union') for (const o of d.options ?? []) visit(o, depth + 1);
  };
  visit(s, 0);
  return out;
}

/** The keys a schema allows at `path` (empty when it is not an object there, or cannot be told). */
export function allowedKeysAt(schema: z.ZodType, path: Path): string[] {
  const level = schemasAt(schema, path);
  const keys = new Set<string>();
  for (const s of level) for (const o of objectsIn(s)) for (const k of Object.keys(o.shape ?? {})) keys.add(k);
  return [...keys];
}

/** The schemas a value at `path` is checked against (several under a union). */
export function schemasAt(schema: z.ZodType, path: Path): z.ZodType[] {
  let level: z.ZodType[] = [schema];
  for (const k of path) level = level.flatMap((s) => childAt(s, k));
  return level;
}

function valueAt(obj: unknown, path: Path): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export interface IssueContext {
  /** Named in the error (the config file). */
  readonly file?: string;
  /** Prepended to every key path (e.g. ['model', 'config'] when parsing a model's params alone). */
  readonly prefix?: Path;
  /** The value that was parsed: its offending value is quoted in the message. */
  readonly value?: unknown;
  /** Names what was parsed in the message, e.g. `tvae: 'batchSize' Too small…` (for errors raised outside a config file). */
  readonly label?: string;
}

/** One issue as `{ path, message }`, with unknown keys split into one issue per key listing the allowed ones. */
export function describeIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], value?: unknown): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(schema, issue.path);
      for (const k of issue.keys) out.push({ path: [...issue.path, k], message: `Unrecognized key '${k}'; allowed keys: ${allowed.length ? allowed.join(', ') : 'none'}` });
      continue;
    }
    const got = valueAt(value, issue.path);
    const required = got === undefined && value !== undefined && issue.code === 'invalid_type';
    const quote = value !== undefined && got !== undefined && issue.code !== 'custom';
    out.push({ path: [...issue.path], message: required ? 'is required' : quote ? `${issue.message}, got ${show(got)}` : issue.message });
  }
  return out;
}

/** Turns zod issues into one ConfigError naming the full key path of the first problem, and carrying every problem with its key path. */
export function configErrorFrom(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], ctx: IssueContext = {}): ConfigError {
  const all = describeIssues(schema, issues, ctx.value);
  const first = all[0]!;
  const fieldOf = (path: PropertyKey[]): string => formatKeyPath([...(ctx.prefix ?? []), ...path]) || '(top level)';
  const field = fieldOf(first.path);
  const more = all.length > 1 ? ` (and ${all.length - 1} more problem${all.length > 2 ? 's' : ''})` : '';
  const head = ctx.label !== undefined ? `${ctx.label}: '${formatKeyPath(first.path) || '(params)'}' ` : '';
  const problems = all.map((p) => ({ field: fieldOf(p.path), message: p.message }));
  return new ConfigError(`${head}${first.message}${more}`, { ...(ctx.file !== undefined ? { file: ctx.file } : {}), field }, problems);
}

/** Validates `raw` with `schema`; the first problem becomes a ConfigError naming its key path. */
export function parseWithSchema<S extends z.ZodType>(schema: S, raw: unknown, ctxOrFile?: IssueContext | string): z.infer<S> {
  const ctx: IssueContext = typeof ctxOrFile === 'string' ? { file: ctxOrFile } : (ctxOrFile ?? {});
  const r = schema.safeParse(raw);
  if (!r.success) throw configErrorFrom(schema, r.error.issues, { ...ctx, value: raw });
  return r.data;
}

/**
 * For a superRefine: checks `raw` against `schema` and reports every problem into `ctx` under
 * `prefix`, unknown keys with the allowed ones. The raw value is left as written (defaults are
 * not filled in), so what a result file records stays what the user wrote.
 */
export function refineWith(schema: z.ZodType, raw: unknown, ctx: z.core.$RefinementCtx, prefix: Path): void {
  const r = schema.safeParse(raw);
  if (r.success) return;
  for (const d of describeIssues(schema, r.error.issues, raw)) ctx.addIssue({ code: 'custom', message: d.message, path: [...prefix, ...d.path] as (string | number)[], input: raw });
}

// ------------------------------------------------------------------ layers

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge of plain objects: `over` wins; arrays and scalars are replaced, not merged. */
export function mergeLayers(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeLayers(base[k], v);
  return out;
}

/** One `--set key.path=value` override: the value is read as YAML (so 3, true, [1, 2], {a: 1}, ce all work). */
export interface SetOverride {
  readonly path: readonly (string | number)[];
  readonly value: unknown;
}

/** Parses `key.path=value` (array elements as `arms[0].views=2` or `arms.0.views=2`). */
export function parseSetOverride(text: string): SetOverride {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set expects key.path=value, got '${text}'`, { field: '--set' });
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const path: (string | number)[] = [];
  for (const part of key.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '') throw new ConfigError(`--set: empty segment in key path '${key}'`, { field: key });
    path.push(/^\d+$/.test(part) ? Number(part) : part);
  }
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : parseYaml(raw);
  } catch (e) {
    throw new ConfigError(`--set ${key}: value is not valid YAML/JSON (${(e as Error).message.split('\n')[0]})`, { field: key });
  }
  return { path, value };
}

/** Writes every override into a copy of `base` (objects created on the way; array elements by index). */
export function applyOverrides(base: unknown, overrides: readonly SetOverride[]): unknown {
  let root: unknown = structuredClone(base ?? {});
  for (const o of overrides) {
    if (!isPlainObject(root)) root = {};
    let cur = root as Record<string | number, unknown>;
    for (let i = 0; i < o.path.length - 1; i++) {
      const k = o.path[i]!;
      const next = cur[k];
      if (next === null || typeof next !== 'object') cur[k] = typeof o.path[i + 1] === 'number' ? [] : {};
      cur = cur[k] as Record<string | number, unknown>;
    }
    cur[o.path[o.path.length - 1]!] = o.value;
  }
  return root;
}

/** defaults < file < overrides, as plain data (the schema parses the result). */
export function layerConfig(defaults: unknown, file: unknown, sets: readonly string[] = []): unknown {
  return applyOverrides(mergeLayers(defaults ?? {}, file ?? {}), sets.map(parseSetOverride));
}
