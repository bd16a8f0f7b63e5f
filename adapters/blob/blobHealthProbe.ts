import { BlobServiceClient } from '@azure/storage-blob';
import { describeError, type HealthCheckResult, type HealthProbe } from '../../shared/ports/healthProbe';

/**
 * Checks that the storage account behind a connection string answers, with one `Get Blob Service Properties` call.
 * Works with full connection strings (Azure, Azurite with `BlobEndpoint=`) and `UseDevelopmentStorage=true`.
 */
export class BlobHealthProbe implements HealthProbe {
  readonly name = 'blob';
  readonly #client: BlobServiceClient | undefined;
  readonly #configError: string | undefined;

  /** `settingName` only appears in error messages, so a missing or malformed setting is easy to find. */
  constructor(connectionString: string | undefined, settingName = 'AzureWebJobsStorage') {
    if (!connectionString) {
      this.#configError = `${settingName} is not set`;
      return;
    }
    try {
      // One try and no retries: a health check reports the current state; the caller bounds the wait.
      this.#client = BlobServiceClient.fromConnectionString(connectionString, { retryOptions: { maxTries: 1 } });
    } catch (err) {
      // The SDK's parse errors never echo the connection string, but keep only the first line to be safe.
      this.#configError = `${settingName} is not a usable connection string: ${describeError(err)}`;
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
