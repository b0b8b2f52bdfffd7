export { Rng, hashSeed } from './rng.ts';
export { SamplifyError, DataValidationError, ConfigError, ModelStateError, InterruptedError, isSamplifyError } from './errors.ts';
export type { ErrorLocation } from './errors.ts';
export { stderrProgress, silentProgress, collectingProgress, CancelToken } from './progress.ts';
export type { ProgressReporter } from './progress.ts';
export { Registry } from './registry.ts';
export { writeFileAtomic, writeJsonAtomic, openAtomicWrite, AtomicFileWriter, writeViaTempPath, removeStaleTemps, tempPathFor, processAlive } from './fsutil.ts';
