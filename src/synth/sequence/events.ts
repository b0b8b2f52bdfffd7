/** Histories with event types from an interaction table read with an event column (CSV/TSV/JSONL readers). */
import { ConfigError } from '../../core/index.ts';
import type { InteractionTable } from '../../data/index.ts';
import type { EventSequence, EventSequenceData } from './types.ts';

export interface EventSequencesResult {
  readonly data: EventSequenceData;
  /** Dense → external ids (index 0 of itemIds is padding). */
  readonly itemIds: readonly string[];
  readonly userIds: readonly string[];
}

/**
 * Groups the rows by user, in time order when the table has timestamps (ties and untimed tables
 * keep file order). Dense item and user ids follow first appearance; event types follow `order`
 * when given (e.g. ['view', 'cart', 'purchase']) and first appearance otherwise.
 */
export function eventSequencesFromTable(table: InteractionTable, order?: readonly string[]): EventSequencesResult {
  const ev = table.eventTypes;
  if (!ev) throw new ConfigError(`${table.file}: the table has no event-type column (declare one when reading it)`, { file: table.file, field: 'event_type' });
  const eventTypes: string[] = order ? [...order] : [];
  const eventIndex = new Map(eventTypes.map((e, i) => [e, i]));
  const itemIds = ['<pad>'];
  const itemIndex = new Map<string, number>();
  const userIds: string[] = [];
  const rowsOf = new Map<string, number[]>();
  for (let r = 0; r < table.users.length; r++) {
    const u = table.users[r]!;
    let rows = rowsOf.get(u);
    if (!rows) rowsOf.set(u, (rows = [])), userIds.push(u);
    rows.push(r);
  }
  const ts = table.timestamps;
  const sequences: EventSequence[] = userIds.map((u) => {
    const rows = rowsOf.get(u)!;
    if (ts) rows.sort((a, b) => ts[a]! - ts[b]! || a - b);
    const items = new Int32Array(rows.length);
    const events = new Uint8Array(rows.length);
    rows.forEach((r, i) => {
      const it = table.items[r]!;
      let d = itemIndex.get(it);
      if (d === undefined) itemIndex.set(it, (d = itemIds.push(it) - 1));
      const e = ev[r]!;
      let k = eventIndex.get(e);
      if (k === undefined) {
        if (order) throw new ConfigError(`${table.file}: event type '${e}' (line ${table.lines[r]}) is not one of: ${order.join(', ')}`, { file: table.file, field: 'event_type' });
        eventIndex.set(e, (k = eventTypes.push(e) - 1));
      }
      items[i] = d;
      events[i] = k;
    });
    return { items, events };
  });
  if (eventTypes.length > 255) throw new ConfigError(`${table.file}: ${eventTypes.length} event types; at most 255 are supported`, { file: table.file, field: 'event_type' });
  return { data: { numItems: itemIds.length - 1, eventTypes, sequences }, itemIds, userIds };
}
