export type { SequenceDataset, EvalCase, TrainView, SequentialSplit, SplitKind, SplitSummary, Rejection, ReadReport, InteractionTable } from './types.ts';
export {
  readSequenceText,
  readInteractions,
  readRecBoleAtomic,
  readDigineticaSessions,
  loadDataset,
  DATASET_FORMATS,
  DATA_FORMATS,
  INTERACTION_FORMATS,
} from './readers.ts';
export type { DatasetRead, TableRead, SequenceTextOptions, InteractionOptions, InteractionFormat, SimpleReadOptions, DatasetFormat, DataFormat, LoadOptions } from './readers.ts';
export { interactionsToSequences, saveIdMaps, loadIdMaps, writeSequenceText, datasetStats } from './sequences.ts';
export type { DedupeMode, ToSequencesOptions, IdMaps, DatasetStats } from './sequences.ts';
export { kCoreFilter, itemPopularity } from './filter.ts';
export type { KCoreResult } from './filter.ts';
export { leaveOneOutSplit, temporalSplit, sessionSplit, makeTrainView } from './split.ts';
export type { LeaveOneOutOptions, TemporalOptions, SessionSplitOptions } from './split.ts';
export type { IdType, ColumnNames } from './validate.ts';
export type { TextEncoding } from './lines.ts';
export { withReadProgress } from './lines.ts';
export { tableFromRows, tableRow, selectRows, concatTables } from './table.ts';
export type { Cell, Table, ColumnType, ColumnMeta, TableMetadata } from './table.ts';
export { loadMovieLensCtr, movieLensCtrMetadata, MOVIELENS_GENRES, MOVIELENS_LABEL, genreColumn } from './movielens.ts';
export type { MovieLensCtr, MovieLensCtrOptions, MovieLensCtrReport } from './movielens.ts';
export { itemColdStartSplit, coldStartSplitFor, chooseColdItems } from './cold-start.ts';
export type { ItemColdStartOptions, ItemColdStartSplit, ItemColdStartSummary, ItemAttributeSets } from './cold-start.ts';
export { readTable, writeTable, tableFormatFromPath, TABLE_FORMATS } from './table-io.ts';
export type { TableFormat, TableWriteFormat, TableReadOptions, TableReadResult, TableWriteOptions } from './table-io.ts';
export { detectMetadata, cellToNumber, parseIsoMs, numberToDatetime, isUniqueColumn, cellKey, checkMetadataCovers, COLUMN_TYPES } from './metadata.ts';
export type { MetadataOverride, DetectOptions } from './metadata.ts';
export { withDuckDB, parquetColumns, streamParquet, jsonlToParquet, quoteIdentifier } from './duckdb.ts';
export type { ParquetColumn } from './duckdb.ts';
export * from './search/index.ts';
export { readImageFolder, listImageFolder, readIdx, decodeImage, encodePng, encodeJpeg, imageGrid, checkImage, ImageDecodeError, encodeIdxImages, encodeIdxLabels, FASHION_MNIST_CLASSES, DEFAULT_MAX_PIXELS } from './images/index.ts';
export type { ChannelCount, ImageTensor, ImageSample, ImageDataset, ImageSkip, ImageSkipReason, DecodeOptions, ImageFolderOptions, IdxReadOptions } from './images/index.ts';
export * from './out-of-core/index.ts';
