/**
 * The text generators a config can name, in the project's one registry form. `embedded` (the
 * generator samplify trains itself) is added beside these where it is built.
 */
import { ComponentRegistry } from '../core/registry.ts';
import { LLAMA_CPP_DEFAULTS, LlamaCppGenerator, llamaCppConfigSchema } from './llama-cpp.ts';
import { OPENAI_COMPATIBLE_DEFAULTS, OpenAICompatibleGenerator, openAICompatibleConfigSchema } from './openai.ts';
import type { TextGenerator } from './types.ts';

export const textGenerators = new ComponentRegistry<TextGenerator>('text generator');

textGenerators.add({
  name: 'openai-compatible',
  description: 'an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp server); key from the env var named by apiKeyEnv',
  schema: openAICompatibleConfigSchema,
  defaults: OPENAI_COMPATIBLE_DEFAULTS,
  create: (params) => new OpenAICompatibleGenerator(params),
});

textGenerators.add({
  name: 'llama-cpp',
  description: `a local GGUF model file through node-llama-cpp@3.22.1 (optional; install it to use this provider)`,
  schema: llamaCppConfigSchema,
  defaults: LLAMA_CPP_DEFAULTS,
  create: (params) => new LlamaCppGenerator(params),
});
