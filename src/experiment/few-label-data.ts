/**
 * The modality half of the few-label experiment (src/experiment/few-label.ts owns the protocol):
 * how images and product titles are read into one shape — a pool of labelled examples from which
 * the k-per-class labelled sets and the validation sets are drawn, and a fixed test set — and the
 * per-modality config pieces (data blocks and classifier schemas).
 *
 * Every example has a `key` unique across pool and test (an image's source, a title's product id)
 * and a `content` string that says when two examples are the same thing (a hash of the image's
 * pixels, a title's normalised text); the leakage guard compares keys for what goes into an
 * expansion and contents for what comes out of one.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DataValidationError, refineWith, Rng, type ProgressReporter } from '../core/index.ts';
import { FASHION_MNIST_CLASSES, readIdx, readImageFolder, readProductTitles, type ImageDataset, type ImageTensor } from '../data/index.ts';
import { imageCnnConfigSchema, titleClassifierConfigSchema } from '../models/index.ts';

// ------------------------------------------------------------------ config pieces

/** One source of labelled images: an IDX image file with its IDX label file, or a folder with one sub-folder per class. */
export const imageSourceSchema = z
  .object({
    /** IDX3 image file (optionally gzipped), relative to the config. */
    idx: z.string().min(1).optional(),
    /** IDX1 label file belonging to `idx`. */
    labels: z.string().min(1).optional(),
    /** Read only the first `limit` images of the IDX file. */
    limit: z.number().int().min(1).optional(),
    /** A folder of images, the first folder level naming the class (src/data/images/folder.ts). */
    folder: z.string().min(1).optional(),
    /** Channels a folder's images are decoded to. */
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.idx === undefined) === (s.folder === undefined)) ctx.addIssue({ code: 'custom', message: 'name exactly one of idx (with labels) or folder', path: ['idx'] });
    if (s.idx !== undefined && s.labels === undefined) ctx.addIssue({ code: 'custom', message: 'an IDX image file needs its IDX label file (labels)', path: ['labels'] });
    if (s.folder !== undefined && (s.labels !== undefined || s.limit !== undefined)) ctx.addIssue({ code: 'custom', message: 'labels and limit belong to an IDX source; a folder takes its labels from sub-folders', path: [s.labels !== undefined ? 'labels' : 'limit'] });
    if (s.idx !== undefined && s.channels !== undefined) ctx.addIssue({ code: 'custom', message: 'channels is for folders; IDX images are one-channel', path: ['channels'] });
  });
export type ImageSource = z.infer<typeof imageSourceSchema>;

export const imagesDataSchema = z
  .object({
    kind: z.literal('images'),
    /** The training part: labelled and validation examples are drawn from it per seed. */
    train: imageSourceSchema,
    /** The fixed test set. Without it, `testPerClass` images per class are drawn once (splitSeed) from `train` and never used for anything else. */
    test: imageSourceSchema.optional(),
    /** At most this many test images per class (drawn once with splitSeed); required when there is no `test` source. */
    testPerClass: z.number().int().min(1).optional(),
    /** Class names of IDX labels: 'fashion-mnist' or a list in label order (default: the label numbers). */
    classNames: z.union([z.literal('fashion-mnist'), z.array(z.string().min(1)).min(2)]).optional(),
    splitSeed: z.number().int().min(0).default(0),
  })
  .strict()
  .refine((d) => d.test !== undefined || d.testPerClass !== undefined, { message: 'without a test source, testPerClass says how many images per class are held out as the fixed test set', path: ['testPerClass'] });

export const titlesDataSchema = z
  .object({
    kind: z.literal('titles'),
    /** The PriceRunner product CSV (pricerunner_aggregate.csv, no header). */
    path: z.string().min(1),
    /**
     * Share of product clusters held out as the fixed test set. Offers of one cluster are
     * paraphrases of each other, so test, labelled and validation titles never share a cluster.
     */
    testClusters: z.number().gt(0).lt(1).default(0.2),
    /** Keep only these categories (default: all). */
    classes: z.array(z.string().min(1)).min(2).optional(),
    /** At most this many test titles per class (drawn once with splitSeed). */
    testPerClass: z.number().int().min(1).optional(),
    splitSeed: z.number().int().min(0).default(12345),
  })
  .strict();

export type ImagesDataConfig = z.infer<typeof imagesDataSchema>;
export type TitlesDataConfig = z.infer<typeof titlesDataSchema>;

/**
 * The data block: `kind` picks the schema the rest is checked against (not a zod union, so an
 * unknown key is reported with the allowed keys of its own kind only).
 */
export const fewLabelDataSchema = z
  .object({ kind: z.enum(['images', 'titles']) })
  .loose()
  .superRefine((d, ctx) => refineWith(d.kind === 'images' ? imagesDataSchema : titlesDataSchema, d, ctx, []))
  .transform((d): ImagesDataConfig | TitlesDataConfig => (d.kind === 'images' ? imagesDataSchema.parse(d) : titlesDataSchema.parse(d)));
export type FewLabelDataConfig = z.infer<typeof fewLabelDataSchema>;

/**
 * The CNN of the image arms (src/models/image/cnn-classifier.ts) with few-label defaults: more
 * epochs and patience than the model's own, and a batch that is by default a fifth of the
 * training images clamped to 8…64 (few labels make tiny epochs; this keeps ≥ 5 steps per epoch).
 */
export const fewLabelCnnSchema = imageCnnConfigSchema.extend({
  maxEpochs: z.number().int().gte(1).default(60),
  patience: z.number().int().gte(0).default(10),
  batchSize: z.number().int().gte(1).optional(),
});
export type FewLabelCnnConfig = z.infer<typeof fewLabelCnnSchema>;
export const fewLabelTitleSchema = titleClassifierConfigSchema;

/** The CNN's batch for n training images when the config names none. */
export function autoBatchSize(n: number): number {
  return Math.max(8, Math.min(64, Math.floor(n / 5)));
}

// ------------------------------------------------------------------ the data, one shape for both

export interface FewLabelExample<X> {
  /** Unique across pool and test. */
  readonly key: string;
  readonly x: X;
  readonly label: number;
  /** Examples of one group are near-copies (a title's product cluster): labelled and validation examples never share one. */
  readonly group?: string;
}

export interface FewLabelData<X> {
  readonly modality: 'images' | 'titles';
  readonly classNames: readonly string[];
  /** The training part: every labelled and validation example is drawn from it. */
  readonly pool: readonly FewLabelExample<X>[];
  readonly test: readonly FewLabelExample<X>[];
  /** Identity of the data and split (a hash); part of every unit's fingerprint. */
  readonly fingerprint: string;
  /** What results.json records about the data (paths as the config wrote them: results stay byte-identical across checkouts). */
  readonly summary: Record<string, unknown>;
  /** When two examples are the same thing (pixel hash, normalised title). */
  content(x: X): string;
}

export type ImageData = FewLabelData<ImageTensor>;
export type TitleData = FewLabelData<string>;

function sha1(parts: Iterable<string | Uint8Array>): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

export function imageContent(im: ImageTensor): string {
  return sha1([`${im.width}x${im.height}x${im.channels}:`, im.data]);
}

/** A title as the guard compares it: case, spacing and Unicode forms do not make a new title. */
export function titleContent(title: string): string {
  return title.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** `perClass` indices per class from `indices` (by label), drawn with `rng`; the rest in their order. */
function drawPerClass(labels: ArrayLike<number>, indices: readonly number[], numClasses: number, perClass: number, rng: Rng): { drawn: number[]; rest: number[] } {
  const drawn = new Set<number>();
  for (let c = 0; c < numClasses; c++) {
    const members = indices.filter((i) => labels[i] === c);
    rng.split(c).shuffle(members);
    for (const i of members.slice(0, perClass)) drawn.add(i);
  }
  return { drawn: indices.filter((i) => drawn.has(i)), rest: indices.filter((i) => !drawn.has(i)) };
}

async function readImageSource(s: ImageSource, baseDir: string, classNames: ImagesDataConfig['classNames'], field: string): Promise<ImageDataset & { file: string }> {
  if (s.idx !== undefined) {
    const names = classNames === 'fashion-mnist' ? FASHION_MNIST_CLASSES : classNames;
    const file = resolve(baseDir, s.idx);
    const ds = readIdx(file, resolve(baseDir, s.labels!), { ...(names ? { classNames: names } : {}), ...(s.limit !== undefined ? { limit: s.limit } : {}) });
    return { ...ds, file };
  }
  const file = resolve(baseDir, s.folder!);
  const ds = await readImageFolder(file, { labels: 'subfolders', channels: s.channels ?? 3 });
  if (ds.samples.length === 0) throw new DataValidationError(`no readable labelled image in the folder (${Object.entries(ds.skipCounts).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ') || 'empty'})`, { file, field });
  return { ...ds, file };
}

/** Reads the image data of a few-label config: the pool (train source minus a carved test set) and the fixed test set. */
export async function readFewLabelImages(d: ImagesDataConfig, baseDir: string, progress: ProgressReporter): Promise<ImageData> {
  const train = await readImageSource(d.train, baseDir, d.classNames, 'data.train');
  const testSrc = d.test ? await readImageSource(d.test, baseDir, d.classNames, 'data.test') : null;
  for (const [ds, field] of [[train, 'data.train'], ...(testSrc ? [[testSrc, 'data.test'] as const] : [])] as const) {
    const skipped = ds.skipped.length;
    if (skipped > 0) progress.line(`${ds.file}: ${skipped} file(s) skipped (${Object.entries(ds.skipCounts).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ')})`);
    const first = ds.samples[0];
    if (!first) throw new DataValidationError('no labelled image', { file: ds.file, field });
    const bad = ds.samples.find((s) => s.image.width !== first.image.width || s.image.height !== first.image.height || s.image.channels !== first.image.channels);
    if (bad) throw new DataValidationError(`image ${bad.source} is ${bad.image.width}×${bad.image.height}×${bad.image.channels}, the first one ${first.image.width}×${first.image.height}×${first.image.channels}: the classifier needs one size`, { file: ds.file, field });
  }
  if (testSrc && testSrc.classNames.join('\u0000') !== train.classNames.join('\u0000')) throw new DataValidationError(`the test classes (${testSrc.classNames.join(', ')}) differ from the training classes (${train.classNames.join(', ')})`, { file: testSrc.file, field: 'data.test' });
  const numClasses = train.classNames.length;
  const example = (s: ImageDataset['samples'][number]): FewLabelExample<ImageTensor> => ({ key: s.source, x: s.image, label: s.label, });
  const labels = train.samples.map((s) => s.label);
  const all = Array.from(train.samples.keys());
  let poolIdx = all;
  let test: FewLabelExample<ImageTensor>[];
  const splitRng = new Rng(d.splitSeed).split('few-label test');
  if (testSrc) {
    const tIdx = Array.from(testSrc.samples.keys());
    const kept = d.testPerClass !== undefined ? drawPerClass(testSrc.samples.map((s) => s.label), tIdx, numClasses, d.testPerClass, splitRng).drawn : tIdx;
    test = kept.map((i) => example(testSrc.samples[i]!));
  } else {
    const { drawn, rest } = drawPerClass(labels, all, numClasses, d.testPerClass!, splitRng);
    test = drawn.map((i) => example(train.samples[i]!));
    poolIdx = rest;
  }
  const pool = poolIdx.map((i) => example(train.samples[i]!));
  const keys = new Set<string>();
  for (const e of [...pool, ...test]) {
    if (keys.has(e.key)) throw new DataValidationError(`image '${e.key}' is both in the training part and in the test set (or twice in one): name distinct files`, { file: train.file, field: 'data' });
    keys.add(e.key);
  }
  const shape = `${pool[0]!.x.width}x${pool[0]!.x.height}x${pool[0]!.x.channels}`;
  const fingerprint = sha1(
    (function* () {
      yield `images ${shape} ${train.classNames.join('\u0000')}\n`;
      for (const [part, xs] of [['pool', pool], ['test', test]] as const) {
        yield `${part}\n`;
        for (const e of xs) {
          yield `${e.key}\u0000${e.label}\n`;
          yield e.x.data;
        }
      }
    })(),
  );
  return {
    modality: 'images',
    classNames: train.classNames,
    pool,
    test,
    fingerprint,
    summary: { kind: 'images', trainSource: d.train.idx ?? d.train.folder, ...(d.test ? { testSource: d.test.idx ?? d.test.folder } : {}), shape, classes: numClasses, pool: pool.length, test: test.length, skipped: train.skipped.length + (testSrc?.skipped.length ?? 0), fingerprint },
    content: imageContent,
  };
}

/** Reads PriceRunner titles: a cluster-disjoint fixed test set (testClusters of the clusters, splitSeed), the rest the pool. */
export async function readFewLabelTitles(d: TitlesDataConfig, baseDir: string, progress: ProgressReporter): Promise<TitleData> {
  const file = resolve(baseDir, d.path);
  const read = await readProductTitles(file);
  const r = read.report;
  if (r.rowsRejected > 0) progress.line(`${file}: ${r.rowsRejected} of ${r.rowsIn} rows rejected (${Object.entries(r.rejectedByCode).map(([k, n]) => `${n} ${k}`).join(', ')})`);
  let classNames = [...read.categories];
  if (d.classes) {
    const missing = d.classes.filter((c) => !read.categories.includes(c));
    if (missing.length) throw new DataValidationError(`categor${missing.length > 1 ? 'ies' : 'y'} ${missing.map((m) => `'${m}'`).join(', ')} not in the data (it has: ${read.categories.join(', ')})`, { file, field: 'data.classes' });
    classNames = [...d.classes].sort();
  }
  const labelOf = new Map(classNames.map((c, i) => [c, i]));
  const titles = read.titles.filter((t) => labelOf.has(t.category));
  const clusters = [...new Set(titles.map((t) => t.clusterId))].sort();
  new Rng(d.splitSeed).split('few-label test clusters').shuffle(clusters);
  const testClusters = new Set(clusters.slice(0, Math.round(clusters.length * d.testClusters)));
  const example = (t: (typeof titles)[number]): FewLabelExample<string> => ({ key: t.productId, x: t.title, label: labelOf.get(t.category)!, group: t.clusterId });
  const pool = titles.filter((t) => !testClusters.has(t.clusterId)).map(example);
  let test = titles.filter((t) => testClusters.has(t.clusterId)).map(example);
  if (d.testPerClass !== undefined) {
    const { drawn } = drawPerClass(test.map((e) => e.label), Array.from(test.keys()), classNames.length, d.testPerClass, new Rng(d.splitSeed).split('few-label test'));
    test = drawn.map((i) => test[i]!);
  }
  const fingerprint = sha1([`titles ${read.checksum} ${JSON.stringify({ testClusters: d.testClusters, classes: classNames, testPerClass: d.testPerClass ?? null, splitSeed: d.splitSeed })}`]);
  return {
    modality: 'titles',
    classNames,
    pool,
    test,
    fingerprint,
    summary: { kind: 'titles', file: d.path, rowsIn: r.rowsIn, rowsKept: r.rowsKept, rowsRejected: r.rowsRejected, classes: classNames.length, clusters: clusters.length, testClusters: testClusters.size, pool: pool.length, test: test.length, checksum: read.checksum, fingerprint },
    content: titleContent,
  };
}

/**
 * The labelled and validation examples of one (k, seed): k per class, then `validPerClass` per
 * class from the rest of the pool, avoiding the groups (clusters) of the labelled examples. Drawn
 * from the seed and k only, so every arm of a (k, seed) sees the same examples.
 */
export function drawFewLabel<X>(data: FewLabelData<X>, k: number, validPerClass: number, seed: number): { labelled: FewLabelExample<X>[]; valid: FewLabelExample<X>[] } {
  const rng = new Rng(seed).split('few-label draw').split(k);
  const labels = data.pool.map((e) => e.label);
  const all = Array.from(data.pool.keys());
  const { drawn, rest } = drawPerClass(labels, all, data.classNames.length, k, rng.split('labelled'));
  const groups = new Set(drawn.map((i) => data.pool[i]!.group).filter((g) => g !== undefined));
  const candidates = rest.filter((i) => data.pool[i]!.group === undefined || !groups.has(data.pool[i]!.group!));
  const valid = drawPerClass(labels, candidates, data.classNames.length, validPerClass, rng.split('valid')).drawn;
  const labelled = drawn.map((i) => data.pool[i]!);
  for (let c = 0; c < data.classNames.length; c++) {
    const n = labelled.filter((e) => e.label === c).length;
    if (n < k) throw new DataValidationError(`class '${data.classNames[c]}' has ${n} training examples, fewer than k = ${k}`, { field: 'ks' });
    const v = valid.filter((i) => labels[i] === c).length;
    if (v < validPerClass) throw new DataValidationError(`class '${data.classNames[c]}' has ${v} validation examples left after drawing k = ${k} (validPerClass asks for ${validPerClass}${data.pool.some((e) => e.group !== undefined) ? ', from clusters no labelled example is in' : ''})`, { field: 'validPerClass' });
  }
  return { labelled, valid: valid.map((i) => data.pool[i]!) };
}
