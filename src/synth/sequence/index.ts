/** Sequence synthesis: whole user histories from a training view (Markov baseline, autoregressive model, sequence VAE). */
export type { SequenceSynthesizer, SequenceSynthFitOptions, SequenceSampleOptions, SequenceSynthFitReport, EventSequence, EventSequenceData, EventSequenceSynthesizer, NetworkBackedSequenceSynthesizer } from './types.ts';
export { learnsEventTypes, isNetworkBacked } from './types.ts';
export { MarkovSequenceSynthesizer } from './markov.ts';
export type { MarkovConfig } from './markov.ts';
export { AutoregressiveSequenceSynthesizer } from './autoregressive.ts';
export type { AutoregressiveConfig } from './autoregressive.ts';
export { SequenceVaeSynthesizer, sequenceVaeConfigSchema } from './vae.ts';
export type { SequenceVaeConfig } from './vae.ts';
export { eventSequencesFromTable } from './events.ts';
export type { EventSequencesResult } from './events.ts';
export { Categorical, lengthDistribution, startDistribution, frequencyDistribution, hasRepeats } from './stats.ts';
export { createSequenceSynthesizer, SEQUENCE_SYNTHESIZERS } from './registry.ts';
