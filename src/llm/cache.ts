/**
 * A content-addressed on-disk cache around any TextGenerator. The key is the sha256 of the
 * canonical JSON of {provider, model, prompt, system, params with defaults filled in, seed} —
 * never an API key or a base URL (a server's identity goes into `model` through the provider's
 * `cacheNamespace`). One file per entry under a two-hex-digit shard folder, written with the
 * project's atomic writer, so Ctrl-C leaves either a whole entry or none. Only kept results are
 * written; a rejection is never cached, so a rerun retries it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataValidationError } from '../core/errors.ts';
import { canonicalJson } from '../core/fingerprint.ts';
import { writeFileAtomic } from '../core/fsutil.ts';
import { fillParams } from './chat-mapping.ts';
import { OfflineCacheMissError, rejectionOf } from './errors.ts';
import type { BatchOptions, GenerationOutcome, GenerationParams, GenerationRequest, GenerationResult, TextGenerator } from './types.ts';

export const CACHE_FORMAT = 'samplify-llm-cache/1';

export interface CacheOptions {
  /** Folder of entries (created on first write). */
  readonly dir: string;
  /** No provider calls: a miss is `cache-miss-offline` (generate: OfflineCacheMissError). */
  readonly offline?: boolean;
}

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
}

/** What a cache key is computed from (and what each entry records beside its result). */
export interface CacheKeyFields {
  readonly provider: string;
  readonly model: string;
  readonly prompt: string;
  readonly system: string | null;
  readonly params: GenerationParams;
  readonly seed: number;
}

export function cacheKeyFields(generator: Pick<TextGenerator, 'provider' | 'model'>, request: GenerationRequest): CacheKeyFields {
  return { provider: generator.provider, model: generator.model, prompt: request.prompt, system: request.system ?? null, params: fillParams(request.params), seed: request.seed };
}

export function cacheKey(fields: CacheKeyFields): string {
  return createHash('sha256').update(canonicalJson({ format: CACHE_FORMAT, ...fields })).digest('hex');
}

interface CacheEntry {
  readonly format: string;
  readonly key: string;
  readonly request: CacheKeyFields;
  readonly result: Omit<GenerationResult, 'cached'>;
}

export class CachedGenerator implements TextGenerator {
  readonly provider: string;
  readonly model: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, writes: 0 };

  constructor(
    readonly inner: TextGenerator,
    readonly options: CacheOptions,
  ) {
    this.provider = inner.provider;
    this.model = inner.model;
  }

  /** The file an entry for `request` lives in. */
  entryPath(request: GenerationRequest): string {
    return this.pathOf(cacheKey(cacheKeyFields(this, request)));
  }

  async generate(request: GenerationRequest, signal?: AbortSignal): Promise<GenerationResult> {
    const fields = cacheKeyFields(this, request);
    const key = cacheKey(fields);
    const hit = this.read(key);
    if (hit !== undefined) return hit;
    if (this.options.offline) throw new OfflineCacheMissError(key, this.pathOf(key));
    const result = await this.inner.generate(request, signal);
    this.write(key, fields, result);
    return result;
  }

  async generateBatch(requests: readonly GenerationRequest[], options: BatchOptions = {}): Promise<GenerationOutcome[]> {
    const outcomes: (GenerationOutcome | undefined)[] = new Array<GenerationOutcome | undefined>(requests.length);
    const keys = requests.map((r) => cacheKey(cacheKeyFields(this, r)));
    // Misses by key: a request repeated within the batch is generated once and shared.
    const missIndexes = new Map<string, number[]>();
    let done = 0;
    const settle = (index: number, outcome: GenerationOutcome): void => {
      outcomes[index] = outcome;
      done++;
      options.onOutcome?.(index, outcome);
      options.onProgress?.(done, requests.length);
    };
    requests.forEach((_, i) => {
      const key = keys[i] as string;
      const pending = missIndexes.get(key);
      if (pending !== undefined) {
        pending.push(i);
        return;
      }
      const hit = this.read(key);
      if (hit !== undefined) settle(i, { ok: true, result: hit });
      else if (this.options.offline) settle(i, rejectionOf(new OfflineCacheMissError(key, this.pathOf(key))));
      else missIndexes.set(key, [i]);
    });
    const misses = [...missIndexes.values()];
    if (misses.length > 0) {
      await this.inner.generateBatch(
        misses.map((idx) => requests[idx[0] as number] as GenerationRequest),
        {
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
          // Each answer is written as it arrives, so an interrupted batch keeps what finished.
          onOutcome: (j, outcome) => {
            const idx = misses[j] as number[];
            const first = idx[0] as number;
            if (outcome.ok) this.write(keys[first] as string, cacheKeyFields(this, requests[first] as GenerationRequest), outcome.result);
            for (const i of idx) settle(i, outcome);
          },
        },
      );
    }
    return outcomes.map((o, i) => {
      if (o === undefined) throw new Error(`cache: request ${i} was never settled`);
      return o;
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private pathOf(key: string): string {
    return join(this.options.dir, key.slice(0, 2), `${key}.json`);
  }

  private read(key: string): GenerationResult | undefined {
    const file = this.pathOf(key);
    if (!existsSync(file)) {
      this.stats.misses++;
      return undefined;
    }
    let entry: CacheEntry;
    try {
      entry = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry;
    } catch {
      throw new DataValidationError('cache entry is not JSON (edited by hand? delete it to regenerate)', { file });
    }
    if (entry.format !== CACHE_FORMAT || entry.key !== key || typeof entry.result?.text !== 'string')
      throw new DataValidationError(`cache entry does not match its key or format ${CACHE_FORMAT} (delete it to regenerate)`, { file });
    this.stats.hits++;
    // Built field by field in the order a fresh result has, so a hit serializes byte-identically to the original answer.
    const { text, finishReason, usage } = entry.result;
    return { text, finishReason, usage: { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens }, cached: true };
  }

  private write(key: string, request: CacheKeyFields, result: GenerationResult): void {
    const entry: CacheEntry = { format: CACHE_FORMAT, key, request, result: { text: result.text, finishReason: result.finishReason, usage: result.usage } };
    writeFileAtomic(this.pathOf(key), `${canonicalJson(entry)}\n`);
    this.stats.writes++;
  }
}
