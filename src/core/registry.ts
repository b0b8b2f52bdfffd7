import type { z } from 'zod';
import { ConfigError } from './errors.ts';
import { parseWithSchema, refineWith } from './config.ts';

/** Maps config names to items; an unknown name is a ConfigError listing what exists. */
export class Registry<T> {
  private readonly items = new Map<string, T>();
  constructor(readonly kind: string) {}
  register(name: string, item: T): void {
    if (this.items.has(name)) throw new Error(`${this.kind} '${name}' is registered twice`);
    this.items.set(name, item);
  }
  has(name: string): boolean {
    return this.items.has(name);
  }
  get(name: string, field = this.kind): T {
    const item = this.items.get(name);
    if (item === undefined) throw new ConfigError(`unknown ${this.kind} '${name}'; expected one of: ${[...this.items.keys()].join(', ')}`, { field });
    return item;
  }
  names(): string[] {
    return [...this.items.keys()];
  }
  values(): T[] {
    return [...this.items.values()];
  }
}

/**
 * One component a config can name (a model, a synthesizer, an augmentation operator, a metric):
 * its strict zod schema of parameters, the defaults that schema fills in, and how to build it.
 * The component's own file declares and exports the schema and defaults; the registry only lists.
 */
export interface ComponentEntry<P = unknown, T = unknown> {
  readonly name: string;
  /** One line for listings and `--help`. */
  readonly description: string;
  /** Strict object schema: an unknown key is a ConfigError at parse time, naming its key path. */
  readonly schema: z.ZodType<P>;
  /** The parameters an empty config means (what `schema.parse({})` gives). */
  readonly defaults: P;
  /**
   * Builds the component from parameters already checked against `schema`, passed as written (the
   * component fills in the defaults its schema declares), so what it records is what was given.
   */
  create(params: Partial<P> | Readonly<Record<string, unknown>>): T;
}

/**
 * The one registry form: name → ComponentEntry. `parse` validates parameters (the ConfigError
 * names the full key path, e.g. `model.config.hiden`, and the allowed keys); `create` parses then
 * builds; `refine` checks a `{name, params}` spec inside a bigger schema without changing it.
 */
export class ComponentRegistry<T, E extends ComponentEntry<unknown, T> = ComponentEntry<unknown, T>> extends Registry<E> {
  add(entry: E): E {
    this.register(entry.name, entry);
    return entry;
  }
  entry(name: string, field = this.kind): E {
    return this.get(name, field);
  }
  entries(): E[] {
    return this.values();
  }
  /** Validated parameters of `name` (defaults filled in); `path` is where they sit in the config. */
  parse(name: string, raw: unknown, path: readonly (string | number)[] = [], file?: string, label?: string): z.infer<E['schema']> {
    const e = this.entry(name, path.length ? [...path.slice(0, -1), 'name'].join('.') : this.kind);
    // The entry's schema is typed by E; the registry stores entries of many parameter types, so the output is narrowed back here.
    return parseWithSchema(e.schema, raw ?? {}, { prefix: path, ...(file !== undefined ? { file } : {}), ...(label !== undefined ? { label } : {}) }) as z.infer<E['schema']>;
  }
  /** Checks `raw` against the entry's schema (a ConfigError names the bad key), then builds from `raw` as written. */
  create(name: string, raw: Readonly<Record<string, unknown>> = {}, path: readonly (string | number)[] = []): T {
    const e = this.entry(name, path.length ? [...path.slice(0, -1), 'name'].join('.') : this.kind);
    this.parse(name, raw, path, undefined, path.length ? undefined : name);
    return e.create(raw);
  }
  /**
   * A superRefine body: when `name` is registered, checks `params` against its schema and reports
   * each problem at `paramsPath` (an unknown name is reported at `namePath`).
   */
  refine(name: unknown, params: unknown, ctx: z.core.$RefinementCtx, namePath: (string | number)[], paramsPath: (string | number)[]): void {
    if (typeof name !== 'string' || !this.has(name)) {
      ctx.addIssue({ code: 'custom', message: `unknown ${this.kind} ${JSON.stringify(name)}; expected one of: ${this.names().join(', ')}`, path: namePath, input: name });
      return;
    }
    refineWith(this.get(name).schema, params ?? {}, ctx, paramsPath);
  }
}
