/**
 * Folders of images (JPEG, PNG, WebP, AVIF, GIF, TIFF — whatever libvips reads) with labels from
 * sub-folder names or a manifest CSV. Every regular file is tried (a file that is no image is a
 * counted 'unsupported-format' skip, never a silent omission); hidden files and the manifest
 * itself are not images. Files are visited in sorted order, so samples come out in the same order
 * on every machine.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { availableParallelism } from 'node:os';
import { DataValidationError } from '../../core/errors.ts';
import { splitRecord } from '../csv.ts';
import { decodeImage, ImageDecodeError, type DecodeOptions } from './decode.ts';
import { skipCountsOf, type ChannelCount, type ImageDataset, type ImageSample, type ImageSkip } from './types.ts';

export interface ImageFolderOptions extends DecodeOptions {
  /**
   * 'subfolders' (default): the first folder level under `dir` names the class; files directly in
   * `dir` are unlabelled skips. 'none': every image, label -1. `{ manifest }`: a CSV with header
   * `file,label` (paths relative to `dir`); only listed files are read, a listed file that is
   * missing is a DataValidationError naming its line.
   */
  readonly labels?: 'subfolders' | 'none' | { readonly manifest: string };
  /** Decodes in flight at once (default: available cores). */
  readonly concurrency?: number;
  /** Called after each file with (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (ent.name.startsWith('.')) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Relative path with '/' separators (stable across platforms; used as the sample's source). */
export function relativeSource(dir: string, file: string): string {
  return relative(dir, file).split(sep).join('/');
}

interface Job {
  file: string;
  source: string;
  className: string | null;
}

function manifestJobs(dir: string, manifest: string): Job[] {
  const path = resolve(dir, manifest);
  let text: string;
  try {
    text = readFileSync(path, 'utf-8');
  } catch (e) {
    throw new DataValidationError(`cannot read the label manifest (${(e as NodeJS.ErrnoException).code})`, { file: manifest });
  }
  const lines = text.split(/\r?\n/);
  const header = splitRecord(lines[0] ?? '', ',', '"').fields.map((h) => h.trim());
  const fi = header.indexOf('file');
  const li = header.indexOf('label');
  if (fi < 0 || li < 0) throw new DataValidationError(`the manifest header must name the columns 'file' and 'label', got ${JSON.stringify(header)}`, { file: manifest, line: 1 });
  const jobs: Job[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const f = splitRecord(lines[i]!, ',', '"').fields;
    const rel = f[fi]?.trim() ?? '';
    const label = f[li]?.trim() ?? '';
    if (rel === '') throw new DataValidationError('empty file name', { file: manifest, line: i + 1, field: 'file' });
    if (label === '') throw new DataValidationError(`no label for '${rel}'`, { file: manifest, line: i + 1, field: 'label' });
    const file = resolve(dir, rel);
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
    } catch {
      throw new DataValidationError(`'${rel}' is listed but is not a file under ${dir}`, { file: manifest, line: i + 1, field: 'file' });
    }
    jobs.push({ file, source: relativeSource(dir, file), className: label });
  }
  return jobs;
}

/** Lists the files a folder read would decode, with their class names (null: unlabelled). */
export function listImageFolder(dir: string, labels: ImageFolderOptions['labels'] = 'subfolders'): Job[] {
  try {
    if (!statSync(dir).isDirectory()) throw new Error();
  } catch {
    throw new DataValidationError('not a folder', { file: dir });
  }
  if (typeof labels === 'object') return manifestJobs(dir, labels.manifest);
  return listFiles(dir).map((file) => {
      const source = relativeSource(dir, file);
      const parts = source.split('/');
      return { file, source, className: labels === 'none' ? '' : parts.length > 1 ? parts[0]! : null };
    });
}

/** Reads a folder of images; unreadable files are counted skips with a reason. */
export async function readImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<ImageDataset> {
  const channels: ChannelCount = opts.channels ?? 3;
  const jobs = listImageFolder(dir, opts.labels ?? 'subfolders');
  const classNames = opts.labels === 'none' ? [] : [...new Set(jobs.map((j) => j.className).filter((c): c is string => c !== null))].sort();
  const classIndex = new Map(classNames.map((c, i) => [c, i]));
  const results: (ImageSample | ImageSkip)[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const k = next++;
      const job = jobs[k]!;
      results[k] = await readOne(job, opts, channels, classIndex);
      done++;
      opts.onProgress?.(done, jobs.length);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? availableParallelism(), jobs.length));
  await Promise.all(Array.from({ length: n }, worker));
  const samples: ImageSample[] = [];
  const skipped: ImageSkip[] = [];
  for (const r of results) if ('image' in r) samples.push(r);
  else skipped.push(r);
  return { samples, classNames, channels, skipped, skipCounts: skipCountsOf(skipped) };
}

async function readOne(job: Job, opts: DecodeOptions, channels: ChannelCount, classIndex: Map<string, number>): Promise<ImageSample | ImageSkip> {
  if (job.className === null) return { source: job.source, reason: 'unlabelled', detail: 'a file directly in the folder has no class sub-folder' };
  let bytes: Buffer;
  try {
    bytes = readFileSync(job.file);
  } catch (e) {
    return { source: job.source, reason: 'corrupt', detail: `cannot read (${(e as NodeJS.ErrnoException).code})` };
  }
  if (bytes.length === 0) return { source: job.source, reason: 'zero-byte', detail: 'the file is empty' };
  try {
    const image = await decodeImage(bytes, { ...opts, channels });
    return { image, label: job.className === '' ? -1 : classIndex.get(job.className)!, source: job.source };
  } catch (e) {
    if (e instanceof ImageDecodeError) return { source: job.source, reason: e.reason, detail: e.message };
    throw e;
  }
}
