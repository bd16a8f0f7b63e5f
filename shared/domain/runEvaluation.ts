import {
  calibrate,
  calibrationSamples,
  expectedCalibrationError,
  fitPlatt,
  type CalibrationModel,
} from './calibration';
import { evaluateDetections, matchDetections, type DetectionImage } from './detectionMetrics';
import type { GateDecision, RunEvaluation } from './labelingRecords';
import { additionalLabelsNeeded, chooseThreshold, type GateOptions } from './validationGate';

/**
 * A trained model judged on the held-out human-labeled validation split, the same way for every provider: match
 * its boxes COCO-style, calibrate its scores on that split (Platt), measure mAP on the calibrated scores, and let the
 * gate pick the prelabel threshold, or say how many more manual labels to collect before the next run.
 */

export interface RunJudgement {
  evaluation: RunEvaluation;
  gate: GateDecision;
  calibration: CalibrationModel;
}

export interface JudgeInput {
  labels: readonly string[];
  /** Validation images: human boxes as truth, the model's boxes with raw scores as predictions. */
  images: readonly DetectionImage[];
  /** Human labels the run trained on (the learning curve's x). */
  labeled: number;
  /** Earlier rejected or completed runs with their gate metric, for the learning curve. */
  earlierRuns: ReadonlyArray<{ labeled: number; metric: number }>;
  gate?: GateOptions;
  /** Bounds of "N more labels needed". */
  moreLabels: { minimum: number; maximum: number };
}

export function judgeRun(input: JudgeInput): RunJudgement {
  const matches = matchDetections({ labels: input.labels, images: input.images });
  const samples = calibrationSamples(matches);
  const calibration = fitPlatt(samples);
  const calibratedSamples = samples.map((s) => ({ ...s, score: calibrate(calibration, s.score) }));
  const calibratedImages = input.images.map((image) => ({
    ...image,
    predictions: image.predictions.map((p) => ({ ...p, score: calibrate(calibration, p.score ?? 0) })),
  }));
  const metrics = evaluateDetections({ labels: input.labels, images: calibratedImages });
  const perClass = Object.fromEntries(
    Object.entries(metrics.perClass).map(([label, m]) => [label, { ap50: m.ap50 ?? 0, truths: m.truths }]),
  );
  const evaluation: RunEvaluation = {
    validationImages: input.images.length,
    mAP50: metrics.mAP50 ?? 0,
    mAP50_95: metrics.mAP50_95 ?? 0,
    matchedMeanIoU: metrics.matchedMeanIoU,
    perClass,
    calibration: {
      kind: calibration.kind,
      a: calibration.a,
      b: calibration.b,
      eceBefore: expectedCalibrationError(samples),
      eceAfter: expectedCalibrationError(calibratedSamples),
    },
  };
  const result = chooseThreshold(matches, calibration, input.gate);
  if (result.passed) {
    const { threshold, precision, recall, meanIoU } = result;
    return { evaluation, calibration, gate: { passed: true, threshold, precision, recall, meanIoU } };
  }
  const metric = gateMetric(result.best);
  const needed = additionalLabelsNeeded({
    runs: [...input.earlierRuns, { labeled: Math.max(1, input.labeled), metric }],
    target: input.gate?.minPrecision ?? 0.9,
    ...input.moreLabels,
  });
  return {
    evaluation,
    calibration,
    gate: {
      passed: false,
      precision: result.best?.precision ?? 0,
      recall: result.best?.recall ?? 0,
      meanIoU: result.best?.meanIoU ?? 0,
      reason: result.explanation,
      additionalLabelsNeeded: needed.needed,
      additionalLabelsRule: needed.explanation,
    },
  };
}

/**
 * The number the learning curve follows across runs: the precision of the gate's closest operating point (the one
 * the gate compares with its target), 0 when nothing could be measured.
 */
export function gateMetric(best: { precision: number } | undefined): number {
  return best?.precision ?? 0;
}
