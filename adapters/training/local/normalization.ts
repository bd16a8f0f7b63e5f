import * as tf from '@tensorflow/tfjs';

/**
 * Batch normalisation (batch statistics) followed by ReLU, as ONE custom-gradient op.
 *
 * Why not tf.batchNorm + tf.relu: tfjs's BatchNorm gradient broadcasts per-channel values with `tile` to the full
 * activation size, and wasm's Tile kernel is slow — it took more time than all convolutions' backward passes
 * together. Here the backward pass is the closed form, written with broadcasting element-wise ops and two reductions:
 *
 *   x̂ = (x − μ)/√(σ² + ε),  y = max(0, γx̂ + β),  g = dy·[y > 0],  M = N·H·W
 *   dβ = Σg,  dγ = Σ g·x̂,  dx = γ/√(σ² + ε) · (g − dβ/M − x̂·dγ/M)
 */

export function batchNormRelu(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, gIn, bIn, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(xIn, [0, 1, 2]);
    const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
    const normalised = tf.mul(tf.sub(xIn, mean), inverseStd);
    const y = tf.relu(tf.add(tf.mul(normalised, gIn), bIn));
    save([normalised, y, gIn, inverseStd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xHat, out, g, invStd] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const m = xHat.shape[0] * xHat.shape[1] * xHat.shape[2];
        const masked = tf.mul(dy as tf.Tensor, tf.step(out));
        const dBeta = tf.sum(masked, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(masked, xHat), [0, 1, 2]);
        const centred = tf.sub(tf.sub(masked, tf.div(dBeta, m)), tf.mul(xHat, tf.div(dGamma, m)));
        const dx = tf.mul(centred, tf.mul(g, invStd));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}
