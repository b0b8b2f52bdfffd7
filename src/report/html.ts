/**
 * HTML built from trusted fragments only: `html` is a tagged template that escapes every
 * interpolated value unless it is already an `Html` fragment, so a string from a run's files (an
 * arm name, a column value, a config path) can never become markup.
 */

/** A piece of markup that is safe to insert as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What can be interpolated: fragments (kept), lists of them (joined), numbers and strings (escaped); null/undefined/false render nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup from a trusted producer (our own chart renderer's SVG); never pass data through this. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

export function join(parts: readonly HtmlValue[], separator: HtmlValue = ''): Html {
  return new Html(parts.map(render).join(render(separator)));
}

/** A number for a table cell: fixed digits, '—' when absent or not finite. */
export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toFixed(digits);
}

/** A relative change as a signed percentage: 0.0158 → "+1.58 %". */
export function fmtPercent(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)} %`;
}

/** A p-value: fixed below 3 significant places, scientific when tiny. */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return p < 1e-3 ? p.toExponential(2) : p.toFixed(4);
}

export function fmtSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  return s < 90 ? `${s.toFixed(1)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(2)} h`;
}

export interface TableOptions {
  readonly caption?: HtmlValue;
  /** data-testid of the table, for tests and links. */
  readonly id?: string;
  /** Column indexes holding numbers (right-aligned). */
  readonly numeric?: readonly number[];
}

export function table(header: readonly HtmlValue[], rows: readonly (readonly HtmlValue[])[], o: TableOptions = {}): Html {
  const num = new Set(o.numeric ?? []);
  const cls = (i: number) => (num.has(i) ? trusted(' class="num"') : '');
  return html`<div class="table-wrap"><table${o.id ? html` data-testid="${o.id}"` : ''}>${o.caption ? html`<caption>${o.caption}</caption>` : ''}<thead><tr>${header.map((h, i) => html`<th${cls(i)}>${h}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c, i) => html`<td${cls(i)}>${c}</td>`)}</tr>`)}</tbody></table></div>`;
}

/** A key/value list (provenance, settings). */
export function facts(items: readonly (readonly [HtmlValue, HtmlValue])[], id?: string): Html {
  return html`<dl class="facts"${id ? html` data-testid="${id}"` : ''}>${items.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

/** JSON shown folded, pretty-printed and escaped. */
export function jsonBlock(summary: string, value: unknown): Html {
  return html`<details><summary>${summary}</summary><pre>${JSON.stringify(value, null, 2) ?? 'undefined'}</pre></details>`;
}

export function note(text: HtmlValue): Html {
  return html`<p class="note">${text}</p>`;
}
