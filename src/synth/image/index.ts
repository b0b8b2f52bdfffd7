/** Image synthesizers (issue 16 §4): the contract, the registry (dcgan, conditional-dcgan, conv-vae), PNG grids. */
export type { ImageSynthesizer, ImageSynthFitOptions, ImageSynthFitReport, ImageSampleOptions, ImageConditions } from './types.ts';
export { imageSynthesizers, createImageSynthesizer, loadImageSynthesizer } from './registry.ts';
export { DcganSynthesizer, dcganConfigSchema } from './dcgan.ts';
export type { DcganConfig } from './dcgan.ts';
export { ConvVaeSynthesizer, convVaeConfigSchema } from './conv-vae.ts';
export type { ConvVaeConfig } from './conv-vae.ts';
export { writeImageGrid, imageGridOf } from './grid.ts';
export type { ImageGridOptions } from './grid.ts';
