import { Parameter } from './tensor.ts';

/**
 * An exponential moving average of some parameters' weights (Polyak averaging), updated after each
 * optimiser step: shadow = decay · shadow + (1 − decay) · weight. A GAN generator's weights wander
 * from step to step while the generator and the critic chase each other, so the marginals of its
 * rows at any one step can be well off while their average over the last few hundred steps is not
 * (Yazıcı et al., "The unusual effectiveness of averaging in GAN training", ICLR 2019).
 *
 * The shadows are Parameters of their own (`shadows`, named `<name>.average`): give them to the
 * training loop's `parameters` and they are checkpointed and resumed with the rest, with `steps`
 * in the loop's carried state. They start as copies of the initial weights, and update t uses the
 * decay min(decay, (1 + t) / (10 + t)) (TensorFlow's ExponentialMovingAverage with num_updates):
 * a short fit averages over its own last steps instead of keeping the random initialisation
 * (with a fixed 0.999, 640 steps would leave 53 % of the average on it).
 */
export class WeightAverage {
  readonly decay: number;
  readonly shadows: readonly Parameter[];
  private readonly sources: readonly Parameter[];
  /** Updates so far (carry it across a resume: it sets the warm-up decay). */
  steps = 0;

  constructor(parameters: readonly Parameter[], decay: number) {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`WeightAverage: decay must be in [0, 1), got ${decay}`);
    this.decay = decay;
    this.sources = [...parameters];
    this.shadows = parameters.map((p) => new Parameter(`${p.name}.average`, Float32Array.from(p.data), p.shape));
  }

  /** Fold the parameters' current weights into the average (call after each optimiser step). */
  update(): void {
    const d = Math.min(this.decay, (1 + this.steps) / (10 + this.steps));
    this.steps++;
    const w = 1 - d;
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.shadows[i]!.data;
      const p = this.sources[i]!.data;
      for (let j = 0; j < s.length; j++) s[j] = d * s[j]! + w * p[j]!;
    }
  }

  /** Write the averaged weights into `targets` (the same shapes, in the same order as the averaged parameters). */
  copyTo(targets: readonly Parameter[]): void {
    if (targets.length !== this.shadows.length) throw new RangeError(`WeightAverage: ${targets.length} targets for ${this.shadows.length} averaged parameters`);
    targets.forEach((t, i) => {
      const s = this.shadows[i]!;
      if (t.size !== s.size) throw new RangeError(`WeightAverage: ${t.name} has ${t.size} values, its average ${s.size}`);
      t.data.set(s.data);
    });
  }
}
