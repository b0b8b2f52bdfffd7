/**
 * Quantities (a number with a unit) and their written variants: "128 gb" ↔ "128GB",
 * "1/2 in." ↔ "0.5 inch" ↔ `1/2"`, "8 ft." ↔ "8 feet" ↔ `8'`, "2x4" ↔ "2 x 4". Every variant has the
 * same value and unit (`canonicalQuantity`), which is how tests check that the operators that
 * target quantities on purpose keep what the quantity says.
 */

/** A unit family: its written forms, the first being the canonical one. `glued` forms attach to the number. */
interface UnitFamily {
  readonly canonical: string;
  /** Spaced forms ("in.", "inch"). */
  readonly spaced: readonly string[];
  /** Forms written right after the number ('"', "GB"). */
  readonly glued: readonly string[];
}
const FAMILIES: readonly UnitFamily[] = [
  { canonical: 'in', spaced: ['in.', 'inch', 'in'], glued: ['"', 'in.'] },
  { canonical: 'ft', spaced: ['ft.', 'feet', 'ft'], glued: ["'", 'ft.'] },
  { canonical: 'gb', spaced: ['gb', 'GB'], glued: ['GB', 'gb'] },
  { canonical: 'tb', spaced: ['tb', 'TB'], glued: ['TB', 'tb'] },
  { canonical: 'mb', spaced: ['mb', 'MB'], glued: ['MB', 'mb'] },
  { canonical: 'lb', spaced: ['lb.', 'lbs.', 'lb', 'lbs', 'pound', 'pounds'], glued: ['lb', 'lbs'] },
  { canonical: 'oz', spaced: ['oz.', 'oz', 'ounce', 'ounces'], glued: ['oz'] },
  { canonical: 'gal', spaced: ['gal.', 'gal', 'gallon', 'gallons'], glued: ['gal'] },
  { canonical: 'qt', spaced: ['qt.', 'qt', 'quart', 'quarts'], glued: ['qt'] },
  { canonical: 'v', spaced: ['volt', 'volts', 'v', 'V'], glued: ['V', 'v'] },
  { canonical: 'w', spaced: ['watt', 'watts', 'w', 'W'], glued: ['W', 'w'] },
  { canonical: 'mm', spaced: ['mm'], glued: ['mm'] },
  { canonical: 'cm', spaced: ['cm'], glued: ['cm'] },
  { canonical: 'ml', spaced: ['ml'], glued: ['ml'] },
  { canonical: 'kg', spaced: ['kg'], glued: ['kg'] },
];
const BY_FORM = new Map<string, UnitFamily>();
for (const f of FAMILIES) for (const form of [...f.spaced, ...f.glued]) BY_FORM.set(form.toLowerCase(), f);
for (const f of FAMILIES) BY_FORM.set(f.canonical, f);

const NUM = String.raw`\d+(?:-\d+)?\/\d+|\d+(?:\.\d+)?|\.\d+`;
const GLUED = new RegExp(`^(${NUM})("|'|[a-z]+\\.?)$`, 'i');
const DIM_GLUED = new RegExp(`^(${NUM})((?:x(?:${NUM}))+)$`, 'i');

/** The value of a written number ("1-1/2" → 1.5, "3/4" → 0.75), or NaN. */
export function numberValue(s: string): number {
  const m = /^(?:(\d+)-)?(\d+)\/(\d+)$/.exec(s);
  if (m) return (m[1] ? Number(m[1]) : 0) + Number(m[2]) / Number(m[3]);
  return /^(\d+(\.\d+)?|\.\d+)$/.test(s) ? Number(s) : Number.NaN;
}

/** Other ways to write the number with the same value: fraction ↔ decimal for halves, quarters and eighths. */
function numberForms(s: string): string[] {
  const v = numberValue(s);
  if (!Number.isFinite(v)) return [s];
  const forms = [s];
  const whole = Math.floor(v);
  const eighths = Math.round((v - whole) * 8);
  if (Math.abs(v * 8 - Math.round(v * 8)) < 1e-9 && eighths > 0) {
    let num = eighths;
    let den = 8;
    while (num % 2 === 0) (num /= 2), (den /= 2);
    const frac = whole > 0 ? `${whole}-${num}/${den}` : `${num}/${den}`;
    const dec = String(v);
    for (const f of [frac, dec]) if (!forms.includes(f)) forms.push(f);
  }
  return forms;
}

interface ParsedQuantity {
  readonly number: string;
  readonly unit: UnitFamily | undefined;
  /** The dimension's other numbers (2x4 → ['4']). */
  readonly dims: readonly string[];
}

function parse(tokens: readonly string[]): ParsedQuantity | undefined {
  if (tokens.length === 1) {
    const t = tokens[0]!;
    const d = DIM_GLUED.exec(t);
    if (d) return { number: d[1]!, unit: undefined, dims: d[2]!.slice(1).split(/x/i) };
    const g = GLUED.exec(t);
    if (g) {
      const unit = BY_FORM.get(g[2]!.toLowerCase()) ?? BY_FORM.get(g[2]!.toLowerCase().replace(/\.$/, ''));
      return unit ? { number: g[1]!, unit, dims: [] } : undefined;
    }
    return undefined;
  }
  if (tokens.length === 2 && Number.isFinite(numberValue(tokens[0]!))) {
    const unit = BY_FORM.get(tokens[1]!.toLowerCase()) ?? BY_FORM.get(tokens[1]!.toLowerCase().replace(/\.$/, ''));
    return unit ? { number: tokens[0]!, unit, dims: [] } : undefined;
  }
  if (tokens.length === 3 && tokens[1]!.toLowerCase() === 'x' && Number.isFinite(numberValue(tokens[0]!)) && Number.isFinite(numberValue(tokens[2]!)))
    return { number: tokens[0]!, unit: undefined, dims: [tokens[2]!] };
  return undefined;
}

/** Every other way to write a quantity (as tokens), in a fixed order; [] when it is not one we know. */
export function quantityVariants(tokens: readonly string[]): string[][] {
  const q = parse(tokens);
  if (!q) return [];
  const here = tokens.join(' ');
  const out: string[][] = [];
  const seen = new Set<string>([here]);
  const add = (ts: string[]) => {
    const k = ts.join(' ');
    if (!seen.has(k)) seen.add(k), out.push(ts);
  };
  if (!q.unit) {
    // A dimension: glued ↔ spaced ("2x4" ↔ "2 x 4").
    add([[q.number, ...q.dims].join('x')]);
    add([q.number, ...q.dims.flatMap((d) => ['x', d])]);
    return out;
  }
  const upper = tokens.some((t) => /[A-Z]{2}/.test(t));
  for (const n of numberForms(q.number)) {
    for (const g of q.unit.glued) if (!(upper && g === g.toLowerCase() && g !== g.toUpperCase())) add([n + g]);
    for (const s of q.unit.spaced) add([n, s]);
  }
  return out;
}

/** A quantity's meaning: its value and canonical unit ("1/2 in." and `0.5"` → "0.5 in"); other text unchanged. */
export function canonicalQuantity(tokens: readonly string[]): string {
  const q = parse(tokens);
  if (!q) return tokens.map((t) => LONG_TO_SHORT.get(t.toLowerCase()) ?? t.toLowerCase().replace(/\.$/, '')).join(' ');
  return [q.number, ...q.dims].map(numberValue).join('x') + (q.unit ? ` ${q.unit.canonical}` : '');
}

// ------------------------------------------------------------------ abbreviations

/**
 * Abbreviations of shop text: [short, long]. Word phrases apply to free words; unit forms apply to
 * the unit word of a quantity ("8 ft." ↔ "8 feet"), which the abbreviation operator targets on purpose.
 */
export const WORD_ABBREVIATIONS: readonly (readonly [string, string])[] = [
  ['w/', 'with'],
  ['ss', 'stainless steel'],
  ['hd', 'heavy duty'],
  ['pkg', 'package'],
  ['qty', 'quantity'],
  ['blk', 'black'],
  ['wht', 'white'],
  ['galv', 'galvanized'],
  ['alum', 'aluminum'],
  ['elec', 'electric'],
  ['ext', 'extension'],
  ['adj', 'adjustable'],
  ['assy', 'assembly'],
  ['sq', 'square'],
  ['cu', 'cubic'],
  ['approx', 'approximately'],
];
export const UNIT_ABBREVIATIONS: readonly (readonly [string, string])[] = [
  ['in.', 'inch'],
  ['ft.', 'feet'],
  ['yd.', 'yard'],
  ['gal.', 'gallon'],
  ['qt.', 'quart'],
  ['lb.', 'pound'],
  ['oz.', 'ounce'],
  ['sq.', 'square'],
  ['cu.', 'cubic'],
  ['pk.', 'pack'],
  ['pc.', 'piece'],
];

const LONG_TO_SHORT = new Map(UNIT_ABBREVIATIONS.map(([short, long]) => [long, short.replace(/\.$/, '')]));
