import type { Box } from './task';

/**
 * One COCO-style evaluator for every training provider, so a model trained locally and one trained on Azure ML are
 * judged by the same numbers on the same validation split (each provider's own report may count differently).
 *
 * Follows pycocotools' COCOeval for boxes, with the parts this app has no use for left out (crowd regions, area
 * ranges, "ignore" flags):
 *  - matching per image and class: predictions by score, highest first; each takes the still-unmatched truth of
 *    highest IoU ≥ the threshold (a threshold of 1 means IoU ≥ 1 − 1e-10, as COCO);
 *  - at most `maxDetectionsPerImage` (100) predictions per image and class, the highest-scored;
 *  - AP: the class's predictions over all images by score, precision made monotone from the right (the envelope),
 *    read at the 101 recall points 0, 0.01, …, 1 (0 where that recall is never reached), averaged;
 *  - a class without truth has no AP (COCO's −1) and stays out of the means.
 * IoU uses continuous pixel coordinates: a box covers [x, x + width) × [y, y + height), no "+1" as in old VOC code.
 *
 * Ties are broken on content, never on input order, so shuffling images or predictions changes nothing: predictions
 * of equal score within an image by position (x, y, width, height); across images by image id. Truths of equal IoU:
 * the first by position. (COCO breaks ties by input order, so results may differ from it on exact ties only.)
 *
 * Cost, for D predictions in all, d predictions and g truths per image and class, T IoU thresholds: small sorts
 * per image and class, then one sort of all predictions, O(D log D); an IoU matrix per image and class, O(Σ d·g),
 * reused by the greedy matching at every threshold, O(T · Σ d·g); the precision/recall sweeps, O(T · D). Nothing
 * is quadratic in D: 5,000 images × 20 predictions and 10 truths over 3 classes take about half a second on one
 * core (mostly allocation; the size test bounds it).
 */

/** The geometry of a box: what IoU looks at. */
export type BoxGeometry = Pick<Box, 'x' | 'y' | 'width' | 'height'>;

export interface DetectionImage {
  /** Unique within one evaluation: ties across images are broken on it. */
  id: string;
  truth: readonly Box[];
  /** Every prediction needs a finite `score`. */
  predictions: readonly Box[];
}

export interface DetectionInput {
  /** The classes evaluated; boxes of any other label are left out and counted in `ignored`. */
  labels: readonly string[];
  images: readonly DetectionImage[];
  /** COCO's cap per image and class (100). */
  maxDetectionsPerImage?: number;
}

export interface ClassMetrics {
  /** AP at IoU 0.5; null when the class has no truth (excluded from the means, COCO's −1). */
  ap50: number | null;
  /** AP averaged over `iouThresholds`; null when the class has no truth. */
  ap50_95: number | null;
  /** AP at each of `iouThresholds`, in order; empty when the class has no truth. */
  apByIoU: number[];
  truths: number;
  /** Predictions evaluated (after the per-image cap). */
  predictions: number;
}

export interface DetectionEvaluation {
  /** Mean of the classes' ap50; null when no class has truth. */
  mAP50: number | null;
  /** Mean of the classes' ap50_95; null when no class has truth. */
  mAP50_95: number | null;
  perClass: Record<string, ClassMetrics>;
  /** Mean IoU of the predictions matched at IoU 0.5 (0 when none is): how tight the boxes that count are. */
  matchedMeanIoU: number;
  /** Predictions matched at IoU 0.5, all classes. */
  matched50: number;
  truths: number;
  predictions: number;
  iouThresholds: number[];
  /** Boxes left out: labels not in `labels`, and predictions over the per-image cap. */
  ignored: { truths: number; predictions: number; overDetectionCap: number };
}

/** COCO's 0.5, 0.55, …, 0.95 (rounded to two decimals, where numpy's linspace leaves 0.5500000000000000444…). */
export const cocoIouThresholds: readonly number[] = Array.from({ length: 10 }, (_, i) => (50 + 5 * i) / 100);

/** COCO's 101 recall points. i/100 is the nearest double to each, so a recall of exactly k/n compares as it should. */
const recallPoints: readonly number[] = Array.from({ length: 101 }, (_, i) => i / 100);

export const defaultMaxDetectionsPerImage = 100;

/** Intersection over union; 0 for boxes without area. */
export function iou(a: BoxGeometry, b: BoxGeometry): number {
  const iw = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const ih = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = area(a) + area(b) - inter;
  // Areas use the same differences as the intersection, so a box compared with itself gives exactly 1; the clamp
  // covers what rounding may still do for nearly identical boxes.
  return union > 0 ? Math.min(1, inter / union) : 0;
}

function area(b: BoxGeometry): number {
  return Math.max(0, b.x + b.width - b.x) * Math.max(0, b.y + b.height - b.y);
}

/** One prediction after matching at one IoU threshold. */
export interface MatchedDetection {
  imageId: string;
  /** Index in the image's `predictions`. */
  predictionIndex: number;
  label: string;
  score: number;
  matched: boolean;
  /** IoU with the truth it matched; 0 when unmatched. */
  iou: number;
}

export interface DetectionMatches {
  iouThreshold: number;
  /** Truth boxes of the evaluated labels: the recall denominator. */
  truths: number;
  /** Highest score first, ties broken as described above. */
  detections: MatchedDetection[];
}

/**
 * The COCO matching at one IoU threshold (0.5 unless told), for callers that need per-prediction outcomes:
 * calibration labels, operating points. Greedy by score means a prediction's outcome depends only on the
 * predictions scored above it, so the predictions at or above any score cutoff are matched exactly as they would
 * be if the ones below did not exist.
 */
export function matchDetections(input: DetectionInput & { iouThreshold?: number }): DetectionMatches {
  const iouThreshold = input.iouThreshold ?? 0.5;
  const prepared = prepare(input, [iouThreshold]);
  const detections = prepared.detections.map((d) => ({
    imageId: d.imageId,
    predictionIndex: d.predictionIndex,
    label: d.label,
    score: d.score,
    matched: d.iouAt[0]! > 0,
    iou: d.iouAt[0]!,
  }));
  return { iouThreshold, truths: prepared.truths, detections };
}

export function evaluateDetections(input: DetectionInput & { iouThresholds?: readonly number[] }): DetectionEvaluation {
  const iouThresholds = [...(input.iouThresholds ?? cocoIouThresholds)];
  if (iouThresholds.length === 0) throw new RangeError('iouThresholds must not be empty');
  // 0.5 is always matched (mAP50, matchedMeanIoU), whether or not it is one of the averaged thresholds.
  const thresholds = [0.5, ...iouThresholds];
  const prepared = prepare(input, thresholds);

  const byClass = new Map<string, PreparedDetection[]>(input.labels.map((l) => [l, []]));
  for (const d of prepared.detections) byClass.get(d.label)!.push(d); // stays in global score order

  const perClass: Record<string, ClassMetrics> = {};
  const ap50s: number[] = [];
  const ap5095s: number[] = [];
  for (const label of input.labels) {
    const dets = byClass.get(label)!;
    const truths = prepared.truthsByClass.get(label)!;
    if (truths === 0) {
      perClass[label] = { ap50: null, ap50_95: null, apByIoU: [], truths, predictions: dets.length };
      continue;
    }
    const aps = thresholds.map((_, t) => averagePrecision(dets, t, truths));
    const apByIoU = aps.slice(1);
    const ap50 = aps[0]!;
    const ap50_95 = mean(apByIoU);
    perClass[label] = { ap50, ap50_95, apByIoU, truths, predictions: dets.length };
    ap50s.push(ap50);
    ap5095s.push(ap50_95);
  }

  let matched50 = 0;
  let iouSum = 0;
  for (const d of prepared.detections) {
    if (d.iouAt[0]! > 0) {
      matched50++;
      iouSum += d.iouAt[0]!;
    }
  }
  return {
    mAP50: ap50s.length > 0 ? mean(ap50s) : null,
    mAP50_95: ap5095s.length > 0 ? mean(ap5095s) : null,
    perClass,
    matchedMeanIoU: matched50 > 0 ? iouSum / matched50 : 0,
    matched50,
    truths: prepared.truths,
    predictions: prepared.detections.length,
    iouThresholds,
    ignored: prepared.ignored,
  };
}

export interface OperatingPoint {
  /** Predictions scored at or above this count. */
  cutoff: number;
  detections: number;
  truePositives: number;
  falsePositives: number;
  truths: number;
  /** truePositives / detections; 0 when there are no detections (see `detections`). */
  precision: number;
  /** truePositives / truths; 0 when there is no truth. */
  recall: number;
  /** Mean IoU of the true positives; 0 when there are none. */
  meanIoU: number;
}

/**
 * Precision, recall and matched mean IoU of the predictions scored at or above each cutoff, all classes pooled
 * (micro-averaged: what a labeler sees is boxes, whatever their class). Reads the matching as it is (see
 * `matchDetections`), so any monotone rescoring of `detections`, such as calibration, can be passed in with the
 * same outcomes. O((D + C) log D) for D detections and C cutoffs; answers in the order of `cutoffs`.
 */
export function operatingPoints(
  matches: Pick<DetectionMatches, 'truths' | 'detections'>,
  cutoffs: readonly number[],
): OperatingPoint[] {
  const sorted = matches.detections.map((d) => ({ score: d.score, matched: d.matched, iou: d.iou }));
  sorted.sort((a, b) => b.score - a.score);
  // Prefix sums over the detections by descending score: the first k are those at or above a cutoff.
  const tp = new Float64Array(sorted.length + 1);
  const iouSum = new Float64Array(sorted.length + 1);
  sorted.forEach((d, i) => {
    tp[i + 1] = tp[i]! + (d.matched ? 1 : 0);
    iouSum[i + 1] = iouSum[i]! + (d.matched ? d.iou : 0);
  });
  const truths = matches.truths;
  return cutoffs.map((cutoff) => {
    const k = countAtOrAbove(sorted, cutoff);
    const truePositives = tp[k]!;
    return {
      cutoff,
      detections: k,
      truePositives,
      falsePositives: k - truePositives,
      truths,
      precision: k > 0 ? truePositives / k : 0,
      recall: truths > 0 ? truePositives / truths : 0,
      meanIoU: truePositives > 0 ? iouSum[k]! / truePositives : 0,
    };
  });
}

/** How many of the (descending) scores are ≥ cutoff: binary search. */
function countAtOrAbove(sorted: readonly { score: number }[], cutoff: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.score >= cutoff) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface PreparedDetection {
  imageId: string;
  predictionIndex: number;
  label: string;
  score: number;
  /** Per threshold: IoU with the matched truth, 0 when unmatched (a match always has IoU > 0). */
  iouAt: number[];
}

interface Prepared {
  detections: PreparedDetection[];
  truths: number;
  truthsByClass: Map<string, number>;
  ignored: DetectionEvaluation['ignored'];
}

function prepare(input: DetectionInput, thresholds: readonly number[]): Prepared {
  for (const t of thresholds) {
    if (!(t > 0 && t <= 1)) throw new RangeError(`IoU thresholds must be in (0, 1], got ${t}`);
  }
  const maxDets = input.maxDetectionsPerImage ?? defaultMaxDetectionsPerImage;
  if (!Number.isInteger(maxDets) || maxDets < 1) throw new RangeError('maxDetectionsPerImage must be an integer ≥ 1');
  const labels = new Set(input.labels);
  if (labels.size !== input.labels.length) throw new RangeError('labels must be distinct');
  const imageIds = new Set<string>();
  const truthsByClass = new Map<string, number>(input.labels.map((l) => [l, 0]));
  const ignored = { truths: 0, predictions: 0, overDetectionCap: 0 };
  const detections: PreparedDetection[] = [];
  // Matching stops at COCO's 1 − 1e-10 so that a threshold of 1 can be met despite rounding.
  const effective = thresholds.map((t) => Math.min(t, 1 - 1e-10));

  for (const image of input.images) {
    if (imageIds.has(image.id)) throw new RangeError(`image ids must be unique: ${image.id} appears twice`);
    imageIds.add(image.id);
    const truthByClass = new Map<string, Box[]>();
    for (const t of image.truth) {
      if (!labels.has(t.label)) {
        ignored.truths++;
        continue;
      }
      push(truthByClass, t.label, t);
      truthsByClass.set(t.label, truthsByClass.get(t.label)! + 1);
    }
    const predByClass = new Map<string, { box: Box; index: number; score: number }[]>();
    image.predictions.forEach((p, index) => {
      const score = p.score;
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        throw new RangeError(`prediction ${index} of image ${image.id} has no finite score`);
      }
      if (!labels.has(p.label)) ignored.predictions++;
      else push(predByClass, p.label, { box: p, index, score });
    });

    for (const [label, preds] of predByClass) {
      preds.sort((a, b) => b.score - a.score || compareGeometry(a.box, b.box));
      if (preds.length > maxDets) ignored.overDetectionCap += preds.splice(maxDets).length;
      const truths = (truthByClass.get(label) ?? []).sort(compareGeometry);
      const g = truths.length;
      const ious = new Float64Array(preds.length * g);
      preds.forEach((p, i) => truths.forEach((t, j) => (ious[i * g + j] = iou(p.box, t))));
      const iouAt = preds.map(() => new Array<number>(thresholds.length).fill(0));
      effective.forEach((threshold, ti) => {
        const taken = new Uint8Array(g);
        for (let i = 0; i < preds.length; i++) {
          let best = -1;
          let bestIou = 0;
          for (let j = 0; j < g; j++) {
            const v = ious[i * g + j]!;
            if (taken[j] || v < threshold) continue;
            if (best === -1 || v > bestIou) {
              best = j;
              bestIou = v;
            }
          }
          if (best >= 0) {
            taken[best] = 1;
            iouAt[i]![ti] = bestIou;
          }
        }
      });
      preds.forEach((p, i) =>
        detections.push({ imageId: image.id, predictionIndex: p.index, label, score: p.score, iouAt: iouAt[i]! }),
      );
    }
  }

  // The one global sort. Array.prototype.sort is stable, so within an image the order chosen above is kept.
  detections.sort((a, b) => b.score - a.score || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
  let truths = 0;
  for (const n of truthsByClass.values()) truths += n;
  return { detections, truths, truthsByClass, ignored };
}

/** COCO's 101-point interpolated AP of one class at threshold index t; `dets` in descending score order. */
function averagePrecision(dets: readonly PreparedDetection[], t: number, truths: number): number {
  const n = dets.length;
  const precision = new Float64Array(n);
  const recall = new Float64Array(n);
  let tp = 0;
  for (let i = 0; i < n; i++) {
    if (dets[i]!.iouAt[t]! > 0) tp++;
    precision[i] = tp / (i + 1);
    recall[i] = tp / truths;
  }
  // The envelope: the best precision at this recall or any higher one.
  for (let i = n - 1; i > 0; i--) {
    if (precision[i]! > precision[i - 1]!) precision[i - 1] = precision[i]!;
  }
  let sum = 0;
  let k = 0;
  for (const r of recallPoints) {
    while (k < n && recall[k]! < r) k++;
    if (k === n) break; // this recall and every higher one is never reached: they add 0
    sum += precision[k]!;
  }
  return sum / recallPoints.length;
}

function compareGeometry(a: BoxGeometry, b: BoxGeometry): number {
  return a.x - b.x || a.y - b.y || a.width - b.width || a.height - b.height;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
