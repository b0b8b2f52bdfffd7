/**
 * A loopback OpenAI-compatible chat-completions server (node:http on 127.0.0.1, port 0) that
 * answers from a recording (JSONL of request → response, keyed by the canonical request body) or
 * from a responder function, and can inject the faults real endpoints have: 429 storms with
 * Retry-After, 5xx, hangs, resets, malformed JSON, bodies and streams cut short, slow answers.
 * It counts calls and the most requests it ever held at once, which is how the tests and the
 * benchmark check a provider's concurrency limit from the outside.
 *
 * With `responder` + `recordTo`, the server records what it answered, so a run through any
 * TextGenerator (e.g. the embedded one, via `responderFromGenerator`) can be replayed later through
 * the HTTP provider and the two compared.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DataValidationError } from '../core/errors.ts';
import { canonicalJson } from '../core/fingerprint.ts';
import { writeFileAtomic } from '../core/fsutil.ts';
import { type ChatCompletionBody, fromChatBody } from './chat-mapping.ts';
import type { FinishReason, TextGenerator } from './types.ts';

export interface RecordedResponse {
  readonly text: string;
  readonly finishReason?: FinishReason;
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

export interface RecordedExchange {
  readonly request: ChatCompletionBody;
  readonly response: RecordedResponse;
}

export type Responder = (body: ChatCompletionBody) => RecordedResponse | Promise<RecordedResponse>;

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterS?: number }
  /** Never answers (until the server closes): the client's timeout must fire. */
  | { readonly kind: 'hang' }
  /** Destroys the socket before any response. */
  | { readonly kind: 'reset' }
  /** 200 with a body that is not JSON. */
  | { readonly kind: 'malformed-json' }
  /** 200 announcing more bytes than it sends, then the socket closes. */
  | { readonly kind: 'truncated-body' }
  /** A stream that stops after its first piece, without a finish reason or [DONE]. */
  | { readonly kind: 'truncated-stream' }
  /** Answers normally after `ms`. */
  | { readonly kind: 'delay'; readonly ms: number };

/** Which fault (if any) call number `call` (0-based, in arrival order) gets. */
export type FaultPlan = (call: number, body: ChatCompletionBody) => Fault | undefined;

export interface ReplayServerOptions {
  /** A JSONL file of RecordedExchange lines, or the exchanges themselves. */
  readonly recording?: string | readonly RecordedExchange[];
  /** Answers requests the recording does not hold (without a recording: every request). */
  readonly responder?: Responder;
  readonly faults?: FaultPlan;
  /** Added before every answer (a slow server). */
  readonly delayMs?: number;
  /** Pause between stream pieces (a slow stream). */
  readonly streamPieceDelayMs?: number;
  /** On close, the responder's answers are written here as JSONL (sorted by key, atomically). */
  readonly recordTo?: string;
}

export interface ReplayServerStats {
  /** Requests received on the chat-completions route. */
  calls: number;
  /** Requests answered with a complete, well-formed completion. */
  served: number;
  inFlight: number;
  maxInFlight: number;
  /** Requests neither the recording nor a responder could answer (404). */
  unmatched: number;
  faults: Partial<Record<Fault['kind'], number>>;
}

export interface ReplayServer {
  /** Base URL for an OpenAI client, ending in /v1. */
  readonly url: string;
  readonly stats: ReplayServerStats;
  close(): Promise<void>;
}

/**
 * The recording key: the canonical request body without its transport-only fields and without
 * null fields (the client sends `"stop": null` for no stop strings; the body samplify builds omits
 * it — both mean the same request, so a recording made from either replays for the other).
 */
export function recordingKey(body: ChatCompletionBody): string {
  const { stream: _stream, stream_options: _options, ...rest } = body as ChatCompletionBody & { stream?: unknown; stream_options?: unknown };
  return canonicalJson(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null)));
}

export function readRecording(file: string): RecordedExchange[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: RecordedExchange[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new DataValidationError('not a JSON line', { file, line: i + 1 });
    }
    const ex = v as Partial<RecordedExchange>;
    if (typeof ex.request !== 'object' || ex.request === null || typeof ex.response?.text !== 'string') throw new DataValidationError('expected {"request": {...}, "response": {"text": ...}}', { file, line: i + 1 });
    out.push(ex as RecordedExchange);
  });
  return out;
}

/** A responder that answers each request with another generator (e.g. the embedded one), for recording. */
export function responderFromGenerator(generator: TextGenerator): Responder {
  return async (body) => {
    const r = await generator.generate(fromChatBody(body));
    return { text: r.text, finishReason: r.finishReason, usage: r.usage };
  };
}

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const recorded = new Map<string, RecordedResponse>();
  const exchanges = typeof options.recording === 'string' ? readRecording(options.recording) : (options.recording ?? []);
  for (const ex of exchanges) recorded.set(recordingKey(ex.request), ex.response);
  const answered = new Map<string, RecordedExchange>();
  const stats: ReplayServerStats = { calls: 0, served: 0, inFlight: 0, maxInFlight: 0, unmatched: 0, faults: {} };
  const sockets = new Set<Socket>();
  let completionId = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'not_found' } });
      return;
    }
    let body: ChatCompletionBody & { stream?: boolean };
    try {
      body = JSON.parse(raw) as ChatCompletionBody & { stream?: boolean };
    } catch {
      sendJson(res, 400, { error: { message: 'request body is not JSON', type: 'invalid_request_error' } });
      return;
    }
    const call = stats.calls++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      stats.inFlight--;
    };
    res.on('close', settle);
    try {
      const fault = options.faults?.(call, body);
      if (fault !== undefined) stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
      if (options.delayMs) await wait(options.delayMs);
      if (fault?.kind === 'delay') await wait(fault.ms);
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'status') {
        sendJson(res, fault.status, { error: { message: `injected ${fault.status}`, type: fault.status === 429 ? 'rate_limit_exceeded' : 'server_error' } }, fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {});
        return;
      }
      const key = recordingKey(body);
      let answer = recorded.get(key);
      if (answer === undefined && options.responder !== undefined) {
        answer = await options.responder(body);
        answered.set(key, { request: stripTransport(body), response: answer });
      }
      if (answer === undefined) {
        stats.unmatched++;
        sendJson(res, 404, { error: { message: 'no recorded response for this request', type: 'not_found' } });
        return;
      }
      const usage = answer.usage ?? { promptTokens: Math.ceil(body.messages.reduce((n, m) => n + m.content.length, 0) / 4), completionTokens: Math.ceil(answer.text.length / 4) };
      const id = `replay-${completionId++}`;
      if (fault?.kind === 'malformed-json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "broken", "choices": [');
        return;
      }
      if (fault?.kind === 'truncated-body') {
        const full = JSON.stringify(completionJson(id, body.model, answer, usage));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        // Give the half body time to leave before the connection drops.
        await wait(5);
        req.socket.destroy();
        return;
      }
      if (body.stream === true) {
        await sendStream(res, id, body.model, answer, usage, fault?.kind === 'truncated-stream', options.streamPieceDelayMs ?? 0);
        if (fault?.kind !== 'truncated-stream') stats.served++;
        return;
      }
      sendJson(res, 200, completionJson(id, body.model, answer, usage));
      stats.served++;
    } finally {
      if (res.writableEnded || res.destroyed) settle();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `replay server: ${e instanceof Error ? e.message : String(e)}`, type: 'server_error' } });
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats,
    close: async () => {
      // Hung requests hold their sockets open; close them so the server can stop.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.recordTo !== undefined) {
        const lines = [...answered.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ex]) => canonicalJson(ex));
        writeFileAtomic(options.recordTo, lines.map((l) => `${l}\n`).join(''));
      }
    },
  };
}

function stripTransport(body: ChatCompletionBody): ChatCompletionBody {
  return JSON.parse(recordingKey(body)) as ChatCompletionBody;
}

function completionJson(id: string, model: string, answer: RecordedResponse, usage: { promptTokens: number; completionTokens: number }): unknown {
  return {
    id,
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: answer.text }, finish_reason: answer.finishReason ?? 'stop', logprobs: null }],
    usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens },
  };
}

async function sendStream(res: ServerResponse, id: string, model: string, answer: RecordedResponse, usage: { promptTokens: number; completionTokens: number }, truncate: boolean, pieceDelayMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  const third = Math.max(1, Math.ceil(answer.text.length / 3));
  const pieces: string[] = [];
  for (let i = 0; i < answer.text.length; i += third) pieces.push(answer.text.slice(i, i + third));
  if (pieces.length === 0) pieces.push('');
  res.write(chunk({ role: 'assistant', content: pieces[0] }, null));
  if (truncate) {
    res.end();
    return;
  }
  for (const p of pieces.slice(1)) {
    if (pieceDelayMs) await wait(pieceDelayMs);
    res.write(chunk({ content: p }, null));
  }
  res.write(chunk({}, answer.finishReason ?? 'stop'));
  res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model, choices: [], usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens } })}\n\n`);
  res.end('data: [DONE]\n\n');
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
