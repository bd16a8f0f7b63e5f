import type { BlobServiceClient } from '@azure/storage-blob';
import { describeError, type HealthCheckResult, type HealthProbe } from '../../shared/ports/healthProbe';
import { azureCredential, blobServiceFor, type CredentialFactory } from './storageConnection';

/**
 * Checks that the storage account of a connection setting answers, with one `Get Blob Service Properties` call.
 * Works with connection strings (Azure, Azurite with `BlobEndpoint=`, `UseDevelopmentStorage=true`) and with
 * identity-based settings (`NAME__accountName`, `NAME__blobServiceUri`; see storageConnection.ts).
 */
export class BlobHealthProbe implements HealthProbe {
  readonly name = 'blob';
  readonly #client: BlobServiceClient | undefined;
  readonly #configError: string | undefined;

  constructor(
    env: Record<string, string | undefined>,
    settingName = 'AzureWebJobsStorage',
    credentialFor: CredentialFactory = azureCredential,
  ) {
    try {
      // One try and no retries: a health check reports the current state; the caller bounds the wait.
      this.#client = blobServiceFor(settingName, env, credentialFor, { retryOptions: { maxTries: 1 } });
    } catch (err) {
      // The SDK's parse errors never echo the connection string, but keep only the first line to be safe.
      this.#configError = `${settingName} is not a usable storage connection: ${describeError(err)}`;
    }
  }

  async check(signal: AbortSignal): Promise<HealthCheckResult> {
    if (!this.#client) return { ok: false, kind: 'azure-blob', error: this.#configError };
    const started = performance.now();
    try {
      await this.#client.getProperties({ abortSignal: signal });
      return { ok: true, kind: 'azure-blob', latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      return {
        ok: false,
        kind: 'azure-blob',
        latencyMs: Math.round(performance.now() - started),
        error: describeError(err),
      };
    }
  }
}
