import type { InferenceJobRequest, TrainingJobRequest } from '../../../shared/ports/trainingBackend';
import type { AzureMlBackendConfig } from './azureMlConfig';
import { azureMlExperimentName, type AzureMlJobKind } from './jobNames';

/**
 * The REST bodies of the jobs (ARM `Microsoft.MachineLearningServices/workspaces/jobs`, api-version 2024-10-01), sent
 * as raw JSON because the SDK's serializer drops most of these fields. Field names and enum values follow the REST
 * spec (`AutoMLJob`, `ImageObjectDetection`, `CommandJob`, `MLTableJobInput`, `UriFolderJobOutput` ...), not the CLI
 * YAML: `MeanAveragePrecision`, not `mean_average_precision`.
 */

/** The output every training job declares and the scoring job loads: AutoML's best model, an MLflow model. */
export const MODEL_OUTPUT = 'best_model';

/** `azureml://datastores/<ds>/paths/<path>`; folders end with '/', as AML expects of a folder URI. */
export function datastoreUri(datastore: string, path: string, folder: boolean): string {
  const clean = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return `azureml://datastores/${datastore}/paths/${clean}${folder && clean !== '' ? '/' : ''}`;
}

/** Where a run's predictions go and where the app reads them (the same folder of the training container). */
export function predictionsFolder(projectId: string, runId: string): string {
  return `${projectId}/${runId}/predictions/`;
}

/** Where the scoring script is put for a run's prediction job (a job input, so no code asset has to exist). */
export function scoringScriptPath(projectId: string, runId: string): string {
  return `${projectId}/${runId}/scoring/score.py`;
}

function commonProperties(
  config: AzureMlBackendConfig,
  request: { projectId: string; runId: string },
  kind: AzureMlJobKind,
  computeId: string,
) {
  return {
    displayName: `${request.projectId} ${request.runId} ${kind}`,
    experimentName: azureMlExperimentName(request.projectId),
    computeId,
    // Tags are what a person filters on in studio and what the app reads back (the job's run and kind).
    tags: { app: 'ml-assist-labeling', projectId: request.projectId, runId: request.runId, kind },
    identity: { identityType: config.jobIdentity ?? 'Managed' },
  };
}

export function trainingJobBody(config: AzureMlBackendConfig, request: TrainingJobRequest, computeId: string): unknown {
  const props = commonProperties(config, request, 'train', computeId);
  const train = datastoreUri(config.trainingDatastore, `${request.dataset.folder}/train`, true);
  const validation = datastoreUri(config.trainingDatastore, `${request.dataset.folder}/validation`, true);
  if (config.mode === 'command') {
    const c = config.command;
    if (!c) throw new Error("Azure ML training mode 'command' needs config.command (environment and command)");
    return {
      properties: {
        jobType: 'Command',
        ...props,
        ...(c.codeId ? { codeId: c.codeId } : {}),
        environmentId: c.environmentId,
        command:
          c.command ??
          'python train.py --train ${{inputs.train}} --validation ${{inputs.validation}} ' +
            '--images ${{inputs.images}} --model ${{outputs.best_model}}',
        ...(c.environmentVariables ? { environmentVariables: c.environmentVariables } : {}),
        inputs: {
          train: { jobInputType: 'uri_folder', uri: train, mode: 'ReadOnlyMount' },
          validation: { jobInputType: 'uri_folder', uri: validation, mode: 'ReadOnlyMount' },
          images: {
            jobInputType: 'uri_folder',
            uri: datastoreUri(config.imagesDatastore, '', true),
            mode: 'ReadOnlyMount',
          },
        },
        outputs: { [MODEL_OUTPUT]: { jobOutputType: 'mlflow_model', mode: 'ReadWriteMount' } },
        resources: { instanceCount: 1 },
        limits: { jobLimitsType: 'Command', timeout: c.timeout ?? 'PT4H' },
      },
    };
  }
  const a = config.automl ?? {};
  return {
    properties: {
      jobType: 'AutoML',
      ...props,
      // AutoML's "best model output" (CLI `outputs.best_model`, type mlflow_model): a named output the scoring job
      // can take as `azureml://jobs/<job>/outputs/best_model` without looking up the best trial first.
      outputs: { [MODEL_OUTPUT]: { jobOutputType: 'mlflow_model' } },
      taskDetails: {
        taskType: 'ImageObjectDetection',
        primaryMetric: 'MeanAveragePrecision',
        // The dataset writer's JSONL has the boxes of an image in its `label` column.
        targetColumnName: 'label',
        trainingData: { jobInputType: 'mltable', uri: train },
        validationData: { jobInputType: 'mltable', uri: validation },
        limitSettings: {
          maxTrials: a.maxTrials ?? 1,
          maxConcurrentTrials: a.maxConcurrentTrials ?? 1,
          timeout: a.timeout ?? 'PT3H',
        },
        ...(a.modelSettings ? { modelSettings: a.modelSettings } : {}),
      },
    },
  };
}

export function inferenceJobBody(
  config: AzureMlBackendConfig,
  request: InferenceJobRequest,
  computeId: string,
): unknown {
  const props = commonProperties(config, request, 'predict', computeId);
  const s = config.scoring;
  return {
    properties: {
      jobType: 'Command',
      ...props,
      environmentId: s.environmentId,
      command:
        'python ${{inputs.script}} --model ${{inputs.model}} --manifest ${{inputs.manifest}} ' +
        `--images \${{inputs.images}} --output \${{outputs.predictions}} --part-size ${s.partSize ?? 500}`,
      inputs: {
        script: {
          jobInputType: 'uri_file',
          uri: datastoreUri(config.trainingDatastore, scoringScriptPath(request.projectId, request.runId), false),
          mode: 'Download',
        },
        model: {
          jobInputType: 'mlflow_model',
          uri: `azureml://jobs/${request.trainingJobId}/outputs/${MODEL_OUTPUT}`,
          mode: 'ReadOnlyMount',
        },
        manifest: {
          jobInputType: 'uri_file',
          uri: datastoreUri(config.trainingDatastore, request.input.manifest, false),
          mode: 'Download',
        },
        images: {
          jobInputType: 'uri_folder',
          uri: datastoreUri(config.imagesDatastore, '', true),
          mode: 'ReadOnlyMount',
        },
      },
      outputs: {
        predictions: {
          jobOutputType: 'uri_folder',
          uri: datastoreUri(config.trainingDatastore, predictionsFolder(request.projectId, request.runId), true),
          mode: 'ReadWriteMount',
        },
      },
      resources: { instanceCount: 1 },
      limits: { jobLimitsType: 'Command', timeout: s.timeout ?? 'PT2H' },
    },
  };
}
