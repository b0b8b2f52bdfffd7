import { kernels } from './backend.ts';
import type { Parameter } from './tensor.ts';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty added to the gradient (torch.optim.Adam's weight_decay, not AdamW). */
  weightDecay?: number;
}

export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/**
 * torch.optim.Adam (amsgrad=False): g += wd·p; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
 * p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps). Parameters whose grad is null are skipped
 * (their moments are left alone); the step counter is shared by all parameters.
 */
export class Adam {
  readonly params: readonly Parameter[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private stepCount = 0;
  private m: Float32Array[];
  private v: Float32Array[];

  constructor(params: readonly Parameter[], opts: AdamOptions) {
    this.params = [...params];
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.lr >= 0)) throw new RangeError(`Adam: bad lr ${this.lr}`);
    if (!(this.beta1 >= 0 && this.beta1 < 1) || !(this.beta2 >= 0 && this.beta2 < 1)) throw new RangeError('Adam: betas must be in [0, 1)');
    this.m = this.params.map((p) => new Float32Array(p.size));
    this.v = this.params.map((p) => new Float32Array(p.size));
  }

  step(): void {
    this.stepCount++;
    const t = this.stepCount;
    const bc1 = 1 - Math.pow(this.beta1, t);
    const bc2 = 1 - Math.pow(this.beta2, t);
    const K = kernels();
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      if (p.grad === null) continue;
      K.adamStep(p.data, p.grad, this.m[i]!, this.v[i]!, this.lr, this.beta1, this.beta2, this.eps, this.weightDecay, bc1, bc2);
    }
  }

  zeroGrad(): void {
    for (const p of this.params) if (p.grad !== null) p.grad.fill(0);
  }

  stateDict(): AdamState {
    return { step: this.stepCount, m: this.m.map((a) => a.slice()), v: this.v.map((a) => a.slice()) };
  }

  loadStateDict(s: AdamState): void {
    if (s.m.length !== this.params.length || s.v.length !== this.params.length) {
      throw new RangeError(`Adam.loadStateDict: state has ${s.m.length} moments, optimiser has ${this.params.length} parameters`);
    }
    for (let i = 0; i < this.params.length; i++) {
      const n = this.params[i]!.size;
      if (s.m[i]!.length !== n || s.v[i]!.length !== n) {
        throw new RangeError(`Adam.loadStateDict: moment ${i} (${this.params[i]!.name}) has ${s.m[i]!.length} values, parameter has ${n}`);
      }
    }
    this.stepCount = s.step;
    this.m = s.m.map((a) => Float32Array.from(a));
    this.v = s.v.map((a) => Float32Array.from(a));
  }
}
