/**
 * Offline expansion of an image folder: every readable image gets `views` augmented copies,
 * written as PNG files under `outDir` at the source's relative path (`bag/x.jpg` →
 * `bag/x__v0.png`), so the output folder reads back with the same sub-folder labels. A manifest
 * (`manifest.jsonl`: file, source, label, view, seed, operator chain) and `labels.csv`
 * (file,label) are written last. Every file is written atomically.
 *
 * Determinism: view v of source s draws from Rng(seed).split(`${s}#${v}`), and PNG encoding is
 * byte-stable, so the same seed gives byte-identical files whatever the number of workers or
 * the order they finish in. Decoding, augmenting and encoding run in a pool of worker threads
 * (default: the available cores).
 */
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/fsutil.ts';
import { silentProgress, type ProgressReporter } from '../../core/progress.ts';
import { Rng } from '../../core/rng.ts';
import { decodeImage, encodePng, ImageDecodeError, type DecodeOptions } from '../../data/images/decode.ts';
import { listImageFolder, type ImageFolderOptions } from '../../data/images/folder.ts';
import { skipCountsOf, type ChannelCount, type ImageSkip, type ImageSkipReason } from '../../data/images/types.ts';
import type { ChainEntry } from '../types.ts';
import { buildImagePipeline } from './family.ts';

export interface ExpandImageOptions {
  /** Augmented copies per image (default 1). */
  readonly views?: number;
  /** Run seed (default 0). */
  readonly seed?: number;
  /** Worker threads (default: available cores; 0 or 1: in this thread). */
  readonly workers?: number;
  /** Labels of the source folder (as readImageFolder; default sub-folders). */
  readonly labels?: ImageFolderOptions['labels'];
  /** Channels of the decoded images (default 3). */
  readonly channels?: ChannelCount;
  readonly maxPixels?: number;
  /** Resize every source to this size before augmenting. */
  readonly resize?: { readonly width: number; readonly height: number };
  readonly progress?: ProgressReporter;
}

export interface ImageManifestRow {
  /** Output path relative to outDir. */
  readonly file: string;
  readonly source: string;
  readonly label: string | null;
  readonly view: number;
  readonly seed: number;
  readonly chain: ChainEntry[];
}

export interface ExpandImageReport {
  readonly images: number;
  readonly written: number;
  readonly skipped: ImageSkip[];
  readonly skipCounts: Readonly<Record<ImageSkipReason, number>>;
  readonly manifest: string;
  readonly workers: number;
}

/** One source image's task, as sent to a worker. */
export interface ExpandTask {
  readonly index: number;
  readonly file: string;
  readonly source: string;
  readonly label: string | null;
}
export interface ExpandJobConfig {
  readonly spec: unknown;
  readonly outDir: string;
  readonly views: number;
  readonly seed: number;
  readonly decode: DecodeOptions;
}
export type ExpandTaskResult = { index: number; rows: ImageManifestRow[] } | { index: number; skip: ImageSkip };

/** Output path of view `view` of a source (relative, '/'-separated). */
export function viewPath(source: string, view: number): string {
  const ext = extname(source);
  return `${ext ? source.slice(0, -ext.length) : source}__v${view}.png`;
}

/** Decodes, augments, encodes and writes the views of one source (what each worker does). */
export async function expandOne(task: ExpandTask, job: ExpandJobConfig, pipeline = buildImagePipeline(job.spec)): Promise<ExpandTaskResult> {
  let image: Awaited<ReturnType<typeof decodeImage>>;
  try {
    image = await decodeImage(task.file, job.decode);
  } catch (e) {
    if (e instanceof ImageDecodeError) return { index: task.index, skip: { source: task.source, reason: e.reason, detail: e.message } };
    throw e;
  }
  const rows: ImageManifestRow[] = [];
  const run = new Rng(job.seed);
  for (let v = 0; v < job.views; v++) {
    // One split on a key naming source and view: nested splits on short keys can collide
    // (hashSeed xors the first key character into the seed's low byte).
    const [res] = pipeline.augment(image, {}, run.split(`${task.source}#${v}`));
    const file = viewPath(task.source, v);
    const out = join(job.outDir, file);
    mkdirSync(dirname(out), { recursive: true });
    writeFileAtomic(out, await encodePng(res!.output));
    rows.push({ file, source: task.source, label: task.label, view: v, seed: job.seed, chain: res!.chain });
  }
  return { index: task.index, rows };
}

/** Expands the images of `src` into `outDir` with an image pipeline spec (object; `family: image` optional). */
export async function expandImageFolder(src: string, outDir: string, spec: unknown, opts: ExpandImageOptions = {}): Promise<ExpandImageReport> {
  const views = opts.views ?? 1;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(views) || views < 1) throw new ConfigError(`views must be an integer ≥ 1, got ${views}`, { field: 'views' });
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`seed must be an integer ≥ 0, got ${seed}`, { field: 'seed' });
  const pipeline = buildImagePipeline(spec);
  if (pipeline.multiOutput) throw new ConfigError('image pipelines make one output per view; multi-output steps are not supported', { field: 'steps' });
  const progress = opts.progress ?? silentProgress;
  const listed = listImageFolder(src, opts.labels ?? 'subfolders');
  const tasks: ExpandTask[] = [];
  const skipped: ImageSkip[] = [];
  for (const j of listed) {
    if (j.className === null) skipped.push({ source: j.source, reason: 'unlabelled', detail: 'a file directly in the folder has no class sub-folder' });
    else tasks.push({ index: tasks.length, file: j.file, source: j.source, label: opts.labels === 'none' ? null : j.className });
  }
  const job: ExpandJobConfig = {
    spec: pipeline.spec,
    outDir,
    views,
    seed,
    decode: { channels: opts.channels ?? 3, ...(opts.maxPixels !== undefined ? { maxPixels: opts.maxPixels } : {}), ...(opts.resize ? { resize: opts.resize } : {}) },
  };
  mkdirSync(outDir, { recursive: true });
  const nWorkers = Math.max(0, Math.min(opts.workers ?? availableParallelism(), tasks.length));
  const results: ExpandTaskResult[] = new Array(tasks.length);
  let done = 0;
  let lastPct = -1;
  const tick = (): void => {
    done++;
    progress.step?.('augment-images: images', done, tasks.length);
    const pct = Math.floor((100 * done) / tasks.length);
    if (pct >= lastPct + 10 || done === tasks.length) {
      lastPct = pct;
      progress.line(`expand-images: ${done}/${tasks.length} images (${pct}%)`);
    }
  };
  if (nWorkers <= 1) {
    for (const t of tasks) {
      results[t.index] = await expandOne(t, job, pipeline);
      tick();
    }
  } else {
    await runPool(nWorkers, tasks, job, (r) => {
      results[r.index] = r;
      tick();
    });
  }
  const rows: ImageManifestRow[] = [];
  for (const r of results) {
    if ('skip' in r) skipped.push(r.skip);
    else rows.push(...r.rows);
  }
  skipped.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const manifest = join(outDir, 'manifest.jsonl');
  writeFileAtomic(manifest, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  if (opts.labels !== 'none') writeFileAtomic(join(outDir, 'labels.csv'), ['file,label', ...rows.map((r) => `${csvCell(r.file)},${csvCell(r.label ?? '')}`)].join('\n') + '\n');
  return { images: tasks.length, written: rows.length, skipped, skipCounts: skipCountsOf(skipped), manifest, workers: nWorkers <= 1 ? 0 : nWorkers };
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A worker on the compiled worker file, or — running from the TypeScript sources (tests, `npm run
 * cli`) — an eval worker that registers tsx first. Inherited --import flags are dropped there: a
 * second --import of a .ts file would run before tsx is registered in the new thread.
 */
function startWorker(url: URL, job: ExpandJobConfig): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: job });
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: job, execArgv: [] });
}

function runPool(n: number, tasks: readonly ExpandTask[], job: ExpandJobConfig, onResult: (r: ExpandTaskResult) => void): Promise<void> {
  const workerUrl = new URL(`./expand-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);
  return new Promise((resolvePool, rejectPool) => {
    let next = 0;
    let live = n;
    let failed = false;
    const workers: Worker[] = [];
    const feed = (w: Worker): void => {
      if (failed) return;
      if (next < tasks.length) w.postMessage({ task: tasks[next++] });
      else w.postMessage({ stop: true });
    };
    for (let i = 0; i < n; i++) {
      const w = startWorker(workerUrl, job);
      workers.push(w);
      w.on('message', (m: ExpandTaskResult | { error: string }) => {
        if ('error' in m) {
          failed = true;
          for (const o of workers) void o.terminate();
          rejectPool(new Error(`image expansion worker failed: ${m.error}`));
          return;
        }
        onResult(m);
        feed(w);
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        for (const o of workers) void o.terminate();
        rejectPool(e);
      });
      w.on('exit', () => {
        if (--live === 0 && !failed) resolvePool();
      });
      feed(w);
    }
  });
}
