/**
 * Where a config-driven run reads and writes. One rule for every command:
 *  - a relative path written in a config file is relative to the config file's folder;
 *  - a path given on the command line (e.g. --out) is relative to the working directory;
 *  - an output path given on the command line replaces the config's outputs as a whole: files the
 *    config placed explicitly (a fitted model, a provenance record) then go beside the new output
 *    instead of being overwritten at the config's place on every run.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';

/**
 * A config's relative path resolved against the config's folder, written relative to the working
 * directory when it lies under it (so messages stay short: a config in the working directory gives
 * back its paths unchanged), absolute otherwise.
 */
export function resolveConfigPath(baseDir: string, path: string): string {
  if (isAbsolute(path)) return path;
  const abs = resolve(baseDir, path);
  const rel = relative(process.cwd(), abs);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

/** A copy of `config` with the paths at `fields` (dotted: 'data.rejected') resolved by resolveConfigPath; absent fields are skipped. */
export function resolveConfigPaths<T extends object>(config: T, baseDir: string, fields: readonly string[]): T {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const field of fields) {
    const keys = field.split('.');
    let o: Record<string, unknown> | undefined = out;
    for (const k of keys.slice(0, -1)) o = o?.[k] !== null && typeof o?.[k] === 'object' ? (o[k] as Record<string, unknown>) : undefined;
    const last = keys.at(-1)!;
    const v = o?.[last];
    if (o && typeof v === 'string') o[last] = resolveConfigPath(baseDir, v);
  }
  return out as T;
}

/**
 * `config` writing to `out` (a command-line path) instead of its own output: the outputs the config
 * names beside its output (`derived`, e.g. model, provenance) are dropped, so they default to
 * paths beside `out`.
 */
export function withOutputPath<T extends { out: string }>(config: T, out: string, derived: readonly (keyof T)[]): T {
  const c = { ...config, out };
  for (const k of derived) delete (c as Partial<T>)[k];
  return c;
}

/**
 * The output folder of a config-driven run (experiment, ctr, cold-start): the command line's --out
 * (relative to the working directory), else the config's `out` (relative to the config file's
 * folder), else runs/<name> in the working directory.
 */
export function runOutputDir(o: { readonly cliOut?: string | undefined; readonly configOut?: string | undefined; readonly baseDir: string; readonly name: string }): string {
  if (o.cliOut !== undefined) return o.cliOut;
  if (o.configOut !== undefined) return resolveConfigPath(o.baseDir, o.configOut);
  return join('runs', o.name);
}
