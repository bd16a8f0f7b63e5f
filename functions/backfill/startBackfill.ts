import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { backfillInstanceId } from '../../shared/domain/backfill';
import { backfillProject, type BackfillInput } from '../../shared/workflows/backfill';

/** Runtime states in which an instance still owns its id (a start must join it, not replace it). */
const activeStates = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);

export function isActive(status: Pick<DurableOrchestrationStatus, 'runtimeStatus'>): boolean {
  return activeStates.has(String(status.runtimeStatus));
}

/** The project's backfill instance, or undefined if none was ever started (or its history was purged). */
export async function backfillStatus(
  client: DurableClient,
  projectId: string,
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(backfillInstanceId(projectId), { showInput: false });
  } catch (err) {
    // The SDK reports an unknown instance as an error mentioning the extension's 404.
    if (/\b404\b/.test((err as Error).message)) return undefined;
    throw err;
  }
}

export interface BackfillStart {
  instanceId: string;
  /** false when a run was already going and the caller joined it. */
  started: boolean;
}

/**
 * Starts `backfillProject` for the project, or joins the run in progress. A finished instance's id is reused
 * (Azure and devhost allow restarting a completed, failed or terminated instance under the same id).
 */
export async function startOrJoinBackfill(client: DurableClient, projectId: string): Promise<BackfillStart> {
  const instanceId = backfillInstanceId(projectId);
  const current = await backfillStatus(client, projectId);
  if (current && isActive(current)) return { instanceId, started: false };
  try {
    await client.startNew(backfillProject.name, { instanceId, input: { projectId } satisfies BackfillInput });
    return { instanceId, started: true };
  } catch (err) {
    // Lost a race with another starter (devhost answers 409 for a running id): join the winner.
    const now = await backfillStatus(client, projectId);
    if (now && isActive(now)) return { instanceId, started: false };
    throw err;
  }
}

/**
 * For a retried create: start the backfill only if none was ever started (the first attempt may have stored the
 * project and failed before starting it), without re-running a finished backfill on every retry.
 */
export async function ensureBackfillStarted(client: DurableClient, projectId: string): Promise<string> {
  if (await backfillStatus(client, projectId)) return backfillInstanceId(projectId);
  return (await startOrJoinBackfill(client, projectId)).instanceId;
}
