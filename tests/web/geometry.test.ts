import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitView, grown, moved, resized, rounded, toImage, zoomAt } from '../../web/src/workspace/geometry';

// The web workspace's pure geometry: what the labeler drew is what the API receives, in image pixels, at any zoom.

const image = { width: 640, height: 480 };
const view = fc.record({
  scale: fc.double({ min: 0.05, max: 32, noNaN: true }),
  tx: fc.double({ min: -5000, max: 5000, noNaN: true }),
  ty: fc.double({ min: -5000, max: 5000, noNaN: true }),
});
const point = fc.record({
  x: fc.double({ min: 0, max: 640, noNaN: true }),
  y: fc.double({ min: 0, max: 480, noNaN: true }),
});
const box = fc
  .record({
    x: fc.integer({ min: 0, max: 600 }),
    y: fc.integer({ min: 0, max: 440 }),
    w: fc.integer({ min: 1, max: 40 }),
    h: fc.integer({ min: 1, max: 40 }),
  })
  .map(({ x, y, w, h }) => ({ id: 1, source: 'human' as const, label: 'car', x, y, width: w, height: h }));

describe('workspace geometry', () => {
  it('zooming keeps the image point under the cursor where it was', () => {
    fc.assert(
      fc.property(view, fc.double({ min: 0.2, max: 5, noNaN: true }), point, (v, factor, p) => {
        const sx = v.tx + p.x * v.scale;
        const sy = v.ty + p.y * v.scale;
        const after = toImage(zoomAt(v, factor, sx, sy), sx, sy);
        expect(after.x).toBeCloseTo(p.x, 6);
        expect(after.y).toBeCloseTo(p.y, 6);
      }),
    );
  });

  it('fits the whole image in the canvas, centred', () => {
    const v = fitView({ width: 744, height: 640 }, image);
    expect(image.width * v.scale).toBeLessThanOrEqual(744);
    expect(image.height * v.scale).toBeLessThanOrEqual(640);
    expect(toImage(v, 744 / 2, 640 / 2)).toEqual({ x: 320, y: 240 });
  });

  it('rounds a drawn box to whole pixels, each edge within half a pixel of where it was drawn', () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        const drawn = {
          label: 'car',
          x: Math.min(a.x, b.x),
          y: Math.min(a.y, b.y),
          width: Math.abs(a.x - b.x) + 1,
          height: Math.abs(a.y - b.y) + 1,
        };
        const r = rounded(drawn);
        for (const [got, want] of [
          [r.x, drawn.x],
          [r.y, drawn.y],
          [r.x + r.width, drawn.x + drawn.width],
          [r.y + r.height, drawn.y + drawn.height],
        ])
          expect(Math.abs(got! - want!)).toBeLessThanOrEqual(0.5);
        expect(Number.isInteger(r.x) && Number.isInteger(r.width)).toBe(true);
      }),
    );
  });

  it('keeps moved, resized and grown boxes inside the image, the resize anchored at the opposite corner', () => {
    fc.assert(
      fc.property(
        box,
        fc.integer({ min: -700, max: 700 }),
        fc.integer({ min: -700, max: 700 }),
        point,
        (b, dx, dy, p) => {
          for (const next of [moved(b, dx, dy, image), grown(b, dx, dy, image), resized(b, 'nw', p, image)]) {
            expect(next.x).toBeGreaterThanOrEqual(0);
            expect(next.y).toBeGreaterThanOrEqual(0);
            expect(next.x + next.width).toBeLessThanOrEqual(image.width);
            expect(next.y + next.height).toBeLessThanOrEqual(image.height);
          }
          // Dragging the top-left handle leaves the bottom-right corner where it was (it may become another corner).
          const r = resized(b, 'nw', p, image);
          expect([r.x, r.x + r.width]).toContain(b.x + b.width);
          expect([r.y, r.y + r.height]).toContain(b.y + b.height);
        },
      ),
    );
  });
});
