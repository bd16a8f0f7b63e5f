/** Blob storage as ingestion and labeling need it. The Azure adapter talks to Azure Storage or Azurite. */

export interface ListedBlob {
  blobPath: string;
  blobUrl: string;
  contentType: string;
  sizeBytes: number;
  eTag: string;
}

export interface BlobPage {
  items: ListedBlob[];
  continuationToken?: string;
}

export interface BlobLocation {
  /** App setting holding the connection string (the project's `dataset.connectionSetting`). */
  connectionSetting: string;
  container: string;
}

export interface BlobGateway {
  /** One page of a flat listing under `prefix`, in name order. */
  listBlobs(at: BlobLocation, prefix: string, pageSize: number, continuationToken?: string): Promise<BlobPage>;
  /**
   * The first `bytes` bytes of a blob (a ranged read: image headers never need the whole image). Resolves to
   * undefined when the blob does not exist (any more).
   */
  readHead(at: BlobLocation, blobPath: string, bytes: number): Promise<Buffer | undefined>;
  /** A read-only URL valid for `minutes` (SAS), for handing images to labelers. */
  readUrl(at: BlobLocation, blobPath: string, minutes: number): Promise<string>;
  /** The storage account the location's connection setting names (events from other accounts are not ours). */
  accountName(at: BlobLocation): string;
  /** The blob's URL (without a SAS) on the location's own account: task URLs are built here, never taken from events. */
  blobUrl(at: BlobLocation, blobPath: string): string;
}
