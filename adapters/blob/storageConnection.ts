import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';

/** `UseDevelopmentStorage=true` means the local emulator, as the Functions host reads it. */
const developmentStorage =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';

/** Builds the credential for an identity-based connection (injectable: tests have no Entra ID). */
export type CredentialFactory = (options: { managedIdentityOnly: boolean; clientId?: string }) => TokenCredential;

export const azureCredential: CredentialFactory = ({ managedIdentityOnly, clientId }) => {
  // Loaded only for an identity-based connection: a keyed or local one (devhost, Azurite) never needs the library
  // (with MSAL, ~3 MB of heap and ~6 MB of RSS held by the process for good).
  const { DefaultAzureCredential, ManagedIdentityCredential } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@azure/identity') as typeof import('@azure/identity');
  return managedIdentityOnly
    ? new ManagedIdentityCredential(clientId ? { clientId } : {})
    : new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
};

/**
 * A storage connection as the Functions host reads one from app settings, so a project's `dataset.connectionSetting`
 * (default `AzureWebJobsStorage`) works the same way the host's own storage does:
 *   SETTING                      a connection string (account key or SAS), or `UseDevelopmentStorage=true`;
 *   SETTING__blobServiceUri      identity-based: the blob endpoint (also SETTING__serviceUri);
 *   SETTING__accountName         identity-based: the account, on the public cloud's blob endpoint;
 *   SETTING__credential          `managedidentity` to use only the managed identity (else DefaultAzureCredential);
 *   SETTING__clientId            a user-assigned identity's client id.
 */
export function blobServiceFor(
  setting: string,
  env: Record<string, string | undefined>,
  credentialFor: CredentialFactory = azureCredential,
  options: StoragePipelineOptions = {},
): BlobServiceClient {
  const raw = env[setting]?.trim();
  if (raw) {
    const connectionString = raw === 'UseDevelopmentStorage=true' ? developmentStorage : raw;
    return BlobServiceClient.fromConnectionString(connectionString, options);
  }
  const endpoint = identityEndpoint(setting, (name) => env[name]);
  if (!endpoint) {
    throw new Error(
      `App setting ${setting} (storage connection string) is not set, nor ${setting}__accountName or ` +
        `${setting}__blobServiceUri for an identity-based connection.`,
    );
  }
  const clientId = env[`${setting}__clientId`]?.trim() || undefined;
  const managedIdentityOnly = env[`${setting}__credential`]?.trim().toLowerCase() === 'managedidentity';
  const credential = credentialFor({ managedIdentityOnly, ...(clientId ? { clientId } : {}) });
  return new BlobServiceClient(endpoint, credential, options);
}

/** Every app setting a connection named `setting` may be read from (to notice when any of them changes). */
export function connectionSettingNames(setting: string): string[] {
  return ['', '__blobServiceUri', '__serviceUri', '__accountName', '__credential', '__clientId'].map(
    (s) => setting + s,
  );
}

/** Reads an app setting by name. */
export type SettingLookup = (name: string) => string | undefined;

/** The blob endpoint of an identity-based connection, if the settings describe one. */
export function identityEndpoint(setting: string, lookup: SettingLookup): string | undefined {
  const uri = lookup(`${setting}__blobServiceUri`)?.trim() || lookup(`${setting}__serviceUri`)?.trim();
  if (uri) return uri.replace(/\/+$/, '');
  const account = lookup(`${setting}__accountName`)?.trim();
  return account ? `https://${account}.blob.core.windows.net` : undefined;
}

/** Whether the settings hold a usable connection by either form (checked when a project is created). */
export function hasStorageConnection(setting: string, lookup: SettingLookup): boolean {
  return Boolean(lookup(setting)?.trim()) || identityEndpoint(setting, lookup) !== undefined;
}
