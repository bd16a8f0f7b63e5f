import type { ProviderJobState, ProviderJobStatus } from '../domain/labelingRecords';
import type { NormalizedBox } from '../domain/normalizedBox';

export type { NormalizedBox, ProviderJobState, ProviderJobStatus };

/**
 * Where ML Assist models are trained and run: Azure ML GPU compute, or the built-in CPU trainer. Both adapters offer
 * the same two kinds of job (train a detector on a dataset; predict boxes for a list of images with a trained model)
 * with the same lifecycle, so the run state machine, the validation gate and the prelabel fan-out above them never
 * know which provider answered. Contract tests: tests/training/trainingBackend.contract.ts.
 *
 * Every start is idempotent per (run, kind): the provider job is named after the run, so a retried activity or a
 * second poller finds the job it already started instead of starting another GPU job.
 */

export interface ProviderJob {
  /** The provider's job name (Azure ML job name; the local runner's job id). */
  jobId: string;
  /** Where a person can look at the job (Azure ML studio URL), when the provider has one. */
  link?: string;
}

/** One image of a dataset: where the provider reads it and its human boxes. */
export interface DatasetImage {
  taskId: string;
  /** The blob path within the project's dataset container. */
  blobPath: string;
  width: number;
  height: number;
  boxes: NormalizedBox[];
}

/**
 * A training dataset as files in the training container, written by one writer (shared/services/trainingDataset.ts)
 * in Azure ML's object detection JSONL, with an MLTable beside each split, so an AutoML job consumes it directly.
 */
export interface TrainingDataset {
  /** Folder (within the training container) holding `train/` and `validation/`, each with `data.jsonl` + `MLTable`. */
  folder: string;
  labels: string[];
  trainCount: number;
  validationCount: number;
}

/** One line of an inference manifest: what to predict, and whether it is held out for validation. */
export interface ManifestLine {
  taskId: string;
  blobPath: string;
  /** The image as a dataset line names it for this provider (`datasetImageUrl`). */
  imageUrl: string;
  width: number;
  height: number;
  split: 'validation' | 'unlabeled';
}

/** The images to predict: a JSONL manifest of ManifestLine, in the training container. */
export interface InferenceInput {
  manifest: string;
  count: number;
}

export interface TrainingJobRequest {
  projectId: string;
  runId: string;
  /** Where the project's images are (connection setting and container), for providers that read them. */
  images: { connectionSetting: string; container: string };
  dataset: TrainingDataset;
}

export interface InferenceJobRequest {
  projectId: string;
  runId: string;
  images: { connectionSetting: string; container: string };
  /** The completed training job whose model predicts. */
  trainingJobId: string;
  input: InferenceInput;
}

/** A prediction for one image, raw (uncalibrated) scores; boxes normalized like the dataset's. */
export interface ImagePrediction {
  taskId: string;
  boxes: Array<NormalizedBox & { score: number }>;
}

export interface TrainingBackend {
  readonly provider: 'local' | 'azureml';
  /**
   * How a dataset line names an image for this provider: Azure ML reads `azureml://datastores/…` URIs, the local
   * trainer the blob path in the project's container.
   */
  datasetImageUrl(images: { connectionSetting: string; container: string }, blobPath: string): string;
  startTraining(request: TrainingJobRequest): Promise<ProviderJob>;
  startInference(request: InferenceJobRequest): Promise<ProviderJob>;
  /** The job's state; `undefined` when the provider does not know the job (deleted, or lost with its runner). */
  status(jobId: string): Promise<ProviderJobStatus | undefined>;
  /** Asks the provider to stop the job; a job already finished is left as it is. */
  cancel(jobId: string): Promise<void>;
  /**
   * The predictions of a completed inference job, in parts that can be read independently (the prelabel fan-out
   * reads one part per activity). Part names are stable for the job.
   */
  predictionParts(inferenceJobId: string): Promise<string[]>;
  readPredictions(inferenceJobId: string, part: string): Promise<ImagePrediction[]>;
}
