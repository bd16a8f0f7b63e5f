import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { emptyTargets, writeInput, writeTargets, flipBoxes, type InputBox } from './dataset';
import { detectionLoss } from './losses';
import {
  network,
  outputStride,
  regressionChannels,
  sizeOf,
  trainingLayer,
  type BatchStatistics,
  type DetectorArchitecture,
} from './model';
import { useWasmBackend } from './wasmBackend';
import type { ParamSpec } from './model';

/**
 * One data-parallel training worker (started by train.ts through workerThreads.ts).
 *
 * Shared memory, no copies: the letterboxed images (bytes), the current weights (written by the main thread's
 * optimizer between steps) and this worker's gradient buffer are SharedArrayBuffers. A step message only names the
 * samples; the worker builds its share of the batch, computes loss and gradients on its own wasm backend, writes the
 * gradients and answers. The main thread waits for every worker before touching the weights, so nothing races.
 */

export interface TrainWorkerData {
  architecture: DetectorArchitecture;
  classes: number;
  inputSize: number;
  pixels: Uint8Array;
  boxes: InputBox[][];
  params: ParamSpec[];
  weights: Float32Array;
  gradients: Float32Array;
}

export interface StepSample {
  index: number;
  flip: boolean;
}

export type TrainWorkerRequest =
  { type: 'step'; samples: StepSample[]; objects: number } | { type: 'statistics'; samples: StepSample[] };

export type TrainWorkerReply =
  | { type: 'ready' }
  | { type: 'step'; heatmap: number; regression: number }
  | { type: 'statistics'; layers: Array<{ name: string; mean: Float32Array; variance: Float32Array }> }
  | { type: 'error'; message: string; stack?: string };

const data = workerData as TrainWorkerData;
const port = parentPort!;

function paramTensors(): tf.Tensor[] {
  let offset = 0;
  return data.params.map((p) => {
    const n = sizeOf(p.shape);
    // tf.tensor copies into the wasm heap right away, so later writes by the optimizer cannot leak into this step.
    const t = tf.tensor(data.weights.subarray(offset, offset + n), p.shape, 'float32');
    offset += n;
    return t;
  });
}

function batchInput(samples: readonly StepSample[]): tf.Tensor4D {
  const s = data.inputSize;
  const frame = s * s * 3;
  const x = new Float32Array(samples.length * frame);
  samples.forEach((sample, n) => writeInput(data.pixels, sample.index * frame, s, x, n * frame, sample.flip));
  return tf.tensor4d(x, [samples.length, s, s, 3]);
}

function step(samples: readonly StepSample[], objects: number): TrainWorkerReply {
  const n = samples.length;
  const targets = emptyTargets(n, data.inputSize, data.classes);
  samples.forEach((sample, i) => {
    const boxes = data.boxes[sample.index]!;
    writeTargets(sample.flip ? flipBoxes(boxes, data.inputSize) : boxes, data.inputSize, data.classes, i, targets);
  });
  const h = Math.ceil(data.inputSize / outputStride);
  const names = data.params.map((p) => p.name);
  const parts = { heatmap: 0, regression: 0 };
  const params = paramTensors();
  const x = batchInput(samples);
  const t = {
    positive: tf.tensor4d(targets.positive, [n, h, h, data.classes]),
    negativeWeight: tf.tensor4d(targets.negativeWeight, [n, h, h, data.classes]),
    regression: tf.tensor4d(targets.regression, [n, h, h, regressionChannels]),
    regressionWeight: tf.tensor4d(targets.regressionWeight, [n, h, h, regressionChannels]),
  };
  try {
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
      const byName = new Map(names.map((name, i) => [name, ps[i]!]));
      const outputs = network(data.architecture, data.classes, trainingLayer(byName), x);
      // Normalised by the WHOLE batch's object count, so the workers' gradients add up to the batch gradient.
      const loss = detectionLoss(outputs, t, objects);
      parts.heatmap = loss.heatmap.dataSync()[0]!;
      parts.regression = loss.regression.dataSync()[0]!;
      return loss.total;
    })(params);
    let offset = 0;
    for (const g of grads) {
      const values = g.dataSync() as Float32Array;
      data.gradients.set(values, offset);
      offset += values.length;
    }
    tf.dispose([value, ...grads]);
  } finally {
    tf.dispose([...params, x, ...Object.values(t)]);
  }
  return { type: 'step', ...parts };
}

/** Forward passes in training mode, returning each BN layer's batch mean/variance (for the inference statistics). */
function statistics(samples: readonly StepSample[]): TrainWorkerReply {
  const collected: BatchStatistics = new Map();
  const params = paramTensors();
  const x = batchInput(samples);
  try {
    tf.tidy(() => {
      const byName = new Map(data.params.map((p, i) => [p.name, params[i]!]));
      network(data.architecture, data.classes, trainingLayer(byName, collected), x);
    });
    const layers = [...collected].map(([name, s]) => ({
      name,
      mean: s.mean.dataSync() as Float32Array,
      variance: s.variance.dataSync() as Float32Array,
    }));
    return { type: 'statistics', layers };
  } finally {
    tf.dispose([...params, x, ...[...collected.values()].flatMap((s) => [s.mean, s.variance])]);
  }
}

port.on('message', (request: TrainWorkerRequest) => {
  try {
    const reply = request.type === 'step' ? step(request.samples, request.objects) : statistics(request.samples);
    port.postMessage(reply);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ type: 'error', message: e.message, stack: e.stack } satisfies TrainWorkerReply);
  }
});

useWasmBackend().then(
  () => port.postMessage({ type: 'ready' } satisfies TrainWorkerReply),
  (error: unknown) => port.postMessage({ type: 'error', message: String(error) } satisfies TrainWorkerReply),
);
