/** Small seeded tables and sequence sets for the quality and privacy tests. */
import { Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';
import { tableFromRows } from '../../src/data/index.ts';

export const PEOPLE_META: TableMetadata = {
  columns: {
    user_id: { type: 'id' },
    age: { type: 'numerical', integer: true },
    income: { type: 'numerical' },
    city: { type: 'categorical' },
    member: { type: 'boolean' },
    signup: { type: 'datetime', datetimeFormat: 'unix-seconds' },
  },
};

const CITIES = ['north', 'south', 'east', 'west', 'centre'] as const;

/**
 * Rows with real structure: income rises with age, city depends on age, membership on income.
 * user_id has a skewed profile (a few heavy users).
 */
export function people(n: number, seed: number, opts: { idOffset?: number } = {}): Table {
  const rng = new Rng(seed);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const age = Math.round(20 + 45 * rng.next());
    const income = 1000 + 60 * age + 400 * rng.normal();
    const city = CITIES[Math.min(4, Math.floor(age / 13.1) - 1 + (rng.next() < 0.3 ? rng.int(2) : 0))] ?? 'centre';
    const member = income + 300 * rng.normal() > 3500;
    const signup = 1.6e9 + Math.floor(3e7 * rng.next());
    const user = (opts.idOffset ?? 0) + Math.floor(Math.pow(rng.next(), 3) * 300);
    rows.push([`u${user}`, age, income, city, member, signup]);
  }
  return tableFromRows(['user_id', 'age', 'income', 'city', 'member', 'signup'], rows);
}

/** Each column permuted independently: marginals kept exactly, every dependence broken. */
export function shuffleColumns(t: Table, seed: number): Table {
  const rng = new Rng(seed);
  const data: Record<string, Cell[]> = {};
  for (const c of t.columns) {
    const col = [...t.data[c]!];
    rng.split(c).shuffle(col);
    data[c] = col;
  }
  return { columns: [...t.columns], rowCount: t.rowCount, data };
}

/** Sequences from a first-order Markov chain over items 1..numItems with Zipf-like popularity. */
export function markovSequences(count: number, numItems: number, seed: number): Int32Array[] {
  const rng = new Rng(seed);
  const out: Int32Array[] = [];
  for (let u = 0; u < count; u++) {
    const len = 2 + Math.floor(Math.pow(rng.next(), 2) * 18);
    const s = new Int32Array(len);
    s[0] = 1 + Math.floor(Math.pow(rng.next(), 2) * numItems);
    for (let i = 1; i < len; i++) {
      // Mostly a near neighbour of the previous item, sometimes a popular jump.
      s[i] = rng.next() < 0.7 ? 1 + ((s[i - 1]! + rng.int(3)) % numItems) : 1 + Math.floor(Math.pow(rng.next(), 2) * numItems);
    }
    out.push(s);
  }
  return out;
}
