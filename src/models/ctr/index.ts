import { Registry } from '../../core/index.ts';
import { CtrNetModel, type CtrModelName } from './model.ts';
import type { CtrModel } from './types.ts';

export type { CtrModel, CtrFitOptions, CtrFitReport, CtrEpochLog } from './types.ts';
export { CtrFeatureEncoder, labelValue } from './features.ts';
export type { CtrField, CtrEncoderState, CtrEncoderOptions, EncodedRows } from './features.ts';
export { CtrNetModel, LOGISTIC_DEFAULTS, DEEPFM_DEFAULTS } from './model.ts';
export type { CtrModelName, LogisticConfig, DeepFmConfig } from './model.ts';

const ctrModels = new Registry<(config: Record<string, unknown>) => CtrModel>('CTR model');
ctrModels.register('logistic', (c) => new CtrNetModel('logistic', c));
ctrModels.register('deepfm', (c) => new CtrNetModel('deepfm', c));

export const CTR_MODEL_NAMES: readonly CtrModelName[] = ['logistic', 'deepfm'];

/** A CTR model by registry name; config keys override its defaults (unknown keys are a ConfigError). */
export function createCtrModel(name: string, config: Record<string, unknown> = {}): CtrModel {
  return ctrModels.get(name, 'model')(config);
}
