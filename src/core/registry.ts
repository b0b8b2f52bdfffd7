import { ConfigError } from './errors.ts';

/** Maps config names to factories; an unknown name is a ConfigError listing what exists. */
export class Registry<T> {
  private readonly items = new Map<string, T>();
  constructor(readonly kind: string) {}
  register(name: string, item: T): void {
    if (this.items.has(name)) throw new Error(`${this.kind} '${name}' is registered twice`);
    this.items.set(name, item);
  }
  get(name: string, field = this.kind): T {
    const item = this.items.get(name);
    if (item === undefined) throw new ConfigError(`unknown ${this.kind} '${name}'; expected one of: ${[...this.items.keys()].join(', ')}`, { field });
    return item;
  }
  names(): string[] {
    return [...this.items.keys()];
  }
}
