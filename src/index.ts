/** samplify's library API. The CLI is a thin layer over these exports. */
export * from './core/index.ts';
export * from './data/index.ts';
export * from './eval/index.ts';
export * from './augment/index.ts';
export * from './align/index.ts';
export * from './models/index.ts';
export * from './experiment/index.ts';
export * as nn from './nn/index.ts';
export * from './synth/index.ts';
