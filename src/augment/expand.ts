/**
 * Offline expansion: run a pipeline over every training user, `views` times each.
 *
 * Determinism: the sample (user u, view v) draws only from `new Rng(seed).split(`${u}:${v}`)`, so
 * its output depends on (seed, u, v, pipeline, context) and nothing else — not on iteration order,
 * chunking, or which other users are expanded. Same seed → byte-identical files.
 */
import { ConfigError } from '../core/errors.ts';
import { AtomicFileWriter } from '../core/fsutil.ts';
import { Rng } from '../core/rng.ts';
import type { TrainView } from '../data/types.ts';
import { makeTrainView } from '../data/split.ts';
import type { Pipeline } from './pipeline.ts';
import type { AugmentContext, ChainEntry } from './types.ts';
import type { ItemSimilarity } from './similarity.ts';
import type { ItemAttributes } from './attributes.ts';

export interface ExpandOptions {
  /** Augmented views per user (≥ 1). */
  views: number;
  seed: number;
  /**
   * Fitted on this same training view (fitItemSimilarity(train, …)); required by insert/substitute
   * unless the pipeline declares `resources.similarity` and was bound to `train` (loadPipeline(…, {train})).
   */
  similarity?: ItemSimilarity;
  attributes?: ItemAttributes;
  /** Only these users (default: train.users(), i.e. every user with training items). */
  users?: readonly number[];
}

export interface ExpandedSample {
  /** Dense index of the training user the sample was made from. */
  readonly sourceUser: number;
  readonly view: number;
  /** 0 unless the pipeline ends in a multi-output step (then 0, 1, … per output). */
  readonly part: number;
  readonly items: Int32Array;
  readonly chain: ChainEntry[];
}

function checkOptions(train: TrainView, opts: ExpandOptions): void {
  if (!Number.isInteger(opts.views) || opts.views < 1) throw new ConfigError(`'views' must be an integer ≥ 1, got ${opts.views}`, { field: 'views' });
  if (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed)) throw new ConfigError(`'seed' must be a finite number, got ${opts.seed}`, { field: 'seed' });
  if (opts.users) for (const u of opts.users) if (!Number.isInteger(u) || u < 0 || u >= train.numUsers) throw new ConfigError(`user ${u} is outside 0..${train.numUsers - 1}`, { field: 'users' });
}


/**
 * Streams augmented samples, user by user (train.users() order), views 0..views-1 each. Options,
 * pipeline and context are validated when this is called — before the first sample — so a bad
 * config fails fast; samples are produced lazily as the iterable is consumed (nothing buffered).
 */
export function expandSequences(train: TrainView, pipeline: Pipeline, opts: ExpandOptions): Iterable<ExpandedSample> {
  checkOptions(train, opts);
  const ctx: AugmentContext = pipeline.contextFor(train, { ...(opts.similarity ? { similarity: opts.similarity } : {}), ...(opts.attributes ? { attributes: opts.attributes } : {}) });
  pipeline.validate(ctx);
  const users = opts.users ? [...opts.users] : train.users();
  const { views } = opts;
  const root = new Rng(opts.seed);
  return {
    *[Symbol.iterator]() {
      for (const u of users) {
        const seq = train.sequence(u);
        if (seq.length === 0) continue;
        for (let v = 0; v < views; v++) {
          const outs = pipeline.run(seq, ctx, root.split(`${u}:${v}`));
          for (let k = 0; k < outs.length; k++) yield { sourceUser: u, view: v, part: k, items: outs[k]!.items, chain: outs[k]!.chain };
        }
      }
    },
  };
}

export interface ExpandTrainViewOptions extends ExpandOptions {
  /** Keep the original training sequences as users 0..numUsers-1 (default true). */
  keepOriginal?: boolean;
  /**
   * The TrainView contract is ids 1..numItems, and our models embed nothing else, so a pipeline
   * that can emit the mask token numItems+1 is refused ('reject', default) unless asked to
   * 'strip' the mask tokens (then a sample left without items is dropped).
   */
  maskToken?: 'reject' | 'strip';
}

/** What expandTrainView made, for reports. */
export interface ExpandedTrainView {
  readonly train: TrainView;
  /** sourceUser[k] = the original user behind user numUsers + k (the augmented pseudo-users). */
  readonly sourceUser: Int32Array;
  /** Samples dropped because stripping the mask token left them empty. */
  readonly dropped: number;
}

/**
 * Originals (users 0..numUsers-1; empty when keepOriginal is false, so user indexes keep meaning
 * the same users) followed by one pseudo-user per augmented sample, in expandSequences order.
 */
export function expandTrainViewDetailed(train: TrainView, pipeline: Pipeline, opts: ExpandTrainViewOptions): ExpandedTrainView {
  const strip = (opts.maskToken ?? 'reject') === 'strip';
  if (opts.maskToken !== undefined && opts.maskToken !== 'reject' && opts.maskToken !== 'strip') throw new ConfigError(`'maskToken' must be 'reject' or 'strip', got ${JSON.stringify(opts.maskToken)}`, { field: 'maskToken' });
  const maskSteps = pipeline.maskSteps();
  if (!strip && maskSteps.length > 0)
    throw new ConfigError(`${maskSteps[0]}: emits the mask token ${train.numItems + 1}, which a TrainView (ids 1..${train.numItems}) cannot hold; write the expansion with writeExpansionJsonl for a model with a mask embedding, or pass maskToken: 'strip'`, { field: 'maskToken' });
  const keep = opts.keepOriginal ?? true;
  const seqs: Int32Array[] = [];
  for (let u = 0; u < train.numUsers; u++) seqs.push(keep ? train.sequence(u) : new Int32Array(0));
  const src: number[] = [];
  let dropped = 0;
  const n = train.numItems;
  for (const s of expandSequences(train, pipeline, opts)) {
    let items = s.items;
    if (strip) {
      let m = 0;
      for (let i = 0; i < items.length; i++) if (items[i]! <= n) m++;
      if (m !== items.length) {
        const out = new Int32Array(m);
        for (let i = 0, o = 0; i < items.length; i++) if (items[i]! <= n) out[o++] = items[i]!;
        items = out;
      }
      if (items.length === 0) {
        dropped++;
        continue;
      }
    }
    seqs.push(items);
    src.push(s.sourceUser);
  }
  return { train: makeTrainView(n, seqs), sourceUser: Int32Array.from(src), dropped };
}

/** The expanded TrainView alone (see expandTrainViewDetailed). */
export function expandTrainView(train: TrainView, pipeline: Pipeline, opts: ExpandTrainViewOptions): TrainView {
  return expandTrainViewDetailed(train, pipeline, opts).train;
}

export interface JsonlOptions {
  /** Dense → external item ids (dataset.itemIds). The mask token is written as "<mask>". */
  itemIds: readonly string[];
  /** Dense → external user ids (dataset.userIds); without it source_user is the dense index. */
  userIds?: readonly string[];
}

export interface JsonlReport {
  path: string;
  samples: number;
  bytes: number;
}

/**
 * Writes one JSON object per line:
 *   {"source_user":"<ext>","view":0,"part":0,"items":["<ext>",…],"chain":[{"op":"crop","params":{…}}]}
 * (`part` only for multi-output pipelines), to a temp file beside `path`, renamed into place when
 * complete — a crash leaves no partial file, and a killed run's temp is removed by the next write
 * of `path`. Lines are written as they are produced (buffered), so memory stays flat whatever the
 * size of the expansion.
 */
export async function writeExpansionJsonl(stream: Iterable<ExpandedSample> | AsyncIterable<ExpandedSample>, path: string, opts: JsonlOptions): Promise<JsonlReport> {
  const { itemIds, userIds } = opts;
  const numItems = itemIds.length - 1;
  const out = new AtomicFileWriter(path);
  let samples = 0;
  try {
    for await (const s of stream as AsyncIterable<ExpandedSample>) {
      const items = new Array<string>(s.items.length);
      for (let i = 0; i < s.items.length; i++) {
        const it = s.items[i]!;
        items[i] = it >= 1 && it <= numItems ? itemIds[it]! : it === numItems + 1 ? '<mask>' : String(it);
      }
      const user = userIds ? userIds[s.sourceUser] : s.sourceUser;
      if (user === undefined) throw new RangeError(`source user ${s.sourceUser} has no external id`);
      const rec = s.part > 0 || s.chain.some((c) => c.op === 'prefixes') ? { source_user: user, view: s.view, part: s.part, items, chain: s.chain } : { source_user: user, view: s.view, items, chain: s.chain };
      out.write(JSON.stringify(rec) + '\n');
      samples++;
    }
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  const bytes = out.bytes;
  return { path, samples, bytes };
}
