/**
 * How a GenerationRequest becomes an OpenAI chat-completions body and back. Both directions live
 * here so the replay server can turn a recorded body into the request another generator answers,
 * and the two never drift apart.
 */
import { DEFAULT_GENERATION_PARAMS, type GenerationParams, type GenerationRequest } from './types.ts';

/** The request's parameters with every default filled in (what the cache key and the wire body use). */
export function fillParams(params: Partial<GenerationParams> | undefined): GenerationParams {
  return { ...DEFAULT_GENERATION_PARAMS, ...(params ?? {}) };
}

export interface ChatMessage {
  readonly role: 'system' | 'user';
  readonly content: string;
}

/** The subset of the chat-completions body samplify sends. */
export interface ChatCompletionBody {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature: number;
  readonly top_p: number;
  readonly max_tokens: number;
  readonly seed: number;
  readonly stop?: readonly string[];
  /** Not an OpenAI field: vLLM, llama.cpp's server and Ollama's OpenAI endpoint read it; OpenAI rejects it, hence opt-in. */
  readonly top_k?: number;
}

export function toChatBody(model: string, request: GenerationRequest, sendTopK: boolean): ChatCompletionBody {
  const p = fillParams(request.params);
  const messages: ChatMessage[] = [];
  if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
  messages.push({ role: 'user', content: request.prompt });
  return {
    model,
    messages,
    temperature: p.temperature,
    top_p: p.topP,
    max_tokens: p.maxTokens,
    seed: request.seed,
    // OpenAI rejects an empty stop list on some models; absent means none.
    ...(p.stop.length > 0 ? { stop: p.stop } : {}),
    ...(sendTopK && p.topK > 0 ? { top_k: p.topK } : {}),
  };
}

/** The request a chat body stands for (the inverse of toChatBody for the fields it sends). */
export function fromChatBody(body: ChatCompletionBody): GenerationRequest {
  const system = body.messages.find((m) => m.role === 'system')?.content;
  const prompt = body.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  const params: GenerationParams = {
    temperature: body.temperature,
    topP: body.top_p,
    maxTokens: body.max_tokens,
    stop: body.stop ?? [],
    topK: body.top_k ?? 0,
  };
  return { prompt, ...(system !== undefined ? { system } : {}), params, seed: body.seed };
}
