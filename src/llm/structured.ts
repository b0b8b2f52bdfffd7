/**
 * Output checks on top of any TextGenerator. `generateStructured` asks for JSON, parses it
 * (a ```json fence is tolerated, as chat models add one), validates it with a zod schema and, when
 * the answer does not fit, asks again with a seed derived from the request's; after the retries
 * the outcome is `invalid-output` with the count of rejected answers — invalid data is never kept.
 * `generateText` does the same for plain text with a validator (empty, whitespace-only or
 * over-long answers rejected).
 */
import type { z } from 'zod';
import { hashSeed } from '../core/rng.ts';
import { GenerationError } from './errors.ts';
import type { GenerationRejectReason, GenerationRequest, GenerationResult, TextGenerator } from './types.ts';

export type CheckedOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly result: GenerationResult; readonly attempts: number }
  | { readonly ok: false; readonly reason: GenerationRejectReason; readonly message: string; readonly attempts: number; readonly rejectedAnswers: number };

export interface RetryOptions {
  /** Further requests (with derived seeds) after an answer fails its check. Default 2. */
  readonly retries?: number;
  readonly signal?: AbortSignal;
}

/** The seed of retry `attempt` (0 = the request's own seed): derived, so a rerun asks the same questions. */
export function retrySeed(seed: number, attempt: number): number {
  return attempt === 0 ? seed : hashSeed(seed, `llm-output-retry:${attempt}`);
}

/** Checks one answer: its value, or why it is rejected. */
export type AnswerCheck<T> = (result: GenerationResult) => { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

/** Generates until an answer passes `check` or the retries run out. */
export async function generateChecked<T>(generator: TextGenerator, request: GenerationRequest, check: AnswerCheck<T>, options: RetryOptions = {}): Promise<CheckedOutcome<T>> {
  const retries = options.retries ?? 2;
  const whys: string[] = [];
  for (let attempt = 0; attempt <= retries; attempt++) {
    let result: GenerationResult;
    try {
      result = await generator.generate({ ...request, seed: retrySeed(request.seed, attempt) }, options.signal);
    } catch (e) {
      // The provider already retried what transport retries can fix; its reason stands.
      if (e instanceof GenerationError) return { ok: false, reason: e.reason, message: e.message, attempts: attempt + 1, rejectedAnswers: whys.length };
      throw e;
    }
    const checked = check(result);
    if (checked.ok) return { ok: true, value: checked.value, result, attempts: attempt + 1 };
    whys.push(checked.why);
  }
  return { ok: false, reason: 'invalid-output', message: `${whys.length} answer${whys.length === 1 ? '' : 's'} rejected: ${whys.join('; ')}`, attempts: retries + 1, rejectedAnswers: whys.length };
}

/** The JSON inside an answer: the whole text, or the body of a ```json (or bare ```) fence. */
export function extractJson(text: string): unknown {
  const fence = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(text);
  const body = (fence ? (fence[1] as string) : text).trim();
  return JSON.parse(body);
}

export function jsonCheck<S extends z.ZodType>(schema: S): AnswerCheck<z.infer<S>> {
  return (result) => {
    let raw: unknown;
    try {
      raw = extractJson(result.text);
    } catch {
      return { ok: false, why: `not JSON (${JSON.stringify(result.text.slice(0, 60))})` };
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, why: `schema: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}` };
    }
    return { ok: true, value: parsed.data };
  };
}

export function generateStructured<S extends z.ZodType>(generator: TextGenerator, request: GenerationRequest, schema: S, options: RetryOptions = {}): Promise<CheckedOutcome<z.infer<S>>> {
  return generateChecked(generator, request, jsonCheck(schema), options);
}

export interface TextCheckOptions {
  /** Longest kept answer in characters (after trimming). Default 2000. */
  readonly maxChars?: number;
  /** Answers ending at max tokens are cut mid-thought; reject them too. Default false. */
  readonly rejectLength?: boolean;
}

/** The plain-text validator: trimmed text, or why not (empty, whitespace only, too long, cut at max tokens). */
export function textCheck(options: TextCheckOptions = {}): AnswerCheck<string> {
  const maxChars = options.maxChars ?? 2000;
  return (result) => {
    const text = result.text.trim();
    if (result.text.length === 0) return { ok: false, why: 'empty' };
    if (text.length === 0) return { ok: false, why: 'whitespace only' };
    if (text.length > maxChars) return { ok: false, why: `${text.length} characters, more than ${maxChars}` };
    if (options.rejectLength && result.finishReason === 'length') return { ok: false, why: 'stopped at max tokens' };
    return { ok: true, value: text };
  };
}

export function generateText(generator: TextGenerator, request: GenerationRequest, options: RetryOptions & TextCheckOptions = {}): Promise<CheckedOutcome<string>> {
  return generateChecked(generator, request, textCheck(options), options);
}
