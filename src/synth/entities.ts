/**
 * Entity-consistent sampling: a wrapper around any table synthesizer of the registry.
 *
 * In an event table (ratings ⨝ users ⨝ items) the user attributes are a function of user_id and
 * the item attributes a function of item_id: every real row joins an existing user block to an
 * existing item block. A row-level model (a Gaussian copula above all) cannot reproduce a
 * functional dependence, so it emits rows whose user attributes no user has — which is what a
 * tree detector sees first. This wrapper
 * 1. finds the functional dependencies at fit time (or takes them declared): an entity is a key
 *    column and the attribute columns constant within each key value (up to `tolerance`, the
 *    share of rows allowed to disagree with their key's value; the count is kept per column);
 * 2. fits the inner synthesizer on the table without the attribute columns (each entity is
 *    represented by its key alone);
 * 3. fills every sampled row's attribute block from its key, the same block for every row of one
 *    key: 'copy' takes the real entity's block (what the real rows look like), 'synthetic' draws
 *    one block per sampled key from a second synthesizer of the same kind fitted on the entity
 *    table (one row per key), so no real block is reproduced (the privacy-minded choice).
 * Conditions on attribute columns are met by rejection; constraints go to whichever model owns
 * all of their columns.
 *
 * Declared entities may also have a composite key — several attribute columns that together act
 * as the entity when the table has no id column (on the 9-column ml-100k anchor table, age,
 * gender, occupation and zip_region nearly identify a user): the row model sees their
 * combination as one categorical column, and every sampled row gets a real combination ('copy')
 * or one from the entity model ('synthetic'). And a declared entity may own a time column whose
 * values come in sessions per entity (src/synth/entity-time.ts): the row model's times only order
 * an entity's rows, the entity's session model places them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { allowedKeysAt, ConfigError, DataValidationError, ModelStateError, parseWithSchema, Rng, writeFileAtomic, type ComponentRegistry } from '../core/index.ts';
import { cellKey, cellToNumber, checkMetadataCovers, type Cell, type ColumnMeta, type Table, type TableMetadata } from '../data/index.ts';
import { DEFAULT_MAX_TRIES_PER_ROW } from './conditions.ts';
import type { Conditions, Constraint, SampleOptions, SampleResult, Synthesizer, SynthFitOptions, SynthFitReport } from './types.ts';
import { readSynthesizerFileOf, SYNTHESIZER_FILE_FORMAT } from './saved-file.ts';
import { hash53 } from './conditions.ts';
import { assignEntityTimes, entityTimeSchema, fitEntityTime, formatStep, type EntityTimeParams, type EntityTimeState } from './entity-time.ts';
import { formatValue } from './resolution.ts';

export const ENTITY_BLOCKS_KIND = 'entity-blocks';
/** The entity table's extra column: how many rows the entity has (the activity used to match blocks to keys). */
const ROWS_COLUMN = '__entity_rows';
const FORMAT = SYNTHESIZER_FILE_FORMAT;
const VERSION = 1;

const entityDeclSchema = z
  .object({
    /**
     * The key column (e.g. user_id), or several columns that together act as the entity when the
     * table has no id column (e.g. [age, gender, occupation, zip_region]: the combination nearly
     * identifies a user). A composite key's columns are the entity's block: the row model sees
     * one categorical column with the combination instead, and every sampled combination is a
     * real one ('copy') or comes from the entity model ('synthetic').
     */
    key: z.union([z.string().min(1), z.array(z.string().min(1)).min(2)]),
    /** Columns that are a function of the key (e.g. age, gender, occupation); may be empty for a composite key or with `time`. */
    attributes: z.array(z.string().min(1)).default([]),
    /** The entity's activity in time: its rows' times come in sessions of that entity (src/synth/entity-time.ts). */
    time: entityTimeSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (typeof d.key === 'string' && d.attributes.length === 0 && d.time === undefined)
      ctx.addIssue({ code: 'custom', message: 'an entity with a single key column needs attributes or a time model', path: ['attributes'], input: d.attributes });
  });
export type EntityDeclaration = z.infer<typeof entityDeclSchema>;

/** The wrapper's params; `inner` checks `params` against the named synthesizer's schema. */
export function entityBlocksParamsSchema(inner: ComponentRegistry<Synthesizer>) {
  return z
    .object({
      /** The synthesizer that models the rows with each entity reduced to its key. */
      synthesizer: z.string().min(1).default('gaussian-copula'),
      /** Its params (checked against its schema). */
      params: z.record(z.string(), z.unknown()).default({}),
      /** 'auto': found in the training data at fit time; or declared key (one column or a composite) → attributes, optionally with a time model. */
      entities: z.union([z.literal('auto'), z.array(entityDeclSchema)]).default('auto'),
      /** Auto-detection: the largest share of rows that may disagree with their key's attribute value. */
      tolerance: z.number().min(0).max(0.2).default(0.01),
      /** Auto-detection: keys need at least this many distinct values and two rows per value on average. */
      minEntities: z.number().int().min(2).default(10),
      /**
       * Where a sampled key's attribute block comes from: 'copy' — the real entity's block (what the
       * real rows look like; every real entity's attributes appear verbatim with its key, and the
       * saved model holds them), or 'synthetic' — a block drawn once per sampled key from a model of
       * the entity table, matched to keys by activity (no real block is disclosed, but on ml-100k
       * it loses the attribute–label association; docs/decisions/entity-blocks.md).
       */
      attributeSource: z.enum(['copy', 'synthetic']).default('copy'),
    })
    .strict()
    .superRefine((p, ctx) => {
      if (p.synthesizer === ENTITY_BLOCKS_KIND) {
        ctx.addIssue({ code: 'custom', message: `the inner synthesizer cannot be ${ENTITY_BLOCKS_KIND} itself`, path: ['synthesizer'], input: p.synthesizer });
        return;
      }
      inner.refine(p.synthesizer, p.params, ctx, ['synthesizer'], ['params']);
    });
}
export type EntityBlocksParams = z.infer<ReturnType<typeof entityBlocksParamsSchema>>;

/** One functional dependency found (or declared) in the training table. */
export interface EntityBlock {
  readonly key: string;
  readonly attributes: readonly string[];
  /** Distinct key values in the training table. */
  readonly entities: number;
  /** Per attribute: training rows whose value differs from their key's (most frequent) value. */
  readonly violations: Readonly<Record<string, number>>;
  /**
   * A declared composite key: its columns. `key` is then the derived column the row model sees
   * (the combination as one categorical cell) and the columns lead `attributes`.
   */
  readonly composite?: readonly string[];
}

/** Prefix of the derived key column of a composite entity (the row model's view of the combination). */
const COMPOSITE_PREFIX = '__entity_';

/** A column that was tested against a key and rejected (not functional within tolerance). */
export interface RejectedDependency {
  readonly key: string;
  readonly column: string;
  readonly violations: number;
}

export interface EntityDetection {
  readonly blocks: readonly EntityBlock[];
  readonly rejected: readonly RejectedDependency[];
}

/** Per key value (first-appearance order): the most frequent value of `column` and the rows that disagree. */
function keyModes(keyCells: readonly Cell[], cells: readonly Cell[], groupOf: Int32Array, groups: number): { modes: Cell[]; violations: number } {
  const counts: Map<string, { cell: Cell; n: number }>[] = Array.from({ length: groups }, () => new Map());
  for (let i = 0; i < keyCells.length; i++) {
    const m = counts[groupOf[i]!]!;
    const k = cellKey(cells[i] ?? null);
    const e = m.get(k);
    if (e) e.n++;
    else m.set(k, { cell: cells[i] ?? null, n: 1 });
  }
  let violations = 0;
  const modes = counts.map((m) => {
    let best: { cell: Cell; n: number } | null = null;
    let total = 0;
    for (const e of m.values()) {
      total += e.n;
      if (best === null || e.n > best.n) best = e; // ties: first seen wins (deterministic)
    }
    violations += total - (best?.n ?? 0);
    return best?.cell ?? null;
  });
  return { modes, violations };
}

/** Key value → group index (first-appearance order); null when the key column has a null. */
function groupKeys(keyCells: readonly Cell[]): { groupOf: Int32Array; keys: Cell[] } | null {
  const index = new Map<string, number>();
  const keys: Cell[] = [];
  const groupOf = new Int32Array(keyCells.length);
  for (let i = 0; i < keyCells.length; i++) {
    const c = keyCells[i] ?? null;
    if (c === null) return null;
    const k = cellKey(c);
    let g = index.get(k);
    if (g === undefined) {
      g = keys.length;
      index.set(k, g);
      keys.push(c);
    }
    groupOf[i] = g;
  }
  return { groupOf, keys };
}

function mostFrequentCount(cells: readonly Cell[]): number {
  const m = new Map<string, number>();
  let best = 0;
  for (const c of cells) {
    const k = cellKey(c ?? null);
    const n = (m.get(k) ?? 0) + 1;
    m.set(k, n);
    if (n > best) best = n;
  }
  return best;
}

/**
 * Functional dependencies key → attributes in a table. Candidate keys: id or categorical columns
 * without nulls, with at least `minEntities` distinct values and two rows per value on average.
 * A column is an attribute of a key when at most `tolerance`·rows rows disagree with their key's
 * value and the key explains at least 90 % of the column's spread beyond its most frequent value
 * (so a near-constant column is not taken for an attribute). Keys with the most distinct values
 * claim their attributes first; a column claimed as an attribute is no longer a key.
 */
export function detectEntities(table: Table, metadata: TableMetadata, options: { tolerance: number; minEntities: number }): EntityDetection {
  const n = table.rowCount;
  const candidates: { key: string; groupOf: Int32Array; keys: Cell[] }[] = [];
  for (const c of table.columns) {
    const t = metadata.columns[c]?.type;
    if (t !== 'id' && t !== 'categorical') continue;
    const g = groupKeys(table.data[c]!);
    if (!g || g.keys.length < options.minEntities || g.keys.length * 2 > n) continue;
    candidates.push({ key: c, ...g });
  }
  candidates.sort((a, b) => b.keys.length - a.keys.length || table.columns.indexOf(a.key) - table.columns.indexOf(b.key));
  const claimed = new Set<string>();
  const keysUsed = new Set<string>();
  const blocks: EntityBlock[] = [];
  const rejected: RejectedDependency[] = [];
  for (const cand of candidates) {
    if (claimed.has(cand.key)) continue;
    const attributes: string[] = [];
    const violations: Record<string, number> = {};
    for (const c of table.columns) {
      if (c === cand.key || claimed.has(c) || keysUsed.has(c)) continue;
      const cells = table.data[c]!;
      const spread = n - mostFrequentCount(cells);
      if (spread === 0) continue; // constant: a function of anything, left to the inner model
      const { violations: v } = keyModes(table.data[cand.key]!, cells, cand.groupOf, cand.keys.length);
      if (v <= options.tolerance * n && v <= 0.1 * spread) {
        attributes.push(c);
        violations[c] = v;
      } else rejected.push({ key: cand.key, column: c, violations: v });
    }
    if (attributes.length === 0) continue;
    for (const a of attributes) claimed.add(a);
    keysUsed.add(cand.key);
    blocks.push({ key: cand.key, attributes, entities: cand.keys.length, violations });
  }
  return { blocks, rejected };
}

/**
 * The table with one derived key column per declared composite key (the combination of its
 * columns' cells as one string, e.g. `[25,"M","student","9"]`) appended, and its metadata.
 */
function withCompositeKeys(table: Table, metadata: TableMetadata, declared: readonly EntityDeclaration[]): { table: Table; metadata: TableMetadata } {
  const data: Record<string, readonly Cell[]> = { ...table.data };
  const columns = [...table.columns];
  const metaColumns: Record<string, ColumnMeta> = { ...metadata.columns };
  declared.forEach((d, i) => {
    if (typeof d.key === 'string') return;
    const name = `${COMPOSITE_PREFIX}${i}`;
    if (table.columns.includes(name)) throw new ConfigError(`column '${name}' is reserved for a composite entity key; rename it`, { field: `synthesizer.params.entities[${i}].key` });
    d.key.forEach((c, j) => {
      if (!table.columns.includes(c)) throw new ConfigError(`key column '${c}' is not in the table`, { field: `synthesizer.params.entities[${i}].key[${j}]` });
    });
    const cols = d.key.map((c) => table.data[c]!);
    data[name] = Array.from({ length: table.rowCount }, (_, r) => JSON.stringify(cols.map((col) => col[r] ?? null)));
    columns.push(name);
    metaColumns[name] = { type: 'categorical' };
  });
  return { table: { columns, rowCount: table.rowCount, data }, metadata: { ...metadata, columns: metaColumns } };
}

/** Declared entities checked against the table (unknown columns are ConfigErrors naming the path); composite keys read their derived column. */
function declaredBlocks(table: Table, declared: readonly EntityDeclaration[]): EntityBlock[] {
  const seen = new Set<string>();
  return declared.map((d, i) => {
    const where = `synthesizer.params.entities[${i}]`;
    const composite = typeof d.key === 'string' ? undefined : d.key;
    const key = composite ? `${COMPOSITE_PREFIX}${i}` : (d.key as string);
    for (const [j, c] of (composite ?? [key]).entries()) {
      const field = composite ? `${where}.key[${j}]` : `${where}.key`;
      if (!table.columns.includes(c)) throw new ConfigError(`key column '${c}' is not in the table`, { field });
      if (seen.has(c)) throw new ConfigError(`column '${c}' is used by two entities`, { field });
      seen.add(c);
    }
    const g = groupKeys(table.data[key]!);
    if (!g) throw new DataValidationError(`key column '${key}' has missing values; an entity key must be present on every row`, { field: key });
    const violations: Record<string, number> = {};
    for (const c of composite ?? []) violations[c] = 0; // a function of the combination by construction
    d.attributes.forEach((a, j) => {
      if (!table.columns.includes(a)) throw new ConfigError(`attribute column '${a}' is not in the table`, { field: `${where}.attributes[${j}]` });
      if (seen.has(a)) throw new ConfigError(`column '${a}' is used by two entities (or is a key)`, { field: `${where}.attributes[${j}]` });
      seen.add(a);
      violations[a] = keyModes(table.data[key]!, table.data[a]!, g.groupOf, g.keys.length).violations;
    });
    return { key, attributes: [...(composite ?? []), ...d.attributes], entities: g.keys.length, violations, ...(composite ? { composite: [...composite] } : {}) };
  });
}

function pickColumns(table: Table, columns: readonly string[]): Table {
  return { columns: [...columns], rowCount: table.rowCount, data: Object.fromEntries(columns.map((c) => [c, table.data[c]!])) };
}

function pickMetadata(metadata: TableMetadata, columns: readonly string[]): TableMetadata {
  const cols: Record<string, ColumnMeta> = Object.fromEntries(columns.map((c) => [c, metadata.columns[c]!]));
  return metadata.primaryKey !== undefined && columns.includes(metadata.primaryKey) ? { columns: cols, primaryKey: metadata.primaryKey } : { columns: cols };
}

function constraintColumns(c: Constraint): readonly string[] {
  return c.kind === 'range' ? [c.column] : c.kind === 'inequality' ? [c.low, c.high] : c.columns;
}

/** A synthesizer's saved file as JSON, through a temporary file (the contract saves to a path). */
function savedJson(s: Synthesizer): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'samplify-entity-'));
  try {
    const p = join(dir, 'model.json');
    s.save(p);
    return JSON.parse(readFileSync(p, 'utf8')) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function loadJson(s: Synthesizer, saved: unknown): void {
  const dir = mkdtempSync(join(tmpdir(), 'samplify-entity-'));
  try {
    const p = join(dir, 'model.json');
    writeFileSync(p, JSON.stringify(saved));
    s.load(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface EntityState {
  readonly block: EntityBlock;
  /** 'copy': key cellKey → the real block (attribute cells in `block.attributes` order). */
  readonly realBlocks?: Readonly<Record<string, readonly Cell[]>>;
  /** The entity's time model, when declared with `time`. */
  readonly time?: EntityTimeState;
}

interface EntityBlocksState {
  readonly format: typeof FORMAT;
  readonly kind: typeof ENTITY_BLOCKS_KIND;
  readonly version: number;
  readonly params: EntityBlocksParams;
  readonly columns: readonly string[];
  readonly entities: readonly EntityState[];
  readonly inner: unknown;
  /** 'synthetic': per entity, the saved synthesizer of its entity table. */
  readonly entityModels: readonly unknown[];
  /** With a time model: 53-bit hashes of the training rows, so a row whose new time makes it a training row's copy is moved off it. */
  readonly rowHashes?: readonly number[];
}

/** 53-bit hash of row r over `cols` (the exact-copy check without keeping the rows). */
function rowHashOf(cols: readonly (readonly Cell[])[], r: number): number {
  let s = '';
  for (const col of cols) s += cellKey(col[r] ?? null) + '\u0001';
  return hash53(s);
}

export class EntityBlockSynthesizer implements Synthesizer {
  readonly name = ENTITY_BLOCKS_KIND;
  private params: EntityBlocksParams;
  private fitted: {
    columns: readonly string[];
    entities: EntityState[];
    inner: Synthesizer;
    entityModels: Synthesizer[];
    rowHashes: ReadonlySet<number> | null;
  } | null = null;
  /** What the last fit found (or was told): per entity its key, attributes and violation counts. */
  detection: EntityDetection | null = null;

  private readonly schema: ReturnType<typeof entityBlocksParamsSchema>;

  /** `registry`: where the inner synthesizer is looked up (the table synthesizer registry). */
  constructor(
    raw: Readonly<Record<string, unknown>>,
    private readonly registry: ComponentRegistry<Synthesizer>,
  ) {
    this.schema = entityBlocksParamsSchema(registry);
    this.params = parseWithSchema(this.schema, raw, { prefix: ['synthesizer', 'params'] });
  }

  private make(p: EntityBlocksParams): Synthesizer {
    return this.registry.create(p.synthesizer, p.params, ['synthesizer', 'params', 'params']);
  }

  /**
   * The synthesizer of an entity table. Its own exact-copy removal is switched off where the
   * inner has one: a block equal to a real entity's is common when the attributes are few
   * (genre alone), and no full row can copy a training row anyway, since the row model already
   * removes rows whose key and other columns equal a training row's.
   */
  private makeEntityModel(p: EntityBlocksParams): Synthesizer {
    const keys = allowedKeysAt(this.registry.get(p.synthesizer).schema, []);
    const params = keys.includes('removeExactCopies') ? { ...p.params, removeExactCopies: false } : p.params;
    return this.registry.create(p.synthesizer, params, ['synthesizer', 'params', 'params']);
  }

  /** The entities of the fitted model (empty before fit). */
  get entities(): readonly EntityBlock[] {
    return this.fitted?.entities.map((e) => e.block) ?? [];
  }

  async fit(table: Table, metadata: TableMetadata, options: SynthFitOptions): Promise<SynthFitReport> {
    const t0 = performance.now();
    checkMetadataCovers(table, metadata);
    const p = this.params;
    const work = p.entities === 'auto' ? { table, metadata } : withCompositeKeys(table, metadata, p.entities);
    const detection: EntityDetection = p.entities === 'auto' ? detectEntities(table, metadata, p) : { blocks: declaredBlocks(work.table, p.entities), rejected: [] };
    this.detection = detection;
    for (const b of detection.blocks) {
      const bad = Object.values(b.violations).reduce((s, v) => s + v, 0);
      const time = p.entities === 'auto' ? undefined : p.entities[detection.blocks.indexOf(b)]?.time;
      const name = b.composite ? `(${b.composite.join(', ')}) as one key` : b.key;
      options.progress?.line(`entity ${name} (${b.entities} values): ${b.attributes.join(', ')}; ${bad} attribute cells disagree with their key's value${time ? `; ${time.column} in sessions (gap ${time.sessionGap}, ${time.source}${time.startJitter > 0 ? `, start jitter ±${time.startJitter}` : ''})` : ''}`);
    }
    const attributeOf = new Map<string, number>();
    detection.blocks.forEach((b, i) => b.attributes.forEach((a) => attributeOf.set(a, i)));
    const rowColumns = work.table.columns.filter((c) => !attributeOf.has(c));
    const times = this.timeColumns(table, metadata, detection.blocks, attributeOf, options.constraints ?? []);
    const rowConstraints: Constraint[] = [];
    const entityConstraints: Constraint[][] = detection.blocks.map(() => []);
    for (const c of options.constraints ?? []) {
      const cols = constraintColumns(c);
      if (cols.every((x) => !attributeOf.has(x))) rowConstraints.push(c);
      else {
        const owners = new Set(cols.map((x) => attributeOf.get(x)));
        const only = [...owners][0];
        if (owners.size !== 1 || only === undefined) throw new ConfigError(`constraint on ${cols.join(', ')} spans an entity's attribute block and other columns; constrain within one block or outside them`, { field: 'constraints' });
        entityConstraints[only]!.push(c);
      }
    }
    const inner = this.make(p);
    const report = await inner.fit(pickColumns(work.table, rowColumns), pickMetadata(work.metadata, rowColumns), { ...options, constraints: rowConstraints });
    const entities: EntityState[] = [];
    const entityModels: Synthesizer[] = [];
    for (const [i, b] of detection.blocks.entries()) {
      const g = groupKeys(work.table.data[b.key]!)!;
      const modes = b.attributes.map((a) => keyModes(work.table.data[b.key]!, work.table.data[a]!, g.groupOf, g.keys.length).modes);
      const timeParams = times[i];
      const time = timeParams ? { time: fitEntityTime(timeParams, table.data[timeParams.column]!, metadata.columns[timeParams.column]!, g.groupOf, g.keys.map(cellKey)) } : {};
      if (p.attributeSource === 'copy') {
        const realBlocks: Record<string, Cell[]> = {};
        g.keys.forEach((k, j) => {
          realBlocks[cellKey(k)] = modes.map((m) => m[j] ?? null);
        });
        entities.push({ block: b, realBlocks, ...time });
      } else {
        entities.push({ block: b, ...time });
        // The entity's row count rides along, so synthetic entities can be matched to sampled keys
        // by activity (the row-weighted attribute distribution depends on who is active).
        if (b.attributes.includes(ROWS_COLUMN)) throw new ConfigError(`column '${ROWS_COLUMN}' is reserved by attributeSource 'synthetic'; rename it`, { field: 'synthesizer.params.attributeSource' });
        const rowsPerKey = new Array<Cell>(g.keys.length).fill(0);
        for (let r = 0; r < g.groupOf.length; r++) rowsPerKey[g.groupOf[r]!] = (rowsPerKey[g.groupOf[r]!] as number) + 1;
        const entityTable: Table = { columns: [...b.attributes, ROWS_COLUMN], rowCount: g.keys.length, data: { ...Object.fromEntries(b.attributes.map((a, j) => [a, modes[j]!])), [ROWS_COLUMN]: rowsPerKey } };
        const m = this.makeEntityModel(p);
        const entityOptions: SynthFitOptions = {
          seed: new Rng(options.seed).split(`entity:${b.key}`).seed,
          constraints: entityConstraints[i]!,
          ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
          ...(options.progress ? { progress: options.progress } : {}),
          ...(options.cancel ? { cancel: options.cancel } : {}),
        };
        const entityMetadata = pickMetadata(metadata, b.attributes);
        await m.fit(entityTable, { columns: { ...entityMetadata.columns, [ROWS_COLUMN]: { type: 'numerical', integer: true } } }, entityOptions);
        entityModels.push(m);
      }
    }
    let rowHashes: Set<number> | null = null;
    if (times.some((t) => t !== undefined)) {
      const cols = table.columns.map((c) => table.data[c]!);
      rowHashes = new Set(Array.from({ length: table.rowCount }, (_, r) => rowHashOf(cols, r)));
    }
    this.fitted = { columns: [...table.columns], entities, inner, entityModels, rowHashes };
    return { seconds: (performance.now() - t0) / 1000, losses: report.losses };
  }

  /**
   * Per block (declaration order), its time model's params or undefined. A time column must be a
   * datetime or numerical column outside every key and attribute block, owned by one entity, and
   * no constraint may name it (the time model does not know constraints).
   */
  private timeColumns(table: Table, metadata: TableMetadata, blocks: readonly EntityBlock[], attributeOf: ReadonlyMap<string, number>, constraints: readonly Constraint[]): (EntityTimeParams | undefined)[] {
    const declared = this.params.entities;
    if (declared === 'auto') return blocks.map(() => undefined);
    const keys = new Set(blocks.map((b) => b.key));
    const owner = new Map<string, number>();
    return declared.map((d, i) => {
      if (d.time === undefined) return undefined;
      const c = d.time.column;
      const field = `synthesizer.params.entities[${i}].time.column`;
      if (!table.columns.includes(c)) throw new ConfigError(`time column '${c}' is not in the table`, { field });
      const t = metadata.columns[c]?.type;
      if (t !== 'datetime' && t !== 'numerical') throw new ConfigError(`time column '${c}' is ${t}; it must be datetime or numerical`, { field });
      if (attributeOf.has(c) || keys.has(c)) throw new ConfigError(`time column '${c}' is an entity key or attribute`, { field });
      if (owner.has(c)) throw new ConfigError(`time column '${c}' is modelled by entities ${owner.get(c)} and ${i}; one entity owns a time column`, { field });
      owner.set(c, i);
      if (constraints.some((k) => constraintColumns(k).includes(c))) throw new ConfigError(`a constraint names '${c}', which the time model of entity ${i} generates; drop the constraint or the time model`, { field: 'constraints' });
      return d.time;
    });
  }

  private need(): NonNullable<EntityBlockSynthesizer['fitted']> {
    if (!this.fitted) throw new ModelStateError('the entity-blocks synthesizer is not fitted (call fit or load first)');
    return this.fitted;
  }

  /** Rows of the inner model with every attribute block filled in (no attribute conditions applied). */
  private sampleBlocks(n: number, seed: number, conditions: Conditions | undefined, maxTriesPerRow: number | undefined): { table: Table; copies: number; method: SampleResult['report']['conditionMethod'] } {
    const f = this.need();
    const rows = f.inner.sample(n, { seed, ...(conditions ? { conditions } : {}), ...(maxTriesPerRow !== undefined ? { maxTriesPerRow } : {}) });
    const data: Record<string, Cell[]> = {};
    for (const c of rows.table.columns) data[c] = rows.table.data[c] as Cell[];
    const rng = new Rng(seed);
    f.entities.forEach((e, i) => {
      const keys = rows.table.data[e.block.key]!;
      const cols = e.block.attributes.map(() => new Array<Cell>(rows.table.rowCount));
      let blockOf: (k: Cell) => readonly Cell[];
      if (e.realBlocks) {
        const real = e.realBlocks;
        const all = Object.keys(real).sort();
        const pickRng = rng.split(`unseen:${e.block.key}`);
        const unseen = new Map<string, readonly Cell[]>();
        // A key the inner model made up (e.g. a fresh id) borrows one real entity's block, the same for all its rows.
        blockOf = (k) => real[cellKey(k)] ?? unseen.get(cellKey(k)) ?? unseen.set(cellKey(k), real[all[pickRng.int(all.length)]!]!).get(cellKey(k))!;
      } else {
        // One synthetic block per distinct sampled key: the most active sampled key gets the
        // synthetic entity with the largest modelled row count, and so on down (ties in
        // first-appearance order), so the row-weighted attribute distribution follows activity.
        const count = new Map<string, number>();
        for (const k of keys) {
          const ck = cellKey(k ?? null);
          count.set(ck, (count.get(ck) ?? 0) + 1);
        }
        const distinct = [...count.keys()];
        const byActivity = distinct.map((_, j) => j).sort((x, y) => count.get(distinct[y]!)! - count.get(distinct[x]!)! || x - y);
        const drawn = f.entityModels[i]!.sample(distinct.length, { seed: rng.split(`entity:${e.block.key}`).seed }).table;
        const m = drawn.rowCount;
        const drawnRows = drawn.data[ROWS_COLUMN] ?? [];
        const blocksByActivity = Array.from({ length: m }, (_, j) => j).sort((x, y) => Number(drawnRows[y] ?? 0) - Number(drawnRows[x] ?? 0) || x - y);
        const byKey = new Map<string, Cell[]>();
        byActivity.forEach((kj, rank) => {
          const d = m > 0 ? blocksByActivity[rank % m]! : 0;
          byKey.set(distinct[kj]!, e.block.attributes.map((a) => drawn.data[a]?.[d] ?? null));
        });
        blockOf = (k) => byKey.get(cellKey(k))!;
      }
      for (let r = 0; r < rows.table.rowCount; r++) {
        const b = blockOf(keys[r] ?? null);
        for (let j = 0; j < cols.length; j++) cols[j]![r] = b[j] ?? null;
      }
      e.block.attributes.forEach((a, j) => {
        data[a] = cols[j]!;
      });
    });
    // Time models: each entity's rows get times in that entity's sessions, in the order of the row model's times.
    const timeColumns: { column: string; state: EntityTimeState }[] = [];
    for (const e of f.entities) {
      const tm = e.time;
      if (!tm) continue;
      const keys = rows.table.data[e.block.key]!;
      const modelled = rows.table.data[tm.params.column]!;
      const groups = new Map<string, number[]>();
      for (let r = 0; r < keys.length; r++) {
        const k = cellKey(keys[r] ?? null);
        const g = groups.get(k);
        if (g) g.push(r);
        else groups.set(k, [r]);
      }
      const out = new Array<Cell>(rows.table.rowCount).fill(null);
      const timeRng = rng.split(`time:${e.block.key}`);
      for (const [k, rs] of groups) {
        const cells = assignEntityTimes(tm, k, rs.map((r) => cellToNumber(modelled[r] ?? null, tm.meta)), timeRng.split(k));
        rs.forEach((r, j) => {
          out[r] = cells[j] ?? null;
        });
      }
      data[tm.params.column] = out;
      timeColumns.push({ column: tm.params.column, state: tm });
    }
    const table: Table = { columns: [...f.columns], rowCount: rows.table.rowCount, data: Object.fromEntries(f.columns.map((c) => [c, data[c]!])) };
    // The row model removed its own copies, but a new time can make a row equal a training row
    // again (a copied session start with the same item columns): such a row moves one time step
    // later until it is no training row (counted with the removed copies).
    let moved = 0;
    const first = timeColumns[0];
    if (f.rowHashes && first) {
      const cols = f.columns.map((c) => table.data[c]!);
      const times = data[first.column]!;
      const step = formatStep(first.state.format);
      for (let r = 0; r < table.rowCount; r++) {
        if (!f.rowHashes.has(rowHashOf(cols, r))) continue;
        moved++;
        for (let tries = 0; tries < 1000 && f.rowHashes.has(rowHashOf(cols, r)); tries++) {
          const x = cellToNumber(times[r] ?? null, first.state.meta);
          if (x === null || !Number.isFinite(x)) break;
          times[r] = formatValue(x + step, first.state.format);
        }
      }
    }
    return { table, copies: rows.report.exactCopiesRemoved + moved, method: rows.report.conditionMethod };
  }

  sample(n: number, options: SampleOptions = {}): SampleResult {
    const f = this.need();
    const seed = options.seed ?? 0;
    const attrs = new Set(f.entities.flatMap((e) => e.block.attributes));
    const cond = options.conditions ?? {};
    const rowCond: Record<string, Cell> = {};
    const attrCond: [string, string][] = [];
    const timed = new Set(f.entities.flatMap((e) => (e.time ? [e.time.params.column] : [])));
    for (const [c, v] of Object.entries(cond)) {
      if (!f.columns.includes(c)) throw new ConfigError(`condition on unknown column '${c}'`, { field: `conditions.${c}` });
      if (timed.has(c)) throw new ConfigError(`condition on '${c}', which an entity time model generates; conditions on a modelled time are not supported`, { field: `conditions.${c}` });
      if (attrs.has(c)) attrCond.push([c, cellKey(v)]);
      else rowCond[c] = v;
    }
    const rowConditions = Object.keys(rowCond).length ? rowCond : undefined;
    if (attrCond.length === 0) {
      const s = this.sampleBlocks(n, seed, rowConditions, options.maxTriesPerRow);
      return { table: s.table, report: { requested: n, produced: s.table.rowCount, conditionMethod: s.method, acceptanceRate: 1, exactCopiesRemoved: s.copies } };
    }
    // Attribute conditions: rejection over whole batches (each batch fills its blocks afresh).
    const budget = n * (options.maxTriesPerRow ?? DEFAULT_MAX_TRIES_PER_ROW);
    const kept: Record<string, Cell[]> = Object.fromEntries(f.columns.map((c) => [c, [] as Cell[]]));
    let produced = 0;
    let generated = 0;
    let copies = 0;
    for (let batch = 0; produced < n; batch++) {
      if (generated >= budget) throw new ConfigError(`conditions ${JSON.stringify(cond)} kept ${produced} of ${n} rows after ${generated} candidates; they are too rare under the model`, { field: 'conditions' });
      const size = Math.max(64, 2 * (n - produced));
      const s = this.sampleBlocks(size, new Rng(seed).split(`batch:${batch}`).seed, rowConditions, options.maxTriesPerRow);
      generated += s.table.rowCount;
      copies += s.copies;
      for (let r = 0; r < s.table.rowCount && produced < n; r++) {
        if (!attrCond.every(([c, k]) => cellKey(s.table.data[c]![r] ?? null) === k)) continue;
        for (const c of f.columns) kept[c]!.push(s.table.data[c]![r] ?? null);
        produced++;
      }
    }
    return { table: { columns: [...f.columns], rowCount: produced, data: kept }, report: { requested: n, produced, conditionMethod: 'reject', acceptanceRate: produced / Math.max(1, generated), exactCopiesRemoved: copies } };
  }

  save(path: string): void {
    const f = this.need();
    const state: EntityBlocksState = {
      format: FORMAT,
      kind: ENTITY_BLOCKS_KIND,
      version: VERSION,
      params: this.params,
      columns: f.columns,
      entities: f.entities,
      inner: savedJson(f.inner),
      entityModels: f.entityModels.map(savedJson),
      ...(f.rowHashes ? { rowHashes: [...f.rowHashes] } : {}),
    };
    writeFileAtomic(path, JSON.stringify(state) + '\n');
  }

  load(path: string): void {
    const s = readSynthesizerFileOf(path, ENTITY_BLOCKS_KIND, VERSION) as Partial<EntityBlocksState>;
    if (!Array.isArray(s.columns) || !Array.isArray(s.entities) || !Array.isArray(s.entityModels)) throw new ModelStateError('saved entity-blocks synthesizer is incomplete', { file: path });
    const params = parseWithSchema(this.schema, s.params, { file: path });
    const inner = this.make(params);
    loadJson(inner, s.inner);
    const entityModels = s.entityModels.map((m) => {
      const e = this.makeEntityModel(params);
      loadJson(e, m);
      return e;
    });
    this.params = params;
    if (s.rowHashes !== undefined && !Array.isArray(s.rowHashes)) throw new ModelStateError('saved entity-blocks synthesizer has a malformed rowHashes', { file: path });
    this.fitted = { columns: [...s.columns], entities: [...s.entities], inner, entityModels, rowHashes: s.rowHashes ? new Set(s.rowHashes) : null };
  }
}
