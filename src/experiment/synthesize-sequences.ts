/**
 * `samplify synthesize <config>` for behaviour histories: read user sequences, fit a sequence
 * synthesizer (markov, autoregressive, vae) on whole histories, sample synthetic users and write
 * them with the original item ids (exact copies of a real history dropped, redrawn and counted) — as JSONL ({"user", "items"}) or seqtxt lines — plus the fitted
 * model, the id map it needs, an optional fidelity + privacy report against held-out real users, and
 * a provenance record written last (its presence says the run finished). Every file is written to a
 * temporary path and renamed.
 *
 * A table with an event-type column (`data.columns.eventType`: view, cart, purchase…) is learned
 * with its events by the synthesizers that model them (markov, autoregressive); the JSONL lines
 * then carry "events", and no synthetic history has an event transition the data lacks.
 */
import { basename, extname, resolve } from 'node:path';
import { z } from 'zod';
import { peakRssMiB, silentProgress, writeFileAtomic, writeJsonAtomic, type CancelToken, type ProgressReporter } from '../core/index.ts';
import { ConfigError } from '../core/index.ts';
import { DATA_FORMATS, INTERACTION_FORMATS, loadDataset, makeTrainView, readInteractions, saveIdMaps, type ColumnNames, type InteractionFormat, type ReadReport } from '../data/index.ts';
import { sequencePrivacyReport, sequenceQualityReport } from '../eval/index.ts';
import { createSequenceSynthesizer, eventSequencesFromTable, learnsEventTypes, SEQUENCE_SYNTHESIZERS, sequenceSynthesizers, synthesizerSpecSchema, type EventSequence, type EventSequenceSynthesizer } from '../synth/index.ts';
import { parseWithSchema, runEnvironment, runSettings } from './config.ts';
import { reportHoldout } from './holdout.ts';
import { reportRejections } from './read-summary.ts';

export const sequenceSynthesizeSchema = z
  .object({
    name: z.string().min(1).default('synthesize-sequences'),
    data: z
      .object({
        path: z.string().min(1),
        format: z.enum(DATA_FORMATS).default('seqtxt'),
        /** Column names of csv/tsv/jsonl/parquet interaction tables; eventType adds event types. */
        columns: z.object({ user: z.string().min(1), item: z.string().min(1), timestamp: z.string().min(1).optional(), eventType: z.string().min(1).optional() }).strict().optional(),
        /** Allowed event types in their funnel order (e.g. [view, cart, purchase]); other values are rejected rows. */
        eventTypes: z.array(z.string().min(1)).min(1).max(255).optional(),
      })
      .strict()
      .refine((d) => d.eventTypes === undefined || d.columns?.eventType !== undefined, { message: 'eventTypes needs columns.eventType', path: ['eventTypes'] })
      .refine((d) => !isInteractionFormat(d.format) || d.columns !== undefined, { message: 'this format needs columns { user, item, timestamp?, eventType? }', path: ['columns'] })
      .refine((d) => d.columns?.eventType === undefined || isInteractionFormat(d.format), { message: `event types are read from ${INTERACTION_FORMATS.join(', ')} tables`, path: ['format'] }),
    synthesizer: synthesizerSpecSchema(sequenceSynthesizers),
    seed: z.number().int().min(0).default(0),
    /** Synthetic users to write (default: as many as the real users the synthesizer fitted on). */
    histories: z.number().int().min(1).optional(),
    /** Output: .jsonl (one {"user", "items"} object per line) or .txt (seqtxt: user then items). */
    out: z.string().regex(/\.(jsonl|txt)$/i, 'must end in .jsonl or .txt'),
    /** Fitted model (default: <out>.model.json; a folder for the autoregressive synthesizer). */
    model: z.string().min(1).optional(),
    provenance: z.string().min(1).optional(),
    /**
     * Fidelity + privacy report (<out>.report.json): this share of the users is held out (seeded),
     * the synthesizer fits on the rest, and the synthetic users are compared with the fitted ones
     * (fidelity) and with both (privacy needs real users the model never saw).
     */
    report: z.object({ holdout: z.number().gt(0).lt(1).default(0.2) }).strict().optional(),
  })
  .strict()
  .refine((c) => c.data.columns?.eventType === undefined || /\.jsonl$/i.test(c.out), { message: 'histories with event types are written as JSONL: use an .jsonl path', path: ['out'] });

export type SequenceSynthesizeConfig = z.infer<typeof sequenceSynthesizeSchema>;

function isInteractionFormat(format: string): format is InteractionFormat {
  return (INTERACTION_FORMATS as readonly string[]).includes(format);
}

export function parseSequenceSynthesizeConfig(raw: unknown, file?: string): SequenceSynthesizeConfig {
  return parseWithSchema(sequenceSynthesizeSchema, raw, file);
}

/** True when a raw synthesize config names a sequence synthesizer (markov, autoregressive, vae). */
export function isSequenceSynthesizeConfig(raw: unknown): boolean {
  const name = (raw as { synthesizer?: { name?: unknown } } | null)?.synthesizer?.name;
  return typeof name === 'string' && (SEQUENCE_SYNTHESIZERS as readonly string[]).includes(name);
}

export interface SequenceSynthesizeOptions {
  readonly config: SequenceSynthesizeConfig;
  /** Folder that the relative data path is resolved against (the config file's). */
  readonly baseDir: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
}

export interface SequenceSynthesizeResult {
  readonly out: string;
  readonly model: string;
  readonly idMap: string;
  readonly provenance: string;
  readonly histories: number;
  /** Sampled histories equal to a real one, dropped (and redrawn) before writing. */
  readonly exactCopiesRemoved: number;
  readonly qualityReport?: string;
}

const stem = (p: string): string => p.slice(0, p.length - extname(p).length);

export async function runSequenceSynthesis(o: SequenceSynthesizeOptions): Promise<SequenceSynthesizeResult> {
  const c = o.config;
  const progress = o.progress ?? silentProgress;
  // Built first so a bad parameter fails before any reading.
  const synth = createSequenceSynthesizer(c.synthesizer.name, c.synthesizer.params);
  const modelPath = c.model ?? (c.synthesizer.name === 'autoregressive' ? `${stem(c.out)}.model` : `${stem(c.out)}.model.json`);
  const idMapPath = `${stem(c.out)}.ids.json`;
  const provenancePath = c.provenance ?? `${stem(c.out)}.provenance.json`;
  const dataPath = resolve(o.baseDir, c.data.path);
  let t = performance.now();
  progress.line(`reading ${c.data.path}`);
  const real = await readHistories(dataPath, c.data);
  const rep = real.report;
  progress.line(
    `read ${c.data.path}: ${rep.rowsIn} rows in = ${rep.rowsKept} kept + ${rep.rowsRejected} rejected; ${real.sequences.length} users, ${real.numItems} items` +
      (real.eventTypes ? `, event types ${real.eventTypes.join(' / ')}` : ''),
  );
  reportRejections(rep, progress);
  const readSeconds = (performance.now() - t) / 1000;
  const peakMiB: Record<string, number> = { read: peakRssMiB() };
  // With event types, the synthesizer must learn them; eventSynth is then the one to fit and sample.
  let eventSynth: EventSequenceSynthesizer | null = null;
  if (real.eventTypes) {
    if (!learnsEventTypes(synth)) throw new ConfigError(`synthesizer '${synth.name}' does not model event types; use markov or autoregressive, or drop data.columns.eventType`, { field: 'synthesizer.name' });
    eventSynth = synth;
  }

  const users = real.sequences.map((_, i) => i).filter((u) => real.sequences[u]!.items.length > 0);
  let fitUsers = users;
  let heldUsers: number[] = [];
  if (c.report) {
    const { kept, held } = reportHoldout(users.length, c.report.holdout, c.seed, 'non-empty histories');
    heldUsers = Array.from(held, (i) => users[i]!);
    fitUsers = Array.from(kept, (i) => users[i]!);
    progress.line(`report: ${heldUsers.length} users held out for the privacy baseline; fitting on ${fitUsers.length}`);
  }
  const fitHistories = fitUsers.map((u) => real.sequences[u]!);
  const fitSeqs = fitHistories.map((h) => h.items);
  t = performance.now();
  progress.line(`fitting ${synth.name} (seed ${c.seed})`);
  const fitOptions = { seed: c.seed, progress, checkpointDir: `${stem(modelPath)}.checkpoints`, ...(o.cancel ? { cancel: o.cancel } : {}) };
  const fit =
    eventSynth && real.eventTypes
      ? await eventSynth.fitEvents({ numItems: real.numItems, eventTypes: real.eventTypes, sequences: fitHistories }, fitOptions)
      : await synth.fit(makeTrainView(real.numItems, fitSeqs), fitOptions);
  const fitSeconds = (performance.now() - t) / 1000;
  peakMiB['fit'] = peakRssMiB();
  const n = c.histories ?? fitSeqs.length;
  t = performance.now();
  progress.line(`sampling ${n} synthetic users`);
  const draw = (k: number): SampledHistory[] => (eventSynth ? eventSynth.sampleWithEvents(k, { seed: c.seed }) : synth.sample(k, { seed: c.seed }).map((items) => ({ items, events: null })));
  const { histories: sampled, copiesRemoved } = sampleWithoutCopies(draw, n, fitHistories);
  const synthetic = sampled.map((h) => h.items);
  if (copiesRemoved > 0) progress.line(`${copiesRemoved} exact copies of a real history removed and redrawn`);
  if (synthetic.length < n) progress.line(`warning: only ${synthetic.length} of ${n} histories are not copies of a real one`);
  const sampleSeconds = (performance.now() - t) / 1000;
  peakMiB['sample'] = peakRssMiB();

  t = performance.now();
  const jsonl = /\.jsonl$/i.test(c.out);
  const lines = sampled.map((h, j) => {
    const user = `synthetic-${j + 1}`;
    const items = Array.from(h.items, (i) => real.itemIds[i]!);
    if (!jsonl) return [user, ...items].join(' ');
    return JSON.stringify(h.events && real.eventTypes ? { user, items, events: Array.from(h.events, (e) => real.eventTypes![e]!) } : { user, items });
  });
  writeFileAtomic(c.out, lines.join('\n') + (lines.length ? '\n' : ''));
  synth.save(modelPath);
  saveIdMaps({ name: real.name, checksum: real.checksum, userIds: real.userIds, itemIds: real.itemIds, ...(real.eventTypes ? { eventTypes: real.eventTypes } : {}) }, idMapPath);
  const writeSeconds = (performance.now() - t) / 1000;
  peakMiB['write'] = peakRssMiB();

  let reportPath: string | undefined;
  if (c.report) {
    progress.line('measuring fidelity and privacy');
    const held = heldUsers.map((u) => real.sequences[u]!.items);
    const quality = sequenceQualityReport(fitSeqs, synthetic, { seed: c.seed, numItems: real.numItems });
    const privacy = sequencePrivacyReport(fitSeqs, held, synthetic, { seed: c.seed, numItems: real.numItems, itemIds: real.itemIds });
    const events = real.eventTypes ? eventReport(real.eventTypes, fitHistories, sampled) : undefined;
    reportPath = `${stem(c.out)}.report.json`;
    writeJsonAtomic(reportPath, { kind: 'samplify-sequence-synthesis-report', holdoutShare: c.report.holdout, users: { fit: fitSeqs.length, holdout: held.length, synthetic: synthetic.length }, quality, privacy, ...(events ? { events } : {}) });
    if (events) progress.line(`event types: ${events.unseenTransitions} synthetic event transitions the fitted histories lack (0 is right); share TV distance ${events.shareTvDistance.toFixed(3)} (0 best)`);
    const det = 'detectionAuc' in quality.detection ? `${quality.detection.detectionAuc.trees.value.toFixed(3)} (trees; linear ${quality.detection.detectionAuc.linear.value.toFixed(3)})` : 'skipped';
    progress.line(
      `fidelity ${quality.overall.value.toFixed(3)} (higher is better), detection AUC ${det} (0.5 best); copies of a real history ${privacy.exactCopies.count}, membership-inference AUC ${privacy.membershipInference.auc.value.toFixed(3)} (0.5 safest)`,
    );
  }
  writeJsonAtomic(provenancePath, {
    kind: 'samplify-sequence-synthesis-provenance',
    name: c.name,
    config: c,
    seed: c.seed,
    settings: runSettings(),
    input: { path: c.data.path, checksum: real.checksum, rowsIn: rep.rowsIn, rowsKept: rep.rowsKept, rowsRejected: rep.rowsRejected, rejectedByCode: rep.rejectedByCode, users: real.sequences.length, items: real.numItems, ...(real.eventTypes ? { eventTypes: real.eventTypes } : {}) },
    synthesizer: { name: synth.name, params: c.synthesizer.params },
    fit: { seconds: fit.seconds, histories: fit.sequences, losses: fit.losses },
    sample: { requested: n, histories: synthetic.length, exactCopiesRemoved: copiesRemoved, interactions: synthetic.reduce((a, h) => a + h.length, 0) },
    outputs: { histories: c.out, model: modelPath, idMap: idMapPath, ...(reportPath ? { report: reportPath } : {}) },
    seconds: { read: readSeconds, fit: fitSeconds, sample: sampleSeconds, write: writeSeconds },
    // Peak resident memory of the process at the end of each stage (MiB; see src/core/memory.ts).
    peakRssMiB: { ...peakMiB, ...(reportPath ? { report: peakRssMiB() } : {}) },
    node: process.version,
    environment: runEnvironment(),
  });
  progress.line(`written: ${c.out}, ${modelPath}, ${idMapPath}, ${provenancePath}`);
  return { out: c.out, model: modelPath, idMap: idMapPath, provenance: provenancePath, histories: synthetic.length, exactCopiesRemoved: copiesRemoved, ...(reportPath ? { qualityReport: reportPath } : {}) };
}

/** Histories as read: dense item ids (1..numItems), with an event type per interaction when the table has them. */
interface RealHistories {
  readonly name: string;
  readonly checksum: string;
  readonly numItems: number;
  readonly itemIds: readonly string[];
  readonly userIds: readonly string[];
  readonly sequences: readonly EventSequence[];
  /** null: the data has no event types (every `events` array is then all 0). */
  readonly eventTypes: readonly string[] | null;
  readonly report: ReadReport;
}

async function readHistories(path: string, data: SequenceSynthesizeConfig['data']): Promise<RealHistories> {
  const columns = data.columns as ColumnNames | undefined;
  if (columns?.eventType !== undefined && isInteractionFormat(data.format)) {
    const { table, report } = await readInteractions(path, { format: data.format, columns, ...(data.eventTypes ? { eventTypes: [...data.eventTypes] } : {}) });
    const { data: ev, itemIds, userIds } = eventSequencesFromTable(table, data.eventTypes);
    return { name: stem(basename(path)), checksum: table.checksum, numItems: ev.numItems, itemIds, userIds, sequences: ev.sequences, eventTypes: ev.eventTypes, report };
  }
  const { dataset, report } = await loadDataset(path, data.format, columns ? { columns } : {});
  return {
    name: dataset.name,
    checksum: dataset.checksum,
    numItems: dataset.numItems,
    itemIds: dataset.itemIds,
    userIds: dataset.userIds,
    sequences: dataset.sequences.map((items) => ({ items, events: new Uint8Array(items.length) })),
    eventTypes: null,
    report,
  };
}

/** A sampled history; events null when the synthesizer was fitted without event types. */
interface SampledHistory {
  readonly items: Int32Array;
  readonly events: Uint8Array | null;
}

const historyKey = (items: Int32Array, events: Uint8Array | null): string => (events === null ? items.join(' ') : `${items.join(' ')}|${events.join(' ')}`);

/**
 * n histories none of which equals a real one (items, and events when sampled with them): sample,
 * skip copies, and sample further (history j depends only on seed → j, so a larger sample extends
 * the smaller one) for at most 8 rounds. copiesRemoved counts the copies skipped on the way to the n kept.
 */
function sampleWithoutCopies(draw: (k: number) => SampledHistory[], n: number, real: readonly EventSequence[]): { histories: SampledHistory[]; copiesRemoved: number } {
  const withEvents = new Set(real.map((h) => historyKey(h.items, h.events)));
  const itemsOnly = new Set(real.map((h) => historyKey(h.items, null)));
  let size = n;
  let kept: SampledHistory[] = [];
  let copies = 0;
  for (let round = 0; round < 8 && kept.length < n; round++) {
    kept = [];
    copies = 0;
    for (const h of draw(size)) {
      if (kept.length === n) break;
      if ((h.events === null ? itemsOnly : withEvents).has(historyKey(h.items, h.events))) copies++;
      else kept.push(h);
    }
    size += Math.max(16, 2 * (n - kept.length));
  }
  return { histories: kept, copiesRemoved: copies };
}

/** Event-type fidelity: transitions the fitted histories never have (should be 0) and the event-share distance. */
function eventReport(types: readonly string[], fitted: readonly EventSequence[], sampled: readonly SampledHistory[]): { types: readonly string[]; realShare: number[]; syntheticShare: number[]; shareTvDistance: number; unseenTransitions: number } {
  const E = types.length;
  const seen = new Uint8Array(E * E);
  const share = (hs: readonly (Uint8Array | null)[]): number[] => {
    const c = new Array<number>(E).fill(0);
    let total = 0;
    for (const ev of hs) if (ev) for (const e of ev) (c[e]! += 1), total++;
    return c.map((x) => (total > 0 ? x / total : 0));
  };
  for (const h of fitted) for (let t = 1; t < h.events.length; t++) seen[h.events[t - 1]! * E + h.events[t]!] = 1;
  let unseen = 0;
  for (const h of sampled) if (h.events) for (let t = 1; t < h.events.length; t++) if (seen[h.events[t - 1]! * E + h.events[t]!] === 0) unseen++;
  const realShare = share(fitted.map((h) => h.events));
  const syntheticShare = share(sampled.map((h) => h.events));
  const shareTvDistance = 0.5 * realShare.reduce((a, p, i) => a + Math.abs(p - syntheticShare[i]!), 0);
  return { types, realShare, syntheticShare, shareTvDistance, unseenTransitions: unseen };
}
