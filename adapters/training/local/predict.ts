import * as tf from '@tensorflow/tfjs';
import { artifactTensors, validateArtifact, type DetectorArtifact } from './artifact';
import { letterbox, pixelMean, pixelStd, writeInput } from './dataset';
import { decodeDetections, toImagePixels } from './decode';
import { inferenceLayer, network } from './model';
import { useWasmBackend } from './wasmBackend';

/**
 * Inference with a trained artifact, on this thread's wasm backend: decode + letterbox (sharp), one forward pass of
 * fused conv+bias+ReLU layers, peak decoding, and boxes mapped back to the original image's pixels.
 */

export interface Detection {
  label: string;
  /** Original image pixels, top-left origin, clipped to the image. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Raw heatmap peak (sigmoid), not calibrated. */
  score: number;
}

export interface PredictOptions {
  /** Default 100. */
  maxDetections?: number;
  /** Default 0.05. */
  minScore?: number;
}

export interface Detector {
  readonly labels: readonly string[];
  readonly inputSize: number;
  predict(image: Buffer, options?: PredictOptions): Promise<Detection[]>;
  /** Frees the weights (wasm memory). predict() fails afterwards. */
  dispose(): void;
}

export async function loadDetector(artifact: DetectorArtifact): Promise<Detector> {
  validateArtifact(artifact);
  await useWasmBackend();
  const classes = artifact.labels.length;
  const weights = new Map<string, tf.Tensor>();
  for (const [name, { shape, values }] of artifactTensors(artifact))
    weights.set(name, tf.tensor(values, shape, 'float32'));
  const labels = [...artifact.labels];
  const { inputSize, architecture, preprocessing } = artifact;
  // This build normalises with fixed constants; refuse an artifact that was trained with different ones.
  if (
    preprocessing.resize !== 'letterbox-top-left' ||
    preprocessing.mean !== pixelMean ||
    preprocessing.std !== pixelStd
  ) {
    throw new Error(`detector: unsupported preprocessing ${JSON.stringify(preprocessing)}`);
  }
  let disposed = false;
  return {
    labels,
    inputSize,
    async predict(image, options = {}) {
      if (disposed) throw new Error('detector: disposed');
      const boxed = await letterbox(image, inputSize);
      await useWasmBackend(); // another caller may have switched backends meanwhile (tests do)
      const input = new Float32Array(inputSize * inputSize * 3);
      writeInput(boxed.pixels, 0, inputSize, input, 0, false);
      const x = tf.tensor4d(input, [1, inputSize, inputSize, 3]);
      const outputs = tf.tidy(() => network(architecture, classes, inferenceLayer(weights), x));
      try {
        const found = decodeDetections(outputs.heatmap, outputs.regression, {
          inputSize,
          maxDetections: options.maxDetections ?? 100,
          minScore: options.minScore ?? 0.05,
        });
        return found.flatMap((d) => {
          const box = toImagePixels(d, boxed);
          return box ? [{ label: labels[d.classIndex]!, ...box, score: d.score }] : [];
        });
      } finally {
        tf.dispose([x, outputs.heatmap, outputs.regression]);
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose([...weights.values()]);
    },
  };
}
