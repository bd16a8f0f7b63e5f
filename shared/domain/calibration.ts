import type { DetectionMatches } from './detectionMetrics';

/**
 * Platt scaling of raw detector scores, so that one prelabel threshold means the same thing ("about this share of
 * these boxes are right") whichever provider trained the model and however confident its head happens to be.
 *
 * The model is p = 1 / (1 + exp(a·logit(s) + b)), fitted on logit(s) rather than on s:
 *  - detector scores are sigmoid (or softmax) outputs, so logit(s) gives back the head's own scale, on which a
 *    linear map is exactly temperature (a) plus bias (b) scaling, the usual fix for an over- or under-confident
 *    network; on raw s in [0, 1] the same two parameters can only bend the curve a little between its ends;
 *  - a = −1, b = 0 is the identity, so "no correction needed" is a point of the model, and a fit on a
 *    well-calibrated detector lands near it instead of distorting it.
 * Scores are clipped to [1e-6, 1 − 1e-6] first, so 0 and 1 (which some exporters round to) stay finite.
 *
 * The fit is Platt's, as corrected by Lin, Lin & Weng (2007): Newton's method with a backtracking line search on the
 * cross-entropy against smoothed targets (N₊ + 1)/(N₊ + 2) for positives and 1/(N₋ + 2) for negatives, which keeps
 * a perfectly separating score from pushing a and b to infinity.
 */

export interface CalibrationSample {
  /** A raw score in [0, 1] for fitting; for `expectedCalibrationError`, whichever probability is being judged. */
  score: number;
  positive: boolean;
}

export interface CalibrationModel {
  kind: 'platt' | 'identity';
  /** Slope on logit(score); negative for a model whose higher scores are more often right. −1 for identity. */
  a: number;
  b: number;
  /** What the model is applied to: recorded so a stored model is read the way it was fitted. */
  input: 'logit';
  /** Why the identity was kept instead of a fit. */
  reason?: string;
}

const scoreClip = 1e-6;
const maxIterations = 100;
const minStep = 1e-10;
const sigma = 1e-12; // Lin et al.'s ridge on the Hessian diagonal, so a degenerate sample still inverts

/** Positive when a prediction matches a truth in the same COCO matching the metrics use (IoU 0.5 by default). */
export function calibrationSamples(matches: Pick<DetectionMatches, 'detections'>): CalibrationSample[] {
  return matches.detections.map((d) => ({ score: d.score, positive: d.matched }));
}

export function fitPlatt(samples: readonly CalibrationSample[]): CalibrationModel {
  for (const s of samples) {
    if (!Number.isFinite(s.score)) throw new RangeError(`calibration scores must be finite, got ${s.score}`);
  }
  const positives = samples.filter((s) => s.positive).length;
  const negatives = samples.length - positives;
  if (samples.length === 0) return identity('no samples to fit on');
  if (negatives === 0) return identity('every sample is positive: nothing to tell scores apart by');
  if (positives === 0) return identity('every sample is negative: nothing to tell scores apart by');

  const raw = samples.map((s) => logit(s.score));
  if (raw.every((v) => v === raw[0])) return identity('every score is the same: no slope can be fitted');
  // Fitted on standardized logits and mapped back: Newton's steps (and the ridge below) then behave the same
  // whether the scores spread over [0, 1] or bunch within 1e-9 of each other.
  const centre = raw.reduce((sum, v) => sum + v, 0) / raw.length;
  const spread = Math.sqrt(raw.reduce((sum, v) => sum + (v - centre) ** 2, 0) / raw.length);
  if (!(spread > 0)) return identity('every score is the same: no slope can be fitted');
  const f = raw.map((v) => (v - centre) / spread);
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (negatives + 2);
  const t = samples.map((s) => (s.positive ? hi : lo));

  let a = 0;
  let b = Math.log((negatives + 1) / (positives + 1));
  let fval = objective(f, t, a, b);
  let converged = false;
  for (let it = 0; it < maxIterations && !converged; it++) {
    let h11 = sigma;
    let h22 = sigma;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < f.length; i++) {
      const fi = f[i]!;
      const p = probability(a * fi + b);
      const d2 = p * (1 - p);
      h11 += fi * fi * d2;
      h22 += d2;
      h21 += fi * d2;
      const d1 = t[i]! - p;
      g1 += fi * d1;
      g2 += d1;
    }
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    // Stop on the Newton decrement (−gd = gᵀH⁻¹g, about twice the objective still to gain). Unlike a bound on the
    // gradient it does not depend on the scale of the scores, so tightly bunched scores are not "converged" at a = 0.
    if (-gd / 2 < 1e-10) {
      converged = true;
      break;
    }
    let step = 1;
    while (step >= minStep) {
      const na = a + step * dA;
      const nb = b + step * dB;
      const nf = objective(f, t, na, nb);
      if (nf < fval + 1e-4 * step * gd) {
        a = na;
        b = nb;
        fval = nf;
        break;
      }
      step /= 2;
    }
    // No step lowers a convex objective any more: a and b are as good as floating point allows.
    if (step < minStep) converged = true;
  }
  if (!converged) return identity(`Newton's method did not converge in ${maxIterations} iterations`);
  // a·(v − centre)/spread + b = (a/spread)·v + (b − a·centre/spread).
  b -= (a * centre) / spread;
  a /= spread;
  if (!(a < 0)) {
    // A slope ≥ 0 would rank low scores above high ones; prelabels filtered by "score ≥ threshold" would then keep
    // the worst boxes. The gate judges the raw ranking instead (and will likely reject it).
    return identity(`fitted slope ${a.toPrecision(3)} ≥ 0: higher scores are not more often right`);
  }
  return { kind: 'platt', a, b, input: 'logit' };
}

/** Calibrated probability, strictly inside (0, 1) for a Platt model; the score itself for the identity. */
export function calibrate(model: CalibrationModel, score: number): number {
  if (model.kind === 'identity') return score;
  const p = probability(model.a * logit(score) + model.b);
  // Kept off 0 and 1 so odds and logs downstream stay finite (exp overflows long before a·logit does).
  return Math.min(1 - Number.EPSILON, Math.max(Number.EPSILON, p));
}

/**
 * ECE over equal-width bins of the score: Σ (bin size / n) · |share positive − mean score| (Guo et al., 2017).
 * A score of exactly 1 falls in the last bin. 0 for no samples.
 */
export function expectedCalibrationError(samples: readonly CalibrationSample[], bins = 10): number {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError('bins must be an integer ≥ 1');
  if (samples.length === 0) return 0;
  const count = new Float64Array(bins);
  const scoreSum = new Float64Array(bins);
  const positiveSum = new Float64Array(bins);
  for (const s of samples) {
    const k = Math.min(bins - 1, Math.max(0, Math.floor(s.score * bins)));
    count[k]!++;
    scoreSum[k]! += s.score;
    if (s.positive) positiveSum[k]!++;
  }
  let ece = 0;
  for (let k = 0; k < bins; k++) {
    if (count[k]! > 0) ece += Math.abs(positiveSum[k]! - scoreSum[k]!) / samples.length;
  }
  return ece;
}

function identity(reason: string): CalibrationModel {
  return { kind: 'identity', a: -1, b: 0, input: 'logit', reason };
}

function logit(score: number): number {
  const s = Math.min(1 - scoreClip, Math.max(scoreClip, score));
  return Math.log(s / (1 - s));
}

/** 1 / (1 + exp(z)) without overflow on either side. */
function probability(z: number): number {
  if (z >= 0) {
    const e = Math.exp(-z);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(z));
}

/** Cross-entropy against the smoothed targets, in the overflow-free form of Lin et al. */
function objective(f: readonly number[], t: readonly number[], a: number, b: number): number {
  let sum = 0;
  for (let i = 0; i < f.length; i++) {
    const z = f[i]! * a + b;
    sum += z >= 0 ? t[i]! * z + Math.log1p(Math.exp(-z)) : (t[i]! - 1) * z + Math.log1p(Math.exp(z));
  }
  return sum;
}
