/**
 * A TextGenerator for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama,
 * llama.cpp's server) through the `openai` client. The client's own retries are off (maxRetries 0)
 * so the retry policy here — seeded backoff, Retry-After, a per-run budget — is the only one.
 * The API key is read from the environment variable the config names; it never reaches a log,
 * an error message, a cache key or a saved file.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { parseWithSchema } from '../core/config.ts';
import { InterruptedError } from '../core/errors.ts';
import { ConcurrencyLimiter, runBatch } from './batch.ts';
import { TokenBudget, tokenBudgetSchema } from './budget.ts';
import { type ChatCompletionBody, toChatBody } from './chat-mapping.ts';
import { GenerationError } from './errors.ts';
import { backoffDelayMs, retryAfterMs, sleep } from './retry.ts';
import type { BatchOptions, FinishReason, GenerationOutcome, GenerationRejectReason, GenerationRequest, GenerationResult, TextGenerator, TokenUsage } from './types.ts';

export const openAICompatibleConfigSchema = z
  .object({
    baseURL: z.url().default('https://api.openai.com/v1'),
    model: z.string().min(1).default('gpt-4o-mini'),
    /** The NAME of the environment variable holding the key (never the key itself). */
    apiKeyEnv: z
      .string()
      // A refine, not a regex: its error does not quote the value, which may be a key pasted by mistake.
      .refine((v) => /^[A-Z_][A-Z0-9_]*$/.test(v), 'must be an environment variable NAME such as OPENAI_API_KEY (upper case, digits, _), not the key itself')
      .default('OPENAI_API_KEY'),
    /**
     * Appended to the model identity (`model@namespace`) in cache keys. Set it when one model name
     * means different weights on different servers; the base URL is deliberately not part of the key.
     */
    cacheNamespace: z.string().min(1).optional(),
    /** Most requests in flight at once. */
    concurrency: z.number().int().min(1).max(256).default(4),
    /** Per-attempt timeout (the client's own, so a hung server becomes a retryable timeout). */
    timeoutMs: z.number().int().positive().default(60_000),
    /** Retries after the first attempt on 429, 5xx, timeouts, connection resets, malformed or truncated responses. */
    retries: z.number().int().min(0).max(20).default(4),
    backoffBaseMs: z.number().int().nonnegative().default(500),
    backoffMaxMs: z.number().int().nonnegative().default(30_000),
    /** A Retry-After longer than this ends the request as `provider-error` instead of stalling the run. */
    maxRetryAfterMs: z.number().int().nonnegative().default(120_000),
    /** Send `top_k` (vLLM, llama.cpp server, Ollama accept it; OpenAI rejects unknown fields). */
    sendTopK: z.boolean().default(false),
    /** Stream the answer; a stream that ends before its finish reason is `truncated`, never kept. */
    stream: z.boolean().default(false),
    budget: tokenBudgetSchema.prefault({}),
  })
  .strict();
export type OpenAICompatibleConfig = z.infer<typeof openAICompatibleConfigSchema>;
export const OPENAI_COMPATIBLE_DEFAULTS: OpenAICompatibleConfig = openAICompatibleConfigSchema.parse({});

export interface OpenAICompatibleOptions {
  /** Shared across generators when one run uses several; defaults to a fresh one from `config.budget`. */
  readonly budget?: TokenBudget;
  /** Where the key is looked up (tests pass their own); defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Counters a run reports (and the tests and benchmark check). */
export interface ProviderStats {
  requests: number;
  attempts: number;
  retries: number;
  maxInFlight: number;
  rejected: Partial<Record<GenerationRejectReason, number>>;
}

/** Why one attempt failed, and whether another attempt may help. */
interface AttemptFailure {
  readonly reason: GenerationRejectReason;
  readonly retryable: boolean;
  readonly message: string;
  readonly retryAfterMs?: number;
}

/** A response the server sent completely but that holds no usable text. */
class UnusableResponse extends Error {
  constructor(
    readonly reason: GenerationRejectReason,
    message: string,
    /** False when asking again with the same seed would get the same answer (an empty completion). */
    readonly retryable = true,
  ) {
    super(message);
  }
}

/**
 * A completion with no text is `invalid-output`, as the embedded generator reports it ("the model
 * produced no text"), never a kept empty string. Not retried: the same seeded request answers the
 * same way again (generateText / generateStructured retry with a new seed where that is wanted).
 */
function requireText(text: string): void {
  if (text.trim() === '') throw new UnusableResponse('invalid-output', 'the model produced no text (empty completion)', false);
}

export class OpenAICompatibleGenerator implements TextGenerator {
  readonly provider = 'openai-compatible';
  readonly model: string;
  readonly config: OpenAICompatibleConfig;
  readonly budget: TokenBudget;
  readonly stats: ProviderStats = { requests: 0, attempts: 0, retries: 0, maxInFlight: 0, rejected: {} };
  private readonly client: OpenAI;
  private readonly limiter: ConcurrencyLimiter;
  private readonly apiKey: string;

  constructor(config: Partial<OpenAICompatibleConfig> | Readonly<Record<string, unknown>> = {}, options: OpenAICompatibleOptions = {}) {
    this.config = parseWithSchema(openAICompatibleConfigSchema, config, { label: 'openai-compatible' });
    this.model = this.config.cacheNamespace === undefined ? this.config.model : `${this.config.model}@${this.config.cacheNamespace}`;
    this.budget = options.budget ?? new TokenBudget(this.config.budget);
    // Local servers (vLLM, Ollama, llama.cpp) take any key; a server that needs one answers 401,
    // reported as provider-error naming the variable to set.
    this.apiKey = (options.env ?? process.env)[this.config.apiKeyEnv] ?? 'no-key-set';
    this.client = new OpenAI({ apiKey: this.apiKey, baseURL: this.config.baseURL, maxRetries: 0, timeout: this.config.timeoutMs });
    this.limiter = new ConcurrencyLimiter(this.config.concurrency);
  }

  async generate(request: GenerationRequest, signal?: AbortSignal): Promise<GenerationResult> {
    this.stats.requests++;
    try {
      return await this.generateWithRetries(request, signal, signal);
    } catch (e) {
      if (e instanceof GenerationError) this.countRejection(e.reason);
      throw e;
    }
  }

  generateBatch(requests: readonly GenerationRequest[], options: BatchOptions = {}): Promise<GenerationOutcome[]> {
    // Requests already sent are not aborted (their answers reach the cache); the signal only stops
    // new requests and retry waits.
    return runBatch(
      requests,
      this.config.concurrency,
      async (request): Promise<GenerationOutcome> => {
        this.stats.requests++;
        try {
          return { ok: true, result: await this.generateWithRetries(request, undefined, options.signal) };
        } catch (e) {
          if (e instanceof GenerationError) this.countRejection(e.reason);
          throw e;
        }
      },
      options,
    );
  }

  async close(): Promise<void> {
    // The client keeps no sockets of its own beyond fetch's pool, which closes when idle.
  }

  private countRejection(reason: GenerationRejectReason): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
  }

  /** `httpSignal` aborts a request in flight; `waitSignal` only aborts retry waits. */
  private async generateWithRetries(request: GenerationRequest, httpSignal: AbortSignal | undefined, waitSignal: AbortSignal | undefined): Promise<GenerationResult> {
    const body = toChatBody(this.config.model, request, this.config.sendTopK);
    for (let attempt = 0; ; attempt++) {
      if (waitSignal?.aborted || httpSignal?.aborted) throw new InterruptedError('generation interrupted');
      this.budget.check();
      let failure: AttemptFailure;
      try {
        const result = await this.limiter.run(() => {
          this.stats.attempts++;
          return this.config.stream ? this.attemptStreaming(body, httpSignal) : this.attempt(body, httpSignal);
        });
        this.stats.maxInFlight = this.limiter.maxActive;
        this.budget.charge(result.usage);
        return result;
      } catch (e) {
        this.stats.maxInFlight = this.limiter.maxActive;
        if (httpSignal?.aborted || e instanceof APIUserAbortError) throw new InterruptedError('generation interrupted');
        failure = this.classify(e);
      }
      const tries = `${attempt + 1} attempt${attempt === 0 ? '' : 's'}`;
      if (!failure.retryable || attempt >= this.config.retries) throw new GenerationError(failure.reason, `${this.config.baseURL} model ${this.config.model}: ${failure.message} (after ${tries})`);
      let waitMs = backoffDelayMs(this.config, attempt, request.seed);
      if (failure.retryAfterMs !== undefined) {
        if (failure.retryAfterMs > this.config.maxRetryAfterMs)
          throw new GenerationError('provider-error', `${this.config.baseURL}: server asked to wait ${failure.retryAfterMs} ms, more than maxRetryAfterMs ${this.config.maxRetryAfterMs} (after ${tries})`);
        waitMs = failure.retryAfterMs;
      }
      this.stats.retries++;
      await sleep(waitMs, waitSignal ?? httpSignal);
    }
  }

  private async attempt(body: ChatCompletionBody, signal: AbortSignal | undefined): Promise<GenerationResult> {
    // A variable, not a literal, so the optional non-OpenAI `top_k` passes through to the wire.
    const params: ChatCompletionCreateParamsNonStreaming & { top_k?: number } = { ...body, messages: [...body.messages], stop: body.stop === undefined ? null : [...body.stop] };
    const response = await this.client.chat.completions.create(params, signal === undefined ? {} : { signal });
    const choice = response.choices?.[0];
    if (choice === undefined) throw new UnusableResponse('invalid-output', 'response has no choices');
    const text = choice.message?.content;
    if (typeof text !== 'string') throw new UnusableResponse('invalid-output', 'response has no message content');
    const finishReason = mapFinishReason(choice.finish_reason);
    requireText(text);
    return { text, finishReason, usage: usageOf(response.usage, body, text), cached: false };
  }

  private async attemptStreaming(body: ChatCompletionBody, signal: AbortSignal | undefined): Promise<GenerationResult> {
    const params: ChatCompletionCreateParamsStreaming & { top_k?: number } = {
      ...body,
      messages: [...body.messages],
      stop: body.stop === undefined ? null : [...body.stop],
      stream: true,
      stream_options: { include_usage: true },
    };
    const stream = await this.client.chat.completions.create(params, signal === undefined ? {} : { signal });
    let text = '';
    let finish: ChatCompletionChunk.Choice['finish_reason'] = null;
    let usage: ChatCompletionChunk['usage'];
    for await (const chunk of stream) {
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) text += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    // A stream that ends without a finish reason was cut off: its text is a prefix, never kept.
    if (finish === null) throw new UnusableResponse('truncated', `stream ended before a finish reason (${text.length} characters received, discarded)`);
    requireText(text);
    return { text, finishReason: mapFinishReason(finish), usage: usageOf(usage, body, text), cached: false };
  }

  private classify(e: unknown): AttemptFailure {
    const scrub = (m: string): string => (this.apiKey.length > 3 ? m.split(this.apiKey).join('[redacted]') : m);
    if (e instanceof UnusableResponse) return { reason: e.reason, retryable: e.retryable, message: e.message };
    if (e instanceof APIConnectionTimeoutError) return { reason: 'provider-error', retryable: true, message: `timed out after ${this.config.timeoutMs} ms` };
    if (e instanceof APIConnectionError) return { reason: 'provider-error', retryable: true, message: `connection failed: ${scrub(causeText(e))}` };
    if (e instanceof APIError && e.status !== undefined) {
      const status = e.status;
      const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
      const hint = status === 401 || status === 403 ? ` (is the environment variable ${this.config.apiKeyEnv} set to a valid key?)` : '';
      const after = retryAfterMs(e.headers);
      return { reason: 'provider-error', retryable, message: `HTTP ${status}: ${scrub(e.message)}${hint}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
    }
    if (e instanceof SyntaxError) return { reason: 'invalid-output', retryable: true, message: `malformed JSON in the response: ${scrub(e.message)}` };
    const text = scrub(causeText(e));
    // undici reports a body cut short (fewer bytes than Content-Length, a reset mid-body) as "terminated".
    if (/terminated|premature|aborted|ECONNRESET|other side closed/i.test(text)) return { reason: 'truncated', retryable: true, message: `response cut short: ${text}` };
    return { reason: 'provider-error', retryable: false, message: text };
  }
}

function mapFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  if (reason === null || reason === undefined) throw new UnusableResponse('truncated', 'response has no finish reason');
  throw new UnusableResponse('invalid-output', `finish reason '${reason}' carries no usable text`);
}

/** Server-reported usage; a server that reports none is charged an estimate (4 characters a token) so the budget still binds. */
function usageOf(usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined, body: ChatCompletionBody, text: string): TokenUsage {
  if (usage && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number') return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
  const promptChars = body.messages.reduce((n, m) => n + m.content.length, 0);
  return { promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(text.length / 4) };
}

function causeText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 4; depth++) {
    parts.push(cur.message);
    cur = (cur as Error & { cause?: unknown }).cause;
  }
  return parts.length ? parts.join(': ') : String(e);
}

