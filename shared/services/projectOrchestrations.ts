import {
  decodeCursor,
  encodeCursor,
  instanceIdPrefix,
  kindOfInstance,
  type ListingCursor,
  type OrchestrationKind,
} from '../domain/orchestrationInstances';
import type { DurableInstances, InstanceStatus, RuntimeStatus } from '../ports/durableInstances';

export interface ProjectInstance extends InstanceStatus {
  kind: OrchestrationKind;
}

export interface OrchestrationListing {
  items: ProjectInstance[];
  continuationToken?: string;
}

export interface ListingRequest {
  /** Kinds to list, in this order (the cursor counts in it, so a follow-up page must ask for the same kinds). */
  kinds: readonly OrchestrationKind[];
  limit: number;
  runtimeStatus?: readonly RuntimeStatus[];
  continuationToken?: string;
}

/** Task hub queries one page may make: a prefix shared with many ids of other projects must not hold a request up. */
const maxHubQueriesPerPage = 10;

/**
 * A project's durable instances for the ops view, one prefix query per kind, kind after kind, page by page. Ids of
 * other projects that share a prefix are dropped, so a page may hold fewer than `limit` items and still be followed
 * by more; the last page has no continuation token.
 */
export async function listProjectOrchestrations(
  instances: DurableInstances,
  projectId: string,
  request: ListingRequest,
): Promise<OrchestrationListing | { invalidToken: true }> {
  let cursor: ListingCursor | undefined = { kind: 0 };
  if (request.continuationToken !== undefined) {
    cursor = decodeCursor(request.continuationToken);
    if (!cursor || cursor.kind >= request.kinds.length) return { invalidToken: true };
  }
  const items: ProjectInstance[] = [];
  for (let queries = 0; cursor && items.length < request.limit && queries < maxHubQueriesPerPage; queries++) {
    const kind = request.kinds[cursor.kind]!;
    const page = await instances.listPage({
      instanceIdPrefix: instanceIdPrefix(kind, projectId),
      top: request.limit - items.length,
      ...(request.runtimeStatus ? { runtimeStatus: request.runtimeStatus } : {}),
      ...(cursor.hubToken ? { continuationToken: cursor.hubToken } : {}),
    });
    for (const status of page.items) {
      if (kindOfInstance(projectId, status.instanceId) === kind) items.push({ ...status, kind });
    }
    cursor = page.continuationToken
      ? { kind: cursor.kind, hubToken: page.continuationToken }
      : cursor.kind + 1 < request.kinds.length
        ? { kind: cursor.kind + 1 }
        : undefined;
  }
  return cursor ? { items, continuationToken: encodeCursor(cursor) } : { items };
}
