import { afterAll, beforeAll } from 'vitest';
import { AzureMlBackend } from '../../adapters/training/azureml/azureMlBackend';
import { FakeAzureMl } from './fakeAzureMl';
import { MemoryTrainingFiles } from './memoryTrainingFiles';
import { describeTrainingBackendContract } from './trainingBackend.contract';

// The provider-independent TrainingBackend contract for the azureml adapter, against the fake Azure ML. "Finishing"
// a job sets its status in the fake; a completed prediction job also gets what score.py would have written: one line
// per manifest image in the job's predictions output folder, in the training container the adapter reads.

const SUB = '00000000-1111-2222-3333-444444444444';
const TOKEN = 'contract-token';
const DATASTORE = 'mlassisttraining';

let fake: FakeAzureMl;
const previousTls = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

beforeAll(async () => {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  fake = await FakeAzureMl.start({ subscriptionId: SUB, resourceGroup: 'rg', workspace: 'ws', token: TOKEN });
});

afterAll(async () => {
  await fake?.stop();
  if (previousTls === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTls;
});

/** `azureml://datastores/<training>/paths/<p>` → `<p>` (what the datastore is to the app: its training container). */
function trainingPath(uri: string | undefined): string {
  const prefix = `azureml://datastores/${DATASTORE}/paths/`;
  if (!uri?.startsWith(prefix)) throw new Error(`not in the training datastore: ${uri}`);
  return uri.slice(prefix.length);
}

describeTrainingBackendContract('azureml (fake Azure ML)', async () => {
  fake.reset();
  const files = new MemoryTrainingFiles();
  const backend = new AzureMlBackend({
    subscriptionId: SUB,
    resourceGroup: 'rg',
    workspace: 'ws',
    compute: 'gpu-cluster',
    vmSize: 'Standard_NC4as_T4_v3',
    maxNodes: 4,
    trainingDatastore: DATASTORE,
    imagesDatastore: 'labelingimages',
    mode: 'automl',
    scoring: { environmentId: 'azureml:scoring-env:1' },
    armEndpoint: fake.url,
    credential: { getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
    files,
    retry: { retryDelayInMs: 1, maxRetryDelayInMs: 5 },
    log: () => undefined,
  });
  return {
    backend,
    files,
    async finish(jobId, end) {
      const job = fake.jobs.get(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      const props = job.body.properties as {
        inputs?: Record<string, { uri?: string }>;
        outputs?: Record<string, { uri?: string }>;
      };
      if (end === 'completed' && props.outputs?.['predictions']) {
        const manifest = (await files.read(trainingPath(props.inputs?.['manifest']?.uri)))!.toString('utf8');
        const folder = trainingPath(props.outputs['predictions'].uri);
        const lines = manifest
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as { taskId: string; blobPath: string })
          .map((e) => ({
            taskId: e.taskId,
            filename: e.blobPath,
            boxes: [{ box: { topX: 0.1, topY: 0.2, bottomX: 0.5, bottomY: 0.6 }, label: 'cat', score: 0.8 }],
          }));
        // Two parts, as score.py splits a manifest by --part-size.
        await files.write(
          `${folder}part-00000.jsonl`,
          lines
            .slice(0, 2)
            .map((l) => JSON.stringify(l))
            .join('\n'),
        );
        await files.write(
          `${folder}part-00001.jsonl`,
          lines
            .slice(2)
            .map((l) => JSON.stringify(l))
            .join('\n'),
        );
      }
      fake.setStatus(jobId, end === 'completed' ? 'Completed' : 'Failed');
    },
  };
});
