/**
 * `samplify augment-images`: offline expansion of a folder of product images into a new folder —
 * `views` augmented PNG copies of every readable image at its relative path, a manifest of
 * (file, source, label, view, seed, operator chain) and labels.csv. The output folder appears only
 * when the whole run succeeded (no partial outputs), and an existing output is never overwritten.
 */
import { resolve } from 'node:path';
import { ConfigError, DataValidationError, isSamplifyError, silentProgress, writeFolderViaTempPath, type ProgressReporter } from '../core/index.ts';
import { buildImagePipeline, expandImageFolder, readPipelineFile, type ExpandImageReport } from '../augment/index.ts';
import type { ChannelCount } from '../data/index.ts';

export interface AugmentImagesOptions {
  /** Source folder (labels from sub-folders, or none). */
  readonly images: string;
  /** Image pipeline file (YAML/JSON, `family: image`). */
  readonly pipeline: string;
  readonly views: number;
  readonly seed: number;
  /** Output folder; must not exist yet (or be empty). */
  readonly out: string;
  readonly labels?: 'subfolders' | 'none';
  readonly channels?: ChannelCount;
  readonly resize?: { readonly width: number; readonly height: number };
  /** Worker threads (default: the available cores). */
  readonly workers?: number;
  readonly progress?: ProgressReporter;
}

export interface AugmentImagesResult extends ExpandImageReport {
  /** The output folder. */
  readonly path: string;
}

export async function augmentImages(o: AugmentImagesOptions): Promise<AugmentImagesResult> {
  const progress = o.progress ?? silentProgress;
  // The pipeline is read and every step checked before any image is decoded.
  const spec = readPipelineFile(o.pipeline);
  const family = spec !== null && typeof spec === 'object' ? (spec as { family?: unknown }).family : undefined;
  if (family !== undefined && family !== 'image') throw new ConfigError(`this is a ${String(family)} pipeline; augment-images needs family: image`, { file: o.pipeline, field: 'family' });
  try {
    buildImagePipeline(spec, { file: o.pipeline });
  } catch (e) {
    if (isSamplifyError(e) && e.location.file === undefined) throw new ConfigError(e.message, { file: o.pipeline, ...(e.location.field !== undefined ? { field: e.location.field } : {}) });
    throw e;
  }
  const out = resolve(o.out);
  const report = await writeFolderViaTempPath(out, async (tmp) => {
    const r = await expandImageFolder(o.images, tmp, spec, {
      views: o.views,
      seed: o.seed,
      labels: o.labels ?? 'subfolders',
      ...(o.channels !== undefined ? { channels: o.channels } : {}),
      ...(o.resize ? { resize: o.resize } : {}),
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      progress,
    });
    // An empty result is not a success: say why, and leave no folder behind.
    if (r.written === 0) {
      const why = Object.entries(r.skipCounts).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`).join(', ');
      throw new DataValidationError(`no image could be augmented (${r.images} images listed${why ? `; skipped: ${why}` : ''})`, { file: o.images });
    }
    return r;
  });
  for (const s of report.skipped.slice(0, 20)) progress.line(`skipped ${s.source}: ${s.reason} (${s.detail})`);
  if (report.skipped.length > 20) progress.line(`… and ${report.skipped.length - 20} more skipped files (reasons counted in the result)`);
  return { ...report, manifest: resolve(out, 'manifest.jsonl'), path: out };
}
