import { createHash, randomBytes } from 'node:crypto';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { services, trainingServices } from '../../adapters/composition';
import { datastoreUri } from '../../adapters/training/azureml/jobBodies';
import type { ExportRequest } from '../../shared/domain/formats/exportRequest';
import type { ExportSpec } from '../../shared/domain/formats/exportRun';
import { ExportService } from '../../shared/services/exports';
import { parseSettings } from '../../shared/settings';
import { exportInstanceId, type ExportProgress, type ExportResult } from '../../shared/workflows/exports';

let cached: ExportService | undefined;

/** Exports name images as Azure ML jobs read them, on the images datastore, so `az ml job create` can use them. */
export function exportService(): ExportService {
  if (!cached) {
    const { imagesDatastore } = parseSettings(process.env).training;
    cached = new ExportService({
      store: services().store,
      files: trainingServices().files,
      imageUrl: (blobPath) => datastoreUri(imagesDatastore, blobPath, false),
    });
  }
  return cached;
}

/**
 * The export id: from the caller's Idempotency-Key when one is sent (the same key of the same admin on the same
 * project names the same export, so a retried POST finds it), else random. `x` + 22 base64url characters.
 */
export function exportIdFor(projectId: string, userId: string, idempotencyKey: string | null): string {
  const bytes = idempotencyKey
    ? createHash('sha256').update(`${projectId}\u0000${userId}\u0000${idempotencyKey}`).digest().subarray(0, 16)
    : randomBytes(16);
  return `x${bytes.toString('base64url')}`;
}

/** The export's run, or undefined if there is none under this id (or its history was purged). */
export async function exportStatus(
  client: DurableClient,
  projectId: string,
  exportId: string,
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(exportInstanceId(projectId, exportId), { showInput: true });
  } catch (err) {
    // The SDK reports an unknown instance as an error mentioning the extension's 404.
    if (/\b404\b/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** Whether a repeated request asks for the same export the first one started. */
export function sameRequest(spec: Pick<ExportSpec, 'format' | 'include' | 'split'>, request: ExportRequest): boolean {
  return (
    spec.format === request.format &&
    spec.include === request.include &&
    JSON.stringify(spec.split ?? null) === JSON.stringify(request.split ?? null)
  );
}

export type ExportState = 'queued' | 'running' | 'completed' | 'failed';

const states: Record<string, ExportState> = {
  Pending: 'queued',
  Running: 'running',
  ContinuedAsNew: 'running',
  Suspended: 'running',
  Completed: 'completed',
  Failed: 'failed',
  Terminated: 'failed',
  Canceled: 'failed',
};

export interface ExportView {
  id: string;
  state: ExportState;
  format: string;
  include: string;
  split?: { validation: number; seed: number };
  requestedAt: string;
  requestedBy: string;
  progress: ExportProgress | null;
  counts?: ExportResult['counts'];
  /** Where the files are in the training container, for bulk copies (YOLO's label files have no URLs here). */
  folder?: string;
  files?: Array<{ name: string; url: string; expiresAt: string }>;
  error?: string;
}

/** The run as the API shows it; `urls` signs the files of a completed export. */
export async function exportView(
  status: DurableOrchestrationStatus,
  urls: (files: ExportResult['files']) => Promise<Array<{ name: string; url: string; expiresAt: string }>>,
): Promise<ExportView> {
  const spec = status.input as ExportSpec;
  const state = states[String(status.runtimeStatus)] ?? 'running';
  const view: ExportView = {
    id: spec.exportId,
    state,
    format: spec.format,
    include: spec.include,
    ...(spec.split ? { split: spec.split } : {}),
    requestedAt: spec.requestedAt,
    requestedBy: spec.requestedBy,
    progress: (status.customStatus as ExportProgress | undefined) ?? null,
  };
  if (state === 'completed') {
    const result = status.output as ExportResult;
    return { ...view, counts: result.counts, folder: result.folder, files: await urls(result.files) };
  }
  if (state === 'failed') {
    const text = typeof status.output === 'string' ? status.output : JSON.stringify(status.output ?? 'stopped');
    return { ...view, error: text.split('\n', 1)[0]!.slice(0, 500) };
  }
  return view;
}
