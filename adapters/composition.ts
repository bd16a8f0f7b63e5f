import type { BlobGateway } from '../shared/ports/blobGateway';
import type { BlobStreams } from '../shared/ports/blobStreams';
import type { Store } from '../shared/ports/store';
import type { TrainingBackend } from '../shared/ports/trainingBackend';
import type { TrainingFiles } from '../shared/ports/trainingFiles';
import { parseSettings } from '../shared/settings';
import { AzureBlobGateway } from './blob/azureBlobGateway';
import { AzureBlobStreams } from './blob/azureBlobStreams';
import { BlobTrainingFiles } from './blob/blobTrainingFiles';
import { azureCredential } from './blob/storageConnection';
import { SqliteStore } from './sqlite/sqliteStore';

/**
 * The composition root: which adapter implements each port, chosen from the app settings (shared/settings.ts).
 *   COSMOS_ENDPOINT set → Azure Cosmos DB (key from COSMOS_KEY, else DefaultAzureCredential)
 *   otherwise           → embedded SQLite at $LABEL_STORE_PATH or $DATA_DIR/labels.db
 * One store (one SQLite connection or one CosmosClient) per process. Triggers call `services()`; tests and
 * benchmarks may install their own with `setServices`.
 */
export interface Services {
  store: Store;
  blobs: BlobGateway;
}

let current: Services | undefined;

function create(env: NodeJS.ProcessEnv): Services {
  const blobs = new AzureBlobGateway(env);
  const { store } = parseSettings(env);
  if (store.kind === 'cosmos') {
    // Loaded lazily: the SQLite-only deployment never pays for the Cosmos SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CosmosStore } = require('./cosmos/cosmosStore') as typeof import('./cosmos/cosmosStore');
    return { store: new CosmosStore(store), blobs };
  }
  return { store: new SqliteStore(store.file, { backgroundCheckpoints: true }), blobs };
}

export function services(env: NodeJS.ProcessEnv = process.env): Services {
  current ??= create(env);
  return current;
}

export function setServices(s: Services | undefined): void {
  current = s;
}

let currentStreams: BlobStreams | undefined;

/** Whole blobs as streams (imports from blobs), on the same connection settings as `services().blobs`. */
export function blobStreams(env: NodeJS.ProcessEnv = process.env): BlobStreams {
  currentStreams ??= new AzureBlobStreams(env);
  return currentStreams;
}

/**
 * ML Assist training (TRAINING_BACKEND): the built-in CPU trainer (jobs run by a low-priority runner process) or
 * Azure ML. Built on first use: most functions never train.
 */
export interface Training {
  backend: TrainingBackend;
  files: TrainingFiles;
}

let currentTraining: Training | undefined;

function createTraining(env: NodeJS.ProcessEnv): Training {
  const { training } = parseSettings(env);
  const files = new BlobTrainingFiles(training.container, env);
  if (training.backend.kind === 'local') {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { LocalTrainingBackend } =
      require('./training/local/localBackend') as typeof import('./training/local/localBackend');
    const { RunnerSupervisor } =
      require('./training/local/runnerSupervisor') as typeof import('./training/local/runnerSupervisor');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const { epochs, inputSize, workers } = training.backend;
    return {
      files,
      backend: new LocalTrainingBackend(files, new RunnerSupervisor(env), { epochs, inputSize, workers }),
    };
  }
  const { AzureMlBackend } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('./training/azureml/azureMlBackend') as typeof import('./training/azureml/azureMlBackend');
  const b = training.backend;
  const backend = new AzureMlBackend({
    subscriptionId: b.subscriptionId,
    resourceGroup: b.resourceGroup,
    workspace: b.workspace,
    compute: b.compute,
    vmSize: b.vmSize,
    maxNodes: b.maxNodes,
    trainingDatastore: b.trainingDatastore,
    imagesDatastore: b.imagesDatastore,
    mode: b.mode,
    ...(b.command ? { command: b.command } : {}),
    scoring: { environmentId: b.scoringEnvironment },
    // The app's managed identity (AzureWebJobsStorage__clientId names the user-assigned one on Azure).
    credential: azureCredential({ managedIdentityOnly: false, ...clientIdOf(env) }),
    files,
  });
  return { files, backend };
}

function clientIdOf(env: NodeJS.ProcessEnv): { clientId?: string } {
  const clientId = env.AzureWebJobsStorage__clientId?.trim();
  return clientId ? { clientId } : {};
}

export function trainingServices(env: NodeJS.ProcessEnv = process.env): Training {
  currentTraining ??= createTraining(env);
  return currentTraining;
}

export function setTrainingServices(t: Training | undefined): void {
  currentTraining = t;
}
