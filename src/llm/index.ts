/** Text generation: one TextGenerator contract for HTTP endpoints, local models and the embedded generator. */
export type {
  BatchOptions,
  FinishReason,
  GenerationOutcome,
  GenerationParams,
  GenerationRejectReason,
  GenerationRequest,
  GenerationResult,
  TextGenerator,
  TokenUsage,
} from './types.ts';
export { DEFAULT_GENERATION_PARAMS } from './types.ts';
export * from './providers.ts';
