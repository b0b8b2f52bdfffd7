import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelStateError, writeJsonAtomic } from '../core/index.ts';
import { itemPopularity, type TrainView } from '../data/index.ts';
import type { FitOptions, FitReport, Recommender } from './types.ts';

/** Popularity has no parameters: any key is a ConfigError at config parse time. */
export const popularityConfigSchema = z.object({}).strict();

/** Scores every item by its number of training interactions; the same ranking for everyone. */
export class PopularityRecommender implements Recommender {
  readonly name = 'pop';
  readonly refitBeforeTest = true;
  private counts: Float32Array | null = null;

  async fit(train: TrainView, _options: FitOptions): Promise<FitReport> {
    const t0 = performance.now();
    const counts = Float32Array.from(itemPopularity(train));
    counts[0] = Number.NEGATIVE_INFINITY;
    this.counts = counts;
    return { epochs: [], bestEpoch: 0, seconds: (performance.now() - t0) / 1000, resumed: false };
  }

  scoreAll(histories: readonly Int32Array[]): Float32Array {
    const counts = this.requireFitted();
    const out = new Float32Array(histories.length * counts.length);
    for (let i = 0; i < histories.length; i++) out.set(counts, i * counts.length);
    return out;
  }

  save(dir: string): void {
    writeJsonAtomic(join(dir, 'model.json'), { kind: this.name, counts: Array.from(this.requireFitted().subarray(1)) });
  }

  load(dir: string): void {
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { kind?: string; counts?: number[] };
    if (saved.kind !== this.name || !Array.isArray(saved.counts)) throw new ModelStateError(`not a saved popularity model`, { file: join(dir, 'model.json') });
    this.counts = Float32Array.from([Number.NEGATIVE_INFINITY, ...saved.counts]);
  }

  private requireFitted(): Float32Array {
    if (!this.counts) throw new ModelStateError('popularity model used before fit() or load()');
    return this.counts;
  }
}
