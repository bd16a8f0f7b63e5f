import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import https from 'node:https';

/**
 * Settings for the Cosmos DB label store, read from the app settings:
 *   COSMOS_ENDPOINT            account endpoint, e.g. https://myaccount.documents.azure.com:443/
 *   COSMOS_KEY                 account key; when unset, DefaultAzureCredential (managed identity, az login…)
 *   COSMOS_DATABASE            database id (default `mlassist`)
 *   COSMOS_ALLOW_INSECURE_TLS  `1` only for the emulator or cosmosdb-server, which use self-signed certificates
 */
export interface CosmosSettings {
  endpoint: string;
  key?: string;
  databaseId: string;
  allowInsecureTls: boolean;
}

export const defaultDatabaseId = 'mlassist';

export function cosmosSettingsFrom(env: NodeJS.ProcessEnv): CosmosSettings {
  const endpoint = env.COSMOS_ENDPOINT?.trim();
  if (!endpoint) throw new Error('COSMOS_ENDPOINT is not set.');
  return {
    endpoint,
    key: env.COSMOS_KEY || undefined,
    databaseId: env.COSMOS_DATABASE?.trim() || defaultDatabaseId,
    allowInsecureTls: env.COSMOS_ALLOW_INSECURE_TLS === '1',
  };
}

export interface ConnectedClient {
  client: CosmosClient;
  /** Stops the SDK's background work and closes the sockets this client opened. */
  dispose(): void;
}

export function connectCosmos(settings: CosmosSettings): ConnectedClient {
  const options: CosmosClientOptions = { endpoint: settings.endpoint };
  if (settings.key) options.key = settings.key;
  else options.aadCredentials = new DefaultAzureCredential();

  // Certificate checks are switched off only on this client's own agent, never process-wide
  // (NODE_TLS_REJECT_UNAUTHORIZED would silently weaken every other connection the app makes).
  const agent = settings.allowInsecureTls ? new https.Agent({ keepAlive: true, rejectUnauthorized: false }) : undefined;
  if (agent) {
    options.agent = agent;
    // The emulators advertise endpoints that are not reachable from here; talk to the given one only.
    options.connectionPolicy = { enableEndpointDiscovery: false };
  }
  const client = new CosmosClient(options);
  return {
    client,
    dispose() {
      client.dispose();
      agent?.destroy();
    },
  };
}
