/**
 * Autoregressive synthesis of whole histories from a trained forward next-item model (SASRec by
 * default): a length from the training length distribution, a start item from the training start
 * distribution, then item after item sampled from the model with temperature / top-k, only among
 * items that occur in training (padding, mask and unseen items never come out), with no-repeat
 * 'auto' as in the Markov baseline. Histories are generated in fixed chunks of `batchSize`, one
 * model call per step for the whole chunk; history j draws only from its own stream (seed → j).
 *
 * With event types (fitEvents), the model reads and predicts (item, event) tokens, and at every
 * step the tokens whose event would follow the previous one in a way the training data never does
 * (e.g. a purchase straight after a view) are masked out before sampling.
 *
 * save(dir) writes the model (weights.bin, model.json) and synth.json (distributions, settings).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ModelStateError, Rng, parseWithSchema, refineWith, writeJsonAtomic } from '../../core/index.ts';
import { makeTrainView, type TrainView } from '../../data/index.ts';
import { createRecommender, gru4recConfigSchema, NeuralRecommender, sasrecConfigSchema, trainerConfigSchema } from '../../models/index.ts';
import { checkDrawOptions, generateItems, itemsSeenIn, type NextItemSampler } from '../../augment/index.ts';
import { Categorical, hasRepeats, lengthDistribution, sampleLengths, startDistribution } from './stats.ts';
import type { EventSequence, EventSequenceData, NetworkBackedSequenceSynthesizer, SequenceSampleOptions, SequenceSynthFitOptions, SequenceSynthFitReport } from './types.ts';

/**
 * The autoregressive synthesizer's params: a next-item network (its hyper-parameters checked
 * against the model registry, so `network.hiden` fails at parse time) and the sampling settings.
 */
export const autoregressiveConfigSchema = z
  .object({
    model: z.enum(['sasrec', 'gru4rec']).default('sasrec'),
    /** Network hyper-parameters; loss defaults to 'ce' (a full softmax to sample from). */
    network: z.record(z.string(), z.unknown()).default({}),
    trainer: z.record(z.string(), z.unknown()).default({}),
    epochs: z.number().int().min(1).default(20),
    temperature: z.number().positive().default(1),
    /** 0 = sample among all allowed items. */
    topK: z.number().int().min(0).default(0),
    noRepeat: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    /** Histories generated together (one model call per step for the chunk). */
    batchSize: z.number().int().min(1).default(256),
  })
  .strict()
  .superRefine((c, ctx) => {
    refineWith(c.model === 'gru4rec' ? gru4recConfigSchema : sasrecConfigSchema, { loss: 'ce', ...c.network }, ctx, ['network']);
    refineWith(trainerConfigSchema, c.trainer, ctx, ['trainer']);
  });

export interface AutoregressiveConfig {
  readonly model?: 'sasrec' | 'gru4rec';
  /** Network hyper-parameters; loss defaults to 'ce' (a full softmax to sample from). */
  readonly network?: Record<string, unknown>;
  readonly trainer?: Record<string, unknown>;
  /** Fixed number of training epochs. Default 20. */
  readonly epochs?: number;
  readonly temperature?: number;
  /** 0 = sample among all allowed items. */
  readonly topK?: number;
  readonly noRepeat?: boolean | 'auto';
  /** Histories generated together (one model call per step for the chunk). Default 256. */
  readonly batchSize?: number;
}

const FORMAT = 'samplify-autoregressive-sequence';

type ResolvedConfig = Required<Omit<AutoregressiveConfig, 'trainer' | 'network'>> & { network: Record<string, unknown>; trainer: Record<string, unknown> };

/** Event types of histories fitted with fitEvents: token = (item − 1) · E + event + 1. */
interface EventState {
  readonly types: readonly string[];
  /** next[a · E + b] = 1 when event b follows event a somewhere in the training histories. */
  readonly next: Uint8Array;
}

interface State {
  model: NeuralRecommender;
  numItems: number;
  /** The model's vocabulary: numItems, or numItems · E tokens with events. */
  vocab: number;
  events: EventState | null;
  noRepeat: boolean;
  lengths: Categorical;
  start: Categorical;
  allowed: Uint8Array;
}

export class AutoregressiveSequenceSynthesizer implements NetworkBackedSequenceSynthesizer {
  readonly name = 'autoregressive';
  #config: ResolvedConfig;
  #s: State | null = null;

  constructor(config: AutoregressiveConfig = {}) {
    // Defaults and checks live once, in the schema (a ConfigError names the key).
    const p = parseWithSchema(autoregressiveConfigSchema, config, { label: 'autoregressive' });
    this.#config = { ...p, network: { loss: 'ce', ...p.network }, trainer: { ...p.trainer } };
    const c = this.#config;
    try {
      checkDrawOptions({ temperature: c.temperature, topK: c.topK, noRepeat: false });
    } catch (e) {
      throw new ConfigError(`autoregressive: ${(e as Error).message}`, { field: 'temperature' });
    }
  }

  /** Settings in use (after load(): the saved ones, so a loaded synthesizer samples as the saved one did). */
  get config(): Readonly<ResolvedConfig> {
    return this.#config;
  }

  get #state(): State {
    if (!this.#s) throw new ModelStateError('autoregressive synthesizer used before fit() or load()');
    return this.#s;
  }

  /**
   * The trained model as a forward next-token sampler (allowed: tokens seen in training). Tokens are
   * items, or (item, event) pairs after fitEvents — then a token whose event never follows the
   * previous token's event in training scores −∞, so it is never drawn.
   */
  get sampler(): NextItemSampler {
    const s = this.#state;
    const ev = s.events;
    if (ev === null) return { direction: 'forward', numItems: s.vocab, allowed: s.allowed, scoreNext: (h) => s.model.scoreAll(h) };
    const E = ev.types.length;
    // Per previous event, the tokens whose event may not follow it: listed once, not per step.
    const blocked = Array.from({ length: E }, (_, prev) => {
      const out: number[] = [];
      for (let t = 1; t <= s.vocab; t++) if (ev.next[prev * E + ((t - 1) % E)] === 0) out.push(t);
      return Int32Array.from(out);
    });
    return {
      direction: 'forward',
      numItems: s.vocab,
      allowed: s.allowed,
      scoreNext: (histories) => {
        const scores = s.model.scoreAll(histories);
        const width = scores.length / histories.length;
        histories.forEach((h, b) => {
          for (const t of blocked[(h[h.length - 1]! - 1) % E]!) scores[b * width + t] = Number.NEGATIVE_INFINITY;
        });
        return scores;
      },
    };
  }

  /** Whether event b follows event a anywhere in the fitted histories (fitEvents only). */
  eventTransitionSeen(a: number, b: number): boolean {
    const ev = this.#state.events;
    if (ev === null) throw new ModelStateError('autoregressive: fitted without event types (use fitEvents)');
    return ev.next[a * ev.types.length + b] === 1;
  }

  #newModel(): NeuralRecommender {
    const rec = createRecommender({ model: this.config.model, config: this.config.network, trainer: this.config.trainer });
    if (!(rec instanceof NeuralRecommender)) throw new ConfigError(`autoregressive: '${this.config.model}' is not a trained sequence model`, { field: 'model' });
    return rec;
  }

  async fit(train: TrainView, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport> {
    return this.#fitTokens(train, train.numItems, null, options);
  }

  /**
   * Fits on histories with event types: the model learns (item, event) tokens, and sampling never
   * makes an event transition the data lacks. Sample them back with sampleWithEvents.
   */
  async fitEvents(data: EventSequenceData, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport> {
    const E = data.eventTypes.length;
    if (E < 1 || E > 255) throw new ConfigError(`autoregressive: histories need 1 to 255 event types, got ${E}`, { field: 'eventTypes' });
    const next = new Uint8Array(E * E);
    const tokens = data.sequences.map((h, k) => {
      if (h.items.length !== h.events.length) throw new RangeError(`autoregressive: history ${k} has ${h.items.length} items and ${h.events.length} events`);
      const out = new Int32Array(h.items.length);
      for (let t = 0; t < h.items.length; t++) {
        const it = h.items[t]!;
        const e = h.events[t]!;
        if (!(it >= 1 && it <= data.numItems) || e >= E) throw new RangeError(`autoregressive: history ${k}, position ${t}: item ${it} / event ${e} out of range`);
        out[t] = (it - 1) * E + e + 1;
        if (t > 0) next[h.events[t - 1]! * E + e] = 1;
      }
      return out;
    });
    return this.#fitTokens(makeTrainView(data.numItems * E, tokens), data.numItems, { types: [...data.eventTypes], next }, options);
  }

  /** The network fit() trains: the model, its config (loss 'ce' unless set) and trainer, and the epoch count. */
  get network(): NetworkBackedSequenceSynthesizer['network'] {
    const c = this.config;
    return { model: c.model, config: { ...c.network }, trainer: { ...c.trainer }, epochs: c.epochs };
  }

  fitWithNetwork(train: TrainView, network: NeuralRecommender): SequenceSynthFitReport {
    if (network.name !== this.config.model) throw new ConfigError(`autoregressive: the given network is a ${network.name}, this synthesizer trains a ${this.config.model}`, { field: 'model' });
    const seqs = this.#histories(train);
    this.#setState(network, seqs, train.numItems, train.numItems, null);
    return { seconds: 0, sequences: seqs.length, losses: [] };
  }

  #histories(train: TrainView): Int32Array[] {
    const seqs = train.users().map((u) => train.sequence(u));
    if (seqs.length === 0) throw new ConfigError('autoregressive: the training view has no non-empty history', { field: 'train' });
    return seqs;
  }

  async #fitTokens(train: TrainView, numItems: number, events: EventState | null, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport> {
    const seqs = this.#histories(train);
    const model = this.#newModel();
    const prefixed = options.progress ? { line: (t: string) => options.progress!.line(`autoregressive: ${t}`), step: (l: string, d: number, n: number) => options.progress!.step?.(`autoregressive: ${l}`, d, n) } : undefined;
    const report = await model.fit(train, { seed: options.seed, epochs: this.config.epochs, ...(prefixed ? { progress: prefixed } : {}), ...(options.cancel ? { cancel: options.cancel } : {}), ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}) });
    this.#setState(model, seqs, numItems, train.numItems, events);
    return { seconds: report.seconds, sequences: seqs.length, losses: report.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss })) };
  }

  #setState(model: NeuralRecommender, seqs: Int32Array[], numItems: number, vocab: number, events: EventState | null): void {
    this.#s = {
      model,
      numItems,
      vocab,
      events,
      noRepeat: this.config.noRepeat === 'auto' ? !hasRepeats(seqs) : this.config.noRepeat,
      lengths: lengthDistribution(seqs),
      start: startDistribution(seqs),
      allowed: itemsSeenIn(vocab, seqs),
    };
  }

  /** Histories with their event types (fitEvents); the items are what sample() returns for the same seed. */
  sampleWithEvents(n: number, options: SequenceSampleOptions): EventSequence[] {
    const s = this.#state;
    const E = s.events?.types.length ?? 1;
    return this.#sampleTokens(n, options).map((h) => {
      const items = new Int32Array(h.length);
      const events = new Uint8Array(h.length);
      for (let t = 0; t < h.length; t++) (events[t] = (h[t]! - 1) % E), (items[t] = (h[t]! - 1 - events[t]!) / E + 1);
      return { items, events };
    });
  }

  sample(n: number, options: SequenceSampleOptions): Int32Array[] {
    return this.#state.events === null ? this.#sampleTokens(n, options) : this.sampleWithEvents(n, options).map((h) => h.items);
  }

  #sampleTokens(n: number, options: SequenceSampleOptions): Int32Array[] {
    const s = this.#state;
    const root = new Rng(options.seed);
    const lengths = sampleLengths(n, options.lengths, s.lengths, (j) => root.split(j).split('length'));
    const sampler = this.sampler;
    const draw = { temperature: this.config.temperature, topK: this.config.topK, noRepeat: s.noRepeat };
    const out: Int32Array[] = [];
    for (let from = 0; from < n; from += this.config.batchSize) {
      const to = Math.min(n, from + this.config.batchSize);
      const starts: Int32Array[] = [];
      const rngs: Rng[] = [];
      for (let j = from; j < to; j++) {
        starts.push(Int32Array.of(s.start.sample(root.split(j).split('start'))));
        rngs.push(root.split(j).split('items'));
      }
      const made = generateItems(sampler, starts, lengths.slice(from, to).map((l) => l - 1), draw, rngs);
      for (let b = 0; b < made.length; b++) {
        const h = new Int32Array(1 + made[b]!.length);
        h[0] = starts[b]![0]!;
        h.set(made[b]!, 1);
        out.push(h);
      }
    }
    return out;
  }

  save(dir: string): void {
    const s = this.#state;
    s.model.save(dir);
    const allowed: number[] = [];
    for (let i = 1; i <= s.vocab; i++) if (s.allowed[i]) allowed.push(i);
    const events = s.events === null ? null : { types: s.events.types, next: Array.from(s.events.next) };
    writeJsonAtomic(join(dir, 'synth.json'), { format: FORMAT, version: 1, config: this.config, numItems: s.numItems, vocab: s.vocab, events, noRepeat: s.noRepeat, lengths: s.lengths.toJSON(), start: s.start.toJSON(), allowed });
  }

  load(dir: string): void {
    const file = join(dir, 'synth.json');
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ModelStateError(`cannot read an autoregressive synthesizer (${(e as Error).message.split('\n')[0]})`, { file });
    }
    if (o.format !== FORMAT || o.version !== 1) throw new ModelStateError(`not a saved autoregressive synthesizer (format ${JSON.stringify(o.format)})`, { file });
    this.#config = o.config as ResolvedConfig;
    const model = this.#newModel();
    model.load(dir);
    const numItems = o.numItems as number;
    const vocab = (o.vocab as number | undefined) ?? numItems;
    const ev = (o.events ?? null) as { types: string[]; next: number[] } | null;
    type J = { values: number[]; counts: number[] };
    const allowed = new Uint8Array(vocab + 1);
    for (const i of o.allowed as number[]) allowed[i] = 1;
    const events = ev === null ? null : { types: ev.types, next: Uint8Array.from(ev.next) };
    this.#s = { model, numItems, vocab, events, noRepeat: o.noRepeat as boolean, lengths: Categorical.fromJSON(o.lengths as J), start: Categorical.fromJSON(o.start as J), allowed };
  }
}
