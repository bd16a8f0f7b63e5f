import type { BlobLocation } from './blobGateway';

/** What identifies one version of a blob: a new upload has a new etag. */
export interface BlobVersion {
  eTag: string;
  sizeBytes: number;
}

/**
 * Whole blobs read as streams, for files too large to hold (imports of any size). Apart from BlobGateway, which
 * ingestion and labeling use for listings and ranged header reads.
 */
export interface BlobStreams {
  /** The blob's current version, or undefined when there is no such blob. */
  version(at: BlobLocation, blobPath: string): Promise<BlobVersion | undefined>;
  /**
   * The blob's bytes from the start, only if it is still at `eTag` (a blob replaced since fails the read with
   * BlobChangedError rather than mixing two files). Dropped connections are resumed where they stopped.
   */
  open(at: BlobLocation, blobPath: string, eTag: string): Promise<AsyncIterable<Buffer> & NodeJS.ReadableStream>;
}

export class BlobChangedError extends Error {
  constructor(blobPath: string) {
    super(`'${blobPath}' was replaced or deleted after the import was requested: request the import again`);
    this.name = 'BlobChangedError';
  }
}
