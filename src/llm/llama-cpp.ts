/**
 * A TextGenerator for a local GGUF model file through `node-llama-cpp` (v3 API: getLlama →
 * loadModel → createContext → LlamaChatSession). The package is an optional peer dependency
 * (pinned 3.22.1; ~725 MB with its prebuilt binaries), so it is loaded with a dynamic import of a
 * variable specifier: TypeScript and the build never need it, and without it the provider is a
 * clear ConfigError rather than a crash at startup.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseWithSchema } from '../core/config.ts';
import { ConfigError, InterruptedError } from '../core/errors.ts';
import { runBatch } from './batch.ts';
import { fillParams } from './chat-mapping.ts';
import { GenerationError } from './errors.ts';
import type { BatchOptions, FinishReason, GenerationOutcome, GenerationRequest, GenerationResult, TextGenerator } from './types.ts';

export const NODE_LLAMA_CPP_VERSION = '3.22.1';
export const NODE_LLAMA_CPP_MISSING = `the llama-cpp provider needs \`npm install node-llama-cpp@${NODE_LLAMA_CPP_VERSION}\` (optional dependency, not installed)`;

export const llamaCppConfigSchema = z
  .object({
    /** The GGUF model file (required; the registry's defaults leave it out). */
    modelPath: z.string().min(1).optional(),
    /** Context window in tokens. */
    contextSize: z.number().int().min(64).default(2048),
    /** Layers offloaded to a GPU ('auto' lets node-llama-cpp decide; 0 = CPU only). */
    gpuLayers: z.union([z.literal('auto'), z.number().int().nonnegative()]).default(0),
    /** CPU threads (0 = node-llama-cpp's default). */
    threads: z.number().int().nonnegative().default(0),
  })
  .strict();
export type LlamaCppConfig = z.infer<typeof llamaCppConfigSchema>;
export const LLAMA_CPP_DEFAULTS: LlamaCppConfig = llamaCppConfigSchema.parse({});

/**
 * The slice of node-llama-cpp v3's API used here, declared locally so nothing imports its types.
 * (Names and options as its documentation gives them.)
 */
interface LlamaModule {
  getLlama(options?: { gpu?: false | 'auto' }): Promise<Llama>;
  LlamaChatSession: new (options: { contextSequence: LlamaContextSequence; systemPrompt?: string; autoDisposeSequence?: boolean }) => LlamaChatSession;
}
interface Llama {
  loadModel(options: { modelPath: string; gpuLayers?: number | 'auto' }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}
interface LlamaModel {
  createContext(options: { contextSize?: number; threads?: number; sequences?: number }): Promise<LlamaContext>;
  tokenize(text: string): readonly unknown[];
  dispose(): Promise<void>;
}
interface LlamaContext {
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
}
interface LlamaContextSequence {
  clearHistory(): Promise<void>;
}
interface LlamaChatSession {
  promptWithMeta(
    prompt: string,
    options: { temperature?: number; topK?: number; topP?: number; seed?: number; maxTokens?: number; customStopTriggers?: string[]; signal?: AbortSignal },
  ): Promise<{ responseText: string; stopReason: string }>;
  dispose(options?: { disposeSequence?: boolean }): void;
}

/** The module specifier in a variable: a literal would make TypeScript and bundlers resolve it. */
const LLAMA_SPECIFIER: string = 'node-llama-cpp';

/** Loads node-llama-cpp, or throws the ConfigError saying how to install it. `specifier` is for tests. */
export async function loadNodeLlamaCpp(specifier: string = LLAMA_SPECIFIER): Promise<LlamaModule> {
  try {
    return (await import(specifier)) as LlamaModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new ConfigError(NODE_LLAMA_CPP_MISSING, { field: 'provider' });
    throw new ConfigError(`node-llama-cpp is installed but failed to load (${e instanceof Error ? e.message : String(e)}); its prebuilt binaries come from its postinstall, which npm may have skipped`, { field: 'provider' });
  }
}

interface Loaded {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly sequence: LlamaContextSequence;
  readonly module: LlamaModule;
}

export class LlamaCppGenerator implements TextGenerator {
  readonly provider = 'llama-cpp';
  /** The model file's name: the identity cache keys use (the path's folder is machine-specific). */
  readonly model: string;
  readonly config: LlamaCppConfig & { modelPath: string };
  private loading: Promise<Loaded> | undefined;
  private readonly specifier: string;

  constructor(config: Partial<LlamaCppConfig> | Readonly<Record<string, unknown>> = {}, options: { readonly moduleSpecifier?: string } = {}) {
    const parsed = parseWithSchema(llamaCppConfigSchema, config, { label: 'llama-cpp' });
    if (parsed.modelPath === undefined) throw new ConfigError('llama-cpp: modelPath is required (a GGUF model file)', { field: 'modelPath' });
    this.config = { ...parsed, modelPath: parsed.modelPath };
    this.model = parsed.modelPath.split(/[\\/]/).pop() as string;
    this.specifier = options.moduleSpecifier ?? LLAMA_SPECIFIER;
  }

  async generate(request: GenerationRequest, signal?: AbortSignal): Promise<GenerationResult> {
    const loaded = await this.load();
    const p = fillParams(request.params);
    // One sequence, one request at a time: a fresh session per request so no chat history leaks between prompts.
    const session = new loaded.module.LlamaChatSession({ contextSequence: loaded.sequence, ...(request.system !== undefined ? { systemPrompt: request.system } : {}), autoDisposeSequence: false });
    try {
      const r = await session.promptWithMeta(request.prompt, {
        temperature: p.temperature,
        ...(p.topK > 0 ? { topK: p.topK } : {}),
        topP: p.topP,
        seed: request.seed,
        maxTokens: p.maxTokens,
        ...(p.stop.length > 0 ? { customStopTriggers: [...p.stop] } : {}),
        ...(signal !== undefined ? { signal } : {}),
      });
      if (r.stopReason === 'abort' || signal?.aborted) throw new InterruptedError('generation interrupted');
      const finishReason: FinishReason = r.stopReason === 'maxTokens' ? 'length' : 'stop';
      const usage = { promptTokens: loaded.model.tokenize(`${request.system ?? ''}${request.prompt}`).length, completionTokens: loaded.model.tokenize(r.responseText).length };
      return { text: r.responseText, finishReason, usage, cached: false };
    } catch (e) {
      if (e instanceof InterruptedError || signal?.aborted) throw new InterruptedError('generation interrupted');
      throw new GenerationError('provider-error', `llama-cpp ${this.model}: ${e instanceof Error ? e.message : String(e)}`, { file: this.config.modelPath });
    } finally {
      session.dispose({ disposeSequence: false });
      await loaded.sequence.clearHistory();
    }
  }

  generateBatch(requests: readonly GenerationRequest[], options: BatchOptions = {}): Promise<GenerationOutcome[]> {
    return runBatch(requests, 1, async (request) => ({ ok: true, result: await this.generate(request) }), options);
  }

  async close(): Promise<void> {
    if (this.loading === undefined) return;
    const loaded = await this.loading.catch(() => undefined);
    this.loading = undefined;
    if (loaded === undefined) return;
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }

  /** Loads the module, the model and one context on first use (model loading takes seconds and memory). */
  private load(): Promise<Loaded> {
    this.loading ??= (async () => {
      const module = await loadNodeLlamaCpp(this.specifier);
      if (!existsSync(this.config.modelPath)) throw new ConfigError(`llama-cpp: model file not found`, { file: this.config.modelPath, field: 'modelPath' });
      const llama = await module.getLlama(this.config.gpuLayers === 0 ? { gpu: false } : {});
      const model = await llama.loadModel({ modelPath: this.config.modelPath, gpuLayers: this.config.gpuLayers });
      const context = await model.createContext({ contextSize: this.config.contextSize, sequences: 1, ...(this.config.threads > 0 ? { threads: this.config.threads } : {}) });
      return { llama, model, context, sequence: context.getSequence(), module };
    })();
    // A failed load is not cached: fixing the install or path and retrying works in the same process.
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
