import type { BlobGateway } from '../shared/ports/blobGateway';
import type { Store } from '../shared/ports/store';
import { parseSettings } from '../shared/settings';
import { AzureBlobGateway } from './blob/azureBlobGateway';
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
  return { store: new SqliteStore(store.file), blobs };
}

export function services(env: NodeJS.ProcessEnv = process.env): Services {
  current ??= create(env);
  return current;
}

export function setServices(s: Services | undefined): void {
  current = s;
}
