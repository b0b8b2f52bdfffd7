/** Images in and out: decoded 8-bit HWC tensors from folders (sharp) and IDX files. */
export type { ChannelCount, ImageTensor, ImageSample, ImageDataset, ImageSkip, ImageSkipReason } from './types.ts';
export { checkImage } from './types.ts';
export { decodeImage, encodePng, encodeJpeg, imageGrid, ImageDecodeError, DEFAULT_MAX_PIXELS } from './decode.ts';
export type { DecodeOptions } from './decode.ts';
export { readImageFolder, listImageFolder, relativeSource } from './folder.ts';
export type { ImageFolderOptions } from './folder.ts';
export { readIdx, encodeIdxImages, encodeIdxLabels, FASHION_MNIST_CLASSES } from './idx.ts';
export type { IdxReadOptions } from './idx.ts';
