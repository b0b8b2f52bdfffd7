/**
 * A planted search problem for ranker tests. Queries are "<modifier> <head>" ("cordless drill"):
 * products with both words are highly relevant (3), products with the head noun only are fairly
 * relevant (2.33), products with the modifier but another head are not (1). Modifiers are rare
 * words and heads common ones, so BM25 (which weighs rare words up) puts modifier-only products
 * above head-only ones; a ranker that learns that the head noun matters orders them right.
 */
import { Rng } from '../../../src/core/index.ts';
import type { LabelScale, Product, QueryGroup } from '../../../src/data/search/types.ts';

const HEADS = ['drill', 'saw', 'hammer', 'faucet', 'lamp', 'shelf'];
const MODIFIERS = Array.from({ length: 40 }, (_, i) => `mod${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}x`);
const BRANDS = ['acme', 'bolt', 'crest', 'delta', 'ember', 'forge', 'gale', 'haven'];
const FILLER = ['kit', 'set', 'pro', 'black', 'steel', 'with', 'case', 'in', 'white', 'heavy', 'duty', '12', 'in.', '2', 'pack'];

export interface PlantedSearch {
  readonly products: Map<string, Product>;
  readonly train: QueryGroup[];
  readonly valid: QueryGroup[];
  readonly test: QueryGroup[];
  readonly scale: LabelScale;
}

export function plantedSearch(queries: number, seed: number): PlantedSearch {
  const rng = new Rng(seed);
  const products = new Map<string, Product>();
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const makeProduct = (words: string[]): string => {
    const id = `p${products.size + 1}`;
    const filler = Array.from({ length: 1 + rng.int(4) }, () => pick(FILLER));
    products.set(id, { id, title: [pick(BRANDS), ...words, ...filler].join(' ') });
    return id;
  };
  const groups: QueryGroup[] = [];
  const seen = new Set<string>();
  for (let q = 0; groups.length < queries && q < queries * 10; q++) {
    const head = pick(HEADS);
    const mod = pick(MODIFIERS);
    const key = `${mod} ${head}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ids: string[] = [];
    const labels: number[] = [];
    const add = (id: string, label: number) => {
      ids.push(id);
      labels.push(label);
    };
    for (let k = 0; k < 2; k++) add(makeProduct([mod, head]), 3);
    for (let k = 0; k < 2; k++) add(makeProduct([pick(MODIFIERS.filter((m) => m !== mod)), head]), 2.33);
    for (let k = 0; k < 3; k++) add(makeProduct([mod, pick(HEADS.filter((h) => h !== head))]), 1);
    // Shuffle the product order so position says nothing.
    const order = Int32Array.from({ length: ids.length }, (_, i) => i);
    rng.shuffle(order);
    groups.push({ query: key, key, productIds: Array.from(order, (i) => ids[i]!), labels: Float64Array.from(order, (i) => labels[i]!) });
  }
  const nTest = Math.round(groups.length * 0.2);
  const nValid = Math.round(groups.length * 0.15);
  return { products, test: groups.slice(0, nTest), valid: groups.slice(nTest, nTest + nValid), train: groups.slice(nTest + nValid), scale: { min: 1, max: 3 } };
}
