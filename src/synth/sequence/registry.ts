// The sequence synthesizers live on the one registry in ../registry.ts (names, schemas, defaults).
export { createSequenceSynthesizer, SEQUENCE_SYNTHESIZERS, sequenceSynthesizers, autoregressiveConfigSchema } from '../registry.ts';
