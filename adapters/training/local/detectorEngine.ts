/**
 * What the local runner needs from a detector: train on examples, save the model as one blob, load it again and
 * predict. The built-in engine is the CPU CenterNet-style detector (tfjsEngine.ts); tests may pass a smaller one.
 */

export interface PixelBox {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TrainingExample {
  /** Encoded image bytes (JPEG, PNG, …) as stored. */
  image: Buffer;
  boxes: PixelBox[];
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  loss: number;
}

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
