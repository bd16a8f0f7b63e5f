import {
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type ContainerClient,
} from '@azure/storage-blob';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const sasLifetimeMs = 60 * 60_000;
/** A SAS is replaced this long before it expires, so no read races its expiry. */
const sasRenewBeforeMs = 10 * 60_000;
/** Tolerates clock skew between this host and storage. */
const sasStartSkewMs = 5 * 60_000;
const readTimeoutMs = 30_000;

// Shared by every reader: keep-alive connections are what make one small read per event cheap.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 128 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 128 }),
};

/** An error with the HTTP status, shaped like the SDK's RestError where callers look (`statusCode`). */
export class BlobReadError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'BlobReadError';
  }
}

function get(url: URL, headers: Record<string, string>): Promise<{ status: number; body: Buffer; errorCode?: string }> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: agents[url.protocol as 'http:' | 'https:'], headers }, (res) => {
      collect(res).then(resolve, reject);
    });
    req.setTimeout(readTimeoutMs, () =>
      req.destroy(new Error(`Reading ${url.pathname} timed out after ${readTimeoutMs} ms`)),
    );
    req.once('error', reject);
    req.end();
  });
}

async function collect(res: IncomingMessage): Promise<{ status: number; body: Buffer; errorCode?: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const errorCode = res.headers['x-ms-error-code'];
  return {
    status: res.statusCode ?? 0,
    body: Buffer.concat(chunks),
    errorCode: typeof errorCode === 'string' ? errorCode : undefined,
  };
}

/**
 * Ranged reads of one container's blobs as plain keep-alive HTTP GETs authorised by a short-lived, read-only
 * container SAS (signed locally with the account key; renewed before it expires).
 *
 * Why not the SDK's `BlobClient.download`: ingestion reads an image header for every event, and through the SDK
 * each read builds a BlobClient and runs the whole request pipeline (tracing, policies, typed deserialization of
 * every response header): about 350 µs of CPU per read, against about 45 µs here — the largest single cost of
 * ingesting an event on devhost (bench/ingest.mjs). Only available with an account key (shared-key connection
 * strings, Azurite); otherwise the gateway keeps using the SDK.
 */
export class SasRangeReader {
  #sas: { query: string; renewAt: number } | undefined;

  private constructor(
    private readonly container: ContainerClient,
    private readonly credential: StorageSharedKeyCredential,
  ) {}

  static for(container: ContainerClient): SasRangeReader | undefined {
    const credential = container.credential;
    return credential instanceof StorageSharedKeyCredential ? new SasRangeReader(container, credential) : undefined;
  }

  #sasQuery(): string {
    const now = Date.now();
    if (!this.#sas || now >= this.#sas.renewAt) {
      const query = generateBlobSASQueryParameters(
        {
          containerName: this.container.containerName,
          permissions: ContainerSASPermissions.parse('r'),
          startsOn: new Date(now - sasStartSkewMs),
          expiresOn: new Date(now + sasLifetimeMs),
        },
        this.credential,
      ).toString();
      this.#sas = { query, renewAt: now + sasLifetimeMs - sasRenewBeforeMs };
    }
    return this.#sas.query;
  }

  #url(blobPath: string): URL {
    const path = blobPath.split('/').map(encodeURIComponent).join('/');
    return new URL(`${this.container.url}/${path}?${this.#sasQuery()}`);
  }

  /** The first `bytes` bytes (fewer if the blob is shorter), or undefined when the blob does not exist. */
  async read(blobPath: string, bytes: number): Promise<Buffer | undefined> {
    const url = this.#url(blobPath);
    let res = await get(url, { 'x-ms-range': `bytes=0-${bytes - 1}` });
    // An empty blob has no byte 0: storage answers 416 to any range. Read it whole (it is empty).
    if (res.status === 416) res = await get(url, {});
    if (res.status === 200 || res.status === 206) return res.body;
    if (res.status === 404) return undefined;
    throw new BlobReadError(
      `Reading ${this.container.containerName}/${blobPath} failed: HTTP ${res.status}${res.errorCode ? ` ${res.errorCode}` : ''}`,
      res.status,
    );
  }
}
