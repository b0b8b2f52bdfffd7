/**
 * A stand-in for node-llama-cpp's v3 API surface that LlamaCppGenerator uses, so its option
 * mapping and lifecycle are tested without the 725 MB package. It records what it was asked.
 */
export const calls: { prompt: string; systemPrompt: string | undefined; options: Record<string, unknown> }[] = [];
export const disposed: string[] = [];

export async function getLlama(): Promise<unknown> {
  return {
    loadModel: async () => ({
      createContext: async () => ({ getSequence: () => ({ clearHistory: async () => undefined }), dispose: async () => void disposed.push('context') }),
      tokenize: (text: string) => text.split(/\s+/).filter(Boolean),
      dispose: async () => void disposed.push('model'),
    }),
    dispose: async () => void disposed.push('llama'),
  };
}

export class LlamaChatSession {
  private readonly systemPrompt: string | undefined;
  constructor(options: { systemPrompt?: string }) {
    this.systemPrompt = options.systemPrompt;
  }
  async promptWithMeta(prompt: string, options: Record<string, unknown>): Promise<{ responseText: string; stopReason: string }> {
    calls.push({ prompt, systemPrompt: this.systemPrompt, options });
    return { responseText: `local answer to ${prompt}`, stopReason: prompt.includes('long') ? 'maxTokens' : 'eogToken' };
  }
  dispose(): void {}
}
