import * as tf from '@tensorflow/tfjs';
import { outputStride } from './model';

/**
 * Network outputs → boxes, CenterNet style: no anchors and no NMS. A detection is a heatmap cell that is the maximum
 * of its 3×3 neighbourhood (max-pool peak extraction), the top K of those by score, with the box read from the
 * regression head at that cell: centre = (cell + offset)·stride, size = (w, h)·inputSize.
 *
 * Scores are the raw sigmoid heatmap values. They are NOT calibrated probabilities (Platt scaling happens elsewhere).
 */

export interface InputDetection {
  classIndex: number;
  score: number;
  /** Box in input (letterboxed) pixels, top-left corner + size. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DecodeOptions {
  inputSize: number;
  maxDetections: number;
  minScore: number;
}

/** heatmap: [1, h, w, classes] logits; regression: [1, h, w, 4]. Returns detections sorted by score, best first. */
export function decodeDetections(
  heatmap: tf.Tensor4D,
  regression: tf.Tensor4D,
  options: DecodeOptions,
): InputDetection[] {
  const [, h, w, classes] = heatmap.shape;
  const { values, indices } = tf.tidy(() => {
    const scores = tf.sigmoid(heatmap);
    const pooled = tf.maxPool(scores, 3, 1, 'same');
    // Keep a cell only where it equals its neighbourhood maximum (ties keep both; rare with float scores).
    const peaks = tf.mul(scores, tf.cast(tf.equal(scores, pooled), 'float32'));
    const k = Math.min(options.maxDetections, h * w * classes);
    return tf.topk(tf.reshape(peaks, [-1]), k, true);
  });
  const topScores = values.dataSync();
  const topIndices = indices.dataSync();
  const reg = regression.dataSync();
  tf.dispose([values, indices]);
  const detections: InputDetection[] = [];
  for (let i = 0; i < topScores.length; i++) {
    const score = topScores[i]!;
    if (score < options.minScore) break; // sorted: nothing better follows
    const flat = topIndices[i]!;
    const classIndex = flat % classes;
    const cell = (flat - classIndex) / classes;
    const cx = cell % w;
    const cy = (cell - cx) / w;
    const r = cell * 4;
    const width = Math.max(0, reg[r]!) * options.inputSize;
    const height = Math.max(0, reg[r + 1]!) * options.inputSize;
    const centreX = (cx + reg[r + 2]!) * outputStride;
    const centreY = (cy + reg[r + 3]!) * outputStride;
    detections.push({ classIndex, score, x: centreX - width / 2, y: centreY - height / 2, width, height });
  }
  return detections;
}

export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Input pixels → original image pixels (undoing the top-left letterbox: divide by the per-axis scale), clipped to the
 * image. Undefined when nothing of the box is left inside the image.
 */
export function toImagePixels(
  box: PixelBox,
  image: { width: number; height: number; scaleX: number; scaleY: number },
): PixelBox | undefined {
  const x0 = Math.min(image.width, Math.max(0, box.x / image.scaleX));
  const y0 = Math.min(image.height, Math.max(0, box.y / image.scaleY));
  const x1 = Math.min(image.width, Math.max(0, (box.x + box.width) / image.scaleX));
  const y1 = Math.min(image.height, Math.max(0, (box.y + box.height) / image.scaleY));
  if (x1 - x0 <= 0 || y1 - y0 <= 0) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
