/**
 * From interaction rows to per-user sequences, and the id maps that make dense ids reversible.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DataValidationError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fsutil.ts';
import type { InteractionTable, SequenceDataset } from './types.ts';

/**
 * 'none' keeps every interaction; 'consecutive' drops an item equal to the user's previous item
 * (double clicks); 'all' keeps only the first occurrence of each item per user.
 */
export type DedupeMode = 'none' | 'consecutive' | 'all';

export interface ToSequencesOptions {
  name: string;
  dedupe?: DedupeMode;
}

/**
 * Groups rows by user and orders each user's rows by timestamp. The sort is stable, so rows with
 * equal timestamps keep file order (the order the source wrote them is the only tie-breaker we have).
 * Dense ids: users in order of first appearance in the file; items in order of first appearance
 * when walking users in that order and each user's sorted sequence — so a file that is already
 * `user item…` with ids 1..n in that order maps to itself.
 */
export function interactionsToSequences(table: InteractionTable, opts: ToSequencesOptions): SequenceDataset {
  const n = table.users.length;
  if (n === 0) throw new DataValidationError('no interactions to build sequences from', { file: table.file });
  const dedupe = opts.dedupe ?? 'none';
  const userIndex = new Map<string, number>();
  const userOf = new Int32Array(n);
  const userIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const u = table.users[i]!;
    let k = userIndex.get(u);
    if (k === undefined) {
      k = userIds.length;
      userIndex.set(u, k);
      userIds.push(u);
    }
    userOf[i] = k;
  }
  // Counting sort of row indexes by user (keeps file order inside a user).
  const numUsers = userIds.length;
  const start = new Int32Array(numUsers + 1);
  for (let i = 0; i < n; i++) start[userOf[i]! + 1]!++;
  for (let u = 0; u < numUsers; u++) start[u + 1]! += start[u]!;
  const fill = start.slice(0, numUsers);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[userOf[i]!]!++] = i;

  const ts = table.timestamps;
  const itemIndex = new Map<string, number>();
  const itemIds: string[] = ['<pad>'];
  const sequences: Int32Array[] = [];
  const timestamps: Float64Array[] | undefined = ts ? [] : undefined;
  for (let u = 0; u < numUsers; u++) {
    let rows = order.subarray(start[u]!, start[u + 1]!);
    if (ts) rows = rows.slice().sort((a, b) => ts[a]! - ts[b]! || a - b);
    const seq: number[] = [];
    const tsq: number[] = [];
    const seen = dedupe === 'all' ? new Set<number>() : undefined;
    for (let j = 0; j < rows.length; j++) {
      const r = rows[j]!;
      const ext = table.items[r]!;
      let id = itemIndex.get(ext);
      if (id === undefined) {
        id = itemIds.length;
        itemIndex.set(ext, id);
        itemIds.push(ext);
      }
      if (dedupe === 'consecutive' && seq.length > 0 && seq[seq.length - 1] === id) continue;
      if (seen) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      seq.push(id);
      if (ts) tsq.push(ts[r]!);
    }
    sequences.push(Int32Array.from(seq));
    timestamps?.push(Float64Array.from(tsq));
  }
  return {
    name: opts.name,
    userIds,
    itemIds,
    numItems: itemIds.length - 1,
    sequences,
    ...(timestamps ? { timestamps } : {}),
    checksum: table.checksum,
  };
}

export interface DatasetStats {
  users: number;
  items: number;
  interactions: number;
  minLength: number;
  maxLength: number;
  meanLength: number;
  medianLength: number;
  density: number;
  usersWithRepeats: number;
}

export function datasetStats(d: SequenceDataset): DatasetStats {
  const lens = d.sequences.map((s) => s.length).sort((a, b) => a - b);
  const interactions = lens.reduce((a, b) => a + b, 0);
  let usersWithRepeats = 0;
  for (const s of d.sequences) if (new Set(s).size !== s.length) usersWithRepeats++;
  const m = lens.length;
  return {
    users: m,
    items: d.numItems,
    interactions,
    minLength: m ? lens[0]! : 0,
    maxLength: m ? lens[m - 1]! : 0,
    meanLength: m ? interactions / m : 0,
    medianLength: m ? (m % 2 ? lens[(m - 1) / 2]! : (lens[m / 2 - 1]! + lens[m / 2]!) / 2) : 0,
    density: m && d.numItems ? interactions / (m * d.numItems) : 0,
    usersWithRepeats,
  };
}

const IdMapsSchema = z.object({
  format: z.literal('samplify-idmaps'),
  version: z.literal(1),
  name: z.string(),
  checksum: z.string(),
  userIds: z.array(z.string()),
  itemIds: z.array(z.string()).min(1),
  /** Event names of histories read with an event column (index = event code). */
  eventTypes: z.array(z.string()).optional(),
});
export type IdMaps = z.infer<typeof IdMapsSchema>;

/** What an id map is written from: a dataset, or histories read with event types. */
export interface IdMapSource {
  readonly name: string;
  readonly checksum: string;
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly eventTypes?: readonly string[];
}

/** Writes the dense→external id maps (atomically) so results on dense ids can be mapped back. */
export function saveIdMaps(source: IdMapSource, path: string): void {
  const maps: IdMaps = {
    format: 'samplify-idmaps',
    version: 1,
    name: source.name,
    checksum: source.checksum,
    userIds: [...source.userIds],
    itemIds: [...source.itemIds],
    ...(source.eventTypes ? { eventTypes: [...source.eventTypes] } : {}),
  };
  writeJsonAtomic(path, maps);
}

export function loadIdMaps(path: string): IdMaps {
  let text: string;
  try {
    text = readFileSync(path, 'utf-8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataValidationError(code === 'ENOENT' ? 'id map file not found' : `cannot read id map file (${code})`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DataValidationError(`id map file is not valid JSON (${(e as Error).message})`, { file: path });
  }
  const r = IdMapsSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new DataValidationError(`not a samplify id map: ${issue.message}`, { file: path, field: issue.path.join('.') });
  }
  if (r.data.itemIds[0] !== '<pad>') throw new DataValidationError("itemIds[0] must be the padding slot '<pad>'", { file: path, field: 'itemIds' });
  return r.data;
}

/** Writes `user item item …` lines with external ids (atomically); readSequenceText reads it back. */
export function writeSequenceText(dataset: SequenceDataset, path: string): void {
  const out: string[] = [];
  for (let u = 0; u < dataset.sequences.length; u++) {
    const s = dataset.sequences[u]!;
    if (s.length === 0) continue;
    const parts = [dataset.userIds[u]!];
    for (const it of s) parts.push(dataset.itemIds[it]!);
    out.push(parts.join(' '));
  }
  writeFileAtomic(path, out.join('\n') + '\n');
}
