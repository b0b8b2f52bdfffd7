/**
 * The one contract every text generator meets — an OpenAI-compatible HTTP endpoint, a local GGUF
 * model, or the small generator samplify trains itself — so the code that writes synthetic queries
 * or paraphrases never knows which one it talks to, and the replay cache can wrap any of them.
 */

/** Sampling parameters; every provider maps them onto its own API (unsupported ones are ignored and said so in its docs). */
export interface GenerationParams {
  /** 0 = greedy. */
  readonly temperature: number;
  /** Keep only the k most likely next tokens (0 = off). */
  readonly topK: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches p (1 = off). */
  readonly topP: number;
  /** Upper bound on generated tokens. */
  readonly maxTokens: number;
  /** Generation stops before any of these strings. */
  readonly stop: readonly string[];
}

export const DEFAULT_GENERATION_PARAMS: GenerationParams = Object.freeze({ temperature: 0.8, topK: 0, topP: 0.95, maxTokens: 32, stop: Object.freeze([]) as readonly string[] });

/** One request. Same provider + model + request (all fields) ⇒ same cache key ⇒ same text on a rerun. */
export interface GenerationRequest {
  /** The text the model continues or answers (for the embedded generator: its conditioning text, e.g. a product title). */
  readonly prompt: string;
  /** Instructions for chat models; the embedded generator ignores it. */
  readonly system?: string;
  readonly params?: Partial<GenerationParams>;
  /** Every random step takes a seed; providers that accept one get it (OpenAI `seed`), ours sample from Rng(seed). */
  readonly seed: number;
}

export type FinishReason = 'stop' | 'length';

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface GenerationResult {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: TokenUsage;
  /** True when the text came from the on-disk cache and no provider was called. */
  readonly cached: boolean;
}

/**
 * Why a request produced no kept text. Counted per reason in a run's accounting, never silently dropped.
 * `invalid-output`: the response failed its schema or was empty after retries; `truncated`: the
 * response or stream ended early; `budget-exceeded`: the run's token/cost budget stopped it before the call;
 * `cache-miss-offline`: `--offline` and no cached answer; `provider-error`: a non-retryable or exhausted-retries error.
 */
export type GenerationRejectReason = 'invalid-output' | 'truncated' | 'budget-exceeded' | 'cache-miss-offline' | 'provider-error';

export type GenerationOutcome =
  | { readonly ok: true; readonly result: GenerationResult }
  | { readonly ok: false; readonly reason: GenerationRejectReason; readonly message: string };

export interface BatchOptions {
  readonly signal?: AbortSignal;
  /** Called after each request settles (done = settled so far). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called as each request settles, with its index in the batch (the cache writes each entry here, so an interrupted batch keeps what finished). */
  readonly onOutcome?: (index: number, outcome: GenerationOutcome) => void;
}

export interface TextGenerator {
  /** Provider kind, e.g. `openai-compatible`, `llama-cpp`, `embedded`; part of the cache key. */
  readonly provider: string;
  /** Model identity, e.g. `gpt-4o-mini` or the embedded model's content fingerprint; part of the cache key. */
  readonly model: string;
  /** One request; throws a SamplifyError (never a raw network error) when it cannot produce text. */
  generate(request: GenerationRequest, signal?: AbortSignal): Promise<GenerationResult>;
  /**
   * Many requests, results in request order; one failed request is an outcome with its reason, not a
   * thrown batch. An aborted signal stops issuing new requests and rejects with InterruptedError.
   */
  generateBatch(requests: readonly GenerationRequest[], options?: BatchOptions): Promise<GenerationOutcome[]>;
  /** Releases sockets, workers or model memory. */
  close(): Promise<void>;
}
