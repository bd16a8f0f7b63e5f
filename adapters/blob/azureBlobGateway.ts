import {
  BlobSASPermissions,
  BlobServiceClient,
  RestError,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobItem,
  type ContainerClient,
} from '@azure/storage-blob';
import type { BlobGateway, BlobLocation, BlobPage } from '../../shared/ports/blobGateway';
import { SasRangeReader } from './sasRangeReader';
import { azureCredential, blobServiceFor, type CredentialFactory } from './storageConnection';
import { UserDelegationSigner } from './userDelegationSas';

/**
 * Azure Blob Storage (or Azurite) through @azure/storage-blob. Clients are cached per connection setting, read from
 * the environment when first needed (so hosts can set it before the first call): a connection string, or an
 * identity-based connection (`SETTING__accountName` / `__blobServiceUri`, see storageConnection.ts). Without an
 * account key, read URLs are user delegation SAS and header reads go through the SDK with the identity's token.
 */
export class AzureBlobGateway implements BlobGateway {
  readonly #services = new Map<string, BlobServiceClient>();
  readonly #signers = new Map<string, UserDelegationSigner>();

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly credentialFor: CredentialFactory = azureCredential,
  ) {}

  #service(setting: string): BlobServiceClient {
    let client = this.#services.get(setting);
    if (!client) {
      client = blobServiceFor(setting, this.env, this.credentialFor);
      this.#services.set(setting, client);
    }
    return client;
  }

  readonly #containers = new Map<string, ContainerClient>();

  /** Cached: building a ContainerClient (and its pipeline) per call showed up in ingestion profiles. */
  #container(at: BlobLocation): ContainerClient {
    const key = `${at.connectionSetting}\n${at.container}`;
    let client = this.#containers.get(key);
    if (!client) {
      client = this.#service(at.connectionSetting).getContainerClient(at.container);
      this.#containers.set(key, client);
    }
    return client;
  }

  async listBlobs(at: BlobLocation, prefix: string, pageSize: number, continuationToken?: string): Promise<BlobPage> {
    const container = this.#container(at);
    const pages = container
      .listBlobsFlat({ prefix: prefix || undefined })
      .byPage({ maxPageSize: pageSize, continuationToken: continuationToken || undefined });
    const { value } = await pages.next();
    if (!value) return { items: [] };
    return {
      items: value.segment.blobItems.map((b: BlobItem) => ({
        blobPath: b.name,
        blobUrl: this.blobUrl(at, b.name),
        contentType: b.properties.contentType ?? '',
        sizeBytes: b.properties.contentLength ?? 0,
        eTag: b.properties.etag ?? '',
      })),
      continuationToken: value.continuationToken || undefined,
    };
  }

  readonly #readers = new Map<string, SasRangeReader | null>();

  /** The fast path for header reads where the account key allows it (see SasRangeReader); null: use the SDK. */
  #reader(at: BlobLocation): SasRangeReader | null {
    const key = `${at.connectionSetting}\n${at.container}`;
    let reader = this.#readers.get(key);
    if (reader === undefined) {
      reader = SasRangeReader.for(this.#container(at)) ?? null;
      this.#readers.set(key, reader);
    }
    return reader;
  }

  async readHead(at: BlobLocation, blobPath: string, bytes: number): Promise<Buffer | undefined> {
    const reader = this.#reader(at);
    if (reader) return reader.read(blobPath, bytes);
    const blob = this.#container(at).getBlobClient(blobPath);
    try {
      // download(), not downloadToBuffer(): a blob shorter than the range answers with what it has, which
      // downloadToBuffer(offset, count) treats as a failed read.
      const response = await blob.download(0, bytes);
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody!) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      // A blob shorter than the range answers 416 on some servers: read it whole (it is tiny).
      if (err instanceof RestError && err.statusCode === 416) return await blob.downloadToBuffer();
      throw err;
    }
  }

  accountName(at: BlobLocation): string {
    return this.#service(at.connectionSetting).accountName;
  }

  /**
   * The URL `ContainerClient.getBlobClient(name).url` gives (each path segment percent-encoded, `'` too), built as a
   * string: constructing a BlobClient per event cost ingestion about a tenth of its CPU (bench/ingest.mjs).
   */
  blobUrl(at: BlobLocation, blobPath: string): string {
    const segments = blobPath.split('/').map((s) => encodeURIComponent(s).replace(/'/g, '%27'));
    return `${this.#container(at).url}/${segments.join('/')}`;
  }

  async readUrl(at: BlobLocation, blobPath: string, minutes: number): Promise<string> {
    const service = this.#service(at.connectionSetting);
    const url = this.blobUrl(at, blobPath);
    if (!(service.credential instanceof StorageSharedKeyCredential)) {
      let signer = this.#signers.get(at.connectionSetting);
      if (!signer) {
        signer = new UserDelegationSigner(service);
        this.#signers.set(at.connectionSetting, signer);
      }
      return signer.readUrl(at.container, blobPath, url, minutes);
    }
    // Signed here, as BlobClient.generateSasUrl does, without building a BlobClient per URL: that was ~0.08 ms a
    // URL, and a batch view signs 75 of them on the event loop (~0.015 ms each this way).
    const now = Date.now();
    const sas = generateBlobSASQueryParameters(
      {
        containerName: at.container,
        blobName: blobPath,
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(now - 5 * 60_000),
        expiresOn: new Date(now + minutes * 60_000),
      },
      service.credential,
    );
    return `${url}?${sas.toString()}`;
  }
}
