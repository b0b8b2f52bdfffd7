export { identity, crop, mask, reorder, reverse, del, duplicate, maskToken } from './basic.ts';
export type { SpanParams, MaskParams, ReorderParams, PositionsParams } from './basic.ts';
export { insert, substitute } from './correlated.ts';
export type { CorrelatedParams } from './correlated.ts';
export { prefixes } from './prefixes.ts';
export type { PrefixParams } from './prefixes.ts';
