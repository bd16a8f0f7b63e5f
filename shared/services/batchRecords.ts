import type { Batch } from '../domain/labelingRecords';
import type { Task } from '../domain/task';
import { ConflictError, type BatchRepository, type TaskRepository, type Versioned } from '../ports/store';

/** Concurrent writers of one batch record are the same labeler's parallel requests: a few retries settle them. */
const batchWriteAttempts = 5;

/**
 * Read–change–write of a batch under its etag; `change` returns undefined to leave it as it is. `known` (a fresh
 * read) spares the first read.
 */
export async function updateBatch(
  batches: BatchRepository,
  projectId: string,
  batchId: string,
  change: (b: Batch) => Batch | undefined,
  known?: Versioned<Batch>,
): Promise<Batch | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = attempt === 1 && known ? known : await batches.get(projectId, batchId);
    const next = current && change(current.value);
    if (!current || !next) return current?.value;
    try {
      return (await batches.replace(next, current.etag)).value;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= batchWriteAttempts) throw err;
    }
  }
}

/** Every task still assigned to this labeler under `batchId` (paged through the labeler index). */
export async function tasksAssignedTo(
  tasks: TaskRepository,
  projectId: string,
  labelerId: string,
  batchId: string,
): Promise<Task[]> {
  const out: Task[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await tasks.list(projectId, { state: 'assigned', labeler: labelerId, limit: 500, continuationToken });
    out.push(...page.items.filter((t) => t.assignment?.batchId === batchId));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return out;
}
