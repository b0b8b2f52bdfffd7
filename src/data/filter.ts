/** Dataset filters and simple statistics over training data. */
import { ConfigError } from '../core/errors.ts';
import type { SequenceDataset, TrainView } from './types.ts';

export interface KCoreResult {
  dataset: SequenceDataset;
  removedUsers: number;
  removedItems: number;
  removedInteractions: number;
  /** Passes until nothing changed (the last pass removes nothing). */
  rounds: number;
}

/**
 * Iterative k-core: drop users with fewer than k interactions and items with fewer than k
 * interactions, and repeat until both hold (removing an item can push a user below k and back).
 * Counts are interactions, not distinct items, matching S3-Rec's preprocessing; with repeated items
 * (Taobao) a user with 5 clicks on 2 items passes a 5-core.
 * Surviving users and items keep their relative order, renumbered densely; the checksum still names
 * the source bytes (the filtered data is a pure function of them and k).
 */
export function kCoreFilter(dataset: SequenceDataset, k: number): KCoreResult {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`k-core needs an integer k >= 1, got ${k}`, { field: 'k' });
  const U = dataset.sequences.length;
  const I = dataset.numItems;
  const userAlive = new Uint8Array(U).fill(1);
  const itemAlive = new Uint8Array(I + 1).fill(1);
  itemAlive[0] = 0;
  let rounds = 0;
  for (;;) {
    rounds++;
    let changed = false;
    const itemCount = new Int32Array(I + 1);
    for (let u = 0; u < U; u++) {
      if (!userAlive[u]) continue;
      const s = dataset.sequences[u]!;
      let c = 0;
      for (let j = 0; j < s.length; j++) if (itemAlive[s[j]!]) c++;
      if (c < k) {
        userAlive[u] = 0;
        changed = true;
        continue;
      }
      for (let j = 0; j < s.length; j++) if (itemAlive[s[j]!]) itemCount[s[j]!]!++;
    }
    for (let i = 1; i <= I; i++) {
      if (itemAlive[i] && itemCount[i]! < k) {
        itemAlive[i] = 0;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const newItem = new Int32Array(I + 1);
  const itemIds: string[] = ['<pad>'];
  for (let i = 1; i <= I; i++) if (itemAlive[i]) (newItem[i] = itemIds.length), itemIds.push(dataset.itemIds[i]!);
  const userIds: string[] = [];
  const sequences: Int32Array[] = [];
  const timestamps: Float64Array[] | undefined = dataset.timestamps ? [] : undefined;
  let before = 0;
  let after = 0;
  for (let u = 0; u < U; u++) {
    const s = dataset.sequences[u]!;
    before += s.length;
    if (!userAlive[u]) continue;
    const seq: number[] = [];
    const tsq: number[] = [];
    const ts = dataset.timestamps?.[u];
    for (let j = 0; j < s.length; j++)
      if (itemAlive[s[j]!]) {
        seq.push(newItem[s[j]!]!);
        if (ts) tsq.push(ts[j]!);
      }
    after += seq.length;
    userIds.push(dataset.userIds[u]!);
    sequences.push(Int32Array.from(seq));
    timestamps?.push(Float64Array.from(tsq));
  }
  return {
    dataset: { name: dataset.name, userIds, itemIds, numItems: itemIds.length - 1, sequences, ...(timestamps ? { timestamps } : {}), checksum: dataset.checksum },
    removedUsers: U - userIds.length,
    removedItems: I - (itemIds.length - 1),
    removedInteractions: before - after,
    rounds,
  };
}

/** counts[i] = number of training interactions with item i (index 0, padding, is 0). */
export function itemPopularity(train: TrainView): Int32Array {
  const counts = new Int32Array(train.numItems + 1);
  for (const u of train.users()) {
    const s = train.sequence(u);
    for (let j = 0; j < s.length; j++) counts[s[j]!]!++;
  }
  counts[0] = 0;
  return counts;
}
