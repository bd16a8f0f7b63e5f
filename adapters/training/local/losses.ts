import * as tf from '@tensorflow/tfjs';
import type { NetworkOutputs } from './model';

/**
 * CenterNet's training losses.
 *
 *  - Heatmap: the penalty-reduced pixel-wise focal loss (CornerNet/CenterNet, α = 2, β = 4):
 *      at object centres          (1 − p)^α · −log p
 *      elsewhere        (1 − Y)^β ·  p^α     · −log(1 − p)
 *    where Y is the Gaussian-splatted target. log p and log(1 − p) come from the logits via softplus, which stays
 *    finite where sigmoid would saturate to exactly 0 or 1.
 *  - Regression: L1 at the centre cells only, on normalised width/height and the sub-cell centre offset.
 * Both are divided by the number of objects (of the whole batch, not of one worker's share: then the workers'
 * gradients simply add up to the full batch's gradient).
 */

export interface LossTargets {
  /** 1 at object centres, 0 elsewhere: [N, h, w, classes]. */
  positive: tf.Tensor4D;
  /** (1 − Y)^β off the centres, 0 at them: [N, h, w, classes]. */
  negativeWeight: tf.Tensor4D;
  /** [N, h, w, 4]: width/S, height/S, offset x, offset y at centre cells. */
  regression: tf.Tensor4D;
  /** [N, h, w, 4]: the per-channel loss weight at centre cells, 0 elsewhere. */
  regressionWeight: tf.Tensor4D;
}

/** Relative weight of the size and offset L1 terms (CenterNet uses 0.1 on sizes in output cells ≈ 4·stride-free). */
export const sizeLossWeight = 5;
export const offsetLossWeight = 1;

export interface LossParts {
  total: tf.Scalar;
  heatmap: tf.Scalar;
  regression: tf.Scalar;
}

export function detectionLoss(outputs: NetworkOutputs, targets: LossTargets, objects: number): LossParts {
  const normaliser = Math.max(objects, 1);
  const z = outputs.heatmap;
  const focalPositive = tf.mul(targets.positive, tf.mul(tf.square(tf.sigmoid(tf.neg(z))), tf.softplus(tf.neg(z))));
  const focalNegative = tf.mul(targets.negativeWeight, tf.mul(tf.square(tf.sigmoid(z)), tf.softplus(z)));
  const heatmap = tf.div(tf.add(tf.sum(focalPositive), tf.sum(focalNegative)), normaliser) as tf.Scalar;
  const l1 = tf.mul(tf.abs(tf.sub(outputs.regression, targets.regression)), targets.regressionWeight);
  const regression = tf.div(tf.sum(l1), normaliser) as tf.Scalar;
  return { total: tf.add(heatmap, regression), heatmap, regression };
}
