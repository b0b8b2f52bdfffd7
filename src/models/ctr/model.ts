/**
 * One CtrModel class for both networks: the encoder, the training (Adam over minibatches on the
 * shared epoch loop, early stopping on validation AUC with patience, best weights restored,
 * optional per-epoch checkpoints) and save/load are the same; only the network and its defaults differ.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelStateError, parseWithSchema, Rng, silentProgress, writeJsonAtomic } from '../../core/index.ts';
import type { Table } from '../../data/index.ts';
import { rocAuc, logLoss } from '../../eval/index.ts';
import { Adam, backward, bceWithLogits, hashArray, loadParameters, noGrad, runTrainingLoop, saveParameters } from '../../nn/index.ts';
import { CtrFeatureEncoder, type CtrEncoderState, type EncodedRows } from './features.ts';
import { type CtrNetwork, deepFmNetwork, logisticNetwork } from './network.ts';
import type { CtrEpochLog, CtrFitOptions, CtrFitReport, CtrModel } from './types.ts';

export type CtrModelName = 'logistic' | 'deepfm';

/** Optimisation and encoding settings shared by both CTR models, with their defaults. */
const trainingFields = (lr: number) => ({
  lr: z.number().positive().default(lr),
  /** Adam's L2 penalty (torch weight_decay). */
  l2: z.number().nonnegative().default(0),
  batchSize: z.number().int().positive().default(512),
  epochs: z.number().int().positive().default(30),
  patience: z.number().int().positive().default(3),
  buckets: z.number().int().min(2).default(10),
  minIdCount: z.number().int().min(1).default(2),
});

/** Logistic regression's parameters (strict: an unknown key is a ConfigError at parse time). */
export const logisticConfigSchema = z.object(trainingFields(0.01)).strict();
/** DeepFM's parameters: first order + FM + MLP over shared field embeddings. */
export const deepFmConfigSchema = z
  .object({
    ...trainingFields(0.001),
    embeddingDim: z.number().int().positive().default(16),
    hidden: z.array(z.number().int().positive()).default([128, 64]),
    dropout: z.number().min(0).max(0.95).default(0.2),
  })
  .strict();

export type LogisticConfig = z.infer<typeof logisticConfigSchema>;
export type DeepFmConfig = z.infer<typeof deepFmConfigSchema>;

export const LOGISTIC_DEFAULTS: LogisticConfig = logisticConfigSchema.parse({});
export const DEEPFM_DEFAULTS: DeepFmConfig = deepFmConfigSchema.parse({});

function parseConfig(name: CtrModelName, overrides: Record<string, unknown>): LogisticConfig | DeepFmConfig {
  return parseWithSchema(name === 'logistic' ? logisticConfigSchema : deepFmConfigSchema, overrides, { label: `${name} config` });
}

const PREDICT_CHUNK = 8192;

export class CtrNetModel implements CtrModel {
  readonly config: LogisticConfig | DeepFmConfig;
  private encoder: CtrFeatureEncoder | null = null;
  private net: CtrNetwork | null = null;

  constructor(
    readonly name: CtrModelName,
    overrides: Record<string, unknown> = {},
  ) {
    this.config = parseConfig(name, overrides);
  }

  private build(encoder: CtrFeatureEncoder, rng: Rng): CtrNetwork {
    const base = { numFields: encoder.numFields, vocabSize: encoder.vocabSize };
    if (this.name === 'logistic') return logisticNetwork(base);
    const c = this.config as DeepFmConfig;
    return deepFmNetwork({ ...base, embeddingDim: c.embeddingDim, hidden: c.hidden, dropout: c.dropout }, rng);
  }

  async fit(train: Table, options: CtrFitOptions): Promise<CtrFitReport> {
    const t0 = performance.now();
    const progress = options.progress ?? silentProgress;
    const cfg = this.config;
    const maxEpochs = options.epochs ?? cfg.epochs;
    const patience = options.patience ?? cfg.patience;
    const root = new Rng(options.seed);
    const encoder = CtrFeatureEncoder.fit(train, options.metadata, options.label, { buckets: cfg.buckets, minIdCount: cfg.minIdCount });
    const net = this.build(encoder, root.split('init'));
    this.encoder = encoder;
    this.net = net;
    const rows = encoder.encode(train, true);
    const labels = rows.labels!;
    const valid = options.validation ? encoder.encode(options.validation, true) : null;
    const adam = new Adam(net.parameters, { lr: cfg.lr, weightDecay: cfg.l2 });
    const F = rows.numFields;
    const batchIds = new Int32Array(cfg.batchSize * F);
    const batchLabels = new Float32Array(cfg.batchSize);
    progress.line(`${this.name}: ${rows.n} training rows, ${F} fields, ${encoder.vocabSize} feature values${valid ? `, ${valid.n} validation rows` : ''}`);
    const fingerprint = { kind: this.name, config: { ...cfg, epochs: undefined }, seed: options.seed, ids: hashArray(rows.ids), labels: hashArray(labels), ...(valid ? { valid: hashArray(valid.ids), validLabels: hashArray(valid.labels!) } : {}) };
    const result = await runTrainingLoop<CtrEpochLog>({
      label: this.name,
      maxEpochs,
      rng: root,
      parameters: net.parameters,
      optimizers: [adam],
      earlyStopping: valid ? { metric: 'valid AUC', direction: 'higher', patience } : undefined,
      checkpoint: options.checkpointDir ? { path: join(options.checkpointDir, 'checkpoint.bin'), fingerprint } : undefined,
      progress,
      cancel: options.cancel,
      epoch: (epoch, erng) => {
        const te = performance.now();
        const order = Int32Array.from({ length: rows.n }, (_, i) => i);
        erng.split('shuffle').shuffle(order);
        let lossSum = 0;
        let batches = 0;
        return {
          batches: Math.ceil(rows.n / cfg.batchSize),
          step: (b) => {
            const start = b * cfg.batchSize;
            const size = Math.min(cfg.batchSize, rows.n - start);
            for (let i = 0; i < size; i++) {
              const r = order[start + i]!;
              batchIds.set(rows.ids.subarray(r * F, r * F + F), i * F);
              batchLabels[i] = labels[r]!;
            }
            adam.zeroGrad();
            const loss = bceWithLogits(net.logits(batchIds.subarray(0, size * F), size, true, erng.split(`batch-${batches}`)), batchLabels.subarray(0, size));
            const l = loss.item();
            if (!Number.isFinite(l)) throw new Error(`${this.name}: training loss became ${l} at epoch ${epoch}, batch ${batches + 1}`);
            backward(loss);
            adam.step();
            lossSum += l;
            batches++;
          },
          finish: () => {
            const log: { epoch: number; loss: number; seconds: number; validAuc?: number; validLogLoss?: number } = { epoch, loss: lossSum / Math.max(1, batches), seconds: 0 };
            if (valid) {
              const p = this.predictEncoded(valid);
              log.validAuc = rocAuc(p, valid.labels!);
              log.validLogLoss = logLoss(p, valid.labels!);
            }
            log.seconds = (performance.now() - te) / 1000;
            return { log, ...(valid ? { score: log.validAuc! } : {}) };
          },
        };
      },
      line: (log, improved) => {
        const v = valid ? ` valid AUC ${log.validAuc!.toFixed(4)} logloss ${log.validLogLoss!.toFixed(4)}${improved ? ' *' : ''}` : '';
        return `${this.name} epoch ${String(log.epoch).padStart(3)}/${maxEpochs} loss ${log.loss.toFixed(4)}${v} ${log.seconds.toFixed(1)}s`;
      },
    });
    return { epochs: result.logs, bestEpoch: result.bestEpoch, bestValidAuc: valid ? result.bestScore : null, seconds: (performance.now() - t0) / 1000, trainRows: rows.n };
  }

  private ready(): { encoder: CtrFeatureEncoder; net: CtrNetwork } {
    if (!this.encoder || !this.net) throw new ModelStateError(`${this.name} used before fit() or load()`);
    return { encoder: this.encoder, net: this.net };
  }

  private predictEncoded(rows: EncodedRows): Float32Array {
    const { net } = this.ready();
    const out = new Float32Array(rows.n);
    const F = rows.numFields;
    const rng = new Rng(0);
    noGrad(() => {
      for (let s = 0; s < rows.n; s += PREDICT_CHUNK) {
        const size = Math.min(PREDICT_CHUNK, rows.n - s);
        const z = net.logits(rows.ids.subarray(s * F, (s + size) * F), size, false, rng).data;
        for (let i = 0; i < size; i++) {
          const v = z[i]!;
          out[s + i] = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
        }
      }
    });
    return out;
  }

  predict(table: Table): Float32Array {
    return this.predictEncoded(this.ready().encoder.encode(table));
  }

  save(dir: string): void {
    const { encoder, net } = this.ready();
    mkdirSync(dir, { recursive: true });
    saveParameters(net.parameters, join(dir, 'weights.bin'));
    writeJsonAtomic(join(dir, 'model.json'), { format: 'samplify-ctr/1', kind: this.name, config: this.config, encoder: encoder.state });
  }

  load(dir: string): void {
    const file = join(dir, 'model.json');
    let saved: { format?: string; kind?: string; config?: Record<string, unknown>; encoder?: CtrEncoderState };
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
    } catch (e) {
      throw new ModelStateError(`cannot read a saved ${this.name} model: ${(e as Error).message}`, { file });
    }
    if (saved.format !== 'samplify-ctr/1' || saved.kind !== this.name || !saved.config || !saved.encoder) throw new ModelStateError(`not a saved ${this.name} model`, { file });
    const loaded = new CtrNetModel(this.name, saved.config);
    const encoder = CtrFeatureEncoder.fromState(saved.encoder);
    const net = loaded.build(encoder, new Rng(0));
    try {
      loadParameters(net.parameters, join(dir, 'weights.bin'));
    } catch (e) {
      throw new ModelStateError((e as Error).message, { file: join(dir, 'weights.bin') });
    }
    (this as { config: LogisticConfig | DeepFmConfig }).config = loaded.config;
    this.encoder = encoder;
    this.net = net;
  }
}
