export { prepareOutOfCore, MEMORY_LIMIT } from './prepare.ts';
export type { OutOfCoreOptions, OutOfCoreResult, OutOfCoreSplit } from './prepare.ts';
export { ChunkWriter, OUT_OF_CORE_FORMATS } from './stage.ts';
export type { OutOfCoreFormat } from './stage.ts';
export { readPreparedDataset } from './read.ts';
export { augmentShard, userShard } from './shard.ts';
export type { ShardAugmentOptions, ShardManifest, ShardPart, ShardSample, ShardExpander, ShardExpandOptions } from './shard.ts';
export { generateInteractionLog, measureLogStatistics, LOG_PRESETS } from './generate.ts';
export type { LogPreset, LogPresetName, LogStatistics, GenerateLogOptions, GeneratedLog } from './generate.ts';
