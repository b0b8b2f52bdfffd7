/**
 * Records what a generator answered as the replay server's JSONL (one `{request, response}` line
 * per distinct request, the request as the chat-completions body the OpenAI-compatible provider
 * would send for it). A run through the embedded generator recorded this way can be replayed
 * later through the HTTP provider against `startReplayServer({ recording })`, and the two runs
 * compared: same responses in, same experiment out.
 *
 * The file is written (atomically, sorted by key, canonical JSON — the same bytes for the same
 * answers in any order) by `save()` and on `close()`.
 */
import { canonicalJson } from '../core/fingerprint.ts';
import { writeFileAtomic } from '../core/fsutil.ts';
import { toChatBody } from './chat-mapping.ts';
import { type RecordedExchange, recordingKey } from './replay-server.ts';
import type { BatchOptions, GenerationOutcome, GenerationRequest, GenerationResult, TextGenerator } from './types.ts';

export interface RecordingOptions {
  /** The JSONL file the exchanges are written to. */
  readonly file: string;
  /** The `model` the replaying OpenAI-compatible provider will be configured with (it is part of the recorded body). */
  readonly model: string;
  /** Record `top_k` in the bodies, as a provider with `sendTopK: true` sends it (default false, the provider's default). */
  readonly sendTopK?: boolean;
}

export class RecordingGenerator implements TextGenerator {
  readonly provider: string;
  readonly model: string;
  private readonly exchanges = new Map<string, RecordedExchange>();

  constructor(
    readonly inner: TextGenerator,
    readonly options: RecordingOptions,
  ) {
    this.provider = inner.provider;
    this.model = inner.model;
  }

  /** Exchanges recorded so far. */
  get size(): number {
    return this.exchanges.size;
  }

  async generate(request: GenerationRequest, signal?: AbortSignal): Promise<GenerationResult> {
    const result = await this.inner.generate(request, signal);
    this.record(request, result);
    return result;
  }

  async generateBatch(requests: readonly GenerationRequest[], options: BatchOptions = {}): Promise<GenerationOutcome[]> {
    const outcomes = await this.inner.generateBatch(requests, {
      ...options,
      onOutcome: (index, outcome) => {
        this.recordOutcome(requests[index] as GenerationRequest, outcome);
        options.onOutcome?.(index, outcome);
      },
    });
    // A generator that does not report outcomes one by one is recorded from the finished batch.
    outcomes.forEach((o, i) => this.recordOutcome(requests[i] as GenerationRequest, o));
    return outcomes;
  }

  /**
   * A kept answer is recorded as it is. An `invalid-output` rejection (the model wrote nothing) is
   * recorded as an empty completion, which the HTTP provider rejects the same way; other rejections
   * (budget, provider errors) say nothing about the model and are not recorded.
   */
  private recordOutcome(request: GenerationRequest, outcome: GenerationOutcome): void {
    if (outcome.ok) this.record(request, outcome.result);
    else if (outcome.reason === 'invalid-output') this.record(request, { text: '', finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0 }, cached: false });
  }

  /** Writes the recording so far. */
  save(): void {
    const lines = [...this.exchanges.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ex]) => `${canonicalJson(ex)}\n`);
    writeFileAtomic(this.options.file, lines.join(''));
  }

  async close(): Promise<void> {
    this.save();
    await this.inner.close();
  }

  private record(request: GenerationRequest, result: GenerationResult): void {
    const body = toChatBody(this.options.model, request, this.options.sendTopK ?? false);
    const key = recordingKey(body);
    if (this.exchanges.has(key)) return;
    this.exchanges.set(key, { request: JSON.parse(key) as RecordedExchange['request'], response: { text: result.text, finishReason: result.finishReason, usage: { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens } } });
  }
}
