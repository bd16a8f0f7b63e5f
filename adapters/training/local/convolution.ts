import * as tf from '@tensorflow/tfjs';

/**
 * 2-D convolution (NHWC, square kernel, stride 1 or 2, 'same' or 'valid' padding) whose BOTH gradients are computed
 * with forward convolutions, wrapped in `tf.customGrad`.
 *
 * Why: the wasm backend (the only fast tfjs backend we can install here) has no Conv2DBackpropFilter kernel at all,
 * and its Conv2DBackpropInput is a naive loop ~10× slower than its XNNPACK forward convolution. Forward convolutions
 * run at ~6–9 GMAC/s on one core, so we express the gradients as forward convolutions:
 *
 *  - weight gradient dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[n,oh,ow,co] is a forward
 *    convolution of the (padded) input with the batch and channel axes swapped — x as [ci, H, W, n] — by dy as a
 *    filter [OH, OW, n, co] with dilation = stride;
 *  - input gradient dx = "transposed convolution" of dy by w = forward convolution of dy (zeros inserted between rows
 *    and columns when the stride is 2, then padded by k−1−pad) with the spatially flipped kernel, whose in/out channel
 *    axes are swapped.
 * Strides are the same along both axes (the network only uses 1 and 2).
 *
 * Depthwise convolutions are not provided: the detector (model.ts) uses plain convolutions only.
 */

export type ConvPadding = 'same' | 'valid';

export interface Conv2dOptions {
  stride?: 1 | 2;
  padding?: ConvPadding;
  /**
   * False when nothing upstream needs the input's gradient (the network's first layer reads the image): saves the
   * input-gradient convolution, returning zeros instead.
   */
  inputGradient?: boolean;
}

/** Geometry of one spatial axis, as TensorFlow defines 'same'/'valid' (extra padding goes after, not before). */
export interface AxisGeometry {
  inSize: number;
  outSize: number;
  kernel: number;
  stride: number;
  /** Zero rows added before the input. */
  padBefore: number;
  /** Zero rows added after the input; negative when trailing input rows are never read ('valid' with stride 2). */
  padAfter: number;
}

export function axisGeometry(inSize: number, kernel: number, stride: number, padding: ConvPadding): AxisGeometry {
  const outSize = padding === 'same' ? Math.ceil(inSize / stride) : Math.ceil((inSize - kernel + 1) / stride);
  if (outSize < 1) throw new Error(`conv2d: input of ${inSize} is too small for a ${kernel}-wide kernel`);
  const total = padding === 'same' ? Math.max((outSize - 1) * stride + kernel - inSize, 0) : 0;
  const padBefore = Math.floor(total / 2);
  // Span actually read by the convolution; anything beyond the padded input is dropped (padAfter < 0).
  const padAfter = (outSize - 1) * stride + kernel - inSize - padBefore;
  return { inSize, outSize, kernel, stride, padBefore, padAfter };
}

/** Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. */
function padOrCrop(t: tf.Tensor4D, [top, bottom]: [number, number], [left, right]: [number, number]): tf.Tensor4D {
  let out = t;
  const crop = [Math.max(-top, 0), Math.max(-bottom, 0), Math.max(-left, 0), Math.max(-right, 0)];
  if (crop.some((c) => c > 0)) {
    const [n, h, w, c] = out.shape;
    out = tf.slice(out, [0, crop[0]!, crop[2]!, 0], [n, h - crop[0]! - crop[1]!, w - crop[2]! - crop[3]!, c]);
  }
  const pad: Array<[number, number]> = [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ];
  if (pad.some(([a, b]) => a > 0 || b > 0)) out = tf.pad(out, pad);
  return out;
}

/**
 * Inserts stride−1 zeros after every row and column: [N, H, W, C] → [N, H·s, W·s, C]. The last s−1 zero rows/columns
 * are not part of the textbook dilated tensor ((H−1)s+1 long); the caller subtracts them from its padding instead of
 * slicing them off (one copy fewer).
 *
 * Measured alternative: the polyphase form (one small convolution per output phase, no multiplications by inserted
 * zeros) saved only ~12 ms of a ~550 ms training step at 160 px — the extra small kernels eat most of the gain — so
 * the simpler zero insertion stays.
 */
function insertZeros(dy: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, stride - 1],
    [0, 0],
    [0, stride - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [n, h * stride, w * stride, c]);
}

/** dL/dW as a forward convolution (see the file comment). x: [N,H,W,Ci], dy: [N,OH,OW,Co] → [k,k,Ci,Co]. */
export function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, rows: AxisGeometry, cols: AxisGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const padded = padOrCrop(x, [rows.padBefore, rows.padAfter], [cols.padBefore, cols.padAfter]);
    const xT = tf.transpose(padded, [3, 1, 2, 0]); // [Ci, H', W', N]: channels become the batch
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, Co]: dy becomes the filter
    const g = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [rows.stride, cols.stride]); // [Ci, k, k, Co]
    return tf.transpose(g, [1, 2, 0, 3]);
  });
}

/** dL/dx as a forward convolution (see the file comment). dy: [N,OH,OW,Co], w: [k,k,Ci,Co] → [N,H,W,Ci]. */
export function inputGradient(dy: tf.Tensor4D, w: tf.Tensor4D, rows: AxisGeometry, cols: AxisGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    if (rows.stride !== cols.stride) throw new Error('conv2d: equal strides only');
    const dilated = insertZeros(dy, rows.stride);
    // After padding, a valid convolution with the k-wide kernel must return exactly inSize rows. The dilated tensor
    // carries stride−1 trailing zeros beyond the textbook (OH−1)s+1 rows, hence the "− (stride − 1)"; a negative
    // result crops.
    const before = (g: AxisGeometry) => g.kernel - 1 - g.padBefore;
    const after = (g: AxisGeometry) => g.inSize - ((g.outSize - 1) * g.stride + 1) + g.padBefore - (g.stride - 1);
    const padded = padOrCrop(dilated, [before(rows), after(rows)], [before(cols), after(cols)]);
    const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]); // [k, k, Co, Ci]
    return tf.conv2d(padded, flipped, 1, 'valid');
  });
}

/**
 * conv2d(x, w) without bias; differentiable on the wasm backend. x: [N,H,W,Ci], w: [k,k,Ci,Co].
 * The forward pass is tfjs's own conv2d, so inference and training share the same numerics.
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, options: Conv2dOptions = {}): tf.Tensor4D {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? 'same';
  const wantInputGradient = options.inputGradient ?? true;
  if (w.shape[0] !== w.shape[1]) throw new Error('conv2d: square kernels only');
  const rows = axisGeometry(x.shape[1], w.shape[0], stride, padding);
  const cols = axisGeometry(x.shape[2], w.shape[1], stride, padding);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, stride, padding),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy as tf.Tensor4D;
        const dx = wantInputGradient ? inputGradient(dy4, ws, rows, cols) : tf.zerosLike(xs);
        return [dx, filterGradient(xs, dy4, rows, cols)];
      },
    };
  });
  return op(x, w) as tf.Tensor4D;
}
