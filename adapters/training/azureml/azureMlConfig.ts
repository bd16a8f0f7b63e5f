import type { TokenCredential } from '@azure/identity';
import type { TrainingFiles } from '../../../shared/ports/trainingFiles';

/**
 * The ARM api-version of every call, raw or through the SDK. @azure/arm-machinelearning 2.1.1 was generated for
 * 2022-10-01; its api-version option rewrites the query of every request on its pipeline, so the SDK calls (jobs.get,
 * computes, workspace) and the raw job PUTs speak the same, current stable version. The fields used here exist in
 * both versions.
 */
export const AZURE_ML_API_VERSION = '2024-10-01';

/** The token audience of ARM and of the workspace's MLflow endpoint (which accepts ARM tokens). */
export const ARM_SCOPE = 'https://management.azure.com/.default';

export interface AzureMlRetryOptions {
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** First backoff for transient 5xx/408/network errors; doubles each retry with jitter (default 1 s). */
  retryDelayInMs?: number;
  /** Cap of one exponential backoff (default 30 s). */
  maxRetryDelayInMs?: number;
  /**
   * The longest Retry-After (429/503) honoured by waiting (default 60 s). A longer one ends the retries and surfaces
   * the throttling error: an activity must not sleep for minutes, its own retry or the next poll comes back later.
   */
  maxRetryAfterInMs?: number;
}

/** Training with a custom script instead of AutoML (mode 'command'). */
export interface AzureMlCommandTraining {
  /** ARM id or registry id (`azureml://registries/...`) of the environment the script runs in. */
  environmentId: string;
  /** ARM id of a code asset (`.../codes/<name>/versions/<v>`) holding the script, when it is not in the image. */
  codeId?: string;
  /**
   * The command. It reads `${{inputs.train}}` and `${{inputs.validation}}` (folders with data.jsonl + MLTable),
   * `${{inputs.images}}` (the images datastore, mounted) and must write an MLflow model to `${{outputs.best_model}}`,
   * which the scoring job loads like AutoML's. Default: `python train.py` with those as arguments.
   */
  command?: string;
  /** ISO 8601 duration (default PT4H). */
  timeout?: string;
  environmentVariables?: Record<string, string>;
}

/** AutoML ImageObjectDetection knobs (mode 'automl'). */
export interface AzureMlAutoMlTraining {
  /** ISO 8601 duration of the whole AutoML job (default PT3H). */
  timeout?: string;
  /** Trials (default 1: one model with AutoML's defaults, no sweep). */
  maxTrials?: number;
  maxConcurrentTrials?: number;
  /** `taskDetails.modelSettings` as the REST API names them (e.g. `{ modelName: 'yolov5', numberOfEpochs: 30 }`). */
  modelSettings?: Record<string, unknown>;
}

/** The prelabeling job: a command job running scoring/score.py with the trained MLflow model. */
export interface AzureMlScoring {
  /**
   * Environment able to load the AutoML MLflow model (mlflow + azureml-automl-dnn-vision), e.g. the curated AutoML
   * vision GPU environment of the `azureml` registry.
   */
  environmentId: string;
  /** ISO 8601 duration (default PT2H). */
  timeout?: string;
  /** Predictions per part file (default 500): one prelabel activity reads one part. */
  partSize?: number;
}

export interface AzureMlBackendConfig {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /** The compute cluster jobs run on; created (min 0, max maxNodes) when missing. */
  compute: string;
  vmSize: string;
  maxNodes: number;
  /**
   * Workspace datastore registered for the app's training container (TRAINING_CONTAINER in the AzureWebJobsStorage
   * account), identity-based. Datasets, manifests, the scoring script and predictions are read and written through
   * `files` and referenced by jobs as `azureml://datastores/<trainingDatastore>/paths/<same path>`: the two views must
   * be the same container.
   */
  trainingDatastore: string;
  /** Workspace datastore registered for the images container; scoring mounts its root and opens `blobPath`s. */
  imagesDatastore: string;
  mode: 'automl' | 'command';
  command?: AzureMlCommandTraining;
  automl?: AzureMlAutoMlTraining;
  scoring: AzureMlScoring;
  /**
   * How jobs reach the datastores: 'Managed' (default) uses the cluster's managed identity, which needs Storage Blob
   * Data Reader on the images and Contributor on the training container; 'UserIdentity' the submitter's (the app's);
   * 'AMLToken' the workspace's.
   */
  jobIdentity?: 'Managed' | 'UserIdentity' | 'AMLToken';
  /** ARM endpoint (default https://management.azure.com); tests point it at a local fake. */
  armEndpoint?: string;
  credential: TokenCredential;
  files: TrainingFiles;
  retry?: AzureMlRetryOptions;
  /** Where non-fatal problems go (a metrics read that failed); default console.warn. */
  log?: (message: string) => void;
}
