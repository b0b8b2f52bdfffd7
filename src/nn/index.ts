/**
 * samplify/nn: a small typed tensor + reverse-mode autograd library for the ops our sequence
 * models need. Hot kernels run in a native N-API addon over OpenBLAS when it is built; otherwise a
 * pure TypeScript backend computes the same math (SAMPLIFY_BACKEND=typescript forces it).
 */
export { Tensor, Parameter, backward, noGrad, resetTape, tapeLength, isGradEnabled, shapeSize, releaseBuffers } from './tensor.ts';
export { normalParameter, uniformParameter, constantParameter } from './init.ts';
export {
  matmul, linear, add, mul, scale, reshape, embedding, layerNorm, dropout, relu, gelu, tanh, sigmoid,
  maskRows, attention, attentionPacked, gru, gatherRows, rowDot, bceWithLogits, crossEntropy, sum, mean,
  exp, sqrt, leakyRelu, concatColumns, spanActivation, spanLogSoftmax, perExampleNormTap, batchNorm, rankAmong,
} from './ops.ts';
export type { AttentionOptions, PackedAttentionOptions, ColumnSpan, BatchNormOptions } from './ops.ts';
export { Adam } from './optim.ts';
export { WeightAverage } from './average.ts';
export type { AdamOptions, AdamState } from './optim.ts';
export { saveParameters, loadParameters, encodeParameters, decodeParameters } from './io.ts';
export { backendInfo, setThreads, useBackend, nativeAvailable } from './backend.ts';
export type { BackendName } from './backend.ts';
export { runTrainingLoop, paceLine, hashArray, readCheckpoint, writeCheckpoint } from './training.ts';
export type { EarlyStopping, EpochLogBase, EpochPlan, TrainingLoopOptions, TrainingResult } from './training.ts';
export { conv2d, convTranspose2d, maxPool2d, avgPool2d, batchNorm2d } from './conv.ts';
export type { Conv2dOptions, ConvTranspose2dOptions, Pool2dOptions, BatchNorm2dOptions } from './conv.ts';
