import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibrate, type CalibrationModel } from '../../shared/domain/calibration';
import { operatingPoints, type MatchedDetection } from '../../shared/domain/detectionMetrics';
import { additionalLabelsNeeded, chooseThreshold, type LabelingRun } from '../../shared/domain/validationGate';

const identity: CalibrationModel = { kind: 'identity', a: -1, b: 0, input: 'logit', reason: 'test' };

let n = 0;
const det = (score: number, matched: boolean, iou = 0.8): MatchedDetection => ({
  imageId: `img${n++}`,
  predictionIndex: 0,
  label: 'cat',
  score,
  matched,
  iou: matched ? iou : 0,
});
/** `count` detections scored from, from − 0.01, from − 0.02, … */
const run = (count: number, from: number, matched: boolean, iou?: number) =>
  Array.from({ length: count }, (_, i) => det(Math.round((from - i / 100) * 100) / 100, matched, iou));
/** `count` detections all scored `score`. */
const tied = (count: number, score: number, matched: boolean) =>
  Array.from({ length: count }, () => det(score, matched));

/**
 * By score: 0.99 FP; 0.90 … 0.81 ten TPs; 0.80 FP; 0.70 TP; 0.60 TP; 0.50 five FPs. 15 truths.
 * Precision at each cutoff: 0.99 → 0/1; 0.81 → 10/11 = 0.909; 0.80 → 10/12 = 0.833; 0.70 → 11/13 = 0.846;
 * 0.60 → 12/14 = 0.857; 0.50 → 12/19 = 0.632.
 */
const bumpy = {
  truths: 15,
  detections: [
    det(0.99, false),
    ...run(10, 0.9, true),
    det(0.8, false),
    det(0.7, true),
    det(0.6, true),
    ...tied(5, 0.5, false),
  ],
};

describe('chooseThreshold', () => {
  it('passes at the lowest cutoff meeting precision, mean IoU and matched count (hand-computed)', () => {
    const r = chooseThreshold(bumpy, identity);
    expect(r).toMatchObject({ passed: true, threshold: 0.81, recall: 10 / 15 });
    if (!r.passed) return;
    expect(r.precision).toBeCloseTo(10 / 11, 12);
    expect(r.meanIoU).toBeCloseTo(0.8, 12);
    expect(r.atThreshold).toMatchObject({ detections: 11, truePositives: 10, falsePositives: 1, truths: 15 });
  });

  it('checks the condition at the cutoff only: 0.60 passes 0.85 although 0.70 and 0.80 fail it', () => {
    const r = chooseThreshold(bumpy, identity, { minPrecision: 0.85 });
    expect(r).toMatchObject({ passed: true, threshold: 0.6, recall: 12 / 15 });
  });

  it('does not pass on too few matched boxes', () => {
    // Nine TPs (0.90 … 0.82), then five FPs at 0.5: precision 1 at 0.82 but 9 < 10 matched; 9/14 at 0.5.
    const few = { truths: 12, detections: [...run(9, 0.9, true), ...tied(5, 0.5, false)] };
    const r = chooseThreshold(few, identity);
    expect(r).toMatchObject({ passed: false, reason: 'too-few-matched' });
    if (r.passed) return;
    expect(r.best).toMatchObject({ truePositives: 9, detections: 14 });
    expect(chooseThreshold(few, identity, { minMatched: 5 })).toMatchObject({ passed: true, threshold: 0.82 });
  });

  it('fails on loose boxes, naming the mean IoU and the closest point', () => {
    // Precision 1 everywhere above the FPs, but every match has IoU 0.55 < 0.6.
    const loose = { truths: 12, detections: [...run(12, 0.9, true, 0.55), ...run(3, 0.4, false)] };
    const r = chooseThreshold(loose, identity);
    expect(r).toMatchObject({ passed: false, reason: 'mean-iou' });
    if (r.passed) return;
    // FPs at 0.40, 0.39, 0.38: precision is 12/13 = 0.923 at 0.40 but 12/14 = 0.857 at 0.39. Every point from
    // 0.40 up falls short on IoU alone, by (0.6 − 0.55)/0.6, so the lowest of them is the closest.
    expect(r.best!.cutoff).toBe(0.4);
    expect(r.explanation).toMatch(/mean IoU 0\.550/);
    expect(chooseThreshold(loose, identity, { minMeanIoU: 0.5 })).toMatchObject({ passed: true, threshold: 0.4 });
  });

  it('reports the threshold on the calibrated scale', () => {
    const platt: CalibrationModel = { kind: 'platt', a: -2, b: 0.3, input: 'logit' };
    const r = chooseThreshold(bumpy, platt);
    expect(r).toMatchObject({ passed: true, threshold: calibrate(platt, 0.81) });
  });

  it('says when there is nothing to measure', () => {
    expect(chooseThreshold({ truths: 0, detections: bumpy.detections }, identity)).toMatchObject({
      passed: false,
      reason: 'no-validation-truth',
    });
    expect(chooseThreshold({ truths: 5, detections: [] }, identity)).toMatchObject({
      passed: false,
      reason: 'no-detections',
    });
  });

  it('passes exactly when some candidate passes, and then at the lowest one', () => {
    const detections = fc.array(
      fc.record({
        score: fc.integer({ min: 0, max: 20 }).map((s) => s / 20),
        matched: fc.boolean(),
        iou: fc.double({ min: 0.5, max: 1, noNaN: true }),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(
        detections,
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 5 }),
        (ds, truths, minMatched) => {
          const m = { truths, detections: ds.map((d) => det(d.score, d.matched, d.iou)) };
          const options = { minPrecision: 0.7, minMeanIoU: 0.7, minMatched };
          const r = chooseThreshold(m, identity, options);
          const cutoffs = [...new Set(ds.map((d) => d.score))].sort((a, b) => a - b);
          const passing = operatingPoints(m, cutoffs).filter(
            (p) => p.precision >= 0.7 && p.meanIoU >= 0.7 && p.truePositives >= minMatched,
          );
          expect(r.passed).toBe(passing.length > 0);
          if (r.passed) expect(r.threshold).toBe(passing[0]!.cutoff);
        },
      ),
    );
  });
});

describe('additionalLabelsNeeded', () => {
  const bounds = { minimum: 50, maximum: 5_000 };

  it('grows the labeled set after a single run (growth factor 1 doubles it)', () => {
    const runs = [{ labeled: 250, metric: 0.7 }];
    expect(additionalLabelsNeeded({ runs, target: 0.9, ...bounds })).toMatchObject({ needed: 250, rule: 'growth' });
    expect(additionalLabelsNeeded({ runs, target: 0.9, growthFactor: 0.5, ...bounds }).needed).toBe(125);
    expect(additionalLabelsNeeded({ runs, target: 0.9, growthFactor: 0.1, ...bounds }).needed).toBe(50);
    expect(
      additionalLabelsNeeded({ runs: [{ labeled: 4_000, metric: 0.7 }], target: 0.9, minimum: 50, maximum: 3_000 })
        .needed,
    ).toBe(3_000);
  });

  it('extrapolates the log-linear curve through two runs (hand-computed)', () => {
    // +0.1 per doubling from 100 labels at 0.5: 0.7 is reached at 400 labels, 200 past the last run.
    const runs = [
      { labeled: 200, metric: 0.6 },
      { labeled: 100, metric: 0.5 },
    ];
    const r = additionalLabelsNeeded({ runs, target: 0.7, ...bounds });
    expect(r).toMatchObject({ needed: 200, rule: 'learning-curve' });
    expect(r.explanation).toMatch(/400 labels/);
    // 250 → 0.5, 500 → 0.6: 0.8 two doublings on, at 2,000 labels (2000.0000000000014 in floating point: the
    // rounding must not ask for a 1,501st label).
    const later = [
      { labeled: 250, metric: 0.5 },
      { labeled: 500, metric: 0.6 },
    ];
    expect(additionalLabelsNeeded({ runs: later, target: 0.8, ...bounds }).needed).toBe(1_500);
  });

  it('fits three noisy runs by least squares (hand-computed)', () => {
    // x = ln(labeled) = ln 100 + {0, ln 2, 2 ln 2}, y = 0.5, 0.62, 0.68: mean x = ln 200, mean y = 0.6;
    // Sxy = (−ln 2)(−0.1) + (ln 2)(0.08) = 0.18 ln 2, Sxx = 2 ln² 2, so β = 0.09 / ln 2 and the line passes
    // (ln 200, 0.6). Target 0.78 = 0.6 + 0.18 = two doublings further: 800 labels, 400 past the last run.
    const runs = [
      { labeled: 100, metric: 0.5 },
      { labeled: 200, metric: 0.62 },
      { labeled: 400, metric: 0.68 },
    ];
    expect(additionalLabelsNeeded({ runs, target: 0.78, ...bounds }).needed).toBe(400);
  });

  it('asks for the maximum when more labels have not helped', () => {
    for (const metrics of [
      [0.5, 0.5],
      [0.6, 0.5],
    ]) {
      const runs = [
        { labeled: 250, metric: metrics[0]! },
        { labeled: 500, metric: metrics[1]! },
      ];
      const r = additionalLabelsNeeded({ runs, target: 0.9, ...bounds });
      expect(r).toMatchObject({ needed: 5_000, rule: 'learning-curve' });
      expect(r.explanation).toMatch(/not improved/);
    }
  });

  it('asks for the minimum when the latest run already met the target, and grows when runs share one count', () => {
    expect(additionalLabelsNeeded({ runs: [{ labeled: 250, metric: 0.95 }], target: 0.9, ...bounds }).needed).toBe(50);
    const same = [
      { labeled: 250, metric: 0.5 },
      { labeled: 250, metric: 0.6 },
    ];
    expect(additionalLabelsNeeded({ runs: same, target: 0.9, ...bounds })).toMatchObject({
      needed: 250,
      rule: 'growth',
    });
  });

  it('refuses inputs it cannot answer', () => {
    expect(() => additionalLabelsNeeded({ runs: [], target: 0.9, ...bounds })).toThrow(/at least one run/);
    expect(() =>
      additionalLabelsNeeded({ runs: [{ labeled: 1, metric: 0 }], target: 0.9, minimum: 10, maximum: 5 }),
    ).toThrow(RangeError);
    expect(() => additionalLabelsNeeded({ runs: [{ labeled: 0, metric: 0 }], target: 0.9, ...bounds })).toThrow(
      /labeled > 0/,
    );
  });

  const runs = fc.array(
    fc.record({ labeled: fc.integer({ min: 10, max: 20_000 }), metric: fc.double({ min: 0, max: 1, noNaN: true }) }),
    { minLength: 1, maxLength: 6 },
  );
  const limits = fc
    .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }))
    .map(([x, y]) => ({ minimum: Math.min(x, y), maximum: Math.max(x, y) }));
  const target = fc.double({ min: -1, max: 2, noNaN: true });
  const growth = fc.double({ min: 0.01, max: 4, noNaN: true });

  it('always answers an integer within [minimum, maximum]', () => {
    fc.assert(
      fc.property(runs, target, limits, growth, (rs: LabelingRun[], t, lim, g) => {
        const { needed } = additionalLabelsNeeded({ runs: rs, target: t, growthFactor: g, ...lim });
        expect(Number.isInteger(needed)).toBe(true);
        expect(needed).toBeGreaterThanOrEqual(lim.minimum);
        expect(needed).toBeLessThanOrEqual(lim.maximum);
      }),
    );
  });

  it('never asks for fewer labels for a higher target, nor depends on the order of runs', () => {
    fc.assert(
      fc.property(runs, target, target, limits, (rs, t1, t2, lim) => {
        const [lo, hi] = t1 <= t2 ? [t1, t2] : [t2, t1];
        const low = additionalLabelsNeeded({ runs: rs, target: lo, ...lim });
        const high = additionalLabelsNeeded({ runs: rs, target: hi, ...lim });
        expect(low.needed).toBeLessThanOrEqual(high.needed);
        expect(additionalLabelsNeeded({ runs: [...rs].reverse(), target: lo, ...lim }).needed).toBe(low.needed);
      }),
    );
  });
});
