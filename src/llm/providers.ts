/** The provider layer's public surface (re-exported by index.ts). */
export { OpenAICompatibleGenerator, openAICompatibleConfigSchema, OPENAI_COMPATIBLE_DEFAULTS } from './openai.ts';
export type { OpenAICompatibleConfig, OpenAICompatibleOptions, ProviderStats } from './openai.ts';
export { LlamaCppGenerator, llamaCppConfigSchema, LLAMA_CPP_DEFAULTS, NODE_LLAMA_CPP_VERSION, NODE_LLAMA_CPP_MISSING, loadNodeLlamaCpp } from './llama-cpp.ts';
export type { LlamaCppConfig } from './llama-cpp.ts';
export { CachedGenerator, cacheKey, cacheKeyFields, CACHE_FORMAT } from './cache.ts';
export type { CacheOptions, CacheStats, CacheKeyFields } from './cache.ts';
export { TokenBudget, tokenBudgetSchema } from './budget.ts';
export type { TokenBudgetConfig, BudgetSpent } from './budget.ts';
export { GenerationError, BudgetExceededError, OfflineCacheMissError } from './errors.ts';
export { generateStructured, generateText, generateChecked, jsonCheck, textCheck, extractJson, retrySeed } from './structured.ts';
export type { CheckedOutcome, RetryOptions, AnswerCheck, TextCheckOptions } from './structured.ts';
export { runBatch, ConcurrencyLimiter, countRejections } from './batch.ts';
export { toChatBody, fromChatBody, fillParams } from './chat-mapping.ts';
export type { ChatCompletionBody, ChatMessage } from './chat-mapping.ts';
export { startReplayServer, readRecording, recordingKey, responderFromGenerator } from './replay-server.ts';
export type { ReplayServer, ReplayServerOptions, ReplayServerStats, RecordedExchange, RecordedResponse, Responder, Fault, FaultPlan } from './replay-server.ts';
export { textGenerators } from './registry.ts';
