/**
 * The loopback OpenAI-compatible server the provider tests run against (src/llm/replay-server.ts,
 * exported there so benchmarks and the CLI can start it too), plus a deterministic responder.
 */
import { createHash } from 'node:crypto';
import type { ChatCompletionBody } from '../../src/llm/chat-mapping.ts';
import type { RecordedResponse } from '../../src/llm/replay-server.ts';

export { startReplayServer, recordingKey, readRecording, responderFromGenerator } from '../../src/llm/replay-server.ts';
export type { Fault, FaultPlan, RecordedExchange, ReplayServer } from '../../src/llm/replay-server.ts';

/** A fake model: its answer is a pure function of the request (prompt, seed, temperature). */
export function echoResponder(body: ChatCompletionBody): RecordedResponse {
  const user = body.messages.filter((m) => m.role === 'user').map((m) => m.content).join(' ');
  const h = createHash('sha256').update(`${user}|${body.seed}|${body.temperature}`).digest('hex').slice(0, 8);
  return { text: `answer to ${user} #${h}`, finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 5 } };
}

/**
 * Small backoffs so every failure path runs in milliseconds. The timeout stays generous: on a
 * loaded shared machine a healthy request can take hundreds of ms, and a spurious timeout would
 * add a server call the tests count. Tests of the hang fault set their own short timeout.
 */
export const FAST = { timeoutMs: 5000, retries: 3, backoffBaseMs: 5, backoffMaxMs: 20, maxRetryAfterMs: 2000 } as const;
/** The timeout for tests that inject a hang (long enough for a healthy request on a busy machine). */
export const HANG_TIMEOUT_MS = 1000;
