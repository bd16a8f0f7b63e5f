import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import https from 'node:https';
import { parseSettings, type AppSettings } from '../../shared/settings';

/**
 * Settings for the Cosmos DB store (COSMOS_ENDPOINT, COSMOS_KEY, COSMOS_DATABASE, COSMOS_ALLOW_INSECURE_TLS; see
 * shared/settings.ts). Without a key the client authenticates with DefaultAzureCredential (managed identity).
 */
export type CosmosSettings = Omit<Extract<AppSettings['store'], { kind: 'cosmos' }>, 'kind'>;

export function cosmosSettingsFrom(env: Record<string, string | undefined>): CosmosSettings {
  const { store } = parseSettings(env);
  if (store.kind !== 'cosmos') throw new Error('COSMOS_ENDPOINT is not set.');
  const { kind: _kind, ...settings } = store;
  return settings;
}

export interface ConnectedClient {
  client: CosmosClient;
  /** Stops the SDK's background work and closes the sockets this client opened. */
  dispose(): void;
}

/** `extra` adds client options (tests pass a fault-injecting plugin, or a stand-in for Entra ID, through it). */
export function connectCosmos(settings: CosmosSettings, extra: Partial<CosmosClientOptions> = {}): ConnectedClient {
  const options: CosmosClientOptions = { ...extra, endpoint: settings.endpoint };
  if (settings.key) options.key = settings.key;
  else options.aadCredentials = extra.aadCredentials ?? new DefaultAzureCredential();

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
