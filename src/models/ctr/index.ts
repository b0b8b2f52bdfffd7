import { ComponentRegistry, type ComponentEntry } from '../../core/index.ts';
import { CtrNetModel, deepFmConfigSchema, logisticConfigSchema, DEEPFM_DEFAULTS, LOGISTIC_DEFAULTS, type CtrModelName } from './model.ts';
import type { CtrModel } from './types.ts';

export type { CtrModel, CtrFitOptions, CtrFitReport, CtrEpochLog } from './types.ts';
export { CtrFeatureEncoder, labelValue } from './features.ts';
export type { CtrField, CtrEncoderState, CtrEncoderOptions, EncodedRows } from './features.ts';
export { CtrNetModel, LOGISTIC_DEFAULTS, DEEPFM_DEFAULTS, logisticConfigSchema, deepFmConfigSchema } from './model.ts';
export type { CtrModelName, LogisticConfig, DeepFmConfig } from './model.ts';

/** CTR models by name (`models` in a CTR config), on the one registry form. */
export const ctrModels = new ComponentRegistry<CtrModel, ComponentEntry<Record<string, unknown>, CtrModel>>('CTR model');
ctrModels.add({ name: 'logistic', description: 'logistic regression over hashed / bucketed field features', schema: logisticConfigSchema, defaults: LOGISTIC_DEFAULTS, create: (c) => new CtrNetModel('logistic', c) });
ctrModels.add({ name: 'deepfm', description: 'DeepFM: first order + FM + MLP over shared field embeddings', schema: deepFmConfigSchema, defaults: DEEPFM_DEFAULTS, create: (c) => new CtrNetModel('deepfm', c) });

export const CTR_MODEL_NAMES: readonly CtrModelName[] = ['logistic', 'deepfm'];

/** A CTR model by registry name; config keys override its defaults (unknown keys are a ConfigError). */
export function createCtrModel(name: string, config: Record<string, unknown> = {}): CtrModel {
  return ctrModels.entry(name, 'model').create(config);
}
