import type { DurableClient } from 'durable-functions';
import { labelerSessionId, mlAssistInstanceId } from '../../shared/domain/labelingIds';
import type { EventContract, OrchestrationContract } from '../../shared/workflows/contract';
import {
  batchEnded,
  labeled,
  labelerSession,
  mlAssist,
  requestBatch as requestBatchEvent,
} from '../../shared/workflows/labeling';
import { Coalescer } from './coalesce';

const terminal = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

interface Singleton<I, E> {
  instanceId: string;
  orchestration: OrchestrationContract<I, unknown>;
  /** The input it starts with when it has to be started (it then gets the event's meaning through it). */
  startInput: I;
  event: EventContract<E>;
  data: E;
}

async function startSingleton<I, E>(client: DurableClient, target: Singleton<I, E>): Promise<boolean> {
  try {
    await client.startNew(target.orchestration.name, {
      instanceId: target.instanceId,
      input: target.orchestration.input.parse(target.startInput),
    });
    return true;
  } catch {
    return false; // someone else started it meanwhile: raise the event to that instance instead
  }
}

function raise<I, E>(client: DurableClient, target: Singleton<I, E>): Promise<void> {
  return client.raiseEvent(target.instanceId, target.event.name, target.event.payload.parse(target.data));
}

/**
 * Raises the event to a singleton orchestration, starting it when it does not exist or has ended. It reads the
 * status first: raising to a failed or completed instance is accepted (410, which the client treats as success)
 * and dropped, so only a status read can tell that the instance must be started again.
 */
async function raiseOrStart<I, E>(client: DurableClient, target: Singleton<I, E>): Promise<void> {
  const status = await client.getStatus(target.instanceId, { showInput: false }).catch(() => undefined);
  if ((!status || terminal.has(String(status.runtimeStatus))) && (await startSingleton(client, target))) return;
  await raise(client, target);
}

/**
 * The cheap path for a session known to be alive (one call): raise, and start it only when the raise says it does
 * not exist. `thorough` takes the status-reading path instead, which also restarts a session that ended.
 */
async function raiseOrStartFast<I, E>(client: DurableClient, target: Singleton<I, E>): Promise<void> {
  try {
    await raise(client, target);
  } catch {
    if (!(await startSingleton(client, target))) await raise(client, target);
  }
}

/** Asks the labeler's session for a batch (idempotent per request id). */
export function requestBatch(
  client: DurableClient,
  projectId: string,
  labelerId: string,
  requestId: string,
  thorough = false,
): Promise<void> {
  const target = {
    instanceId: labelerSessionId(projectId, labelerId),
    orchestration: labelerSession,
    startInput: { projectId, labelerId, requestId },
    event: requestBatchEvent,
    data: { requestId },
  };
  return thorough ? raiseOrStart(client, target) : raiseOrStartFast(client, target);
}

/** Tells the session its batch ended (finished or released) so it stops waiting for the lease. A hint only. */
export async function signalBatchEnded(client: DurableClient, projectId: string, labelerId: string, batchId: string) {
  await client
    .raiseEvent(labelerSessionId(projectId, labelerId), batchEnded.name, batchEnded.payload.parse({ batchId }))
    .catch(() => undefined); // the lease timer (or the reconcile sweep) closes the batch anyway
}

const nudges = new Coalescer();

/**
 * Nudges the project's ML Assist coordinator (starting or restarting it) once a training threshold is reached.
 * Concurrent submissions share nudges: each waits for one raised after its own write (so the coordinator's next
 * evaluation counts it), and a burst costs a couple of events instead of one each. Nudges are rare (only when a
 * threshold is reached), so each reads the status first: a coordinator that ended is started again.
 */
export function nudgeMlAssist(client: DurableClient, projectId: string): Promise<void> {
  const target = {
    instanceId: mlAssistInstanceId(projectId),
    orchestration: mlAssist,
    startInput: { projectId },
    event: labeled,
    data: null,
  };
  return nudges.run(projectId, () => raiseOrStart(client, target));
}
