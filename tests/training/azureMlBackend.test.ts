import { AzureMachineLearningWorkspaces, type JobBase } from '@azure/arm-machinelearning';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureMlBackend } from '../../adapters/training/azureml/azureMlBackend';
import type { AzureMlBackendConfig } from '../../adapters/training/azureml/azureMlConfig';
import { AzureMlError } from '../../adapters/training/azureml/azureMlErrors';
import { azureMlJobName } from '../../adapters/training/azureml/jobNames';
import { scoringScript } from '../../adapters/training/azureml/scoringScript';
import type { InferenceJobRequest, TrainingJobRequest } from '../../shared/ports/trainingBackend';
import { FakeAzureMl } from './fakeAzureMl';
import { MemoryTrainingFiles } from './memoryTrainingFiles';

// The azureml TrainingBackend against a local fake of ARM + MLflow (tests/training/fakeAzureMl.ts). The job bodies
// are compared whole: @azure/arm-machinelearning 2.1.1 silently drops fields of job bodies, so only deep equality
// with the intended REST body shows that what reaches Azure ML is what the adapter meant to send.

const SUB = '00000000-1111-2222-3333-444444444444';
const RG = 'rg-labeling';
const WS = 'ws-labeling';
const TOKEN = 'fake-arm-token';
const WS_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`;
const COMPUTE_ID = `${WS_ID}/computes/gpu-cluster`;

let fake: FakeAzureMl;
const previousTls = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

beforeAll(async () => {
  // The fake serves HTTPS with a self-signed certificate (the SDK sends bearer tokens over https only).
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  fake = await FakeAzureMl.start({ subscriptionId: SUB, resourceGroup: RG, workspace: WS, token: TOKEN });
});

afterAll(async () => {
  await fake?.stop();
  if (previousTls === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTls;
});

beforeEach(() => fake.reset());

interface Setup {
  backend: AzureMlBackend;
  files: MemoryTrainingFiles;
  logs: string[];
  scopes: string[];
}

function setup(overrides: Partial<AzureMlBackendConfig> = {}): Setup {
  const files = new MemoryTrainingFiles();
  const logs: string[] = [];
  const scopes: string[] = [];
  const credential: TokenCredential = {
    async getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const backend = new AzureMlBackend({
    subscriptionId: SUB,
    resourceGroup: RG,
    workspace: WS,
    compute: 'gpu-cluster',
    vmSize: 'Standard_NC4as_T4_v3',
    maxNodes: 4,
    trainingDatastore: 'mlassisttraining',
    imagesDatastore: 'labelingimages',
    mode: 'automl',
    scoring: { environmentId: 'azureml://registries/azureml/environments/automl-vision-gpu/versions/1' },
    armEndpoint: fake.url,
    credential,
    files,
    retry: { retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    log: (message) => logs.push(message),
    ...overrides,
  });
  return { backend, files, logs, scopes };
}

const trainingRequest = (projectId = 'proj-cats', runId = 'run-000000250'): TrainingJobRequest => ({
  projectId,
  runId,
  images: { connectionSetting: 'IMAGES', container: 'cats' },
  dataset: { folder: `${projectId}/${runId}/dataset`, labels: ['cat', 'dog'], trainCount: 200, validationCount: 50 },
});

const inferenceRequest = (
  trainingJobId: string,
  projectId = 'proj-cats',
  runId = 'run-000000250',
): InferenceJobRequest => ({
  projectId,
  runId,
  images: { connectionSetting: 'IMAGES', container: 'cats' },
  trainingJobId,
  input: { manifest: `${projectId}/${runId}/inference/manifest.jsonl`, count: 3 },
});

const putBodies = (jobName: string) => fake.requestsTo('PUT', `/jobs/${jobName}`).map((r) => r.body);

describe('starting jobs', () => {
  it('creates the missing GPU cluster, then PUTs the AutoML ImageObjectDetection job exactly as intended', async () => {
    const { backend, scopes } = setup({
      automl: { timeout: 'PT2H', modelSettings: { modelName: 'yolov5', numberOfEpochs: 30, imageSize: 640 } },
    });
    const job = await backend.startTraining(trainingRequest());

    const jobName = azureMlJobName('proj-cats', 'run-000000250', 'train');
    expect(job).toEqual({ jobId: jobName, link: `https://ml.azure.com/runs/${jobName}?wsid=${WS_ID}` });
    expect(jobName).toMatch(/^mla-proj-cats-run-000000250-train-[0-9a-f]{10}$/);

    expect(fake.requestsTo('PUT', '/computes/gpu-cluster').map((r) => r.body)).toEqual([
      {
        location: 'westeurope',
        identity: { type: 'SystemAssigned' },
        properties: {
          computeType: 'AmlCompute',
          description: 'ML Assist Labeling training and prelabeling (created by the app)',
          properties: {
            vmSize: 'Standard_NC4as_T4_v3',
            vmPriority: 'Dedicated',
            osType: 'Linux',
            scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT120S' },
            remoteLoginPortPublicAccess: 'Disabled',
          },
        },
      },
    ]);
    // The create is not waited for: the SDK's poller reads the operation's status once and is then let go.
    expect(fake.requestsTo('GET', '/operations/')).toHaveLength(1);

    expect(putBodies(jobName)).toEqual([
      {
        properties: {
          jobType: 'AutoML',
          displayName: 'proj-cats run-000000250 train',
          experimentName: 'mlassist-proj-cats',
          computeId: COMPUTE_ID,
          tags: { app: 'ml-assist-labeling', projectId: 'proj-cats', runId: 'run-000000250', kind: 'train' },
          identity: { identityType: 'Managed' },
          outputs: { best_model: { jobOutputType: 'mlflow_model' } },
          taskDetails: {
            taskType: 'ImageObjectDetection',
            primaryMetric: 'MeanAveragePrecision',
            targetColumnName: 'label',
            trainingData: {
              jobInputType: 'mltable',
              uri: 'azureml://datastores/mlassisttraining/paths/proj-cats/run-000000250/dataset/train/',
            },
            validationData: {
              jobInputType: 'mltable',
              uri: 'azureml://datastores/mlassisttraining/paths/proj-cats/run-000000250/dataset/validation/',
            },
            limitSettings: { maxTrials: 1, maxConcurrentTrials: 1, timeout: 'PT2H' },
            modelSettings: { modelName: 'yolov5', numberOfEpochs: 30, imageSize: 640 },
          },
        },
      },
    ]);

    // Raw and SDK calls alike: one api-version, ARM's token on every request, asked for ARM's scope.
    expect(new Set(fake.requests.filter((r) => !r.path.includes('/mlflow/')).map((r) => r.apiVersion))).toEqual(
      new Set(['2024-10-01']),
    );
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(new Set(scopes)).toEqual(new Set(['https://management.azure.com/.default']));
  });

  it('sends raw JSON because the SDK (2.1.1) would drop fields of the same body (azure-sdk-for-js#29328)', async () => {
    const { backend } = setup();
    const { jobId } = await backend.startTraining(trainingRequest());
    const intended = putBodies(jobId)[0] as { properties: Record<string, unknown> };
    const credential: TokenCredential = {
      getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3.6e6 }),
    };
    const sdk = new AzureMachineLearningWorkspaces(credential, SUB, {
      endpoint: fake.url,
      $host: fake.url,
      credentialScopes: 'https://management.azure.com/.default',
    });
    await sdk.jobs.createOrUpdate(RG, WS, 'through-the-sdk', intended as unknown as JobBase).catch(() => undefined);
    const sent = fake.requestsTo('PUT', '/jobs/through-the-sdk')[0]!.body as { properties: { taskDetails: object } };
    // When this fails the SDK serializes job bodies faithfully and the raw PUT could go.
    expect(sent.properties.taskDetails).not.toHaveProperty('limitSettings');
    expect(sent.properties.taskDetails).not.toHaveProperty('validationData');
    expect(intended.properties['taskDetails']).toHaveProperty('limitSettings');
  });

  it('leaves an existing cluster alone and checks it once per backend', async () => {
    fake.computes.set('gpu-cluster', {
      id: COMPUTE_ID,
      name: 'gpu-cluster',
      properties: { computeType: 'AmlCompute', provisioningState: 'Succeeded' },
    });
    const { backend } = setup();
    await backend.startTraining(trainingRequest('proj-cats', 'run-000000250'));
    await backend.startTraining(trainingRequest('proj-cats', 'run-000000500'));
    expect(fake.requestsTo('GET', '/computes/gpu-cluster')).toHaveLength(1);
    expect(fake.requestsTo('PUT', '/computes/')).toHaveLength(0);
  });

  it('refuses to start on a cluster whose creation failed, naming it', async () => {
    fake.computes.set('gpu-cluster', {
      id: COMPUTE_ID,
      name: 'gpu-cluster',
      properties: { computeType: 'AmlCompute', provisioningState: 'Failed' },
    });
    const { backend } = setup();
    await expect(backend.startTraining(trainingRequest())).rejects.toThrow(/compute 'gpu-cluster' is in state Failed/);
    expect(fake.requestsTo('PUT', '/jobs/')).toHaveLength(0);
  });

  it('PUTs a command training job when the mode is command', async () => {
    const { backend } = setup({
      mode: 'command',
      command: {
        environmentId: `${WS_ID}/environments/od-train/versions/3`,
        codeId: `${WS_ID}/codes/od-train-src/versions/7`,
        timeout: 'PT5H',
        environmentVariables: { EPOCHS: '40' },
      },
    });
    const { jobId } = await backend.startTraining(trainingRequest());
    expect(putBodies(jobId)).toEqual([
      {
        properties: {
          jobType: 'Command',
          displayName: 'proj-cats run-000000250 train',
          experimentName: 'mlassist-proj-cats',
          computeId: COMPUTE_ID,
          tags: { app: 'ml-assist-labeling', projectId: 'proj-cats', runId: 'run-000000250', kind: 'train' },
          identity: { identityType: 'Managed' },
          codeId: `${WS_ID}/codes/od-train-src/versions/7`,
          environmentId: `${WS_ID}/environments/od-train/versions/3`,
          command:
            'python train.py --train ${{inputs.train}} --validation ${{inputs.validation}} ' +
            '--images ${{inputs.images}} --model ${{outputs.best_model}}',
          environmentVariables: { EPOCHS: '40' },
          inputs: {
            train: {
              jobInputType: 'uri_folder',
              uri: 'azureml://datastores/mlassisttraining/paths/proj-cats/run-000000250/dataset/train/',
              mode: 'ReadOnlyMount',
            },
            validation: {
              jobInputType: 'uri_folder',
              uri: 'azureml://datastores/mlassisttraining/paths/proj-cats/run-000000250/dataset/validation/',
              mode: 'ReadOnlyMount',
            },
            images: {
              jobInputType: 'uri_folder',
              uri: 'azureml://datastores/labelingimages/paths/',
              mode: 'ReadOnlyMount',
            },
          },
          outputs: { best_model: { jobOutputType: 'mlflow_model', mode: 'ReadWriteMount' } },
          resources: { instanceCount: 1 },
          limits: { jobLimitsType: 'Command', timeout: 'PT5H' },
        },
      },
    ]);
  });

  it('PUTs the prediction job (score.py, the trained model, manifest, images) and uploads the script beside the run', async () => {
    const { backend, files } = setup({ scoring: { environmentId: 'azureml:automl-vision:4', partSize: 200 } });
    const training = await backend.startTraining(trainingRequest());
    const { jobId } = await backend.startInference(inferenceRequest(training.jobId));

    expect(jobId).toBe(azureMlJobName('proj-cats', 'run-000000250', 'predict'));
    expect(putBodies(jobId)).toEqual([
      {
        properties: {
          jobType: 'Command',
          displayName: 'proj-cats run-000000250 predict',
          experimentName: 'mlassist-proj-cats',
          computeId: COMPUTE_ID,
          tags: { app: 'ml-assist-labeling', projectId: 'proj-cats', runId: 'run-000000250', kind: 'predict' },
          identity: { identityType: 'Managed' },
          environmentId: 'azureml:automl-vision:4',
          command:
            'python ${{inputs.script}} --model ${{inputs.model}} --manifest ${{inputs.manifest}} ' +
            '--images ${{inputs.images}} --output ${{outputs.predictions}} --part-size 200',
          inputs: {
            script: {
              jobInputType: 'uri_file',
              uri: 'azureml://datastores/mlassisttraining/paths/proj-cats/run-000000250/scoring/score.py',
              mode: 'Download',
            },
            model: {
              jobInputType: 'mlflow_model',
              uri: `azureml://jobs/${training.jobId}/outputs/best_model`,
              mode: 'ReadOnlyMount',
            },
            manifest: {
              jobInputType: 'uri_file',
              uri: 'azureml://datastores/mlassisttraining/paths/proj-cats/run-000000250/inference/manifest.jsonl',
              mode: 'Download',
            },
            images: {
              jobInputType: 'uri_folder',
              uri: 'azureml://datastores/labelingimages/paths/',
              mode: 'ReadOnlyMount',
            },
          },
          outputs: {
            predictions: {
              jobOutputType: 'uri_folder',
              uri: 'azureml://datastores/mlassisttraining/paths/proj-cats/run-000000250/predictions/',
              mode: 'ReadWriteMount',
            },
          },
          resources: { instanceCount: 1 },
          limits: { jobLimitsType: 'Command', timeout: 'PT2H' },
        },
      },
    ]);
    const script = files.blobs.get('proj-cats/run-000000250/scoring/score.py');
    expect(script?.body.toString('utf8')).toBe(scoringScript());
    expect(script?.body.toString('utf8')).toContain('mlflow.pyfunc.load_model');
  });

  it('is idempotent per (project, run, kind): a second start finds the first job, even with a changed body', async () => {
    const first = setup();
    const a = await first.backend.startTraining(trainingRequest());
    const again = await first.backend.startTraining(trainingRequest());
    expect(again).toEqual(a);

    // An app with other settings (AML refuses to change an existing job's immutable fields with a 400 UserError).
    const other = setup({ automl: { maxTrials: 3 } });
    const b = await other.backend.startTraining(trainingRequest());
    expect(b).toEqual(a);
    expect(fake.jobs.size).toBe(1);
    expect(
      (fake.jobs.get(a.jobId)!.body.properties!['taskDetails'] as { limitSettings: unknown }).limitSettings,
    ).toEqual({ maxTrials: 1, maxConcurrentTrials: 1, timeout: 'PT3H' });

    // Another project's run of the same id is another job.
    const c = await first.backend.startTraining(trainingRequest('proj-dogs', 'run-000000250'));
    expect(c.jobId).not.toBe(a.jobId);
  });

  it('surfaces a refused PUT of a job that does not exist with AML’s code and message', async () => {
    const { backend } = setup();
    fake.inject({
      method: 'PUT',
      path: '/jobs/',
      status: 400,
      body: { error: { code: 'UserError', message: 'Request is invalid and/or missing fields.' } },
    });
    const error = await backend.startTraining(trainingRequest()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AzureMlError);
    expect(error).toMatchObject({ statusCode: 400, code: 'UserError' });
    expect((error as Error).message).toMatch(/UserError: Request is invalid and\/or missing fields\./);
  });

  it('names jobs within AML’s rules whatever the ids look like', () => {
    const name = azureMlJobName('Proj.With Spaces', 'Run/ä#1', 'predict');
    expect(name).toMatch(/^[a-z0-9][a-z0-9_-]{0,254}$/);
    expect(azureMlJobName('Proj.With Spaces', 'Run/ä#1', 'predict')).toBe(name);
    expect(azureMlJobName('proj.with spaces', 'Run/ä#1', 'predict')).not.toBe(name);
    expect(azureMlJobName('p'.repeat(64), 'r'.repeat(300), 'train').length).toBeLessThanOrEqual(255);
  });
});

describe('job status', () => {
  async function started(s: Setup) {
    return (await s.backend.startTraining(trainingRequest())).jobId;
  }

  it('follows a job through Queued and Running to Completed', async () => {
    const s = setup();
    const jobId = await started(s);
    fake.progress(jobId, ['NotStarted', 'Queued', 'Preparing', 'Running', 'Finalizing', 'Completed']);
    const states = [];
    for (let i = 0; i < 6; i++) states.push((await s.backend.status(jobId))?.state);
    expect(states).toEqual(['queued', 'queued', 'running', 'running', 'running', 'completed']);
  });

  it('reports a failed job with AML’s status and where its logs are', async () => {
    const s = setup();
    const jobId = await started(s);
    fake.progress(jobId, ['Running', 'Failed']);
    await s.backend.status(jobId);
    expect(await s.backend.status(jobId)).toEqual({
      state: 'failed',
      reason: `Azure ML job ${jobId} Failed; details: https://ml.azure.com/runs/${jobId}?wsid=${WS_ID}`,
    });
  });

  it('cancels: CancelRequested is still running, Canceled ends it', async () => {
    const s = setup();
    const jobId = await started(s);
    fake.setStatus(jobId, 'Running');
    await s.backend.cancel(jobId);
    expect(fake.requestsTo('POST', `/jobs/${jobId}/cancel`)).toHaveLength(1);
    expect((await s.backend.status(jobId))?.state).toBe('running');
    expect(await s.backend.status(jobId)).toMatchObject({
      state: 'canceled',
      reason: expect.stringContaining('Canceled'),
    });
  });

  it('leaves a finished job as it is when asked to cancel it, and a job AML no longer knows', async () => {
    const s = setup();
    const jobId = await started(s);
    fake.setStatus(jobId, 'Completed');
    await expect(s.backend.cancel(jobId)).resolves.toBeUndefined();
    expect((await s.backend.status(jobId))?.state).toBe('completed');
    await expect(s.backend.cancel('mla-never-started')).resolves.toBeUndefined();
  });

  it('counts statuses it does not know, and the ones that are not an end, as still running', async () => {
    const s = setup();
    const jobId = await started(s);
    fake.progress(jobId, ['Scheduled', 'NotResponding', 'Paused', 'Unknown', 'SomethingNew', 'constructor']);
    const states = [];
    for (let i = 0; i < 6; i++) states.push((await s.backend.status(jobId))?.state);
    expect(states).toEqual(['queued', 'running', 'running', 'running', 'running', 'running']);
  });

  it('answers undefined for a job AML does not know (deleted, or never started)', async () => {
    const s = setup();
    const jobId = await started(s);
    fake.setStatus(jobId, 'Running');
    expect(await s.backend.status(jobId)).toMatchObject({ state: 'running' });
    fake.forget(jobId);
    expect(await s.backend.status(jobId)).toBeUndefined();
    expect(await s.backend.status('mla-never-started')).toBeUndefined();
  });

  it('adds the numeric MLflow metrics, the best AutoML trial’s over the parent’s', async () => {
    const s = setup();
    const jobId = await started(s);
    fake.setStatus(jobId, 'Completed');
    fake.mlflowRuns.set(jobId, {
      metrics: { mean_average_precision: 0.41, iterations: 1, note: 'not a number' },
      tags: { automl_best_child_run_id: `${jobId}_HD_0` },
    });
    fake.mlflowRuns.set(`${jobId}_HD_0`, { metrics: { mean_average_precision: 0.62, precision: 0.7, recall: 0.55 } });
    expect(await s.backend.status(jobId)).toEqual({
      state: 'completed',
      metrics: { mean_average_precision: 0.62, iterations: 1, precision: 0.7, recall: 0.55 },
    });
    const mlflow = fake.requestsTo('GET', '/api/2.0/mlflow/runs/get');
    expect(mlflow.map((r) => r.query['run_id'])).toEqual([jobId, `${jobId}_HD_0`]);
    expect(mlflow[0]!.path).toBe(`/mlflow/v1.0${WS_ID}/api/2.0/mlflow/runs/get`);
    expect(mlflow[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('still reports the state when MLflow fails, and says so in the log', async () => {
    const s = setup({ retry: { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 2 } });
    const jobId = await started(s);
    fake.setStatus(jobId, 'Running');
    fake.inject({ path: '/mlflow/', times: 2, status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'boom' } });
    expect(await s.backend.status(jobId)).toEqual({ state: 'running' });
    expect(s.logs).toEqual([expect.stringMatching(/metrics of job .* not read/)]);
    // A run MLflow does not have (yet) is no metrics, not an error for the state either.
    expect(await s.backend.status(jobId)).toEqual({ state: 'running' });
  });
});

describe('retries', () => {
  it('waits out a 429 with Retry-After in seconds on the raw job PUT', async () => {
    const s = setup();
    fake.inject({
      method: 'PUT',
      path: '/jobs/',
      status: 429,
      headers: { 'retry-after': '1' },
      body: { error: { code: 'TooManyRequests', message: 'slow down' } },
    });
    const started = Date.now();
    const { jobId } = await s.backend.startTraining(trainingRequest());
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.requestsTo('PUT', `/jobs/${jobId}`)).toHaveLength(2);
  });

  it('waits out a 429 with an HTTP-date Retry-After on an SDK call', async () => {
    const s = setup();
    const { jobId } = await s.backend.startTraining(trainingRequest());
    fake.setStatus(jobId, 'Running');
    fake.inject({
      method: 'GET',
      path: `/jobs/${jobId}`,
      status: 429,
      headers: { 'retry-after': new Date(Date.now() + 1000).toUTCString() },
      body: { error: { code: 'TooManyRequests', message: 'slow down' } },
    });
    expect(await s.backend.status(jobId)).toMatchObject({ state: 'running' });
    expect(fake.requestsTo('GET', `/jobs/${jobId}`)).toHaveLength(2);
  });

  it('retries 503, 500 and 408 with backoff, on raw and SDK requests', async () => {
    const s = setup();
    fake.inject({
      method: 'GET',
      path: '/computes/',
      times: 2,
      status: 500,
      body: { error: { code: 'InternalServerError', message: 'x' } },
    });
    fake.inject({
      method: 'PUT',
      path: '/jobs/',
      times: 2,
      status: 503,
      body: { error: { code: 'ServiceUnavailable', message: 'x' } },
    });
    fake.inject({
      method: 'PUT',
      path: '/jobs/',
      times: 1,
      status: 408,
      body: { error: { code: 'RequestTimeout', message: 'x' } },
    });
    const { jobId } = await s.backend.startTraining(trainingRequest());
    expect(fake.requestsTo('GET', '/computes/gpu-cluster')).toHaveLength(3);
    expect(fake.requestsTo('PUT', `/jobs/${jobId}`)).toHaveLength(4);
  });

  it('gives up after maxRetries (one retry policy on the pipeline, not the SDK’s on top of it)', async () => {
    const s = setup({ retry: { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 2 } });
    fake.inject({
      method: 'PUT',
      path: '/jobs/',
      times: 50,
      status: 503,
      body: { error: { code: 'ServiceUnavailable', message: 'try later' } },
    });
    const error = await s.backend.startTraining(trainingRequest()).catch((err: unknown) => err);
    expect(error).toMatchObject({ statusCode: 503, code: 'ServiceUnavailable' });
    expect(fake.requestsTo('PUT', '/jobs/')).toHaveLength(3);
  });

  it('does not sleep through a Retry-After longer than allowed: the throttling surfaces at once', async () => {
    const s = setup();
    fake.inject({
      method: 'PUT',
      path: '/jobs/',
      status: 429,
      headers: { 'retry-after': '3600' },
      body: { error: { code: 'TooManyRequests', message: 'Subscription throttled for an hour' } },
    });
    const error = await s.backend.startTraining(trainingRequest()).catch((err: unknown) => err);
    expect(error).toMatchObject({ statusCode: 429, code: 'TooManyRequests' });
    expect((error as Error).message).toContain('Subscription throttled for an hour');
    expect(fake.requestsTo('PUT', '/jobs/')).toHaveLength(1);
  });

  it('does not retry other 4xx and surfaces AML’s error', async () => {
    const s = setup();
    fake.inject({
      method: 'GET',
      path: '/computes/',
      status: 403,
      body: {
        error: { code: 'AuthorizationFailed', message: 'The client does not have authorization to perform action' },
      },
    });
    const error = await s.backend.startTraining(trainingRequest()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AzureMlError);
    expect(error).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect((error as Error).message).toContain('does not have authorization');
    expect(fake.requestsTo('GET', '/computes/')).toHaveLength(1);
  });
});

describe('predictions', () => {
  const manifest = [
    { taskId: 'task-a', blobPath: 'cats/a.jpg', width: 640, height: 480 },
    { taskId: 'task-b', blobPath: 'cats/b.jpg', width: 640, height: 480 },
    { taskId: 'task-c', blobPath: 'cats/sub/c.jpg', width: 100, height: 100 },
  ];

  async function predictionJob(s: Setup) {
    await s.files.write(
      'proj-cats/run-000000250/inference/manifest.jsonl',
      manifest.map((m) => JSON.stringify(m)).join('\n'),
    );
    const training = await s.backend.startTraining(trainingRequest());
    const { jobId } = await s.backend.startInference(inferenceRequest(training.jobId));
    fake.setStatus(jobId, 'Completed');
    return jobId;
  }

  it('lists the part files of the job’s output folder and converts their lines to ImagePredictions', async () => {
    const s = setup();
    const jobId = await predictionJob(s);
    const folder = 'proj-cats/run-000000250/predictions/';
    const box = (topX: number, topY: number, bottomX: number, bottomY: number, label: string, score: number) => ({
      box: { topX, topY, bottomX, bottomY },
      label,
      score,
    });
    await s.files.write(
      `${folder}part-00000.jsonl`,
      [
        JSON.stringify({ taskId: 'task-a', filename: 'cats/a.jpg', boxes: [box(0.1, 0.2, 0.5, 0.6, 'cat', 0.93)] }),
        JSON.stringify({ taskId: 'task-b', filename: 'cats/b.jpg', boxes: [], error: 'cannot read image' }),
      ].join('\n') + '\n',
    );
    await s.files.write(
      `${folder}part-00001.jsonl`,
      [
        // AutoML's own output names only the file (here a mount path): matched to the task through the manifest.
        JSON.stringify({
          filename: '/mnt/azureml/cr/j/inputs/images/cats/sub/c.jpg',
          boxes: [
            box(-0.05, 0.5, 0.4, 1.2, 'dog', 0.41), // clamped to the image
            box(0.6, 0.6, 0.6, 0.9, 'dog', 0.8), // no width: dropped
            { box: { topX: 0.1, topY: 0.1, bottomX: 0.2 }, label: 'dog', score: 0.5 }, // incomplete: dropped
          ],
        }),
        'not json',
        JSON.stringify({ filename: 'elsewhere/x.jpg', boxes: [] }),
      ].join('\n'),
    );
    await s.files.write(`${folder}part-00002.jsonl.tmp`, 'half written');
    await s.files.write(`${folder}_logs/run.txt`, 'log');

    expect(await s.backend.predictionParts(jobId)).toEqual(['part-00000.jsonl', 'part-00001.jsonl']);
    expect(await s.backend.readPredictions(jobId, 'part-00000.jsonl')).toEqual([
      { taskId: 'task-a', boxes: [{ label: 'cat', topX: 0.1, topY: 0.2, bottomX: 0.5, bottomY: 0.6, score: 0.93 }] },
      { taskId: 'task-b', boxes: [] },
    ]);
    expect(await s.backend.readPredictions(jobId, 'part-00001.jsonl')).toEqual([
      { taskId: 'task-c', boxes: [{ label: 'dog', topX: 0, topY: 0.5, bottomX: 0.4, bottomY: 1, score: 0.41 }] },
    ]);
    expect(s.logs).toEqual([expect.stringMatching(/part part-00001\.jsonl: 2 line\(s\) skipped/)]);
    // The job's folder is read from the job once, however many parts are read.
    expect(fake.requestsTo('GET', `/jobs/${jobId}`)).toHaveLength(1);
  });

  it('refuses part names that could leave the predictions folder, and says which part is missing', async () => {
    const s = setup();
    const jobId = await predictionJob(s);
    await expect(s.backend.readPredictions(jobId, '../dataset/train/data.jsonl')).rejects.toThrow(
      /Not a prediction part/,
    );
    await expect(s.backend.readPredictions(jobId, 'part-00009.jsonl')).rejects.toThrow(
      /part-00009\.jsonl .* is missing/,
    );
  });
});
