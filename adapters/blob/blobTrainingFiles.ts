import { BlobSASPermissions, RestError, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { TrainingFiles } from '../../shared/ports/trainingFiles';
import { azureCredential, blobServiceFor, type CredentialFactory } from './storageConnection';
import { UserDelegationSigner } from './userDelegationSas';

/**
 * TrainingFiles on a blob container. The container is created on first use where the connection may create it
 * (a connection string: local development); with an identity it is expected to exist (infrastructure creates it), and
 * a missing one fails with a message naming it.
 */
export class BlobTrainingFiles implements TrainingFiles {
  readonly #container: ContainerClient;
  readonly #signer: UserDelegationSigner;
  #ready: Promise<void> | undefined;

  constructor(
    containerName: string,
    env: Record<string, string | undefined> = process.env,
    settingName = 'AzureWebJobsStorage',
    credentialFor: CredentialFactory = azureCredential,
  ) {
    const service = blobServiceFor(settingName, env, credentialFor);
    this.#container = service.getContainerClient(containerName);
    this.#signer = new UserDelegationSigner(service);
  }

  #ensure(): Promise<void> {
    this.#ready ??= this.#container
      .createIfNotExists()
      .then(() => undefined)
      .catch((err: unknown) => {
        this.#ready = undefined;
        if (err instanceof RestError && err.statusCode === 403) {
          throw new Error(
            `Blob container '${this.#container.containerName}' (TRAINING_CONTAINER) does not exist or the app may not ` +
              'create it: create it (infra/ does) and grant the app Storage Blob Data Contributor on it.',
          );
        }
        throw err;
      });
    return this.#ready;
  }

  async write(path: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.#ensure();
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    await this.#container
      .getBlockBlobClient(path)
      .uploadData(data, { blobHTTPHeaders: { blobContentType: contentType } });
  }

  async writeIfAbsent(path: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<boolean> {
    await this.#ensure();
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      await this.#container.getBlockBlobClient(path).uploadData(data, {
        blobHTTPHeaders: { blobContentType: contentType },
        conditions: { ifNoneMatch: '*' },
      });
      return true;
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) return false;
      throw err;
    }
  }

  async read(path: string): Promise<Buffer | undefined> {
    await this.#ensure();
    try {
      return await this.#container.getBlobClient(path).downloadToBuffer();
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    await this.#ensure();
    const names: string[] = [];
    for await (const blob of this.#container.listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  }

  async delete(path: string): Promise<void> {
    await this.#ensure();
    await this.#container.getBlobClient(path).deleteIfExists();
  }

  // Block ids go to storage base64-encoded; the port's ids are plain text of one length per blob.
  // Neither form is copied: the SDK writes text and byte views to the socket as they are.
  async stageBlock(path: string, blockId: string, body: string | Uint8Array): Promise<void> {
    await this.#ensure();
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    await this.#container.getBlockBlobClient(path).stageBlock(Buffer.from(blockId).toString('base64'), body, length);
  }

  async commitBlocks(path: string, blockIds: readonly string[], contentType: string): Promise<void> {
    await this.#ensure();
    await this.#container.getBlockBlobClient(path).commitBlockList(
      blockIds.map((id) => Buffer.from(id).toString('base64')),
      { blobHTTPHeaders: { blobContentType: contentType } },
    );
  }

  /** A SAS signed with the account key where the connection has one (Azurite, keyed accounts), else keyless. */
  async readUrl(path: string, minutes: number): Promise<{ url: string; expiresAt: string }> {
    const blob = this.#container.getBlobClient(path);
    if (blob.credential instanceof StorageSharedKeyCredential) {
      const expiresOn = new Date(Date.now() + minutes * 60_000);
      const url = await blob.generateSasUrl({
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(Date.now() - 5 * 60_000),
        expiresOn,
      });
      return { url, expiresAt: expiresOn.toISOString() };
    }
    const signed = await this.#signer.readUrl(this.#container.containerName, path, blob.url, minutes);
    return { url: signed, expiresAt: new Date(Date.now() + minutes * 60_000).toISOString() };
  }
}
