/**
 * `samplify synthesize <config>` for behaviour histories: read user sequences, fit a sequence
 * synthesizer (markov, autoregressive, vae) on whole histories, sample synthetic users and write
 * them with the original item ids (exact copies of a real history dropped, redrawn and counted) — as JSONL ({"user", "items"}) or seqtxt lines — plus the fitted
 * model, the id map it needs, an optional fidelity + privacy report against held-out real users, and
 * a provenance record written last (its presence says the run finished). Every file is written to a
 * temporary path and renamed.
 */
import { extname, resolve } from 'node:path';
import { z } from 'zod';
import { silentProgress, writeFileAtomic, writeJsonAtomic, type CancelToken, type ProgressReporter } from '../core/index.ts';
import { DATA_FORMATS, loadDataset, makeTrainView, saveIdMaps } from '../data/index.ts';
import { sequencePrivacyReport, sequenceQualityReport } from '../eval/index.ts';
import { createSequenceSynthesizer, SEQUENCE_SYNTHESIZERS, type SequenceSynthesizer } from '../synth/index.ts';
import { parseWithSchema } from './config.ts';
import { reportHoldout } from './holdout.ts';

export const sequenceSynthesizeSchema = z
  .object({
    name: z.string().min(1).default('synthesize-sequences'),
    data: z.object({ path: z.string().min(1), format: z.enum(DATA_FORMATS).default('seqtxt') }).strict(),
    synthesizer: z.object({ name: z.enum(SEQUENCE_SYNTHESIZERS), params: z.record(z.string(), z.unknown()).default({}) }).strict(),
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
  .strict();

export type SequenceSynthesizeConfig = z.infer<typeof sequenceSynthesizeSchema>;

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
  const { dataset, report: rep } = await loadDataset(dataPath, c.data.format);
  progress.line(`read ${c.data.path}: ${rep.rowsIn} rows in = ${rep.rowsKept} kept + ${rep.rowsRejected} rejected; ${dataset.sequences.length} users, ${dataset.numItems} items`);
  const readSeconds = (performance.now() - t) / 1000;

  const users = dataset.sequences.map((_, i) => i).filter((u) => dataset.sequences[u]!.length > 0);
  let fitUsers = users;
  let heldUsers: number[] = [];
  if (c.report) {
    const { kept, held } = reportHoldout(users.length, c.report.holdout, c.seed, 'non-empty histories');
    heldUsers = Array.from(held, (i) => users[i]!);
    fitUsers = Array.from(kept, (i) => users[i]!);
    progress.line(`report: ${heldUsers.length} users held out for the privacy baseline; fitting on ${fitUsers.length}`);
  }
  const fitSeqs = fitUsers.map((u) => dataset.sequences[u]!);
  t = performance.now();
  progress.line(`fitting ${synth.name} (seed ${c.seed})`);
  const fit = await synth.fit(makeTrainView(dataset.numItems, fitSeqs), { seed: c.seed, progress, ...(o.cancel ? { cancel: o.cancel } : {}) });
  const fitSeconds = (performance.now() - t) / 1000;
  const n = c.histories ?? fitSeqs.length;
  t = performance.now();
  progress.line(`sampling ${n} synthetic users`);
  const { histories: synthetic, copiesRemoved } = sampleWithoutCopies(synth, n, c.seed, fitSeqs);
  if (copiesRemoved > 0) progress.line(`${copiesRemoved} exact copies of a real history removed and redrawn`);
  if (synthetic.length < n) progress.line(`warning: only ${synthetic.length} of ${n} histories are not copies of a real one`);
  const sampleSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const jsonl = /\.jsonl$/i.test(c.out);
  const lines = synthetic.map((h, j) => {
    const user = `synthetic-${j + 1}`;
    const items = Array.from(h, (i) => dataset.itemIds[i]!);
    return jsonl ? JSON.stringify({ user, items }) : [user, ...items].join(' ');
  });
  writeFileAtomic(c.out, lines.join('\n') + (lines.length ? '\n' : ''));
  synth.save(modelPath);
  saveIdMaps(dataset, idMapPath);
  const writeSeconds = (performance.now() - t) / 1000;

  let reportPath: string | undefined;
  if (c.report) {
    progress.line('measuring fidelity and privacy');
    const held = heldUsers.map((u) => dataset.sequences[u]!);
    const quality = sequenceQualityReport(fitSeqs, synthetic, { seed: c.seed, numItems: dataset.numItems });
    const privacy = sequencePrivacyReport(fitSeqs, held, synthetic, { seed: c.seed, numItems: dataset.numItems });
    reportPath = `${stem(c.out)}.report.json`;
    writeJsonAtomic(reportPath, { kind: 'samplify-sequence-synthesis-report', holdoutShare: c.report.holdout, users: { fit: fitSeqs.length, holdout: held.length, synthetic: synthetic.length }, quality, privacy });
    const det = 'detectionAUC' in quality.detection ? quality.detection.detectionAUC.value.toFixed(3) : 'skipped';
    progress.line(
      `fidelity ${quality.overall.value.toFixed(3)} (higher is better), detection AUC ${det} (0.5 best); copies of a real history ${privacy.exactCopies.count}, membership-inference AUC ${privacy.membershipInference.auc.value.toFixed(3)} (0.5 safest)`,
    );
  }
  writeJsonAtomic(provenancePath, {
    kind: 'samplify-sequence-synthesis-provenance',
    name: c.name,
    config: c,
    seed: c.seed,
    input: { path: c.data.path, checksum: dataset.checksum, rowsIn: rep.rowsIn, rowsKept: rep.rowsKept, rowsRejected: rep.rowsRejected, rejectedByCode: rep.rejectedByCode, users: dataset.sequences.length, items: dataset.numItems },
    synthesizer: { name: synth.name, params: c.synthesizer.params },
    fit: { seconds: fit.seconds, histories: fit.sequences, losses: fit.losses },
    sample: { requested: n, histories: synthetic.length, exactCopiesRemoved: copiesRemoved, interactions: synthetic.reduce((a, h) => a + h.length, 0) },
    outputs: { histories: c.out, model: modelPath, idMap: idMapPath, ...(reportPath ? { report: reportPath } : {}) },
    seconds: { read: readSeconds, fit: fitSeconds, sample: sampleSeconds, write: writeSeconds },
    node: process.version,
  });
  progress.line(`written: ${c.out}, ${modelPath}, ${idMapPath}, ${provenancePath}`);
  return { out: c.out, model: modelPath, idMap: idMapPath, provenance: provenancePath, histories: synthetic.length, exactCopiesRemoved: copiesRemoved, ...(reportPath ? { qualityReport: reportPath } : {}) };
}

/**
 * n histories none of which equals a real one: sample, skip copies, and sample further (history j
 * depends only on seed → j, so a larger sample extends the smaller one) for at most 8 rounds.
 * copiesRemoved counts the copies skipped on the way to the n kept.
 */
function sampleWithoutCopies(synth: SequenceSynthesizer, n: number, seed: number, real: readonly Int32Array[]): { histories: Int32Array[]; copiesRemoved: number } {
  const realKeys = new Set(real.map((h) => h.join(' ')));
  let size = n;
  let kept: Int32Array[] = [];
  let copies = 0;
  for (let round = 0; round < 8 && kept.length < n; round++) {
    kept = [];
    copies = 0;
    for (const h of synth.sample(size, { seed })) {
      if (kept.length === n) break;
      if (realKeys.has(h.join(' '))) copies++;
      else kept.push(h);
    }
    size += Math.max(16, 2 * (n - kept.length));
  }
  return { histories: kept, copiesRemoved: copies };
}
