import type { DurableClient } from 'durable-functions';
import { backfillInstanceId } from '../../shared/domain/backfill';
import { backfillStatus } from '../backfill/startBackfill';

export interface BackfillSummary {
  instanceId: string;
  runtimeStatus: string;
  /** The orchestration's progress report, as it last set it. */
  customStatus: unknown;
  /** Why the run failed, when it did (the orchestration's error), so an admin can fix it and refresh. */
  failure?: string;
  createdTime: string;
  lastUpdatedTime: string;
}

/** Bounded so a slow task hub never holds up a project read. */
const statusTimeoutMs = 1_500;

/**
 * The project's backfill as the task hub last recorded it, for the project view; undefined when none ever ran, or
 * when the status is not available quickly (the project read does not fail for it).
 */
export async function backfillSummary(client: DurableClient, projectId: string): Promise<BackfillSummary | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await Promise.race([
      backfillStatus(client, projectId),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), statusTimeoutMs);
      }),
    ]);
    if (!status) return undefined;
    const failed = String(status.runtimeStatus) === 'Failed';
    return {
      instanceId: backfillInstanceId(projectId),
      runtimeStatus: String(status.runtimeStatus),
      customStatus: status.customStatus ?? null,
      ...(failed ? { failure: describeFailure(status.output) } : {}),
      createdTime: new Date(status.createdTime).toISOString(),
      lastUpdatedTime: new Date(status.lastUpdatedTime).toISOString(),
    };
  } catch {
    return undefined; // an unreachable task hub: the project itself is still worth returning
  } finally {
    clearTimeout(timer);
  }
}

/** The extension reports a failed orchestration's error as its output: "Orchestrator function 'X' failed: …". */
export function describeFailure(output: unknown): string {
  const text = typeof output === 'string' ? output : JSON.stringify(output ?? 'unknown failure');
  const firstLine = text.split('\n', 1)[0]!.trim();
  return firstLine.length > 500 ? `${firstLine.slice(0, 497)}...` : firstLine;
}
