/**
 * Fingerprints: what identifies a run or a checkpoint. A fingerprint is a JSON value of everything
 * a result depends on, compared in canonical form (object keys sorted at every level), so the order
 * in which code happens to build the object never makes the same run look different.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level (undefined members dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined || typeof x === 'function' ? null : sortKeys(x)));
  if (v !== null && typeof v === 'object') {
    const toJson = (v as { toJSON?: () => unknown }).toJSON;
    if (typeof toJson === 'function') return sortKeys(toJson.call(v));
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined && typeof x !== 'function') o[k] = sortKeys(x);
    }
    return o;
  }
  return v;
}

/** A short stable hash of a JSON value in canonical form. */
export function fingerprintHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
