export { runEvaluation, evaluateOnSplit, fmtMetrics, historiesView } from './evaluate.ts';
export type { PreparedData } from './evaluate.ts';
export type { EvaluateConfig, EvaluateResult, SeedResult } from './evaluate.ts';
export { runBenchmark, benchmarkTable, BEAUTY_ANCHORS, BENCHMARK_MODELS, defaultBeautyPath } from './benchmark.ts';
export type { BenchmarkOptions } from './benchmark.ts';
export { validateData } from './validate.ts';
