import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { blobStreams, services, trainingServices } from '../../adapters/composition';
import type {
  ImportJobSpec,
  ImportRunOutput,
  ImportRunStatus,
  ImportState,
  ImportView,
} from '../../shared/domain/imports/importJob';
import { ImportJobService } from '../../shared/services/importJobs';
import { importInstanceId } from '../../shared/workflows/imports';

let cached: ImportJobService | undefined;

/** Chunks are staged in the training container (as exports are written there), under `<projectId>/imports/`. */
export function importJobService(): ImportJobService {
  cached ??= new ImportJobService({
    store: services().store,
    blobs: blobStreams(),
    files: trainingServices().files,
  });
  return cached;
}

/** The import's run, or undefined if there is none under this id (or its history was purged). */
export async function importStatus(
  client: DurableClient,
  projectId: string,
  importId: string,
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(importInstanceId(projectId, importId), { showInput: true });
  } catch (err) {
    // The SDK reports an unknown instance as an error mentioning the extension's 404.
    if (/\b404\b/.test((err as Error).message)) return undefined;
    throw err;
  }
}

const failed = new Set(['Failed', 'Terminated', 'Canceled']);

/** The run as the API shows it. */
export function importView(status: DurableOrchestrationStatus): ImportView {
  const spec = status.input as ImportJobSpec;
  const base = {
    importId: spec.importId,
    format: spec.format,
    requestedAt: spec.requestedAt,
    requestedBy: spec.requestedBy,
  };
  const runtime = String(status.runtimeStatus);
  if (runtime === 'Completed') {
    const out = status.output as ImportRunOutput;
    return { ...base, state: out.state, progress: out.progress, report: out.report };
  }
  if (failed.has(runtime)) {
    const text = typeof status.output === 'string' ? status.output : JSON.stringify(status.output ?? 'stopped');
    const running = status.customStatus as ImportRunStatus | undefined;
    return {
      ...base,
      state: 'failed',
      progress: running?.progress ?? { imagesScanned: 0, imagesWritten: 0 },
      error: text.split('\n', 1)[0]!.slice(0, 500),
    };
  }
  const running = status.customStatus as ImportRunStatus | undefined;
  const state: ImportState = running?.state ?? 'scanning';
  return { ...base, state, progress: running?.progress ?? { imagesScanned: 0, imagesWritten: 0 } };
}
