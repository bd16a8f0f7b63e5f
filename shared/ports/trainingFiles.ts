/**
 * The training container (TRAINING_CONTAINER in the AzureWebJobsStorage account): datasets, models, prediction files
 * and the local runner's job records, as blobs, as Azure ML keeps its inputs and outputs. Paths are relative to the
 * container and always start with the project id.
 */
export interface TrainingFiles {
  write(path: string, body: Buffer | string, contentType?: string): Promise<void>;
  /** Writes only if nothing is there yet; false when a blob already existed (it is left untouched). */
  writeIfAbsent(path: string, body: Buffer | string, contentType?: string): Promise<boolean>;
  read(path: string): Promise<Buffer | undefined>;
  /** Blob paths under `prefix`, in name order. */
  list(prefix: string): Promise<string[]>;
  delete(path: string): Promise<void>;
}
