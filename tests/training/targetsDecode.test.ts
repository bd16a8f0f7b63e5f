import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import {
  decodeDetections,
  emptyTargets,
  gaussianRadius,
  letterbox,
  outputStride,
  toImagePixels,
  useWasmBackend,
  writeTargets,
  type InputBox,
} from '../../adapters/training/local';

/**
 * Targets and decoding are each other's inverse: a "perfect" network output built from the training targets must
 * decode to the boxes that produced them, and letterboxing must map them back to the original pixels.
 */

describe('CenterNet targets ↔ decoding', () => {
  it('decodes the targets of known boxes back to those boxes, then to original pixels', async () => {
    await useWasmBackend();
    const inputSize = 64;
    const classes = 2;
    const boxes: InputBox[] = [
      { classIndex: 0, x: 5.5, y: 9.25, width: 20, height: 14 },
      { classIndex: 1, x: 36, y: 30, width: 17.5, height: 26 },
    ];
    const t = emptyTargets(1, inputSize, classes);
    writeTargets(boxes, inputSize, classes, 0, t);
    expect(t.objects).toBe(2);
    const cells = inputSize / outputStride;
    // The heatmap target is 1 exactly at each centre cell; build "ideal" logits from it (peak ≫ Gaussian flanks).
    const heat = new Float32Array(t.positive.length);
    for (let i = 0; i < heat.length; i++)
      heat[i] = t.positive[i] === 1 ? 6 : -6 + 4 * (1 - t.negativeWeight[i]! ** 0.25);
    const heatmap = tf.tensor4d(heat, [1, cells, cells, classes]);
    const regression = tf.tensor4d(t.regression, [1, cells, cells, 4]);
    const found = decodeDetections(heatmap, regression, { inputSize, maxDetections: 10, minScore: 0.5 });
    tf.dispose([heatmap, regression]);
    expect(found).toHaveLength(2);
    for (const box of boxes) {
      const d = found.find((f) => f.classIndex === box.classIndex)!;
      expect(d.x).toBeCloseTo(box.x, 4);
      expect(d.y).toBeCloseTo(box.y, 4);
      expect(d.width).toBeCloseTo(box.width, 4);
      expect(d.height).toBeCloseTo(box.height, 4);
    }

    // A 200×100 image letterboxed to 64: scale 0.32, content 64×32 at the top left.
    const image = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const boxed = await letterbox(image, inputSize);
    expect(boxed).toMatchObject({ width: 200, height: 100, scaleX: 0.32, scaleY: 0.32 });
    const back = toImagePixels({ x: 16, y: 8, width: 32, height: 16 }, boxed)!;
    expect(back.x).toBeCloseTo(50, 6);
    expect(back.y).toBeCloseTo(25, 6);
    expect(back.width).toBeCloseTo(100, 6);
    expect(back.height).toBeCloseTo(50, 6);
    // Clipped to the image; nothing left → undefined.
    expect(toImagePixels({ x: 60, y: 30, width: 10, height: 10 }, boxed)).toEqual({
      x: 187.5,
      y: 93.75,
      width: 12.5,
      height: 6.25,
    });
    expect(toImagePixels({ x: 10, y: 40, width: 5, height: 5 }, boxed)).toBeUndefined();
  });

  it('uses the CenterNet radius rule (IoU ≥ 0.7 under corner shifts)', () => {
    // CenterNet's gaussian_radius((10, 10), 0.7), evaluated with the Python formula of its reference code: 2.7332.
    expect(gaussianRadius(10, 10)).toBeCloseTo(2.7332, 3);
    expect(gaussianRadius(40, 20)).toBeGreaterThan(gaussianRadius(10, 10));
  });
});
