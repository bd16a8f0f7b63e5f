import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { contentTypeOf, planImage, renderImage, toCoco, type CocoDataset, type PlanOptions } from './syntheticImages';

/** devhost's embedded Azurite on its default port, with the public development account. */
export const localAzurite =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';

export const groundTruthBlob = '_groundtruth/coco.json';

/** An explicit string, else AzureWebJobsStorage, else local Azurite; `UseDevelopmentStorage=true` means Azurite. */
export function resolveConnectionString(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = explicit || env.AzureWebJobsStorage || localAzurite;
  return value.trim() === 'UseDevelopmentStorage=true' ? localAzurite : value;
}

export async function openContainer(connectionString: string, container: string): Promise<ContainerClient> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  await client.createIfNotExists();
  return client;
}

/** Runs `fn` over 0..total-1 with at most `concurrency` calls in flight. */
export async function forEachLimit(
  total: number,
  concurrency: number,
  fn: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
}

export interface DemoUploadOptions extends PlanOptions {
  count: number;
  /** First image index (to add images to a container that already holds some). */
  start?: number;
  concurrency?: number;
  /** Also store the ground truth as `_groundtruth/coco.json` in the container. */
  uploadGroundTruth?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Generates and uploads `count` synthetic images (rendering overlaps with uploading, `concurrency` at a time) and
 * returns their COCO ground truth. Re-running with the same options overwrites the same blobs with the same bytes.
 */
export async function uploadDemoImages(container: ContainerClient, options: DemoUploadOptions): Promise<CocoDataset> {
  const start = options.start ?? 0;
  const plans = Array.from({ length: options.count }, (_, i) => planImage(start + i, options));
  let done = 0;
  await forEachLimit(plans.length, options.concurrency ?? 16, async (i) => {
    const plan = plans[i]!;
    const bytes = await renderImage(plan);
    await container.getBlockBlobClient(plan.blobPath).uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: contentTypeOf(plan.format) },
    });
    options.onProgress?.(++done, plans.length);
  });
  const coco = toCoco(plans);
  if (options.uploadGroundTruth) {
    const json = Buffer.from(JSON.stringify(coco));
    await container.getBlockBlobClient(groundTruthBlob).uploadData(json, {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }
  return coco;
}
