import type { DurableClient } from 'durable-functions';
import { backfillInstanceId } from '../../shared/domain/backfill';

import { startOrJoinBackfill } from '../backfill/startBackfill';

// One backfill instance per project (`backfill-{projectId}`): a fixed id makes "start it" idempotent across retries.

/**
 * Starts the `backfillProject` orchestration that registers the blobs a project's container already holds, or joins
 * the run in progress (a retried create, a concurrent refresh). Returns its instance id.
 */
export async function startBackfill(client: DurableClient, projectId: string): Promise<string> {
  return (await startOrJoinBackfill(client, projectId)).instanceId;
}

export interface BackfillStatus {
  instanceId: string;
  runtimeStatus: string;
  /** The orchestration's progress report, as it last set it. */
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

/** Bounded so a slow task hub never holds up a project read. */
const statusTimeoutMs = 1_500;

/**
 * The project's backfill as the task hub last recorded it; undefined when none ever ran, or when the status is
 * not available quickly (the project read does not fail for it).
 */
export async function backfillStatus(client: DurableClient, projectId: string): Promise<BackfillStatus | undefined> {
  const instanceId = backfillInstanceId(projectId);
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await Promise.race([
      client.getStatus(instanceId, { showInput: false }),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), statusTimeoutMs);
      }),
    ]);
    if (!status) return undefined;
    return {
      instanceId,
      runtimeStatus: String(status.runtimeStatus),
      customStatus: status.customStatus ?? null,
      createdTime: new Date(status.createdTime).toISOString(),
      lastUpdatedTime: new Date(status.lastUpdatedTime).toISOString(),
    };
  } catch {
    // 404 (never started) or an unreachable task hub: the project itself is still worth returning.
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For a retried create: start the backfill only if none was ever started (the first attempt may have stored the
 * project and failed before starting it), without re-running a finished backfill on every retry.
 */
export async function ensureBackfillStarted(client: DurableClient, projectId: string): Promise<string> {
  try {
    await client.getStatus(backfillInstanceId(projectId), { showInput: false });
    return backfillInstanceId(projectId);
  } catch {
    return startBackfill(client, projectId);
  }
}
