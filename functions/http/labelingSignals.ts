import type { DurableClient } from 'durable-functions';
import { labelerSessionId, mlAssistInstanceId } from '../../shared/domain/labelingIds';
import {
  labelingEvents,
  labelingOrchestrations,
  type BatchRequestEvent,
  type LabelerSessionInput,
  type MlAssistInput,
} from '../../shared/domain/labelingWorkflow';
import { Coalescer } from './coalesce';

const finished = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/**
 * Raises `event` to a singleton orchestration, starting it when it does not exist (it then gets the payload through
 * its input). The fast path is one call; `thorough` first reads the status, which also restarts an instance that
 * failed (raising to a failed instance is accepted and dropped, as on Azure).
 */
async function raiseOrStart(
  client: DurableClient,
  target: { instanceId: string; orchestration: string; event: string; data: unknown; startInput: unknown },
  thorough: boolean,
): Promise<void> {
  const start = async () => {
    try {
      await client.startNew(target.orchestration, { instanceId: target.instanceId, input: target.startInput });
      return true;
    } catch {
      return false; // someone else started it meanwhile: raise the event to that instance instead
    }
  };
  if (thorough) {
    const status = await client.getStatus(target.instanceId).catch(() => undefined);
    if ((!status || finished.has(String(status.runtimeStatus))) && (await start())) return;
    await client.raiseEvent(target.instanceId, target.event, target.data);
    return;
  }
  try {
    await client.raiseEvent(target.instanceId, target.event, target.data);
  } catch {
    if (!(await start())) await client.raiseEvent(target.instanceId, target.event, target.data);
  }
}

/** Asks the labeler's session for a batch (idempotent per request id). */
export function requestBatch(
  client: DurableClient,
  projectId: string,
  labelerId: string,
  requestId: string,
  thorough = false,
) {
  const startInput: LabelerSessionInput = { projectId, labelerId, requestId };
  const data: BatchRequestEvent = { requestId };
  const instanceId = labelerSessionId(projectId, labelerId);
  const orchestration = labelingOrchestrations.labelerSession;
  return raiseOrStart(
    client,
    { instanceId, orchestration, event: labelingEvents.requestBatch, data, startInput },
    thorough,
  );
}

/** Tells the session its batch ended (finished or released) so it stops waiting for the lease. A hint only. */
export async function signalBatchEnded(client: DurableClient, projectId: string, labelerId: string, batchId: string) {
  await client
    .raiseEvent(labelerSessionId(projectId, labelerId), labelingEvents.batchEnded, { batchId })
    .catch(() => undefined); // the lease timer closes the batch anyway
}

const nudges = new Coalescer();

/**
 * Nudges the project's ML Assist coordinator (starting it the first time) after a labeled submission that found a
 * training threshold reached. Concurrent submissions share nudges: each waits for one raised after its own write
 * (so the coordinator's next evaluation counts it), and a burst costs a couple of events instead of one each (the
 * coordinator only re-reads the store anyway).
 */
export function nudgeMlAssist(client: DurableClient, projectId: string) {
  const startInput: MlAssistInput = { projectId };
  const instanceId = mlAssistInstanceId(projectId);
  const orchestration = labelingOrchestrations.mlAssist;
  return nudges.run(projectId, () =>
    raiseOrStart(client, { instanceId, orchestration, event: labelingEvents.labeled, data: null, startInput }, false),
  );
}
