import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calibrate,
  calibrationSamples,
  expectedCalibrationError,
  fitPlatt,
  type CalibrationSample,
} from '../../shared/domain/calibration';
import { matchDetections } from '../../shared/domain/detectionMetrics';
import { mulberry32 } from '../../shared/util/seededRandom';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Raw scores s = sigmoid(f) with f uniform in [−4, 4]; a sample is positive with probability trueP(f).
 */
function synthetic(n: number, seed: number, trueP: (f: number) => number): CalibrationSample[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const f = rnd() * 8 - 4;
    return { score: sigmoid(f), positive: rnd() < trueP(f) };
  });
}

describe('fitPlatt', () => {
  // Tolerances are 4 standard errors of the maximum-likelihood fit at n = 100,000 (from the Fisher information of
  // f uniform on [−4, 4]: 0.014, 0.004–0.008, 0.006–0.009 and 0.026 for the four models).
  it.each([
    [-2, 0.5, 0.06],
    [-0.5, -1, 0.035],
    [-1, 0, 0.04],
    [-3, 2, 0.11],
  ])('recovers a = %d, b = %d (±%d) from samples of that logistic model on logit(s)', (a, b, tolerance) => {
    const samples = synthetic(100_000, 7, (f) => 1 / (1 + Math.exp(a * f + b)));
    const model = fitPlatt(samples);
    expect(model.kind).toBe('platt');
    expect(Math.abs(model.a - a)).toBeLessThan(tolerance);
    expect(Math.abs(model.b - b)).toBeLessThan(tolerance);
  });

  it('fits Platt’s smoothed targets, not 0 and 1 (hand-computed)', () => {
    // One negative at 0.2, one positive at 0.8: targets 1/(1+2) = ⅓ and (1+1)/(1+2) = ⅔. Two points, two
    // parameters: the fit hits both. logit(0.8) = ln 4, logit(0.2) = −ln 4; p = ⅔ needs a·ln 4 + b = ln ½ and
    // p = ⅓ needs −a·ln 4 + b = ln 2, so b = 0 and a = −ln 2 / ln 4 = −½. Unsmoothed, a would run off to −∞.
    const model = fitPlatt([
      { score: 0.2, positive: false },
      { score: 0.8, positive: true },
    ]);
    expect(model.kind).toBe('platt');
    expect(model.a).toBeCloseTo(-0.5, 6);
    expect(model.b).toBeCloseTo(0, 6);
    expect(calibrate(model, 0.8)).toBeCloseTo(2 / 3, 6);
    expect(calibrate(model, 0.2)).toBeCloseTo(1 / 3, 6);
  });

  it('stays strictly inside (0, 1) for a near-vertical fit', () => {
    // A negative and a positive 1e-9 apart: the smoothed targets ⅓ and ⅔ need |a| ≈ ln 2 / 2e-9 ≈ 3.5·10⁸, so
    // a·logit(s) overflows exp for any score away from ½.
    const model = fitPlatt([
      { score: 0.5, positive: false },
      { score: 0.5 + 1e-9, positive: true },
    ]);
    expect(model.kind).toBe('platt');
    expect(model.a).toBeLessThan(-1e8);
    for (const s of [0, 0.1, 0.9, 1]) {
      expect(calibrate(model, s)).toBeGreaterThan(0);
      expect(calibrate(model, s)).toBeLessThan(1);
    }
  });

  it('falls back to the identity, and says why, when there is nothing to fit', () => {
    const pos = { score: 0.7, positive: true };
    const neg = { score: 0.3, positive: false };
    expect(fitPlatt([])).toMatchObject({ kind: 'identity', reason: 'no samples to fit on' });
    expect(fitPlatt([pos, pos])).toMatchObject({
      kind: 'identity',
      reason: expect.stringMatching(/every sample is positive/),
    });
    expect(fitPlatt([neg, neg])).toMatchObject({
      kind: 'identity',
      reason: expect.stringMatching(/every sample is negative/),
    });
    expect(
      fitPlatt([
        { ...pos, score: 0.5 },
        { ...neg, score: 0.5 },
      ]).reason,
    ).toMatch(/same/);
    // Positives score lower than negatives: a fit would need a > 0 and invert the ranking.
    const inverted = fitPlatt([
      { score: 0.9, positive: false },
      { score: 0.8, positive: false },
      { score: 0.2, positive: true },
      { score: 0.1, positive: true },
    ]);
    expect(inverted).toMatchObject({ kind: 'identity', reason: expect.stringMatching(/not more often right/) });
    expect(calibrate(inverted, 0.37)).toBe(0.37);
  });

  it('lowers the ECE of under- and over-confident scores on held-out samples', () => {
    for (const [name, trueP] of [
      ['under-confident', (f: number) => sigmoid(3 * f)],
      ['over-confident', (f: number) => sigmoid(f / 3)],
    ] as const) {
      const model = fitPlatt(synthetic(5_000, 1, trueP));
      const heldOut = synthetic(5_000, 2, trueP);
      const raw = expectedCalibrationError(heldOut);
      const calibrated = expectedCalibrationError(heldOut.map((s) => ({ ...s, score: calibrate(model, s.score) })));
      expect(raw, name).toBeGreaterThan(0.08);
      expect(calibrated, name).toBeLessThan(0.03);
      expect(calibrated, name).toBeLessThan(raw / 3);
    }
  });

  const samples = fc
    .array(fc.record({ score: fc.double({ min: 0, max: 1, noNaN: true }), positive: fc.boolean() }), {
      minLength: 2,
      maxLength: 60,
    })
    .filter((xs) => xs.some((s) => s.positive) && xs.some((s) => !s.positive));

  it('keeps the ranking (a < 0) and stays strictly inside (0, 1), even at scores 0 and 1', () => {
    fc.assert(
      fc.property(
        samples,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, s1, s2) => {
          const model = fitPlatt(xs);
          if (model.kind === 'identity') return;
          expect(model.a).toBeLessThan(0);
          const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
          expect(calibrate(model, lo)).toBeLessThanOrEqual(calibrate(model, hi));
          for (const s of [lo, hi, 0, 1]) {
            expect(calibrate(model, s)).toBeGreaterThan(0);
            expect(calibrate(model, s)).toBeLessThan(1);
          }
        },
      ),
    );
  });

  it('fits whenever the positives rank above the negatives on average', () => {
    // Positives all above 0.6, negatives all below 0.4: a perfectly separating score always yields a Platt fit.
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.6, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.double({ min: 0, max: 0.4, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (pos, neg) => {
          const model = fitPlatt([
            ...pos.map((score) => ({ score, positive: true })),
            ...neg.map((score) => ({ score, positive: false })),
          ]);
          expect(model.kind).toBe('platt');
          expect(Number.isFinite(model.a) && Number.isFinite(model.b)).toBe(true);
        },
      ),
    );
  });
});

describe('expectedCalibrationError', () => {
  it('weighs each bin’s |share positive − mean score| by its size (hand-computed)', () => {
    // Bin 0: scores 0.05, 0.05, one positive → |0.5 − 0.05| = 0.45, weight 2/4.
    // Bin 9: scores 0.95, 0.95, both positive → |1 − 0.95| = 0.05, weight 2/4. ECE = 0.225 + 0.025 = 0.25.
    const ece = expectedCalibrationError([
      { score: 0.05, positive: false },
      { score: 0.05, positive: true },
      { score: 0.95, positive: true },
      { score: 0.95, positive: true },
    ]);
    expect(ece).toBeCloseTo(0.25, 12);
    // A score of exactly 1 lands in the last bin (not an 11th): one right box at 1 is perfectly calibrated.
    expect(expectedCalibrationError([{ score: 1, positive: true }])).toBe(0);
    expect(expectedCalibrationError([])).toBe(0);
    // 0.3 and 0.35 share bin [0.3, 0.4): |½ − 0.325| = 0.175 (in separate bins it would be ½·0.3 + ½·0.65).
    expect(
      expectedCalibrationError([
        { score: 0.3, positive: false },
        { score: 0.35, positive: true },
      ]),
    ).toBeCloseTo(0.175, 12);
    // One bin: |¾ − mean score ½| = ¼.
    expect(
      expectedCalibrationError(
        [0.2, 0.4, 0.6, 0.8].map((score, i) => ({ score, positive: i > 0 })),
        1,
      ),
    ).toBeCloseTo(0.25, 12);
  });
});

describe('calibrationSamples', () => {
  it('labels a prediction positive when it matches a truth at IoU 0.5', () => {
    const matches = matchDetections({
      labels: ['cat'],
      images: [
        {
          id: 'a',
          truth: [{ label: 'cat', x: 0, y: 0, width: 10, height: 10 }],
          predictions: [
            { label: 'cat', x: 0, y: 0, width: 10, height: 6, score: 0.6 }, // IoU 0.6: positive
            { label: 'cat', x: 0, y: 0, width: 10, height: 10, score: 0.4 }, // the truth is taken: negative
            { label: 'cat', x: 0, y: 0, width: 10, height: 4, score: 0.8 }, // IoU 0.4: negative
          ],
        },
      ],
    });
    expect(calibrationSamples(matches)).toEqual([
      { score: 0.8, positive: false },
      { score: 0.6, positive: true },
      { score: 0.4, positive: false },
    ]);
  });
});
