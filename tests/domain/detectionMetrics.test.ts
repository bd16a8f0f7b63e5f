import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluateDetections,
  iou,
  matchDetections,
  operatingPoints,
  type DetectionImage,
} from '../../shared/domain/detectionMetrics';
import type { Box } from '../../shared/domain/task';
import reference from '../fixtures/coco/cocoReference.json';

const b = (label: string, x: number, y: number, width: number, height: number, score?: number): Box =>
  score === undefined ? { label, x, y, width, height } : { label, x, y, width, height, score };

describe('iou', () => {
  it('uses continuous coordinates (hand-computed)', () => {
    const a = b('c', 0, 0, 10, 10);
    // Half overlap: 5×10 = 50 over 100 + 100 − 50 = 150.
    expect(iou(a, b('c', 5, 0, 10, 10))).toBeCloseTo(1 / 3, 12);
    // Quarter overlap: 5×5 = 25 over 175.
    expect(iou(a, b('c', 5, 5, 10, 10))).toBeCloseTo(1 / 7, 12);
    // Contained: 25 / 100.
    expect(iou(a, b('c', 0, 0, 5, 5))).toBe(0.25);
    // Touching edges share no area (with VOC's "+1" they would overlap by one pixel column).
    expect(iou(a, b('c', 10, 0, 10, 10))).toBe(0);
    expect(iou(a, a)).toBe(1);
    expect(iou(b('c', 3, 3, 0, 5), b('c', 3, 3, 0, 5))).toBe(0);
  });

  it('is symmetric, in [0, 1], and 1 for a box with itself', () => {
    const box = fc.record({
      label: fc.constant('c'),
      x: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
      y: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
      width: fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
      height: fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
    });
    fc.assert(
      fc.property(box, box, (p, q) => {
        const v = iou(p, q);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
        expect(iou(q, p)).toBe(v);
        expect(iou(p, p)).toBe(1);
      }),
    );
  });
});

describe('evaluateDetections: hand-computed cases', () => {
  it('ranks TP, FP, TP: AP = (51·1 + 50·⅔) / 101', () => {
    // Truths T1, T2; predictions by score: exact on T1 (TP), far away (FP), exact on T2 (TP).
    // precision 1, ½, ⅔; recall ½, ½, 1; envelope 1, ⅔, ⅔.
    // Recall points 0.00…0.50 (51) read index 0 → 1; 0.51…1.00 (50) read index 2 → ⅔.
    const images: DetectionImage[] = [
      {
        id: 'a',
        truth: [b('cat', 0, 0, 10, 10), b('cat', 100, 100, 10, 10)],
        predictions: [b('cat', 0, 0, 10, 10, 0.9), b('cat', 50, 50, 10, 10, 0.8), b('cat', 100, 100, 10, 10, 0.7)],
      },
    ];
    const r = evaluateDetections({ labels: ['cat'], images });
    const expected = (51 + (50 * 2) / 3) / 101;
    expect(r.mAP50).toBeCloseTo(expected, 12);
    // Every match is exact (IoU 1), so every threshold gives the same AP.
    expect(r.mAP50_95).toBeCloseTo(expected, 12);
    expect(r.perClass.cat).toMatchObject({ truths: 2, predictions: 3 });
    expect(r.matchedMeanIoU).toBe(1);
    expect(r.matched50).toBe(2);
  });

  it('counts a match from IoU = threshold on: IoU 0.8 is a TP at 0.5…0.8, so AP50:95 = 7/10', () => {
    // Truth 10×10, prediction 10×8 inside it: IoU 80/100 = 0.8, a TP at 0.50, 0.55, …, 0.80 (7 thresholds, AP 1)
    // and a FP at 0.85, 0.90, 0.95 (AP 0).
    const images = [{ id: 'a', truth: [b('cat', 0, 0, 10, 10)], predictions: [b('cat', 0, 0, 10, 8, 0.9)] }];
    const r = evaluateDetections({ labels: ['cat'], images });
    expect(r.mAP50).toBe(1);
    expect(r.perClass.cat!.apByIoU).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(r.mAP50_95).toBeCloseTo(0.7, 12);
    expect(r.matchedMeanIoU).toBeCloseTo(0.8, 12);
  });

  it('matches greedily by score, as COCO: the higher-scored looser box takes the truth', () => {
    // P_hi (0.9) has IoU 60/100 = 0.6 with T, P_lo (0.5) is exact. At 0.5 P_hi takes T and P_lo is a FP:
    // precision 1, ½ with recall 1, 1 → AP 1, matched mean IoU 0.6 (not 1).
    // At 0.75 P_hi cannot match, so P_lo does: FP then TP, precision 0, ½ → envelope ½, ½ → AP ½.
    const images = [
      {
        id: 'a',
        truth: [b('cat', 0, 0, 10, 10)],
        predictions: [b('cat', 0, 0, 10, 10, 0.5), b('cat', 0, 0, 10, 6, 0.9)],
      },
    ];
    const r = evaluateDetections({ labels: ['cat'], images, iouThresholds: [0.5, 0.75] });
    expect(r.perClass.cat!.apByIoU).toEqual([1, 0.5]);
    expect(r.matchedMeanIoU).toBeCloseTo(0.6, 12);
  });

  it('gives each prediction the unmatched truth of highest IoU', () => {
    // P1 (0.9) = 10×10 box: IoU 0.6 with Ta (10×6), 0.8 with Tb (10×8) → takes Tb.
    // P2 (0.5) = 10×6 box: IoU 1 with Ta, 60/80 = 0.75 with Tb (taken) → takes Ta.
    const m = matchDetections({
      labels: ['cat'],
      images: [
        {
          id: 'a',
          truth: [b('cat', 0, 0, 10, 6), b('cat', 0, 0, 10, 8)],
          predictions: [b('cat', 0, 0, 10, 6, 0.5), b('cat', 0, 0, 10, 10, 0.9)],
        },
      ],
    });
    expect(m.truths).toBe(2);
    expect(m.detections.map((d) => [d.predictionIndex, d.matched, d.iou])).toEqual([
      [1, true, 0.8],
      [0, true, 1],
    ]);
  });

  it('breaks equal-IoU ties between truths by position, whatever their order', () => {
    // P1 (0.9) at x=2 has IoU 80/120 = ⅔ with both Ta (x=0) and Tb (x=4); P2 (0.5) at x=−2 has ⅔ with Ta and
    // 40/160 = ¼ with Tb. P1 takes Ta (first by position), so P2 is a FP: precision 1, ½ at recall ½, ½ →
    // AP = 51/101 (recall points 0…0.5 read 1, the rest are never reached). Taking Tb would give AP 1.
    const truth = [b('cat', 0, 0, 10, 10), b('cat', 4, 0, 10, 10)];
    const predictions = [b('cat', 2, 0, 10, 10, 0.9), b('cat', -2, 0, 10, 10, 0.5)];
    for (const order of [truth, [...truth].reverse()]) {
      const r = evaluateDetections({
        labels: ['cat'],
        images: [{ id: 'a', truth: order, predictions }],
        iouThresholds: [0.5],
      });
      expect(r.mAP50).toBeCloseTo(51 / 101, 12);
    }
  });

  it('leaves classes without truth out of the mean (COCO’s −1) and other labels out altogether', () => {
    // cat: one exact TP → AP 1. dog: predictions but no truth → null, not 0. bird is not an evaluated label.
    const images = [
      {
        id: 'a',
        truth: [b('cat', 0, 0, 10, 10), b('bird', 50, 50, 5, 5)],
        predictions: [b('cat', 0, 0, 10, 10, 0.9), b('dog', 20, 20, 10, 10, 0.95), b('bird', 50, 50, 5, 5, 0.9)],
      },
    ];
    const r = evaluateDetections({ labels: ['cat', 'dog'], images });
    expect(r.mAP50).toBe(1);
    expect(r.perClass.dog).toEqual({ ap50: null, ap50_95: null, apByIoU: [], truths: 0, predictions: 1 });
    expect(r.ignored).toEqual({ truths: 1, predictions: 1, overDetectionCap: 0 });
    expect(evaluateDetections({ labels: ['dog'], images }).mAP50).toBeNull();
  });

  it('scores a class with truth but no predictions 0', () => {
    const r = evaluateDetections({
      labels: ['cat'],
      images: [{ id: 'a', truth: [b('cat', 0, 0, 9, 9)], predictions: [] }],
    });
    expect(r.mAP50).toBe(0);
    expect(r.matchedMeanIoU).toBe(0);
  });

  it('keeps the 100 best predictions per image and class', () => {
    // 101 predictions: the exact one scores lowest and is cut, so the truth is never found.
    const predictions = Array.from({ length: 100 }, (_, i) => b('cat', 500 + i, 500, 5, 5, 0.5 + i / 1000));
    predictions.push(b('cat', 0, 0, 10, 10, 0.1));
    const r = evaluateDetections({
      labels: ['cat'],
      images: [{ id: 'a', truth: [b('cat', 0, 0, 10, 10)], predictions }],
    });
    expect(r.mAP50).toBe(0);
    expect(r.ignored.overDetectionCap).toBe(1);
    expect(
      evaluateDetections({
        labels: ['cat'],
        images: [{ id: 'a', truth: [b('cat', 0, 0, 10, 10)], predictions }],
        maxDetectionsPerImage: 101,
      }).mAP50,
    ).toBeGreaterThan(0);
  });

  it('refuses predictions without a score and duplicate image ids', () => {
    const truth = [b('cat', 0, 0, 1, 1)];
    expect(() =>
      evaluateDetections({ labels: ['cat'], images: [{ id: 'a', truth, predictions: [b('cat', 0, 0, 1, 1)] }] }),
    ).toThrow(/no finite score/);
    const image = { id: 'a', truth, predictions: [] };
    expect(() => evaluateDetections({ labels: ['cat'], images: [image, image] })).toThrow(/unique/);
  });
});

describe('evaluateDetections against pycocotools', () => {
  it('gives COCOeval’s numbers on a recorded random set (tests/fixtures/coco/generate.py)', () => {
    const r = evaluateDetections({ labels: reference.labels, images: reference.images });
    expect(r.mAP50).toBeCloseTo(reference.expected.mAP50, 12);
    expect(r.mAP50_95).toBeCloseTo(reference.expected.mAP50_95, 12);
    for (const label of reference.labels) {
      const want = (reference.expected.perClass as Record<string, { ap50: number; apByIoU: number[] } | null>)[label];
      const got = r.perClass[label]!;
      if (want === null) {
        expect(got.ap50).toBeNull();
        continue;
      }
      expect(got.ap50).toBeCloseTo(want.ap50, 12);
      got.apByIoU.forEach((ap, t) => expect(ap).toBeCloseTo(want.apByIoU[t]!, 12));
    }
  });
});

// Random sets on a small grid with few classes and coarse scores, so overlaps, duplicates and score ties are common.
const labels = ['a', 'b', 'c'];
const geometry = {
  label: fc.constantFrom(...labels),
  x: fc.integer({ min: 0, max: 40 }),
  y: fc.integer({ min: 0, max: 40 }),
  width: fc.integer({ min: 1, max: 20 }),
  height: fc.integer({ min: 1, max: 20 }),
};
const truthBox: fc.Arbitrary<Box> = fc.record(geometry);
const predictionBox: fc.Arbitrary<Box & { score: number }> = fc.record({
  ...geometry,
  score: fc.integer({ min: 1, max: 9 }).map((s) => s / 10),
});
const dataset = fc
  .array(
    fc.record({
      truth: fc.array(truthBox, { maxLength: 6 }),
      predictions: fc.array(predictionBox, { maxLength: 8 }),
    }),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((images) => images.map((im, i) => ({ id: `img${i}`, ...im })));

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('evaluateDetections: properties', () => {
  it('perfect predictions give 1 at every threshold', () => {
    fc.assert(
      fc.property(dataset, fc.integer(), (images, seed) => {
        fc.pre(images.some((im) => im.truth.length > 0));
        const perfect = images.map((im, i) => ({
          ...im,
          predictions: im.truth.map((t, j) => ({ ...t, score: (((seed + i * 31 + j * 7) >>> 0) % 97) / 97 })),
        }));
        const r = evaluateDetections({ labels, images: perfect });
        expect(r.mAP50).toBe(1);
        expect(r.mAP50_95).toBe(1);
        expect(r.matchedMeanIoU).toBe(1);
      }),
    );
  });

  it('does not depend on the order of images, truths or predictions (ties included)', () => {
    fc.assert(
      fc.property(dataset, fc.integer(), (images, seed) => {
        const before = evaluateDetections({ labels, images });
        const reordered = shuffled(images, seed).map((im, i) => ({
          ...im,
          truth: shuffled(im.truth, seed + i),
          predictions: shuffled(im.predictions, seed - i),
        }));
        const after = evaluateDetections({ labels, images: reordered });
        expect(after).toEqual(before);
      }),
    );
  });

  it('keeps every AP in [0, 1]', () => {
    fc.assert(
      fc.property(dataset, (images) => {
        const r = evaluateDetections({ labels, images });
        for (const c of Object.values(r.perClass)) {
          for (const ap of [c.ap50, c.ap50_95, ...c.apByIoU]) {
            if (ap === null) continue;
            expect(ap).toBeGreaterThanOrEqual(0);
            expect(ap).toBeLessThanOrEqual(1);
          }
        }
        expect(r.matchedMeanIoU).toBeGreaterThanOrEqual(0);
        expect(r.matchedMeanIoU).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('never gains AP from an extra false positive, lowest-scored or anywhere', () => {
    fc.assert(
      fc.property(
        dataset,
        fc.nat(),
        fc.constantFrom(...labels),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        (images, at, label, score) => {
          const before = evaluateDetections({ labels, images });
          // Far outside the 0…60 grid: overlaps no truth. Without a score it ranks below every other prediction.
          const fp = b(label, 1000, 1000, 5, 5, score ?? 0);
          const target = at % images.length;
          const withFp = images.map((im, i) => (i === target ? { ...im, predictions: [...im.predictions, fp] } : im));
          const after = evaluateDetections({ labels, images: withFp });
          for (const l of labels) {
            const [x, y] = [before.perClass[l]!, after.perClass[l]!];
            if (x.ap50 === null) continue;
            expect(y.ap50!).toBeLessThanOrEqual(x.ap50 + 1e-12);
            expect(y.ap50_95!).toBeLessThanOrEqual(x.ap50_95! + 1e-12);
          }
        },
      ),
    );
  });
});

describe('operatingPoints', () => {
  it('counts the detections at or above each cutoff (hand-computed)', () => {
    // Same set as the TP, FP, TP case: scores 0.9 (TP), 0.8 (FP), 0.7 (TP), 2 truths.
    const m = matchDetections({
      labels: ['cat'],
      images: [
        {
          id: 'a',
          truth: [b('cat', 0, 0, 10, 10), b('cat', 100, 100, 10, 10)],
          predictions: [b('cat', 0, 0, 10, 10, 0.9), b('cat', 50, 50, 10, 10, 0.8), b('cat', 100, 100, 10, 8, 0.7)],
        },
      ],
    });
    const points = operatingPoints(m, [0.95, 0.9, 0.75, 0.7, 0]);
    expect(points.map((p) => [p.detections, p.truePositives, p.precision, p.recall])).toEqual([
      [0, 0, 0, 0],
      [1, 1, 1, 0.5],
      [2, 1, 0.5, 0.5],
      [3, 2, 2 / 3, 1],
      [3, 2, 2 / 3, 1],
    ]);
    // Matched IoUs 1 and 0.8 (the 10×8 box on a 10×10 truth): mean 0.9 once both count.
    expect(points[3]!.meanIoU).toBeCloseTo(0.9, 12);
    expect(points[1]!.meanIoU).toBe(1);
  });

  it('agrees with matching only the predictions at or above the cutoff (greedy matching is prefix-closed)', () => {
    fc.assert(
      fc.property(dataset, fc.integer({ min: 1, max: 9 }), (images, c) => {
        const cutoff = c / 10;
        const [point] = operatingPoints(matchDetections({ labels, images }), [cutoff]);
        const kept = images.map((im) => ({ ...im, predictions: im.predictions.filter((p) => p.score >= cutoff) }));
        const alone = matchDetections({ labels, images: kept });
        const tp = alone.detections.filter((d) => d.matched);
        expect(point!.detections).toBe(alone.detections.length);
        expect(point!.truePositives).toBe(tp.length);
        if (tp.length > 0) expect(point!.meanIoU).toBeCloseTo(tp.reduce((s, d) => s + d.iou, 0) / tp.length, 12);
      }),
    );
  });
});

describe('evaluateDetections: size', () => {
  // A quadratic slip would show as a test timeout here (100,000² pairs take minutes); timing itself is not asserted.
  it('evaluates 5,000 images × 20 predictions', () => {
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const images = Array.from({ length: 5000 }, (_, i) => {
      const truth = Array.from({ length: 10 }, () =>
        b(labels[Math.floor(rnd() * 3)]!, rnd() * 600, rnd() * 600, 20 + rnd() * 80, 20 + rnd() * 80),
      );
      const predictions = Array.from({ length: 20 }, (_, j) => {
        const t = truth[j % truth.length]!;
        return j < 10
          ? { ...t, x: t.x + rnd() * 10 - 5, score: rnd() }
          : b(t.label, rnd() * 600, rnd() * 600, 40, 40, rnd());
      });
      return { id: `img${i}`, truth, predictions };
    });
    const r = evaluateDetections({ labels, images });
    expect(r.predictions).toBe(100_000);
    expect(r.mAP50).toBeGreaterThan(0.3);
  });
});
