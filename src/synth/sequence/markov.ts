/**
 * A first-order Markov synthesizer of whole histories: the baseline every learned sequence
 * generator has to beat.
 *
 * State = (item, event type); data without event types has one event type, so the state is the
 * item. A history is: a length from the training length distribution, a start state from the
 * training start distribution, then each next state from the observed transitions interpolated
 * with a popularity fallback (Witten–Bell: the fallback gets the weight of the number of distinct
 * successors seen, so states with many different successors trust the fallback more). The
 * fallback draws the next event type from the event-transition counts and then an item from the
 * popularity of items under that event type — so it never proposes an event transition the data
 * does not have (a purchase straight after a view, say, when every purchase follows a cart); the
 * observed transitions are real ones by definition. After a state whose event type is never
 * followed by anything (and whose item has no observed successor) the history ends early.
 *
 * No-repeat (a state never occurs twice in a history; for plain items: no repeated item) is
 * 'auto' by default: on when the training data has no repeats (Beauty), off when it does (Taobao).
 * Draws are exact under no-repeat: the excluded states' mass is removed from both parts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, ModelStateError, Rng, writeJsonAtomic } from '../../core/index.ts';
import type { TrainView } from '../../data/index.ts';
import { Categorical, hasRepeats, lengthDistribution, sampleLengths, startDistribution } from './stats.ts';
import type { EventSequence, EventSequenceData, SequenceSampleOptions, SequenceSynthesizer, SequenceSynthFitOptions, SequenceSynthFitReport } from './types.ts';

/** The Markov synthesizer's params (strict: an unknown key is a ConfigError at config parse time). */
export const markovConfigSchema = z
  .object({
    /** Never repeat a state within a history; 'auto' (default): when the training data never does. */
    noRepeat: z.union([z.boolean(), z.literal('auto')], { error: "must be true, false or 'auto'" }).default('auto'),
  })
  .strict();

export interface MarkovConfig {
  /** Never repeat a state within a history; 'auto' (default): when the training data never does. */
  readonly noRepeat?: boolean | 'auto';
}

const FORMAT = 'samplify-markov-sequence';

interface Fitted {
  numItems: number;
  eventTypes: string[];
  noRepeat: boolean;
  lengths: Categorical;
  start: Categorical;
  /** CSR over states with successors: states (sorted), offsets, successor states, counts. */
  states: Int32Array;
  offsets: Int32Array;
  succ: Int32Array;
  counts: Float64Array;
  /** E×E event-transition counts (row: from, column: to). */
  eventTransitions: Float64Array;
  /** Per event type: item popularity under it. */
  popularity: Categorical[];
  // Derived (not saved)
  stateIndex: Map<number, number>;
  eventNext: (Categorical | null)[];
}

function derive(f: Omit<Fitted, 'stateIndex' | 'eventNext'>): Fitted {
  const E = f.eventTypes.length;
  const stateIndex = new Map<number, number>();
  f.states.forEach((s, i) => stateIndex.set(s, i));
  const eventNext: (Categorical | null)[] = [];
  for (let e = 0; e < E; e++) {
    const row = f.eventTransitions.subarray(e * E, (e + 1) * E);
    const values: number[] = [], counts: number[] = [];
    for (let e2 = 0; e2 < E; e2++) if (row[e2]! > 0 && f.popularity[e2]!.total > 0) values.push(e2), counts.push(row[e2]!);
    eventNext.push(values.length ? new Categorical(values, counts) : null);
  }
  return { ...f, stateIndex, eventNext };
}

export class MarkovSequenceSynthesizer implements SequenceSynthesizer {
  readonly name = 'markov';
  readonly config: Required<MarkovConfig>;
  #m: Fitted | null = null;

  constructor(config: MarkovConfig = {}) {
    const nr = config.noRepeat ?? 'auto';
    if (nr !== 'auto' && typeof nr !== 'boolean') throw new ConfigError(`markov: 'noRepeat' must be true, false or 'auto', got ${JSON.stringify(nr)}`, { field: 'noRepeat' });
    this.config = { noRepeat: nr };
  }

  get #model(): Fitted {
    if (!this.#m) throw new ModelStateError('markov synthesizer used before fit() or load()');
    return this.#m;
  }

  get numItems(): number {
    return this.#model.numItems;
  }
  get eventTypes(): readonly string[] {
    return this.#model.eventTypes;
  }
  /** Whether the data (and so every sample) has the event transition from → to. */
  eventTransitionSeen(from: number, to: number): boolean {
    const m = this.#model;
    return m.eventTransitions[from * m.eventTypes.length + to]! > 0;
  }
  get noRepeat(): boolean {
    return this.#model.noRepeat;
  }

  async fit(train: TrainView, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport> {
    const sequences: EventSequence[] = train.users().map((u) => {
      const items = train.sequence(u);
      return { items, events: new Uint8Array(items.length) };
    });
    return this.fitEvents({ numItems: train.numItems, eventTypes: ['item'], sequences }, options);
  }

  /** Fits on histories with event types (view → cart → purchase …). */
  async fitEvents(data: EventSequenceData, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport> {
    const t0 = performance.now();
    const E = data.eventTypes.length;
    if (E < 1 || E > 255) throw new ConfigError(`markov: between 1 and 255 event types, got ${E}`, { field: 'eventTypes' });
    const N = data.numItems;
    const tokens: Int32Array[] = [];
    for (const [k, s] of data.sequences.entries()) {
      if (s.items.length !== s.events.length) throw new RangeError(`markov: history ${k} has ${s.items.length} items and ${s.events.length} events`);
      if (s.items.length === 0) continue;
      const t = new Int32Array(s.items.length);
      for (let i = 0; i < t.length; i++) {
        const it = s.items[i]!, ev = s.events[i]!;
        if (!(it >= 1 && it <= N)) throw new RangeError(`markov: history ${k} holds item ${it}, outside 1..${N}`);
        if (ev >= E) throw new RangeError(`markov: history ${k} holds event ${ev}, outside 0..${E - 1}`);
        t[i] = it * E + ev;
      }
      tokens.push(t);
    }
    if (tokens.length === 0) throw new ConfigError('markov: the training data has no non-empty history', { field: 'train' });
    options.progress?.line(`markov: counting transitions over ${tokens.length} histories`);
    const trans = new Map<number, Map<number, number>>();
    const eventTransitions = new Float64Array(E * E);
    const pop: Map<number, number>[] = Array.from({ length: E }, () => new Map());
    for (const t of tokens) {
      for (let i = 0; i < t.length; i++) {
        const e = t[i]! % E;
        pop[e]!.set((t[i]! - e) / E, (pop[e]!.get((t[i]! - e) / E) ?? 0) + 1);
        if (i + 1 < t.length) {
          let row = trans.get(t[i]!);
          if (!row) trans.set(t[i]!, (row = new Map()));
          row.set(t[i + 1]!, (row.get(t[i + 1]!) ?? 0) + 1);
          eventTransitions[e * E + (t[i + 1]! % E)]! += 1;
        }
      }
    }
    const states = Int32Array.from([...trans.keys()].sort((a, b) => a - b));
    const offsets = new Int32Array(states.length + 1);
    const succ: number[] = [], counts: number[] = [];
    states.forEach((s, i) => {
      const row = trans.get(s)!;
      for (const n of [...row.keys()].sort((a, b) => a - b)) succ.push(n), counts.push(row.get(n)!);
      offsets[i + 1] = succ.length;
    });
    const noRepeat = this.config.noRepeat === 'auto' ? !hasRepeats(tokens) : this.config.noRepeat;
    this.#m = derive({
      numItems: N,
      eventTypes: [...data.eventTypes],
      noRepeat,
      lengths: lengthDistribution(tokens),
      start: startDistribution(tokens),
      states,
      offsets,
      succ: Int32Array.from(succ),
      counts: Float64Array.from(counts),
      eventTransitions,
      popularity: pop.map((m) => Categorical.fromMap(m)),
    });
    const seconds = (performance.now() - t0) / 1000;
    options.progress?.line(`markov: ${states.length} states, ${succ.length} transitions, no-repeat ${noRepeat} (${seconds.toFixed(1)}s)`);
    return { seconds, sequences: tokens.length, losses: [] };
  }

  sample(n: number, options: SequenceSampleOptions): Int32Array[] {
    return this.sampleWithEvents(n, options).map((s) => s.items);
  }

  /** Histories with their event types (all 0 for data fitted without events). */
  sampleWithEvents(n: number, options: SequenceSampleOptions): EventSequence[] {
    const m = this.#model;
    const root = new Rng(options.seed);
    const lengths = sampleLengths(n, options.lengths, m.lengths, (j) => root.split(j).split('length'));
    const E = m.eventTypes.length;
    return lengths.map((len, j) => {
      const rng = root.split(j).split('states');
      const out: number[] = [m.start.sample(rng)];
      const used = m.noRepeat ? new Set<number>(out) : null;
      while (out.length < len) {
        const next = this.#next(m, out[out.length - 1]!, used, rng);
        if (next < 0) break;
        out.push(next);
        used?.add(next);
      }
      const items = new Int32Array(out.length);
      const events = new Uint8Array(out.length);
      for (let i = 0; i < out.length; i++) (events[i] = out[i]! % E), (items[i] = (out[i]! - events[i]!) / E);
      return { items, events };
    });
  }

  /** The next state after `s`, or -1 when none is possible. */
  #next(m: Fitted, s: number, used: Set<number> | null, rng: Rng): number {
    const E = m.eventTypes.length;
    const e = s % E;
    const k = m.stateIndex.get(s);
    const from = k === undefined ? 0 : m.offsets[k]!;
    const to = k === undefined ? 0 : m.offsets[k + 1]!;
    let wObs = 0;
    for (let r = from; r < to; r++) if (!used?.has(m.succ[r]!)) wObs += m.counts[r]!;
    const evNext = m.eventNext[e]!;
    let wBack = 0;
    if (evNext) {
      let excluded = 0;
      if (used) for (const t of used) {
        const e2 = t % E;
        excluded += (evNext.prob(e2)) * m.popularity[e2]!.prob((t - e2) / E);
      }
      // Witten–Bell: the fallback's weight is the number of distinct successors (1 for a state never followed).
      wBack = Math.max(0, 1 - excluded) * Math.max(1, to - from);
      if (wBack < 1e-12) wBack = 0;
    }
    if (wObs + wBack <= 0) return -1;
    let u = rng.next() * (wObs + wBack);
    if (u < wObs) {
      for (let r = from; r < to; r++) {
        if (used?.has(m.succ[r]!)) continue;
        if ((u -= m.counts[r]!) < 0) return m.succ[r]!;
      }
      for (let r = to - 1; r >= from; r--) if (!used?.has(m.succ[r]!)) return m.succ[r]!;
    }
    // Fallback: event type by the event transitions, then an item by its popularity under it; rejection keeps it exact under no-repeat.
    for (let tries = 0; tries < 1000; tries++) {
      const e2 = evNext!.sample(rng);
      const t = m.popularity[e2]!.sample(rng) * E + e2;
      if (!used?.has(t)) return t;
    }
    // Nearly everything is excluded: scan what is left.
    const left: number[] = [], w: number[] = [];
    for (let v = 0; v < evNext!.size; v++) {
      const e2 = evNext!.values[v]!;
      const pe = evNext!.counts[v]! / evNext!.total;
      const pop = m.popularity[e2]!;
      for (let i = 0; i < pop.size; i++) {
        const t = pop.values[i]! * E + e2;
        if (!used?.has(t)) left.push(t), w.push(pe * pop.counts[i]! / pop.total);
      }
    }
    return left.length ? new Categorical(left, w).sample(rng) : -1;
  }

  save(path: string): void {
    const m = this.#model;
    writeJsonAtomic(path, {
      format: FORMAT,
      version: 1,
      numItems: m.numItems,
      eventTypes: m.eventTypes,
      noRepeat: m.noRepeat,
      lengths: m.lengths.toJSON(),
      start: m.start.toJSON(),
      states: Array.from(m.states),
      offsets: Array.from(m.offsets),
      succ: Array.from(m.succ),
      counts: Array.from(m.counts),
      eventTransitions: Array.from(m.eventTransitions),
      popularity: m.popularity.map((p) => p.toJSON()),
    });
  }

  load(path: string): void {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ModelStateError(`cannot read a markov synthesizer (${(e as Error).message.split('\n')[0]})`, { file: path });
    }
    if (o.format !== FORMAT || o.version !== 1) throw new ModelStateError(`not a saved markov synthesizer (format ${JSON.stringify(o.format)})`, { file: path });
    type J = { values: number[]; counts: number[] };
    this.#m = derive({
      numItems: o.numItems as number,
      eventTypes: o.eventTypes as string[],
      noRepeat: o.noRepeat as boolean,
      lengths: Categorical.fromJSON(o.lengths as J),
      start: Categorical.fromJSON(o.start as J),
      states: Int32Array.from(o.states as number[]),
      offsets: Int32Array.from(o.offsets as number[]),
      succ: Int32Array.from(o.succ as number[]),
      counts: Float64Array.from(o.counts as number[]),
      eventTransitions: Float64Array.from(o.eventTransitions as number[]),
      popularity: (o.popularity as J[]).map((p) => Categorical.fromJSON(p)),
    });
  }
}
