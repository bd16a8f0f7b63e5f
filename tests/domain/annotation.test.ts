import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annotationSchemaFor, maxBoxesPerImage, sameLabels } from '../../shared/domain/annotation';

const detection = { type: 'objectDetection' as const, labels: [{ name: 'cat' }, { name: 'dog' }, { name: 'bird' }] };
const image = { width: 640, height: 480 };
const schema = annotationSchemaFor(detection, image);

/** Boxes fully inside a 640×480 image with a known label. */
const validBox = fc
  .record({
    label: fc.constantFrom('cat', 'dog', 'bird'),
    x: fc.double({ min: 0, max: 630, noNaN: true }),
    y: fc.double({ min: 0, max: 470, noNaN: true }),
  })
  .chain((b) =>
    fc.record({
      label: fc.constant(b.label),
      x: fc.constant(b.x),
      y: fc.constant(b.y),
      width: fc.double({ min: 0.5, max: 640 - b.x, noNaN: true }),
      height: fc.double({ min: 0.5, max: 480 - b.y, noNaN: true }),
    }),
  );

function fieldsOf(result: ReturnType<typeof schema.safeParse>): string[] {
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

describe('annotation validation (object detection)', () => {
  it('accepts any set of in-image boxes with known labels', () => {
    fc.assert(
      fc.property(fc.array(validBox, { maxLength: 50 }), (boxes) => {
        expect(schema.safeParse({ boxes }).success).toBe(true);
      }),
    );
  });

  it('rejects a box that leaves the image by more than 1 px and names the field', () => {
    fc.assert(
      fc.property(
        fc.array(validBox, { minLength: 1, maxLength: 10 }),
        fc.nat(9),
        fc.double({ min: 1.01, max: 5000, noNaN: true }),
        fc.constantFrom('right', 'bottom', 'left', 'top'),
        (boxes, pick, overshoot, edge) => {
          const i = pick % boxes.length;
          const b = { ...boxes[i]! };
          if (edge === 'right') b.width = image.width - b.x + overshoot;
          if (edge === 'bottom') b.height = image.height - b.y + overshoot;
          if (edge === 'left') b.x = -overshoot;
          if (edge === 'top') b.y = -overshoot;
          boxes[i] = b;
          const field = { right: 'width', bottom: 'height', left: 'x', top: 'y' }[edge];
          expect(fieldsOf(schema.safeParse({ boxes }))).toContain(`boxes.${i}.${field}`);
        },
      ),
    );
  });

  it('tolerates rounding up to 1 px past the edge', () => {
    expect(schema.safeParse({ boxes: [{ label: 'cat', x: -1, y: -0.5, width: 641, height: 481 }] }).success).toBe(true);
  });

  it('rejects NaN, infinite, zero and negative sizes, and names the field', () => {
    for (const [bad, field] of [
      [{ width: Number.NaN }, 'width'],
      [{ x: Number.POSITIVE_INFINITY }, 'x'],
      [{ height: 0 }, 'height'],
      [{ width: -3 }, 'width'],
    ] as const) {
      const box = Object.assign({ label: 'cat', x: 10, y: 10, width: 20, height: 20 }, bad);
      expect(fieldsOf(schema.safeParse({ boxes: [box] }))).toContain(`boxes.0.${field}`);
    }
  });

  it('rejects unknown labels, listing the project labels', () => {
    const result = schema.safeParse({ boxes: [{ label: 'unicorn', x: 1, y: 1, width: 5, height: 5 }] });
    expect(fieldsOf(result)).toEqual(['boxes.0.label']);
    expect(result.error!.issues[0]!.message).toContain('cat, dog, bird');
  });

  it(`rejects more than ${maxBoxesPerImage} boxes and unknown fields`, () => {
    const many = Array.from({ length: maxBoxesPerImage + 1 }, () => ({
      label: 'cat',
      x: 1,
      y: 1,
      width: 2,
      height: 2,
    }));
    expect(fieldsOf(schema.safeParse({ boxes: many }))).toContain('boxes');
    expect(schema.safeParse({ boxes: [], extra: 1 }).success).toBe(false);
  });
});

describe('annotation validation (classification)', () => {
  const single = annotationSchemaFor({ type: 'imageClassification', labels: detection.labels }, image);
  const multi = annotationSchemaFor({ type: 'imageClassificationMultiLabel', labels: detection.labels }, image);

  it('single-label takes exactly one known label', () => {
    expect(single.safeParse({ labels: ['cat'] }).success).toBe(true);
    expect(single.safeParse({ labels: ['cat', 'dog'] }).success).toBe(false);
    expect(single.safeParse({ labels: [] }).success).toBe(false);
    expect(single.safeParse({ boxes: [] }).success).toBe(false);
  });

  it('multi-label takes any non-empty set of distinct known labels', () => {
    fc.assert(
      fc.property(fc.subarray(['cat', 'dog', 'bird'], { minLength: 1 }), (labels) => {
        expect(multi.safeParse({ labels }).success).toBe(true);
      }),
    );
    expect(multi.safeParse({ labels: ['cat', 'cat'] }).success).toBe(false);
    expect(multi.safeParse({ labels: ['cat', 'zebra'] }).success).toBe(false);
  });
});

describe('sameLabels', () => {
  it('ignores box order but not box content', () => {
    fc.assert(
      fc.property(fc.array(validBox, { minLength: 2, maxLength: 8 }), (boxes) => {
        expect(sameLabels({ boxes }, { boxes: [...boxes].reverse() })).toBe(true);
        const moved = boxes.map((b, i) => (i === 0 ? { ...b, x: b.x + 1 } : b));
        expect(sameLabels({ boxes }, { boxes: moved })).toBe(false);
      }),
    );
  });
});
