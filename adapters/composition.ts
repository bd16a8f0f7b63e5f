import path from 'node:path';
import type { BlobGateway } from '../shared/ports/blobGateway';
import type { LabelingRecords } from '../shared/ports/labelingRecords';
import type { LabelStore } from '../shared/ports/labelStore';
import { AzureBlobGateway } from './blob/azureBlobGateway';
import { SqliteLabelingRecords } from './sqlite/sqliteLabelingRecords';
import { SqliteLabelStore } from './sqlite/sqliteLabelStore';

/**
 * The composition root: which adapter implements each port, chosen from configuration.
 *   COSMOS_ENDPOINT set → Azure Cosmos DB (key from COSMOS_KEY, else DefaultAzureCredential)
 *   otherwise           → embedded SQLite at $LABEL_STORE_PATH or $DATA_DIR/labels.db
 * Triggers call `services()`; tests and benchmarks may install their own with `setServices`.
 */
export interface Services {
  store: LabelStore;
  records: LabelingRecords;
  blobs: BlobGateway;
}

let current: Services | undefined;

function create(env: NodeJS.ProcessEnv): Services {
  const blobs = new AzureBlobGateway(env);
  if (env.COSMOS_ENDPOINT) {
    // Loaded lazily: the SQLite-only deployment never pays for the Cosmos SDK.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { createCosmosLabelStore } =
      require('./cosmos/cosmosLabelStore') as typeof import('./cosmos/cosmosLabelStore');
    const { createCosmosLabelingRecords } =
      require('./cosmos/cosmosLabelingRecords') as typeof import('./cosmos/cosmosLabelingRecords');
    /* eslint-enable @typescript-eslint/no-require-imports */
    return { store: createCosmosLabelStore(env), records: createCosmosLabelingRecords(env), blobs };
  }
  const file = env.LABEL_STORE_PATH || path.join(env.DATA_DIR || '.data', 'labels.db');
  return { store: new SqliteLabelStore(file), records: new SqliteLabelingRecords(file), blobs };
}

export function services(env: NodeJS.ProcessEnv = process.env): Services {
  current ??= create(env);
  return current;
}

export function setServices(s: Services | undefined): void {
  current = s;
}
