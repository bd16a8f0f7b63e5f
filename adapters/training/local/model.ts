import * as tf from '@tensorflow/tfjs';
import { conv2d } from './convolution';
import { batchNormRelu } from './normalization';

/**
 * The detector: a small CenterNet ("Objects as Points", Zhou et al. 2019) for the CPU.
 *
 *   image (S×S×3) → stem conv s2 → stages (conv s2 + conv s1 each) → top-down neck (nearest ×2 upsampling + 1×1
 *   laterals, as in an FPN) back to stride 4 → two heads:
 *     - heatmap: one channel per class, sigmoid; peaks are object centres (focal loss, see losses below);
 *     - regression: 4 channels — box width and height normalised by S, and the sub-cell offset of the centre.
 *
 * Plain 3×3 convolutions only (no depthwise): on wasm/XNNPACK they run at 6–9 GMAC/s, and their gradients are forward
 * convolutions too (convolution.ts). Batch normalisation after every hidden convolution: it lets Adam use a large
 * learning rate, which matters when we can afford only a few hundred steps. For inference, BN is folded into the
 * convolution's weights and bias (foldBatchNorm), so the deployed graph is conv + bias + ReLU only.
 */

export interface DetectorArchitecture {
  /** Channels of the stride-2 stem convolution. */
  stem: number;
  /** Channels of each stage; every stage halves the resolution (first stage → stride 4, the heads' resolution). */
  stages: number[];
  /** Channels of the top-down path. */
  neck: number;
  /** Channels of each head's hidden 3×3 convolution. */
  head: number;
}

/** ≈ 270k parameters with 3 classes. */
export const defaultArchitecture: DetectorArchitecture = { stem: 12, stages: [24, 48, 128], neck: 24, head: 24 };

/** Heatmap resolution = input / 4 (CenterNet's output stride). */
export const outputStride = 4;

/** Regression channels: width/S, height/S, centre offset x, offset y (in output cells, 0..1). */
export const regressionChannels = 4;

export interface ConvSpec {
  name: string;
  kernel: number;
  inChannels: number;
  outChannels: number;
  stride: 1 | 2;
  /** Stride of this layer's output relative to the input image (2 for the stem … 4 for the heads). */
  resolution: number;
  /** Hidden layers: BN + ReLU. Output layers: bias only, no activation. */
  hidden: boolean;
}

/** Every convolution of the network, in a fixed order (the order of the weights in an artifact). */
export function convSpecs(arch: DetectorArchitecture, classes: number): ConvSpec[] {
  if (arch.stages.length < 1) throw new Error('detector: at least one stage');
  const specs: ConvSpec[] = [];
  const add = (
    name: string,
    kernel: number,
    inChannels: number,
    outChannels: number,
    stride: 1 | 2,
    resolution: number,
    hidden = true,
  ) => specs.push({ name, kernel, inChannels, outChannels, stride, resolution, hidden });
  // Stage i's output (and its lateral / fuse layers) sits at stride 2^(i+2): 4, 8, 16, …
  const stageResolution = (i: number) => 2 ** (i + 2);
  add('stem', 3, 3, arch.stem, 2, 2);
  let channels = arch.stem;
  arch.stages.forEach((c, i) => {
    add(`stage${i}a`, 3, channels, c, 2, stageResolution(i));
    add(`stage${i}b`, 3, c, c, 1, stageResolution(i));
    channels = c;
  });
  arch.stages.forEach((c, i) => add(`lateral${i}`, 1, c, arch.neck, 1, stageResolution(i)));
  for (let i = arch.stages.length - 2; i >= 0; i--) add(`fuse${i}`, 3, arch.neck, arch.neck, 1, stageResolution(i));
  add('heatmapHidden', 3, arch.neck, arch.head, 1, outputStride);
  add('heatmapOut', 1, arch.head, classes, 1, outputStride, false);
  add('regressionHidden', 3, arch.neck, arch.head, 1, outputStride);
  add('regressionOut', 1, arch.head, regressionChannels, 1, outputStride, false);
  return specs;
}

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Training parameters: conv weights `<layer>/w`; hidden layers `<layer>/gamma`,`/beta` (BN); outputs `<layer>/b`. */
export function trainingParamSpecs(arch: DetectorArchitecture, classes: number): ParamSpec[] {
  return convSpecs(arch, classes).flatMap((s) => [
    { name: `${s.name}/w`, shape: [s.kernel, s.kernel, s.inChannels, s.outChannels] },
    ...(s.hidden
      ? [
          { name: `${s.name}/gamma`, shape: [s.outChannels] },
          { name: `${s.name}/beta`, shape: [s.outChannels] },
        ]
      : [{ name: `${s.name}/b`, shape: [s.outChannels] }]),
  ]);
}

/** Inference parameters (BN folded): `<layer>/w` and `<layer>/b` for every convolution. */
export function inferenceParamSpecs(arch: DetectorArchitecture, classes: number): ParamSpec[] {
  return convSpecs(arch, classes).flatMap((s) => [
    { name: `${s.name}/w`, shape: [s.kernel, s.kernel, s.inChannels, s.outChannels] },
    { name: `${s.name}/b`, shape: [s.outChannels] },
  ]);
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Multiply–accumulates of one forward pass on an S×S image (what training time scales with). */
export function forwardMacs(arch: DetectorArchitecture, classes: number, inputSize: number): number {
  return convSpecs(arch, classes).reduce(
    (total, s) => total + Math.ceil(inputSize / s.resolution) ** 2 * s.kernel * s.kernel * s.inChannels * s.outChannels,
    0,
  );
}

export function parameterCount(arch: DetectorArchitecture, classes: number): number {
  return inferenceParamSpecs(arch, classes).reduce((n, p) => n + sizeOf(p.shape), 0);
}

/** Prior probability of an object centre at a cell: the heatmap bias starts at logit(π) so early losses are sane. */
const heatmapPrior = 0.05;

/** Seeded initial training parameters (He-normal convs, BN γ=1 β=0, heatmap bias = logit(prior)). */
export function initialParams(arch: DetectorArchitecture, classes: number, random: () => number): Float32Array[] {
  const normal = gaussian(random);
  const specs = new Map(convSpecs(arch, classes).map((s) => [s.name, s]));
  return trainingParamSpecs(arch, classes).map((p) => {
    const [layer, kind] = p.name.split('/') as [string, string];
    const spec = specs.get(layer)!;
    const values = new Float32Array(sizeOf(p.shape));
    if (kind === 'w') {
      // He-normal for ReLU layers; output layers start small so the first predictions sit near the biases.
      const std = spec.hidden ? Math.sqrt(2 / (spec.kernel * spec.kernel * spec.inChannels)) : 0.01;
      for (let i = 0; i < values.length; i++) values[i] = normal() * std;
    } else if (kind === 'gamma') {
      values.fill(1);
    } else if (p.name === 'heatmapOut/b') {
      values.fill(Math.log(heatmapPrior / (1 - heatmapPrior)));
    } else if (p.name === 'regressionOut/b') {
      // Typical normalised size 0.2 and centred offsets: a neutral starting point for the L1 losses.
      values.set([0.2, 0.2, 0.5, 0.5]);
    }
    return values;
  });
}

function gaussian(random: () => number): () => number {
  return () => {
    // Box–Muller; 1 − u keeps the log argument in (0, 1].
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** A type alias, not an interface, so it is a tf.TensorContainer (tf.tidy can return it). */
export type NetworkOutputs = {
  /** [N, S/4, S/4, classes] logits. */
  heatmap: tf.Tensor4D;
  /** [N, S/4, S/4, 4]. */
  regression: tf.Tensor4D;
};

/** One convolution layer (+ its normalisation and activation), as training or inference implements it. */
export type LayerFn = (spec: ConvSpec, x: tf.Tensor4D) => tf.Tensor4D;

/** The network's wiring, shared by training and inference. */
export function network(
  arch: DetectorArchitecture,
  classes: number,
  layer: LayerFn,
  input: tf.Tensor4D,
): NetworkOutputs {
  const specs = new Map(convSpecs(arch, classes).map((s) => [s.name, s]));
  const run = (name: string, x: tf.Tensor4D) => layer(specs.get(name)!, x);
  let x = run('stem', input);
  const features: tf.Tensor4D[] = [];
  arch.stages.forEach((_, i) => {
    x = run(`stage${i}b`, run(`stage${i}a`, x));
    features.push(x);
  });
  const last = arch.stages.length - 1;
  let top = run(`lateral${last}`, features[last]!);
  for (let i = last - 1; i >= 0; i--) {
    const lateral = run(`lateral${i}`, features[i]!);
    // Nearest-neighbour ×2 (exact repetition for integer factors); crop in case the finer map has odd size.
    const [, h, w] = lateral.shape;
    const up = tf.image.resizeNearestNeighbor(top, [top.shape[1] * 2, top.shape[2] * 2]);
    const fitted = up.shape[1] === h && up.shape[2] === w ? up : tf.slice(up, [0, 0, 0, 0], [-1, h, w, -1]);
    top = run(`fuse${i}`, tf.add(fitted, lateral));
  }
  return {
    heatmap: run('heatmapOut', run('heatmapHidden', top)),
    regression: run('regressionOut', run('regressionHidden', top)),
  };
}

export const batchNormEpsilon = 1e-3;

/** Per hidden layer, the batch statistics a training forward pass saw (for the inference-time BN statistics). */
export type BatchStatistics = Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>;

/**
 * Training-mode layer: differentiable conv (both gradients as forward convs) + batch-statistics BN + ReLU.
 * `collect`, when given, receives each hidden layer's batch mean and variance.
 */
export function trainingLayer(params: ReadonlyMap<string, tf.Tensor>, collect?: BatchStatistics): LayerFn {
  return (spec, x) => {
    const w = params.get(`${spec.name}/w`) as tf.Tensor4D;
    // The stem reads the image: nothing upstream needs its input gradient.
    const y = conv2d(x, w, { stride: spec.stride, inputGradient: spec.name !== 'stem' });
    if (!spec.hidden) return tf.add(y, params.get(`${spec.name}/b`)!);
    if (collect) {
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      collect.set(spec.name, { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D });
    }
    const gamma = params.get(`${spec.name}/gamma`) as tf.Tensor1D;
    const beta = params.get(`${spec.name}/beta`) as tf.Tensor1D;
    return batchNormRelu(y, gamma, beta, batchNormEpsilon);
  };
}

/** Inference-mode layer: one fused conv + bias (+ ReLU) per layer, BN already folded into the weights. */
export function inferenceLayer(params: ReadonlyMap<string, tf.Tensor>): LayerFn {
  return (spec, x) =>
    tf.fused.conv2d({
      x,
      filter: params.get(`${spec.name}/w`) as tf.Tensor4D,
      bias: params.get(`${spec.name}/b`),
      strides: spec.stride,
      pad: 'same',
      activation: spec.hidden ? 'relu' : 'linear',
    });
}

/**
 * Folds BN (γ, β and the population mean/variance) into each hidden conv: w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε).
 * Plain arrays in, plain arrays out (runs on the main thread without tfjs).
 */
export function foldBatchNorm(
  arch: DetectorArchitecture,
  classes: number,
  trained: ReadonlyMap<string, Float32Array>,
  statistics: ReadonlyMap<string, { mean: Float32Array; variance: Float32Array }>,
): Map<string, Float32Array> {
  const folded = new Map<string, Float32Array>();
  for (const spec of convSpecs(arch, classes)) {
    const w = trained.get(`${spec.name}/w`)!;
    if (!spec.hidden) {
      folded.set(`${spec.name}/w`, Float32Array.from(w));
      folded.set(`${spec.name}/b`, Float32Array.from(trained.get(`${spec.name}/b`)!));
      continue;
    }
    const gamma = trained.get(`${spec.name}/gamma`)!;
    const beta = trained.get(`${spec.name}/beta`)!;
    const stats = statistics.get(spec.name);
    if (!stats) throw new Error(`detector: no BN statistics for ${spec.name}`);
    const scale = new Float32Array(spec.outChannels);
    const bias = new Float32Array(spec.outChannels);
    for (let c = 0; c < spec.outChannels; c++) {
      scale[c] = gamma[c]! / Math.sqrt(stats.variance[c]! + batchNormEpsilon);
      bias[c] = beta[c]! - stats.mean[c]! * scale[c]!;
    }
    // Weights are [k, k, in, out] with `out` fastest: element i belongs to output channel i % out.
    const fw = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) fw[i] = w[i]! * scale[i % spec.outChannels]!;
    folded.set(`${spec.name}/w`, fw);
    folded.set(`${spec.name}/b`, bias);
  }
  return folded;
}
