import type { DetectorEngine } from './detectorEngine';
import { loadDetector, parseArtifact, serializeArtifact, trainDetector } from './index';

/**
 * The built-in detector (CenterNet-style on tfjs + wasm, ./index.ts) as the runner's engine: the model is stored as
 * one self-describing blob (artifact.ts), boxes come back in image pixels with raw scores.
 */
export function tfjsEngine(): DetectorEngine {
  return {
    async train(examples, options) {
      const artifact = await trainDetector(examples, {
        labels: options.labels,
        epochs: options.epochs,
        inputSize: options.inputSize,
        workers: options.workers,
        signal: options.signal,
        onProgress: options.onProgress,
      });
      return serializeArtifact(artifact);
    },
    async load(model) {
      const detector = await loadDetector(parseArtifact(model));
      return {
        predict: (image) => detector.predict(image),
        dispose: () => detector.dispose(),
      };
    },
  };
}
