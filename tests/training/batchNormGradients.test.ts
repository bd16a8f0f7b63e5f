import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { batchNormRelu, useWasmBackend } from '../../adapters/training/local';

/**
 * batchNormRelu replaces tf.relu(tf.batchNorm(x, moments…)) with a closed-form backward pass (tfjs's BatchNorm
 * gradient is slow on wasm). Its value and gradients must match tfjs's own composition on the cpu backend.
 */

function values(count: number, seed: number, scale = 1, shift = 0): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1) * scale + shift;
  }
  return out;
}

const shape: [number, number, number, number] = [3, 5, 4, 6];
const epsilon = 1e-3;

async function run(backend: 'cpu' | 'wasm') {
  if (backend === 'wasm') await useWasmBackend();
  else await tf.setBackend('cpu');
  expect(tf.getBackend()).toBe(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(values(3 * 5 * 4 * 6, 11, 2, 0.5), shape);
    const gamma = tf.tensor1d(values(6, 12, 0.5, 1));
    const beta = tf.tensor1d(values(6, 13, 0.3));
    const r = tf.tensor4d(values(3 * 5 * 4 * 6, 14), shape);
    const f = (xa: tf.Tensor, ga: tf.Tensor, ba: tf.Tensor) => {
      const y =
        backend === 'wasm'
          ? batchNormRelu(xa as tf.Tensor4D, ga as tf.Tensor1D, ba as tf.Tensor1D, epsilon)
          : (() => {
              const { mean, variance } = tf.moments(xa, [0, 1, 2]);
              return tf.relu(tf.batchNorm(xa, mean, variance, ba as tf.Tensor1D, ga as tf.Tensor1D, epsilon));
            })();
      return tf.sum(tf.mul(y, r));
    };
    const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta]);
    return [value, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

describe('batchNormRelu', () => {
  it('matches relu(batchNorm(moments)) and its gradients on the cpu backend', async () => {
    const reference = await run('cpu');
    const ours = await run('wasm');
    reference.forEach((ref, k) => {
      const got = ours[k]!;
      expect(got.length).toBe(ref.length);
      const worst = Math.max(...ref.map((v, i) => Math.abs(v - got[i]!) / (1 + Math.abs(v))));
      expect(worst).toBeLessThan(1e-4);
    });
  });
});
