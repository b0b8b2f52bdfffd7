/**
 * The sequence-synthesizer contract: learn whole user histories from a training view, then sample
 * new ones. Like the table synthesizers, every random step is driven by the seed, and a saved
 * model, loaded again, samples exactly what the original would for the same seed.
 */
import type { CancelToken, ProgressReporter } from '../../core/index.ts';
import type { TrainView } from '../../data/index.ts';
import type { NeuralRecommender } from '../../models/index.ts';

export interface SequenceSynthFitOptions {
  readonly seed: number;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** Trained synthesizers (vae, autoregressive): a per-epoch checkpoint goes here; a fit that finds one with the same fingerprint resumes from it. */
  readonly checkpointDir?: string;
}

export interface SequenceSampleOptions {
  readonly seed: number;
  /** One length per sampled history; default: drawn from the training length distribution. */
  readonly lengths?: readonly number[];
}

export interface SequenceSynthFitReport {
  readonly seconds: number;
  /** Histories the synthesizer learned from (non-empty training sequences). */
  readonly sequences: number;
  /** Per-epoch losses of trained synthesizers; empty for statistical ones. */
  readonly losses: readonly { readonly epoch: number; readonly loss: number }[];
}

export interface SequenceSynthesizer {
  /** Registry name, e.g. 'markov', 'autoregressive'. */
  readonly name: string;
  fit(train: TrainView, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport>;
  /**
   * n whole histories (item ids 1..numItems, never padding or mask). History j draws only from
   * the stream seed → j, so it does not depend on n or on the other histories.
   */
  sample(n: number, options: SequenceSampleOptions): Int32Array[];
  save(path: string): void;
  load(path: string): void;
}

/** A history with an event type per interaction (view, cart, purchase, …). */
export interface EventSequence {
  readonly items: Int32Array;
  /** events[t] indexes `eventTypes`. */
  readonly events: Uint8Array;
}

/** Histories with event types: what a CSV with an event column gives (see eventSequencesFromTable). */
export interface EventSequenceData {
  readonly numItems: number;
  /** Event names; at most 255. */
  readonly eventTypes: readonly string[];
  readonly sequences: readonly EventSequence[];
}

/** A sequence synthesizer that also learns event types (markov, autoregressive). */
export interface EventSequenceSynthesizer extends SequenceSynthesizer {
  fitEvents(data: EventSequenceData, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport>;
  /** Histories with event types; their items are what sample() gives for the same seed. */
  sampleWithEvents(n: number, options: SequenceSampleOptions): EventSequence[];
  /** Whether event b follows event a somewhere in the fitted histories. */
  eventTransitionSeen(a: number, b: number): boolean;
}

export function learnsEventTypes(s: SequenceSynthesizer): s is EventSequenceSynthesizer {
  const c = s as Partial<EventSequenceSynthesizer>;
  return typeof c.fitEvents === 'function' && typeof c.sampleWithEvents === 'function' && typeof c.eventTransitionSeen === 'function';
}

/**
 * A sequence synthesizer whose fit is training one next-item network plus reading statistics of
 * the data (autoregressive). The network can then come from elsewhere — a cache, or a downstream
 * run that trains the very same network — instead of being trained a second time.
 */
export interface NetworkBackedSequenceSynthesizer extends SequenceSynthesizer {
  /** The network fit() trains (with fit's seed, on fit's training view) and for how many epochs. */
  readonly network: { readonly model: 'sasrec' | 'gru4rec'; readonly config: Record<string, unknown>; readonly trainer: Record<string, unknown>; readonly epochs: number };
  /**
   * fit() with `network` already trained exactly as fit(train, { seed }) would train it; the
   * caller vouches for that. Only the data's statistics are read here.
   */
  fitWithNetwork(train: TrainView, network: NeuralRecommender): SequenceSynthFitReport;
}

export function isNetworkBacked(s: SequenceSynthesizer): s is NetworkBackedSequenceSynthesizer {
  const c = s as Partial<NetworkBackedSequenceSynthesizer>;
  return typeof c.fitWithNetwork === 'function' && typeof c.network === 'object';
}
