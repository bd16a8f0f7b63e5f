import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { axisGeometry, conv2d, inputGradient, useWasmBackend } from '../../adapters/training/local';

/**
 * The detector trains only because both convolution gradients are rewritten as forward convolutions (the wasm backend
 * has no filter-gradient kernel). Here they are checked against the cpu backend's own Conv2DBackpropFilter /
 * Conv2DBackpropInput on small random tensors.
 */

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: 1 | 2;
  padding: 'same' | 'valid';
}

/** Deterministic pseudo-random values in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

function inputsFor(c: Case) {
  const rows = axisGeometry(c.h, c.k, c.stride, c.padding);
  const cols = axisGeometry(c.w, c.k, c.stride, c.padding);
  return {
    x: values(c.n * c.h * c.w * c.ci, 1 + c.k * 7 + c.h),
    w: values(c.k * c.k * c.ci * c.co, 2 + c.k * 11 + c.stride),
    // A random cotangent, so every output element's gradient path is exercised with a different weight.
    r: values(c.n * rows.outSize * cols.outSize * c.co, 3 + c.w),
    outShape: [c.n, rows.outSize, cols.outSize, c.co] as const,
  };
}

async function run(c: Case, backend: 'cpu' | 'wasm'): Promise<Result> {
  if (backend === 'wasm') await useWasmBackend();
  else await tf.setBackend('cpu');
  expect(tf.getBackend()).toBe(backend);
  const input = inputsFor(c);
  return tf.tidy(() => {
    const x = tf.tensor4d(input.x, [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(input.w, [c.k, c.k, c.ci, c.co]);
    const r = tf.tensor4d(input.r, [...input.outShape]);
    const forward = (xa: tf.Tensor4D, wa: tf.Tensor4D) =>
      backend === 'cpu'
        ? tf.conv2d(xa, wa, c.stride, c.padding)
        : conv2d(xa, wa, { stride: c.stride, padding: c.padding });
    const loss = (xa: tf.Tensor, wa: tf.Tensor) => tf.sum(tf.mul(forward(xa as tf.Tensor4D, wa as tf.Tensor4D), r));
    const [dx, dw] = tf.grads(loss)([x, w]);
    return {
      y: forward(x, w).dataSync() as Float32Array,
      dx: dx!.dataSync() as Float32Array,
      dw: dw!.dataSync() as Float32Array,
    };
  });
}

/** Largest |a−b| relative to (1 + |b|): float32 sums of a few hundred O(1) terms agree to ~1e-6. */
function maxRelativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}

const tolerance = 1e-5;

const cases: Case[] = [];
for (const k of [1, 3, 5]) {
  for (const stride of [1, 2] as const) {
    // Even and odd sizes: 'same' padding with stride 2 pads asymmetrically for one of them.
    cases.push({ n: 2, h: 8, w: 9, ci: 3, co: 4, k, stride, padding: 'same' });
    cases.push({ n: 3, h: 7, w: 6, ci: 5, co: 2, k, stride, padding: 'same' });
  }
}
// Even kernels pad asymmetrically even with stride 1.
cases.push({ n: 2, h: 8, w: 7, ci: 3, co: 4, k: 2, stride: 1, padding: 'same' });
cases.push({ n: 2, h: 9, w: 8, ci: 3, co: 4, k: 4, stride: 2, padding: 'same' });
cases.push({ n: 2, h: 9, w: 8, ci: 3, co: 4, k: 3, stride: 1, padding: 'valid' });
cases.push({ n: 2, h: 9, w: 10, ci: 3, co: 4, k: 3, stride: 2, padding: 'valid' });

describe('conv2d gradients written as forward convolutions (wasm) match the cpu backend', () => {
  beforeAll(async () => {
    await useWasmBackend();
  });

  it.each(cases)('k=$k stride=$stride $padding, x=[$n,$h,$w,$ci] → $co channels', async (c) => {
    const reference = await run(c, 'cpu');
    const ours = await run(c, 'wasm');
    expect(maxRelativeError(ours.y, reference.y)).toBeLessThan(tolerance);
    expect(maxRelativeError(ours.dw, reference.dw)).toBeLessThan(tolerance);
    expect(maxRelativeError(ours.dx, reference.dx)).toBeLessThan(tolerance);
  });

  it('the comparison catches a wrong kernel flip (the check can fail)', async () => {
    const c: Case = { n: 2, h: 8, w: 8, ci: 3, co: 4, k: 3, stride: 2, padding: 'same' };
    const reference = await run(c, 'cpu');
    await useWasmBackend();
    const input = inputsFor(c);
    const wrong = tf.tidy(() => {
      const w = tf.tensor4d(input.w, [c.k, c.k, c.ci, c.co]);
      const r = tf.tensor4d(input.r, [...input.outShape]);
      // inputGradient flips the kernel itself; flipping it first cancels that: the classic transposed-conv bug.
      const unflipped = tf.reverse(w, [0, 1]) as tf.Tensor4D;
      const rows = axisGeometry(c.h, c.k, c.stride, c.padding);
      return inputGradient(r, unflipped, rows, rows).dataSync() as Float32Array;
    });
    expect(maxRelativeError(wrong, reference.dx)).toBeGreaterThan(1e-2);
  });

  it('skips the input gradient when asked (first layer)', async () => {
    await useWasmBackend();
    const dx = tf.tidy(() => {
      const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 2, 1]) as tf.Tensor4D;
      const [gx] = tf.grads((xa: tf.Tensor, wa: tf.Tensor) =>
        tf.sum(conv2d(xa as tf.Tensor4D, wa as tf.Tensor4D, { inputGradient: false })),
      )([x, w]);
      return gx!.dataSync();
    });
    expect(Array.from(dx).every((v) => v === 0)).toBe(true);
  });
});
