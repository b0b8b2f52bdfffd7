/**
 * A variational autoencoder over whole histories (Bowman et al. 2016, "Generating Sentences from a
 * Continuous Space", with items for words):
 *
 * - encoder: GRU over the history's item embeddings; its last state → (μ, log σ²) of q(z | s);
 * - decoder: GRU over [START, s₁ … s_{n−1}] whose every input is the item embedding plus W z;
 *   its states score the next item against the (shared) item embeddings, a full softmax;
 * - loss per batch: mean next-item cross-entropy + β · Σ KL(q(z | s) ‖ N(0, I)) / tokens, with β
 *   annealed linearly from 0 over `klWarmup` epochs and decoder inputs dropped to START with
 *   probability `wordDropout` — Bowman's two remedies for a decoder that ignores z;
 * - sampling: a length from the training length distribution, z ~ N(0, I), then item after item
 *   from the decoder with temperature / top-k among items seen in training, no-repeat 'auto' as
 *   in the Markov baseline. Unlike the autoregressive synthesizer the first item comes from the
 *   model too (conditioned on z), so a history is one draw from one latent point.
 *
 * Histories are right-padded (a GRU is causal, so padding after a history never reaches it) and cut
 * to their last `maxLen` items. History j of a sample draws only from its own stream (seed → j).
 * save(path) writes one JSON file: settings, distributions and the weights (base64).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ModelStateError, Rng, silentProgress } from '../../core/index.ts';
import type { TrainView } from '../../data/index.ts';
import * as nn from '../../nn/index.ts';
import { checkDrawOptions, drawFromScores, itemsSeenIn } from '../../augment/index.ts';
import { type Dense, checkFinite, dense, fmt, normals, parseSynthConfig, positiveInt, readModelFile, writeModelFile } from '../neural-tabular.ts';
import { Categorical, hasRepeats, lengthDistribution, sampleLengths } from './stats.ts';
import type { SequenceSampleOptions, SequenceSynthesizer, SequenceSynthFitOptions, SequenceSynthFitReport } from './types.ts';

export const sequenceVaeConfigSchema = z
  .object({
    hidden: positiveInt.default(64),
    latent: positiveInt.default(32),
    epochs: positiveInt.default(10),
    batchSize: positiveInt.default(256),
    lr: z.number().positive().default(1e-3),
    maxLen: positiveInt.default(50),
    /** Dropout on encoder and decoder input embeddings. */
    dropout: z.number().min(0).lt(1).default(0.2),
    /** Probability that a decoder input item is replaced by START (Bowman's word dropout). */
    wordDropout: z.number().min(0).max(1).default(0.3),
    /** Epochs over which the KL weight rises linearly from 0 to klWeight. */
    klWarmup: z.number().int().min(0).default(3),
    klWeight: z.number().min(0).default(1),
    temperature: z.number().positive().default(1),
    /** 0 = sample among all allowed items. */
    topK: z.number().int().min(0).default(0),
    noRepeat: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  })
  .strict();

export type SequenceVaeConfig = z.infer<typeof sequenceVaeConfigSchema>;

const KIND = 'sequence-vae';

interface Gru {
  readonly wIh: nn.Parameter;
  readonly wHh: nn.Parameter;
  readonly bIh: nn.Parameter;
  readonly bHh: nn.Parameter;
}

interface Net {
  readonly items: nn.Parameter;
  readonly encoder: Gru;
  readonly mu: Dense;
  readonly logVar: Dense;
  readonly zIn: Dense;
  readonly decoder: Gru;
  readonly params: nn.Parameter[];
}

interface Fitted {
  readonly net: Net;
  readonly numItems: number;
  readonly noRepeat: boolean;
  readonly lengths: Categorical;
  readonly allowed: Uint8Array;
}

function gruParams(name: string, d: number, rng: Rng): Gru {
  const bound = 1 / Math.sqrt(d);
  return {
    wIh: nn.uniformParameter(`${name}.w_ih`, [3 * d, d], bound, rng),
    wHh: nn.uniformParameter(`${name}.w_hh`, [3 * d, d], bound, rng),
    bIh: nn.uniformParameter(`${name}.b_ih`, [3 * d], bound, rng),
    bHh: nn.uniformParameter(`${name}.b_hh`, [3 * d], bound, rng),
  };
}

function buildNet(numItems: number, cfg: SequenceVaeConfig, rng: Rng): Net {
  const d = cfg.hidden;
  const r = rng.split('init');
  // Rows: 0 padding, 1..numItems items, numItems + 1 START (also the dropped-word token).
  const items = nn.normalParameter('items', [numItems + 2, d], 1 / Math.sqrt(d), r.split('items'));
  const encoder = gruParams('encoder', d, r.split('encoder'));
  const mu = dense('mu', d, cfg.latent, r.split('mu'));
  const logVar = dense('log_var', d, cfg.latent, r.split('log_var'));
  const zIn = dense('z_in', cfg.latent, d, r.split('z_in'));
  const decoder = gruParams('decoder', d, r.split('decoder'));
  const params = [items, encoder.wIh, encoder.wHh, encoder.bIh, encoder.bHh, mu.w, mu.b, logVar.w, logVar.b, zIn.w, zIn.b, decoder.wIh, decoder.wHh, decoder.bIh, decoder.bHh];
  return { items, encoder, mu, logVar, zIn, decoder, params };
}

const runGru = (x: nn.Tensor, g: Gru): nn.Tensor => nn.gru(x, g.wIh, g.wHh, g.bIh, g.bHh);

/** Decoder states [B·L, d] for START-prefixed inputs ids [B·L] (right-padded) and latents z [B, latent]. */
function decode(net: Net, z: nn.Tensor, ids: Int32Array, B: number, L: number, p: number, rng: Rng | null): nn.Tensor {
  const d = net.items.shape[1]!;
  const rowOf = new Int32Array(B * L);
  for (let b = 0; b < B; b++) rowOf.fill(b, b * L, (b + 1) * L);
  const zRows = nn.gatherRows(nn.linear(z, net.zIn.w, net.zIn.b), rowOf);
  let x = nn.add(nn.embedding(net.items, ids, [B * L]), zRows);
  if (rng) x = nn.dropout(x, p, rng, true);
  return nn.reshape(runGru(nn.reshape(x, [B, L, d]), net.decoder), [B * L, d]);
}

export class SequenceVaeSynthesizer implements SequenceSynthesizer {
  readonly name = 'vae';
  #config: SequenceVaeConfig;
  #f: Fitted | null = null;

  constructor(config: Record<string, unknown> = {}) {
    this.#config = parseSynthConfig(sequenceVaeConfigSchema, config, 'vae');
    try {
      checkDrawOptions({ temperature: this.#config.temperature, topK: this.#config.topK, noRepeat: false });
    } catch (e) {
      throw new ConfigError(`vae: ${(e as Error).message}`, { field: 'temperature' });
    }
  }

  get config(): Readonly<SequenceVaeConfig> {
    return this.#config;
  }

  get #fitted(): Fitted {
    if (!this.#f) throw new ModelStateError('sequence VAE used before fit() or load()');
    return this.#f;
  }

  async fit(train: TrainView, options: SequenceSynthFitOptions): Promise<SequenceSynthFitReport> {
    const cfg = this.#config;
    const progress = options.progress ?? silentProgress;
    const t0 = performance.now();
    const seqs = train.users().map((u) => train.sequence(u)).filter((s) => s.length > 0).map((s) => (s.length > cfg.maxLen ? s.subarray(s.length - cfg.maxLen) : s));
    if (seqs.length === 0) throw new ConfigError('vae: the training view has no non-empty history', { field: 'train' });
    const numItems = train.numItems;
    const START = numItems + 1;
    const rng = new Rng(options.seed);
    const net = buildNet(numItems, cfg, rng);
    const opt = new nn.Adam(net.params, { lr: cfg.lr });
    const realItems = Int32Array.from({ length: numItems }, (_, i) => i + 1);
    const d = cfg.hidden;
    const order = Int32Array.from({ length: seqs.length }, (_, i) => i);
    progress.line(`vae: ${seqs.length} histories, ${numItems} items, hidden ${d}, latent ${cfg.latent}`);
    let te = 0; // start of the current epoch, for its progress line
    let beta = 0;
    let rec = 0;
    let kl = 0;
    const result = await nn.runTrainingLoop<{ epoch: number; loss: number }>({
      label: 'vae',
      maxEpochs: cfg.epochs,
      rng,
      parameters: net.params,
      optimizers: [opt],
      checkpoint: options.checkpointDir ? { path: join(options.checkpointDir, 'checkpoint.bin'), fingerprint: { kind: KIND, config: { ...cfg, epochs: undefined }, seed: options.seed, numItems, data: nn.hashArray(Int32Array.from(seqs.flatMap((s) => [s.length, ...s]))) } } : undefined,
      // The shuffle order carries over from epoch to epoch.
      state: { save: () => Array.from(order), load: (saved) => order.set(saved as number[]) },
      progress,
      cancel: options.cancel,
      epoch: (epoch, erng) => {
        te = performance.now();
        erng.split('shuffle').shuffle(order);
        beta = cfg.klWeight * (cfg.klWarmup === 0 ? 1 : Math.min(1, epoch / cfg.klWarmup));
        let sumRec = 0, sumKl = 0, tokens = 0;
        return {
          batches: Math.ceil(order.length / cfg.batchSize),
          step: (step) => {
            const srng = erng.split(step);
            const from = step * cfg.batchSize;
            const batch = Array.from(order.subarray(from, Math.min(order.length, from + cfg.batchSize)), (i) => seqs[i]!);
            const B = batch.length;
            let L = 0;
            for (const s of batch) L = Math.max(L, s.length);
            const enc = new Int32Array(B * L);
            const dec = new Int32Array(B * L);
            const last = new Int32Array(B);
            const targetRows: number[] = [];
            const classes: number[] = [];
            const wrng = srng.split('word-dropout');
            batch.forEach((s, b) => {
              enc.set(s, b * L);
              last[b] = b * L + s.length - 1;
              for (let t = 0; t < s.length; t++) {
                dec[b * L + t] = t === 0 || wrng.next() < cfg.wordDropout ? START : s[t - 1]!;
                targetRows.push(b * L + t);
                classes.push(s[t]! - 1);
              }
            });
            const drng = srng.split('dropout');
            const encStates = nn.reshape(runGru(nn.reshape(nn.dropout(nn.embedding(net.items, enc, [B * L]), cfg.dropout, drng, true), [B, L, d]), net.encoder), [B * L, d]);
            const h = nn.gatherRows(encStates, last);
            const mu = nn.linear(h, net.mu.w, net.mu.b);
            const logVar = nn.linear(h, net.logVar.w, net.logVar.b);
            const eps = new nn.Tensor(normals(B * cfg.latent, srng.split('eps')), [B, cfg.latent]);
            const zs = nn.add(mu, nn.mul(nn.exp(nn.scale(logVar, 0.5)), eps));
            const states = nn.gatherRows(decode(net, zs, dec, B, L, cfg.dropout, drng), Int32Array.from(targetRows));
            const logits = nn.matmul(states, nn.gatherRows(net.items, realItems), { transB: true });
            const rec = nn.crossEntropy(logits, Int32Array.from(classes));
            // Σ KL = ½ Σ (μ² + σ² − log σ²) − ½·B·latent; the constant is left out of the graph.
            const klSum = nn.scale(nn.sum(nn.add(nn.mul(mu, mu), nn.add(nn.exp(logVar), nn.scale(logVar, -1)))), 0.5);
            const N = targetRows.length;
            const loss = beta > 0 ? nn.add(rec, nn.scale(klSum, beta / N)) : rec;
            opt.zeroGrad();
            nn.backward(loss);
            opt.step();
            const recValue = rec.item();
            const klValue = klSum.item() - 0.5 * B * cfg.latent;
            checkFinite('vae reconstruction loss', recValue, epoch);
            checkFinite('vae KL', klValue, epoch);
            sumRec += recValue * N;
            sumKl += klValue;
            tokens += N;
          },
          finish: () => {
            rec = sumRec / tokens;
            kl = sumKl / seqs.length;
            return { log: { epoch, loss: rec + (cfg.klWeight * sumKl) / tokens } };
          },
        };
      },
      line: (log) => `vae epoch ${log.epoch}/${cfg.epochs}  reconstruction ${fmt(rec)}  kl/history ${fmt(kl)}  β ${beta.toFixed(2)}  ${((performance.now() - te) / 1000).toFixed(1)} s`,
    });
    const losses = result.logs;
    this.#f = { net, numItems, noRepeat: cfg.noRepeat === 'auto' ? !hasRepeats(seqs) : cfg.noRepeat, lengths: lengthDistribution(seqs), allowed: itemsSeenIn(numItems, seqs) };
    return { seconds: (performance.now() - t0) / 1000, sequences: seqs.length, losses };
  }

  sample(n: number, options: SequenceSampleOptions): Int32Array[] {
    const f = this.#fitted;
    const cfg = this.#config;
    const { net, numItems } = f;
    const START = numItems + 1;
    const V = numItems + 1;
    const root = new Rng(options.seed);
    const lengths = sampleLengths(n, options.lengths, f.lengths, (j) => root.split(j).split('length'));
    const draw = { temperature: cfg.temperature, topK: cfg.topK, noRepeat: f.noRepeat };
    const realItems = Int32Array.from({ length: numItems }, (_, i) => i + 1);
    const out: Int32Array[] = [];
    nn.noGrad(() => {
      const outEmb = nn.gatherRows(net.items, realItems);
      for (let from = 0; from < n; from += cfg.batchSize) {
        const to = Math.min(n, from + cfg.batchSize);
        const m = to - from;
        const zAll = new Float32Array(m * cfg.latent);
        const rngs: Rng[] = [];
        for (let j = from; j < to; j++) {
          zAll.set(normals(cfg.latent, root.split(j).split('z')), (j - from) * cfg.latent);
          rngs.push(root.split(j).split('items'));
        }
        const made: number[][] = Array.from({ length: m }, () => []);
        const seen = f.noRepeat ? made.map(() => new Set<number>()) : undefined;
        let active = made.map((_, b) => b).filter((b) => lengths[from + b]! > 0);
        const scores = new Float32Array(V);
        for (let t = 0; active.length > 0; t++) {
          // Every active history holds t items: decode [START, items…] and read the last state. The
          // gru op runs whole sequences from h0 = 0, so each step re-runs the prefix (O(L²) GRU
          // steps, small next to the softmax over every item that each step needs anyway).
          const A = active.length;
          const L = t + 1;
          const ids = new Int32Array(A * L);
          const zb = new Float32Array(A * cfg.latent);
          active.forEach((b, i) => {
            ids[i * L] = START;
            for (let k = 0; k < t; k++) ids[i * L + 1 + k] = made[b]![k]!;
            zb.set(zAll.subarray(b * cfg.latent, (b + 1) * cfg.latent), i * cfg.latent);
          });
          const lastRows = Int32Array.from({ length: A }, (_, i) => i * L + t);
          const h = nn.gatherRows(decode(net, new nn.Tensor(zb, [A, cfg.latent]), ids, A, L, 0, null), lastRows);
          const logits = nn.matmul(h, outEmb, { transB: true }).data;
          const next: number[] = [];
          active.forEach((b, i) => {
            scores[0] = Number.NEGATIVE_INFINITY;
            scores.set(logits.subarray(i * numItems, (i + 1) * numItems), 1);
            const item = drawFromScores(scores, numItems, draw, rngs[b]!, seen?.[b], f.allowed);
            if (item === 0) return;
            made[b]!.push(item);
            if (seen) seen[b]!.add(item);
            if (made[b]!.length < lengths[from + b]!) next.push(b);
          });
          active = next;
        }
        for (const h of made) out.push(Int32Array.from(h));
      }
    });
    return out;
  }

  save(path: string): void {
    const f = this.#fitted;
    const allowed: number[] = [];
    for (let i = 1; i <= f.numItems; i++) if (f.allowed[i]) allowed.push(i);
    writeModelFile(path, KIND, { config: this.#config, numItems: f.numItems, noRepeat: f.noRepeat, lengths: f.lengths.toJSON(), allowed }, f.net.params);
  }

  load(path: string): void {
    const { header, loadInto } = readModelFile(path, KIND);
    const config = parseSynthConfig(sequenceVaeConfigSchema, header.config, 'vae');
    const numItems = header.numItems;
    if (!Number.isInteger(numItems) || (numItems as number) < 1) throw new ModelStateError('the saved sequence VAE has no valid numItems', { file: path });
    const net = buildNet(numItems as number, config, new Rng(0));
    loadInto(net.params);
    const allowed = new Uint8Array((numItems as number) + 1);
    for (const i of header.allowed as number[]) allowed[i] = 1;
    this.#config = config;
    this.#f = { net, numItems: numItems as number, noRepeat: header.noRepeat as boolean, lengths: Categorical.fromJSON(header.lengths as { values: number[]; counts: number[] }), allowed };
  }
}
