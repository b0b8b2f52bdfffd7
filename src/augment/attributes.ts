/**
 * Item attributes (categories, brand, …) mapped to dense item ids, for attribute-aware operators
 * and the attribute-jaccard similarity. Input: `{ "<external item id>": [attr, …] }` as in
 * `Beauty_item2attributes.json`. Attribute values are remapped to dense ids 0..numAttributes-1.
 */
import { readFileSync } from 'node:fs';
import { DataValidationError } from '../core/errors.ts';

export interface ItemAttributes {
  readonly numItems: number;
  readonly numAttributes: number;
  /** values[offsets[i] .. offsets[i+1]) = dense attribute ids of item i (sorted, distinct). */
  readonly offsets: Int32Array;
  readonly values: Int32Array;
  /** External attribute value of each dense attribute id. */
  readonly attributeIds: readonly string[];
  /** Entries of the file whose item is not in the dataset (ignored). */
  readonly unmatched: number;
  /** Dataset items that have no entry in the file. */
  readonly missing: number;
}

/** Builds ItemAttributes from the parsed JSON object; `itemIds` is the dataset's dense→external map. */
export function itemAttributesFromObject(obj: unknown, itemIds: readonly string[], file = '<attributes>'): ItemAttributes {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new DataValidationError('item attributes must be a JSON object { "item_id": [attr, …] }', { file });
  const numItems = itemIds.length - 1;
  const dense = new Map<string, number>();
  for (let i = 1; i <= numItems; i++) dense.set(itemIds[i]!, i);
  const attrIndex = new Map<string, number>();
  const attributeIds: string[] = [];
  const per: (number[] | undefined)[] = new Array(numItems + 1);
  let unmatched = 0;
  for (const [ext, list] of Object.entries(obj as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new DataValidationError(`attributes of item '${ext}' must be an array`, { file, field: ext });
    const i = dense.get(ext);
    if (i === undefined) {
      unmatched++;
      continue;
    }
    const ids = new Set<number>();
    for (const v of list) {
      if (typeof v !== 'number' && typeof v !== 'string') throw new DataValidationError(`attribute of item '${ext}' must be a number or string, got ${JSON.stringify(v)}`, { file, field: ext });
      const key = String(v);
      let a = attrIndex.get(key);
      if (a === undefined) (a = attributeIds.length), attrIndex.set(key, a), attributeIds.push(key);
      ids.add(a);
    }
    per[i] = [...ids].sort((a, b) => a - b);
  }
  const offsets = new Int32Array(numItems + 2);
  let missing = 0;
  for (let i = 1; i <= numItems; i++) {
    const l = per[i]?.length ?? 0;
    if (per[i] === undefined) missing++;
    offsets[i + 1] = offsets[i]! + l;
  }
  const values = new Int32Array(offsets[numItems + 1]!);
  for (let i = 1; i <= numItems; i++) if (per[i]) values.set(per[i]!, offsets[i]!);
  return { numItems, numAttributes: attributeIds.length, offsets, values, attributeIds, unmatched, missing };
}

/** Reads an item→attributes JSON file and maps it onto the dataset's dense ids. */
export function loadItemAttributes(path: string, itemIds: readonly string[]): ItemAttributes {
  let text: string;
  try {
    text = readFileSync(path, 'utf-8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataValidationError(code === 'ENOENT' ? 'item attribute file not found' : `cannot read item attribute file (${code})`, { file: path });
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new DataValidationError(`item attribute file is not valid JSON (${(e as Error).message})`, { file: path });
  }
  return itemAttributesFromObject(obj, itemIds, path);
}

/** True when items a and b share at least one attribute. */
export function shareAttribute(attrs: ItemAttributes, a: number, b: number): boolean {
  if (a < 1 || b < 1 || a > attrs.numItems || b > attrs.numItems) return false;
  let x = attrs.offsets[a]!;
  const xe = attrs.offsets[a + 1]!;
  let y = attrs.offsets[b]!;
  const ye = attrs.offsets[b + 1]!;
  while (x < xe && y < ye) {
    const va = attrs.values[x]!;
    const vb = attrs.values[y]!;
    if (va === vb) return true;
    if (va < vb) x++;
    else y++;
  }
  return false;
}
