import type { DurableClient } from 'durable-functions';
import { setTimeout as sleep } from 'node:timers/promises';
import { labelerSessionId } from '../../shared/domain/labelingIds';
import type { Batch } from '../../shared/domain/labelingRecords';
import type { BatchService } from '../../shared/services/batches';
import type { LabelerSessionStatus } from '../../shared/workflows/labeling';
import { Wakeups } from '../../shared/util/wakeups';
import { requestBatch } from './labelingSignals';

/** How long `POST …/batches` waits on the labeler's session before answering 202 with a status URL. */
const waitMs = 8_000;
/** A request the session has not picked up by then is raised again, through the path that restarts a dead session. */
const reraiseAfterMs = 1_500;
/**
 * Backoff between looks at the session's status. A request whose batch is allocated in this process (always on
 * devhost, often on Azure) is woken as soon as the batch is stored (`batchesStored`), so the polls are the fallback
 * for an allocation that ran on another instance: 50, 150, 350, 750 ms…, about fifteen status reads over the 8 s.
 * They used to start at 25 ms and grow by half: twenty labelers starting a shift at once made ~160 status reads in
 * the first second, served by devhost on the same event loop as everything else.
 */
const firstPollMs = 50;
const pollGrowth = 2;
const maxPollMs = 500;

/** Fired by the allocation activity once a request's batch is stored (see labelingActivities.ts). */
export const batchesStored = new Wakeups();

export function batchRequestKey(projectId: string, labelerId: string, requestId: string): string {
  return JSON.stringify([projectId, labelerId, requestId]);
}

/**
 * The labeler's batch: the live one if there is one, else a new one allocated by their session orchestration.
 * Synchronous from the caller's view; undefined when the session did not answer in time (the caller gets 202).
 *
 * It waits on the orchestration, not on the store: the session's custom status says when it has allocated the batch
 * for this request, and only then is the batch read (once). On Azure a status read is a task-hub lookup; polling
 * the store instead cost about 1,000 RU on Cosmos for one slow request.
 */
export async function obtainBatch(
  client: DurableClient,
  service: BatchService,
  projectId: string,
  labelerId: string,
  requestId: string,
): Promise<Batch | undefined> {
  // Registered before anything is read or raised, so an allocation that finishes meanwhile still wakes it.
  const stored = batchesStored.expect(batchRequestKey(projectId, labelerId, requestId));
  try {
    const existing = await service.find(projectId, labelerId, requestId);
    if (existing) return existing;
    await requestBatch(client, projectId, labelerId, requestId);
    const started = Date.now();
    let reraised = false;
    let woken = false;
    for (let pause = firstPollMs; Date.now() - started < waitMs; pause = Math.min(maxPollMs, pause * pollGrowth)) {
      if (woken) await sleep(pause);
      else if ((woken = await wokenWithin(stored.fired, pause))) {
        // One look at the store per wake-up, a point read of the batch allocated for this request (`find` would
        // also list the labeler's assigned tasks to see whether a live batch emptied: 75 tasks read for nothing,
        // twenty times over when a shift starts). Allocation handing out an earlier live batch instead is seen in
        // the status below; after this only the status says when.
        const batch = await service.forRequest(projectId, labelerId, requestId);
        if (batch) return batch;
      }
      const status = await sessionStatus(client, projectId, labelerId);
      if (status.customStatus?.requestId === requestId && status.customStatus.batchId) {
        return service.find(projectId, labelerId, requestId);
      }
      if (!reraised && Date.now() - started > reraiseAfterMs) {
        reraised = true;
        await requestBatch(client, projectId, labelerId, requestId, true);
      }
    }
    return undefined;
  } finally {
    stored.cancel();
  }
}

/** Whether `fired` settles within `ms` (the timer is cleared either way). */
async function wokenWithin(fired: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([fired.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface SessionStatus {
  runtimeStatus?: string;
  customStatus?: Partial<LabelerSessionStatus>;
  /** The request the current execution was started for, if any. */
  inputRequestId?: string;
}

/** The labeler's session as the task hub last recorded it (empty when it does not exist yet). */
export async function sessionStatus(
  client: DurableClient,
  projectId: string,
  labelerId: string,
): Promise<SessionStatus> {
  try {
    const status = await client.getStatus(labelerSessionId(projectId, labelerId));
    const custom = status.customStatus;
    const input = status.input as { requestId?: unknown } | null | undefined;
    return {
      runtimeStatus: String(status.runtimeStatus),
      ...(custom && typeof custom === 'object' ? { customStatus: custom as Partial<LabelerSessionStatus> } : {}),
      ...(typeof input?.requestId === 'string' ? { inputRequestId: input.requestId } : {}),
    };
  } catch {
    return {}; // not started yet (404) or the task hub did not answer: keep waiting
  }
}

/** Whether the session has this request in hand (started for it, or allocating / holding its batch). */
export function isServing(status: SessionStatus, requestId: string): boolean {
  return status.inputRequestId === requestId || status.customStatus?.requestId === requestId;
}
