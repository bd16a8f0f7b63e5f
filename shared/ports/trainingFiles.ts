/**
 * The training container (TRAINING_CONTAINER in the AzureWebJobsStorage account): datasets, models, prediction files
 * and the local runner's job records, as blobs, as Azure ML keeps its inputs and outputs. Paths are relative to the
 * container and always start with the project id. Exports are written here too, under `<projectId>/exports/`.
 */
export interface TrainingFiles {
  write(path: string, body: Buffer | string, contentType?: string): Promise<void>;
  /** Writes only if nothing is there yet; false when a blob already existed (it is left untouched). */
  writeIfAbsent(path: string, body: Buffer | string, contentType?: string): Promise<boolean>;
  read(path: string): Promise<Buffer | undefined>;
  /** Blob paths under `prefix`, in name order. */
  list(prefix: string): Promise<string[]>;
  delete(path: string): Promise<void>;
  /**
   * Stages one block of a blob written in parts (exports): nothing is visible until `commitBlocks`. Staging the same
   * id again replaces the block, so a retried writer is harmless. All ids of one blob have the same length. Bytes
   * are sent as they are (the caller keeps them unchanged until the promise settles); text is sent as UTF-8.
   */
  stageBlock(path: string, blockId: string, body: string | Uint8Array): Promise<void>;
  /** Makes the blob the staged (or already committed) blocks in this order; repeating the same commit is a no-op. */
  commitBlocks(path: string, blockIds: readonly string[], contentType: string): Promise<void>;
  /** A read-only URL for `minutes` (keyless on Azure: a user delegation SAS) and when it stops working. */
  readUrl(path: string, minutes: number): Promise<{ url: string; expiresAt: string }>;
}
