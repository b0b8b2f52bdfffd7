import { Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';

/** A small table with every column type: bimodal price with nulls, categories with null, boolean, skewed ids, ISO dates, integers. */
export function mixedTable(n: number, seed: number): { table: Table; metadata: TableMetadata } {
  const rng = new Rng(seed);
  const price: Cell[] = [];
  const color: Cell[] = [];
  const flag: Cell[] = [];
  const user: Cell[] = [];
  const day: Cell[] = [];
  const qty: Cell[] = [];
  for (let i = 0; i < n; i++) {
    price.push(i % 7 === 0 ? null : rng.next() < 0.3 ? 100 + 5 * rng.normal() : 20 + rng.normal());
    color.push(['red', 'green', 'blue', null][rng.int(4)]!);
    flag.push(rng.next() < 0.2);
    user.push(`u${Math.floor(Math.pow(rng.next(), 3) * 500)}`);
    day.push(new Date(Date.UTC(2020, 0, 1) + rng.int(365) * 86400000).toISOString().slice(0, 10));
    qty.push(1 + rng.int(9));
  }
  return {
    table: { columns: ['price', 'color', 'flag', 'user', 'day', 'qty'], rowCount: n, data: { price, color, flag, user, day, qty } },
    metadata: {
      columns: {
        price: { type: 'numerical' }, color: { type: 'categorical' }, flag: { type: 'boolean' },
        user: { type: 'id' }, day: { type: 'datetime', datetimeFormat: 'iso' }, qty: { type: 'numerical', integer: true },
      },
    },
  };
}

/** Imbalanced categories (60/30/10 %), a boolean tied to the category, a bimodal number, an integer. */
export function shopTable(n: number, seed: number): { table: Table; metadata: TableMetadata } {
  const rng = new Rng(seed);
  const segment: Cell[] = [];
  const member: Cell[] = [];
  const spend: Cell[] = [];
  const items: Cell[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const s = u < 0.6 ? 'casual' : u < 0.9 ? 'regular' : 'vip';
    segment.push(s);
    member.push(s === 'vip' ? true : rng.next() < 0.2);
    spend.push(Math.round((s === 'vip' ? 200 + 20 * rng.normal() : 30 + 5 * rng.normal()) * 100) / 100);
    items.push(1 + rng.int(5));
  }
  return {
    table: { columns: ['segment', 'member', 'spend', 'items'], rowCount: n, data: { segment, member, spend, items } },
    metadata: { columns: { segment: { type: 'categorical' }, member: { type: 'boolean' }, spend: { type: 'numerical' }, items: { type: 'numerical', integer: true } } },
  };
}

export function frequencies(cells: readonly Cell[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of cells) m.set(String(c), (m.get(String(c)) ?? 0) + 1 / cells.length);
  return m;
}
