/**
 * The row rules every search reader shares: one `JudgementBuilder` validates a row's query, product
 * and label, and at the end resolves duplicate (query, product) pairs and builds the catalogue.
 * Each reader only maps its file's columns onto `RowInput` — so a row of Home Depot, CrowdFlower or a
 * user's log gets the same verdict for the same values.
 */
import { createHash } from 'node:crypto';
import type { RejectionSink } from '../rejections.ts';
import type { LabelScale, Product, SearchJudgement } from './types.ts';
import { cleanText, exceedsLength, normalizeQuery } from './text.ts';

/** How duplicate (normalised query, product) pairs with different labels are resolved. */
export type DuplicatePolicy = 'reject-conflicts' | 'mean' | 'sum';

export interface BuilderOptions {
  /** Column names as the file calls them, for rejection messages. */
  fields: { query: string; productId: string; title: string; description?: string; label: string };
  /** null: the scale is not declared; labels must be numbers ≥ 0 and the scale becomes [0, max(1, largest)]. */
  labelScale: LabelScale | null;
  /** Labels must be integers (click counts). */
  integerLabels?: boolean;
  maxTextLength: number;
  maxDescriptionLength: number;
  duplicates: DuplicatePolicy;
}

export interface RowInput {
  line: number;
  query: unknown;
  /** A string, or a function deriving the id from the cleaned title and description (CrowdFlower). */
  productId: unknown | ((title: string, description: string) => string);
  title: unknown;
  description?: unknown;
  attributes?: Readonly<Record<string, unknown>>;
  label: unknown;
  raw: string;
}

interface Pending {
  line: number;
  query: string;
  key: string;
  productId: string;
  title: string;
  description?: string;
  attributes?: Record<string, string>;
  label: number;
  raw: string;
}

export interface BuiltJudgements {
  judgements: SearchJudgement[];
  products: Map<string, Product>;
  labelScale: LabelScale;
  warnings: string[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A cell as text: strings as they are, numbers and booleans written out, anything else null (missing) or undefined (wrong type). */
export function cellText(v: unknown): string | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

/** A short stable product id for catalogues without one: 'h' + the first 12 hex digits of sha256(title, NUL, description). */
export function derivedProductId(title: string, description: string): string {
  return 'h' + createHash('sha256').update(title).update('\u0000').update(description).digest('hex').slice(0, 12);
}

function clip(s: string, n = 60): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

export interface TextFieldCheck {
  line: number;
  field: string;
  value: unknown;
  raw: string;
  /** Missing or blank is a rejection with `emptyCode` when required, '' otherwise. */
  required: boolean;
  limit: number;
  emptyCode: string;
}

/**
 * One text cell: missing/blank ('empty-query', 'empty-title', 'missing-field'), not text ('bad-type'),
 * a NUL byte ('nul-byte'), over the length limit ('text-too-long') — each rejects the row naming
 * the field. Returns the cleaned text (NFC, trimmed), or null after rejecting.
 */
export function textField(sink: RejectionSink, c: TextFieldCheck): string | null {
  const { line, field, raw } = c;
  const t = cellText(c.value);
  if (t === undefined) {
    sink.reject(line, field, 'bad-type', `${field} is not text (found ${Array.isArray(c.value) ? 'an array' : typeof c.value})`, raw);
    return null;
  }
  if (t === null || t.trim() === '') {
    if (!c.required) return '';
    sink.reject(line, field, c.emptyCode, t === null ? `${field} is missing` : `${field} is empty or only whitespace`, raw);
    return null;
  }
  if (t.includes('\u0000')) {
    sink.reject(line, field, 'nul-byte', `${field} contains a NUL byte (binary data or a UTF-16 file?)`, raw);
    return null;
  }
  const cleaned = cleanText(t);
  const n = exceedsLength(cleaned, c.limit);
  if (n !== undefined) {
    sink.reject(line, field, 'text-too-long', `${field} is ${n} characters, over the ${c.limit}-character limit`, raw);
    return null;
  }
  return cleaned;
}

export class JudgementBuilder {
  private readonly rows: Pending[] = [];

  constructor(
    private readonly sink: RejectionSink,
    private readonly o: BuilderOptions,
  ) {}

  private text(line: number, field: string, v: unknown, raw: string, required: boolean, limit: number): string | null {
    const f = this.o.fields;
    const emptyCode = field === f.query ? 'empty-query' : field === f.title ? 'empty-title' : 'missing-field';
    return textField(this.sink, { line, field, value: v, raw, required, limit, emptyCode });
  }

  add(r: RowInput): void {
    const f = this.o.fields;
    const { line, raw } = r;
    const query = this.text(line, f.query, r.query, raw, true, this.o.maxTextLength);
    if (query === null) return;
    const key = normalizeQuery(query);
    if (key === '') {
      this.sink.reject(line, f.query, 'empty-query', `query '${clip(query)}' has no letters or digits (only punctuation)`, raw);
      return;
    }
    const title = this.text(line, f.title, r.title, raw, true, this.o.maxTextLength);
    if (title === null) return;
    let description: string | undefined;
    if (f.description !== undefined) {
      const d = this.text(line, f.description, r.description, raw, false, this.o.maxDescriptionLength);
      if (d === null) return;
      description = d;
    }
    let productId: string;
    if (typeof r.productId === 'function') productId = (r.productId as (t: string, d: string) => string)(title, description ?? '');
    else {
      const p = this.text(line, f.productId, r.productId, raw, true, this.o.maxTextLength);
      if (p === null) return;
      productId = p;
    }
    let attributes: Record<string, string> | undefined;
    if (r.attributes !== undefined) {
      for (const [name, v] of Object.entries(r.attributes)) {
        const a = this.text(line, name, v, raw, false, this.o.maxTextLength);
        if (a === null) return;
        if (a !== '') (attributes ??= {})[name] = a;
      }
    }
    const label = this.label(line, r.label, raw);
    if (label === null) return;
    const row: Pending = { line, query, key, productId, title, label, raw };
    if (description !== undefined && description !== '') row.description = description;
    if (attributes !== undefined) row.attributes = attributes;
    this.rows.push(row);
  }

  private label(line: number, v: unknown, raw: string): number | null {
    const field = this.o.fields.label;
    let x: number;
    if (typeof v === 'number') x = v;
    else {
      const t = cellText(v);
      if (t === null || t === undefined || t.trim() === '') {
        this.sink.reject(line, field, 'bad-label', `${field} is missing`, raw);
        return null;
      }
      const s = t.trim();
      x = NUMBER.test(s) ? Number(s) : Number.NaN;
      if (Number.isNaN(x)) {
        this.sink.reject(line, field, 'bad-label', `${field} '${clip(s)}' is not a number`, raw);
        return null;
      }
    }
    if (!Number.isFinite(x)) {
      this.sink.reject(line, field, 'bad-label', `${field} ${x} is not a finite number`, raw);
      return null;
    }
    if (this.o.integerLabels && !Number.isInteger(x)) {
      this.sink.reject(line, field, 'bad-label', `${field} ${x} is not a whole number (a click count)`, raw);
      return null;
    }
    const s = this.o.labelScale;
    if (s === null ? x < 0 : x < s.min || x > s.max) {
      this.sink.reject(line, field, 'label-out-of-scale', `${field} ${x} is outside the declared scale ${s === null ? '[0, ∞)' : `[${s.min}, ${s.max}]`}`, raw);
      return null;
    }
    return x;
  }

  /**
   * Resolves duplicates and builds the catalogue. Duplicate = same normalised query and same product.
   * - same label (every policy): the first copy is kept, later copies are rejected as 'duplicate';
   * - different labels: 'reject-conflicts' rejects every copy as 'conflicting-label'; 'mean' keeps the
   *   first copy with the mean label; 'sum' (click counts) keeps the first with the sum — the later
   *   copies are then 'duplicate' (merged).
   * Products come from kept rows only; a product id seen with a second title keeps its first title and
   * is named in `warnings` (the judgement is still a valid row).
   */
  finish(): BuiltJudgements {
    const byPair = new Map<string, number[]>();
    for (let i = 0; i < this.rows.length; i++) {
      const r = this.rows[i]!;
      const k = r.key + '\u0000' + r.productId;
      const list = byPair.get(k);
      if (list === undefined) byPair.set(k, [i]);
      else list.push(i);
    }
    const keep = new Array<boolean>(this.rows.length).fill(true);
    const label = this.rows.map((r) => r.label);
    const field = this.o.fields.label;
    for (const list of byPair.values()) {
      if (list.length === 1) continue;
      const first = this.rows[list[0]!]!;
      const same = list.every((i) => this.rows[i]!.label === first.label);
      const policy = this.o.duplicates;
      if (!same && policy === 'reject-conflicts') {
        const seen = list.map((i) => `line ${this.rows[i]!.line}: ${this.rows[i]!.label}`).join(', ');
        for (const i of list) {
          keep[i] = false;
          this.sink.reject(this.rows[i]!.line, field, 'conflicting-label', `the same (query, product) pair has different labels (${clip(seen, 160)})`, this.rows[i]!.raw);
        }
        continue;
      }
      if (policy === 'sum') label[list[0]!] = list.reduce((a, i) => a + this.rows[i]!.label, 0);
      else if (!same) label[list[0]!] = list.reduce((a, i) => a + this.rows[i]!.label, 0) / list.length;
      const how = policy === 'sum' ? 'counts summed' : same ? 'same label' : 'labels averaged';
      for (const i of list.slice(1)) {
        keep[i] = false;
        this.sink.reject(this.rows[i]!.line, '*', 'duplicate', `duplicate of line ${first.line} (same normalised query and product; ${how})`, this.rows[i]!.raw);
      }
    }
    const judgements: SearchJudgement[] = [];
    const products = new Map<string, Product>();
    const variants: string[] = [];
    let variantCount = 0;
    let maxLabel = 0;
    for (let i = 0; i < this.rows.length; i++) {
      if (!keep[i]) continue;
      const r = this.rows[i]!;
      judgements.push({ query: r.query, productId: r.productId, label: label[i]!, line: r.line });
      if (label[i]! > maxLabel) maxLabel = label[i]!;
      const p = products.get(r.productId);
      if (p === undefined) {
        const product: { id: string; title: string; description?: string; attributes?: Record<string, string> } = { id: r.productId, title: r.title };
        if (r.description !== undefined) product.description = r.description;
        if (r.attributes !== undefined) product.attributes = r.attributes;
        products.set(r.productId, product);
      } else if (p.title !== r.title || p.description !== r.description) {
        variantCount++;
        if (variants.length < 5) variants.push(`${clip(r.productId, 30)} (line ${r.line})`);
      }
    }
    const warnings: string[] = [];
    if (variantCount > 0)
      warnings.push(`${variantCount} kept row${variantCount > 1 ? 's' : ''} name a product id already seen with another title or description; the first text is kept: ${variants.join(', ')}${variantCount > variants.length ? ', …' : ''}`);
    const labelScale = this.o.labelScale ?? { min: 0, max: Math.max(1, maxLabel) };
    return { judgements, products, labelScale, warnings };
  }

  get rowCount(): number {
    return this.rows.length;
  }
}
