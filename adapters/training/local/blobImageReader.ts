import type { BlobServiceClient } from '@azure/storage-blob';
import { blobServiceFor } from '../../blob/storageConnection';
import type { ImageReader } from './runJob';

/** Reads dataset images with the project's storage connection (connection string or identity, as the app does). */
export function blobImageReader(env: Record<string, string | undefined>): ImageReader {
  const services = new Map<string, BlobServiceClient>();
  return async (images, blobPath) => {
    let service = services.get(images.connectionSetting);
    if (!service) {
      service = blobServiceFor(images.connectionSetting, env);
      services.set(images.connectionSetting, service);
    }
    return service.getContainerClient(images.container).getBlobClient(blobPath).downloadToBuffer();
  };
}
