/**
 * AdamW on flat Float32Arrays, run by the main thread between data-parallel steps.
 *
 * Why not tf.train.adam: the weights live in a SharedArrayBuffer that every worker reads; updating ~270k numbers in
 * plain JS takes about a millisecond, needs no tfjs on the main thread, and is exactly reproducible.
 */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW), applied where `decayMask` is 1 (conv weights, not BN/bias). */
  weightDecay?: number;
  decayMask?: Uint8Array;
}

export class AdamW {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly decayMask: Uint8Array | undefined;

  constructor(size: number, options: AdamOptions = {}) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.decayMask = options.decayMask;
  }

  step(params: Float32Array, grads: Float32Array, learningRate: number): void {
    this.t++;
    const { m, v, beta1, beta2, epsilon } = this;
    const c1 = 1 / (1 - beta1 ** this.t);
    const c2 = 1 / (1 - beta2 ** this.t);
    const decay = learningRate * this.weightDecay;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]!;
      const mi = (m[i] = beta1 * m[i]! + (1 - beta1) * g);
      const vi = (v[i] = beta2 * v[i]! + (1 - beta2) * g * g);
      let p = params[i]!;
      if (decay > 0 && (this.decayMask === undefined || this.decayMask[i] === 1)) p -= decay * p;
      params[i] = p - (learningRate * mi * c1) / (Math.sqrt(vi * c2) + epsilon);
    }
  }
}

/** Scales `grads` in place so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGlobalNorm(grads: Float32Array, maxNorm: number): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i]! * grads[i]!;
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * scale;
  }
  return norm;
}

/** Linear warm-up to the peak rate, then cosine decay to `floor`·peak at the last step. */
export function learningRateAt(step: number, steps: number, peak: number, warmup: number, floor = 0.02): number {
  if (step < warmup) return peak * (0.1 + (0.9 * (step + 1)) / warmup);
  const progress = steps <= warmup ? 1 : (step - warmup) / Math.max(1, steps - 1 - warmup);
  return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}
