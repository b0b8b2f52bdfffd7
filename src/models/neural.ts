import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ModelStateError, Registry, Rng, writeJsonAtomic } from '../core/index.ts';
import type { TrainView } from '../data/index.ts';
import { loadParameters, saveParameters } from '../nn/index.ts';
import type { SequenceNetwork } from './network.ts';
import { DEFAULT_TRAINER, trainSequenceNetwork, type TrainerConfig, type TrainerOverrides } from './trainer.ts';
import type { FitOptions, FitReport, Recommender } from './types.ts';

export type NetworkFactory = (numItems: number, config: Record<string, unknown>, rng: Rng) => SequenceNetwork;

/** Config names → network constructors ('sasrec', 'gru4rec', …). */
export const networks = new Registry<NetworkFactory>('network');

/** A Recommender around any SequenceNetwork: the trainer fits it, the network scores. */
export class NeuralRecommender implements Recommender {
  readonly name: string;
  readonly refitBeforeTest = false;
  readonly networkConfig: Record<string, unknown>;
  readonly trainer: TrainerConfig;
  private net: SequenceNetwork | null = null;
  private numItems = 0;

  constructor(kind: string, networkConfig: Record<string, unknown> = {}, trainer: TrainerOverrides = {}) {
    networks.get(kind, 'model');
    this.name = kind;
    this.networkConfig = networkConfig;
    this.trainer = { ...DEFAULT_TRAINER, ...(Object.fromEntries(Object.entries(trainer).filter(([, v]) => v !== undefined)) as Partial<TrainerConfig>) };
    if (!(this.trainer.batchSize >= 1)) throw new ConfigError('batch size must be >= 1', { field: 'batchSize' });
    if (!(this.trainer.lr > 0)) throw new ConfigError('learning rate must be > 0', { field: 'lr' });
  }

  get network(): SequenceNetwork {
    if (!this.net) throw new ModelStateError(`${this.name} used before fit() or load()`);
    return this.net;
  }

  async fit(train: TrainView, options: FitOptions): Promise<FitReport> {
    this.numItems = train.numItems;
    this.net = networks.get(this.name)(train.numItems, this.networkConfig, new Rng(options.seed).split('init'));
    const validate = options.validate;
    return trainSequenceNetwork(this.net, train, this.trainer, options, validate ? () => validate(this) : undefined);
  }

  scoreAll(histories: readonly Int32Array[]): Float32Array {
    return this.network.scoreNext(histories);
  }

  /**
   * The trained input embedding of the real items, [numItems + 1, d] row-major (row 0 = padding;
   * a mask-token row, when the network has one, is left out): what item-to-item similarity from
   * a trained model is computed on.
   */
  itemEmbeddings(): { data: Float32Array; dim: number } {
    const p = this.network.parameters.find((q) => q.name === 'item_emb');
    if (!p || p.shape.length !== 2) throw new ModelStateError(`${this.name} has no item embedding table ('item_emb')`);
    const dim = p.shape[1]!;
    return { data: p.data.slice(0, (this.numItems + 1) * dim), dim };
  }

  save(dir: string): void {
    const net = this.network;
    saveParameters(net.parameters, join(dir, 'weights.bin'));
    writeJsonAtomic(join(dir, 'model.json'), { kind: this.name, numItems: this.numItems, network: net.config, trainer: this.trainer });
  }

  load(dir: string): void {
    const file = join(dir, 'model.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { kind?: string; numItems?: number; network?: Record<string, unknown> };
    if (saved.kind !== this.name || typeof saved.numItems !== 'number' || !saved.network) throw new ModelStateError(`not a saved ${this.name} model`, { file });
    this.numItems = saved.numItems;
    this.net = networks.get(this.name)(saved.numItems, saved.network, new Rng(0));
    loadParameters(this.net.parameters, join(dir, 'weights.bin'));
  }
}
