/** The embedded text generator: a byte-level BPE tokenizer and a small causal transformer LM trained here. */
export { BpeTokenizer, normalizeText, SPECIAL_TOKENS } from './tokenizer.ts';
export type { TokenizerState, SpecialToken } from './tokenizer.ts';
export { EmbeddedGenerator, fitQueryGenerator, fitPartOf, embeddedGeneratorConfigSchema } from './generator.ts';
export type { EmbeddedGeneratorConfig, FitQueryGeneratorInput, QueryGeneratorReport, TextPair } from './generator.ts';
