import { RestError, type BlobServiceClient } from '@azure/storage-blob';
import type { BlobLocation } from '../../shared/ports/blobGateway';
import { BlobChangedError, type BlobStreams, type BlobVersion } from '../../shared/ports/blobStreams';
import { azureCredential, blobServiceFor, type CredentialFactory } from './storageConnection';

/** Reconnects a download may make before it fails (the SDK resumes at the byte it had reached). */
const maxResumes = 10;

/** BlobStreams on Azure Storage or Azurite, through the project's connection setting (as AzureBlobGateway). */
export class AzureBlobStreams implements BlobStreams {
  readonly #services = new Map<string, BlobServiceClient>();

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly credentialFor: CredentialFactory = azureCredential,
  ) {}

  #blob(at: BlobLocation, blobPath: string) {
    let service = this.#services.get(at.connectionSetting);
    if (!service) {
      service = blobServiceFor(at.connectionSetting, this.env, this.credentialFor);
      this.#services.set(at.connectionSetting, service);
    }
    return service.getContainerClient(at.container).getBlobClient(blobPath);
  }

  async version(at: BlobLocation, blobPath: string): Promise<BlobVersion | undefined> {
    try {
      const p = await this.#blob(at, blobPath).getProperties();
      return { eTag: p.etag ?? '', sizeBytes: p.contentLength ?? 0 };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async open(at: BlobLocation, blobPath: string, eTag: string) {
    try {
      const res = await this.#blob(at, blobPath).download(0, undefined, {
        conditions: { ifMatch: eTag },
        maxRetryRequests: maxResumes,
      });
      return res.readableStreamBody! as AsyncIterable<Buffer> & NodeJS.ReadableStream;
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 404 || err.statusCode === 412)) {
        throw new BlobChangedError(blobPath);
      }
      throw err;
    }
  }
}
