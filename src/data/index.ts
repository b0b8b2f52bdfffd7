export type { SequenceDataset, EvalCase, TrainView, SequentialSplit, SplitKind, Rejection, ReadReport } from './types.ts';
