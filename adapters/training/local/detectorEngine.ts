import type { TrainingBox, TrainingExample } from './dataset';
import type { TrainProgress } from './train';

/**
 * What the local runner needs from a detector: train on examples, save the model as one blob, load it again and
 * predict. The built-in engine is the CPU CenterNet-style detector (tfjsEngine.ts); this keeps the runner's job
 * protocol (runJob.ts) apart from the model.
 */

/** A box in the image's pixels (the detector's own training box). */
export type PixelBox = TrainingBox;
export type { TrainingExample, TrainProgress };

export interface EngineTrainOptions {
  labels: string[];
  epochs: number;
  inputSize: number;
  workers: number;
  signal: AbortSignal;
  onProgress(progress: TrainProgress): void;
}

export interface LoadedDetector {
  /** Boxes in the image's pixels with raw (uncalibrated) scores. */
  predict(image: Buffer): Promise<Array<PixelBox & { score: number }>>;
  dispose(): void;
}

export interface DetectorEngine {
  /** Trains and returns the serialized model. */
  train(examples: TrainingExample[], options: EngineTrainOptions): Promise<Buffer>;
  load(model: Buffer): Promise<LoadedDetector>;
}
