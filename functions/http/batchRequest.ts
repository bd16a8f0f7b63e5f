import type { DurableClient } from 'durable-functions';
import type { Batch } from '../../shared/domain/labelingRecords';
import type { LabelingService } from '../../shared/services/labeling';
import { requestBatch } from './labelingSignals';

/** How long `POST …/batches` waits on the labeler's session before answering 202 with a status URL. */
const waitMs = 8_000;
/** A request the session has not picked up by then is raised again (idempotent per request id). */
const reraiseAfterMs = 1_500;
const pollMs = 20;

/**
 * The labeler's batch: the live one if there is one, else a new one allocated by their session orchestration.
 * Synchronous from the caller's view; undefined when the session did not answer in time (the caller gets 202).
 */
export async function obtainBatch(
  client: DurableClient,
  service: LabelingService,
  projectId: string,
  labelerId: string,
  requestId: string,
): Promise<Batch | undefined> {
  const existing = await service.findBatch(projectId, labelerId, requestId);
  if (existing) return existing;
  await requestBatch(client, projectId, labelerId, requestId);
  const started = Date.now();
  let reraised = false;
  while (Date.now() - started < waitMs) {
    await new Promise((r) => setTimeout(r, pollMs));
    const batch = await service.findBatch(projectId, labelerId, requestId);
    if (batch) return batch;
    if (!reraised && Date.now() - started > reraiseAfterMs) {
      reraised = true;
      await requestBatch(client, projectId, labelerId, requestId, true);
    }
  }
  return undefined;
}
