import { ConfigError } from '../../core/index.ts';
import { AutoregressiveSequenceSynthesizer, type AutoregressiveConfig } from './autoregressive.ts';
import { MarkovSequenceSynthesizer, type MarkovConfig } from './markov.ts';
import type { SequenceSynthesizer } from './types.ts';
import { SequenceVaeSynthesizer } from './vae.ts';

export const SEQUENCE_SYNTHESIZERS = ['markov', 'autoregressive', 'vae'] as const;

/** A sequence synthesizer by name ('markov' | 'autoregressive' | 'vae') with its configuration. */
export function createSequenceSynthesizer(name: string, config: Record<string, unknown> = {}): SequenceSynthesizer {
  switch (name) {
    case 'markov':
      return new MarkovSequenceSynthesizer(config as MarkovConfig);
    case 'autoregressive':
      return new AutoregressiveSequenceSynthesizer(config as AutoregressiveConfig);
    case 'vae':
      return new SequenceVaeSynthesizer(config);
    default:
      throw new ConfigError(`unknown sequence synthesizer '${name}'; expected one of: ${SEQUENCE_SYNTHESIZERS.join(', ')}`, { field: 'synthesizer' });
  }
}
