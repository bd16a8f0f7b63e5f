import { calibrate, type CalibrationModel } from './calibration';
import { operatingPoints, type DetectionMatches, type OperatingPoint } from './detectionMetrics';

/**
 * The validation gate: whether a trained detector's boxes are good enough to show labelers as prelabels, and at
 * which calibrated score. And when they are not, how many more human labels to ask for before the next run.
 */

export const defaultMinPrecision = 0.9;
export const defaultMinMeanIoU = 0.6;
/** Fewer matched boxes than this and a cutoff's precision is luck: 9 of 10 right is 0.9 but says little. */
export const defaultMinMatched = 10;

export interface GateOptions {
  minPrecision?: number;
  minMeanIoU?: number;
  /** True positives needed at the chosen cutoff. */
  minMatched?: number;
}

export type GateFailureReason =
  'no-validation-truth' | 'no-detections' | 'too-few-matched' | 'precision' | 'mean-iou' | 'precision-and-mean-iou';

export type GateResult =
  | {
      passed: true;
      /** Prelabel boxes whose calibrated score is ≥ this. */
      threshold: number;
      precision: number;
      recall: number;
      meanIoU: number;
      atThreshold: OperatingPoint;
    }
  | {
      passed: false;
      reason: GateFailureReason;
      explanation: string;
      /** The operating point closest to passing; undefined when there is nothing to measure. */
      best?: OperatingPoint;
    };

/**
 * The lowest calibrated cutoff whose operating point (every validation box scored at or above it, matched at the
 * IoU of `matches`, normally 0.5) has precision ≥ minPrecision, matched mean IoU ≥ minMeanIoU and at least
 * minMatched true positives. Recall only grows as the cutoff falls, so this is the passing point with the most
 * recall: the most boxes a labeler is spared drawing.
 *
 * The condition is checked at that cutoff only, not at every higher one (the simple definition): precision is not
 * monotone in the cutoff (the top few boxes may include a miss), and the boxes prelabeled at the threshold are
 * exactly the set measured at it, so that set's precision is the number that matters.
 *
 * Candidates are the distinct calibrated scores: the operating point changes only at a score, so the lowest passing
 * cutoff is always one of them. A 0.01 grid finds the same set of boxes only when a grid step falls between that
 * score and the next lower one; where scores lie closer than 0.01 it settles on a higher cutoff with less recall,
 * and where it does find the set it reports a threshold up to 0.01 below the lowest score validated.
 * n detections cost O(n log n).
 */
export function chooseThreshold(
  matches: Pick<DetectionMatches, 'truths' | 'detections'>,
  calibration: CalibrationModel,
  options: GateOptions = {},
): GateResult {
  const minPrecision = options.minPrecision ?? defaultMinPrecision;
  const minMeanIoU = options.minMeanIoU ?? defaultMinMeanIoU;
  const minMatched = options.minMatched ?? defaultMinMatched;
  if (matches.truths === 0) {
    return {
      passed: false,
      reason: 'no-validation-truth',
      explanation: 'The validation split has no truth boxes: precision and recall cannot be measured.',
    };
  }
  if (matches.detections.length === 0) {
    return {
      passed: false,
      reason: 'no-detections',
      explanation: 'The model predicted no boxes on the validation split.',
    };
  }

  // Calibration is non-decreasing, so the matching (done in raw-score order) stands for the calibrated scores too.
  const calibrated = {
    truths: matches.truths,
    detections: matches.detections.map((d) => ({ ...d, score: calibrate(calibration, d.score) })),
  };
  const cutoffs = [...new Set(calibrated.detections.map((d) => d.score))].sort((a, b) => a - b);
  const points = operatingPoints(calibrated, cutoffs); // lowest cutoff first

  const passes = (p: OperatingPoint) =>
    p.truePositives >= minMatched && p.precision >= minPrecision && p.meanIoU >= minMeanIoU;
  const passing = points.find(passes);
  if (passing) {
    return {
      passed: true,
      threshold: passing.cutoff,
      precision: passing.precision,
      recall: passing.recall,
      meanIoU: passing.meanIoU,
      atThreshold: passing,
    };
  }

  const enough = points.filter((p) => p.truePositives >= minMatched);
  if (enough.length === 0) {
    // Even with every box counted, too few are right: report all of them (the lowest cutoff).
    const all = points[0]!;
    return {
      passed: false,
      reason: 'too-few-matched',
      explanation: `Only ${all.truePositives} predicted boxes match a truth at any cutoff; at least ${minMatched} are needed.`,
      best: all,
    };
  }
  // Closest: the smallest relative shortfall summed over both targets; the lower cutoff (more recall) on a tie.
  const shortfall = (p: OperatingPoint) =>
    Math.max(0, minPrecision - p.precision) / minPrecision + Math.max(0, minMeanIoU - p.meanIoU) / minMeanIoU;
  let best = enough[0]!;
  for (const p of enough) if (shortfall(p) < shortfall(best)) best = p;
  const lowPrecision = best.precision < minPrecision;
  const lowIoU = best.meanIoU < minMeanIoU;
  const reason = lowPrecision && lowIoU ? 'precision-and-mean-iou' : lowPrecision ? 'precision' : 'mean-iou';
  return {
    passed: false,
    reason,
    explanation:
      `No cutoff reaches precision ≥ ${minPrecision} and mean IoU ≥ ${minMeanIoU} with ≥ ${minMatched} matched ` +
      `boxes; the closest, at ${best.cutoff.toFixed(3)}, has precision ${best.precision.toFixed(3)} and mean IoU ` +
      `${best.meanIoU.toFixed(3)}.`,
    best,
  };
}

/** One earlier training run: how many human labels it had and the gate metric it reached on validation. */
export interface LabelingRun {
  labeled: number;
  metric: number;
}

export interface LabelsNeededInput {
  /** Earlier runs, any order; at least one. */
  runs: readonly LabelingRun[];
  /** The gate metric's passing value. */
  target: number;
  /** With one run: ask for labeled × growthFactor more, so 1 (the default) doubles the labeled set. */
  growthFactor?: number;
  /** Bounds on the answer, integers with 0 ≤ minimum ≤ maximum. */
  minimum: number;
  maximum: number;
}

export interface LabelsNeeded {
  /** More human labels to collect, counted from the largest run's labeled count. */
  needed: number;
  rule: 'growth' | 'learning-curve';
  explanation: string;
}

export const defaultGrowthFactor = 1;

/**
 * How many more human labels to ask for before the next training run, after a run failed the gate.
 *
 * One run says nothing about how fast the metric improves, so the labeled set grows geometrically (labeled ×
 * growthFactor more): a few doublings reach any reachable target without asking for thousands up front.
 *
 * Two or more runs (at different labeled counts) give a learning curve, fitted by least squares as
 * metric ≈ α + β·ln(labeled) and solved for the target. Why not the power law a − b·labeled^(−c): it has three
 * parameters, so it needs three runs and a non-linear fit that is badly conditioned on the few noisy points a
 * project has (a and c trade off), while over the few doublings between runs such curves are close to straight in
 * ln(labeled). The log-linear line does not level off, so a far extrapolation is optimistic; the bounds limit
 * that, and the next run adds a point. A flat or falling curve (β ≤ 0) has no answer: more data has not helped,
 * so the maximum is asked for and the explanation says so.
 *
 * Monotone in target; always an integer in [minimum, maximum].
 */
export function additionalLabelsNeeded(input: LabelsNeededInput): LabelsNeeded {
  const { runs, target, minimum, maximum } = input;
  const growthFactor = input.growthFactor ?? defaultGrowthFactor;
  if (!Number.isInteger(minimum) || !Number.isInteger(maximum) || minimum < 0 || minimum > maximum) {
    throw new RangeError('minimum and maximum must be integers with 0 ≤ minimum ≤ maximum');
  }
  if (!(growthFactor > 0 && Number.isFinite(growthFactor))) throw new RangeError('growthFactor must be > 0');
  if (!Number.isFinite(target)) throw new RangeError('target must be finite');
  if (runs.length === 0) throw new RangeError('at least one run is needed');
  for (const r of runs) {
    if (!(r.labeled > 0 && Number.isFinite(r.labeled)) || !Number.isFinite(r.metric)) {
      throw new RangeError('every run needs labeled > 0 and a finite metric');
    }
  }
  const bound = (n: number) => Math.min(maximum, Math.max(minimum, n));
  const latest = runs.reduce((a, r) => (r.labeled >= a.labeled ? r : a));
  const distinctCounts = new Set(runs.map((r) => r.labeled)).size;
  const rule = distinctCounts >= 2 ? 'learning-curve' : 'growth';

  if (latest.metric >= target) {
    return {
      needed: minimum,
      rule,
      explanation:
        `The run at ${latest.labeled} labels already reached ${latest.metric} ≥ ${target}; ` +
        `it failed the gate on something else, so only the minimum (${minimum}) is asked for.`,
    };
  }
  if (rule === 'growth') {
    const needed = bound(Math.ceil(latest.labeled * growthFactor));
    return {
      needed,
      rule,
      explanation:
        `One run (${latest.labeled} labels, metric ${latest.metric} < ${target}) gives no learning curve: ` +
        `${growthFactor} × ${latest.labeled} more labels asked for, within [${minimum}, ${maximum}].`,
    };
  }

  const { alpha, beta } = fitLogLinear(runs);
  if (!(beta > 0)) {
    return {
      needed: maximum,
      rule,
      explanation:
        `The metric has not improved with more labels over ${runs.length} runs (slope ${beta.toPrecision(3)} ` +
        `per ln(labeled)): asking for the maximum (${maximum}); the data or the model may need a look.`,
    };
  }
  const projected = Math.exp((target - alpha) / beta);
  // The 1e-6 absorbs rounding, so a curve that lands on a whole count does not ask for one label more.
  const needed = Number.isFinite(projected) ? bound(Math.ceil(projected - latest.labeled - 1e-6)) : maximum;
  return {
    needed,
    rule,
    explanation:
      `Learning curve over ${runs.length} runs: metric ≈ ${alpha.toFixed(4)} + ${beta.toFixed(4)}·ln(labeled) ` +
      `reaches ${target} at about ${Number.isFinite(projected) ? Math.ceil(projected) : 'an unbounded count of'} ` +
      `labels; ${needed} more asked for, within [${minimum}, ${maximum}].`,
  };
}

/** Ordinary least squares of metric on ln(labeled). */
function fitLogLinear(runs: readonly LabelingRun[]): { alpha: number; beta: number } {
  const xs = runs.map((r) => Math.log(r.labeled));
  const ys = runs.map((r) => r.metric);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const beta = sxy / sxx;
  return { alpha: my - beta * mx, beta };
}
