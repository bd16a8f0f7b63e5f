import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import { setTimeout as sleep } from 'node:timers/promises';
import { addDelta, counterDelta, type CounterDelta } from '../../shared/domain/counters';
import type { Task } from '../../shared/domain/task';
import { ConflictError, type MutationResult, type TaskMutation } from '../../shared/ports/store';
import { mapBounded } from '../../shared/util/mapBounded';
import { conflict, hasStatus, notFound, preconditionFailed } from './cosmosErrors';
import type { CountersDocumentStore } from './countersDocument';
import { countersId, fromTaskDocument, toTaskDocument } from './documents';
import { pointRead } from './pointRead';

/**
 * Enough for 30 writers hammering one task at once: every round of an optimistic race has a winner, so the
 * unluckiest writer needs at most one attempt per competitor; the jittered backoff spreads them out.
 */
const maxAttempts = 30;
/** Cosmos executes at most 100 operations per bulk request. */
const bulkRequestSize = 100;
/** Bulk requests in flight per mutateTasks call. */
const bulkConcurrency = 8;
/** Items whose counter deltas are summed into one counters patch. */
const countersFlushSize = 1000;
/** Tasks whose bulk write lost a race are redone one by one, this many at a time. */
const retryConcurrency = 16;

export interface StoredTask {
  task: Task;
  etag: string;
}

interface Item {
  taskId: string;
  mutation: TaskMutation;
}

/**
 * Read–decide–write for tasks under optimistic concurrency: a point read gives the task and its ETag, the mutation
 * decides, and the write is a create (absent: 409 if someone else created it first) or a replace with IfMatch (412
 * if someone else changed it). A lost race re-runs the whole cycle against the fresh record, so no write is lost.
 */
export class TaskMutator {
  readonly #container: Container;
  readonly #counters: CountersDocumentStore;

  constructor(container: Container, counters: CountersDocumentStore) {
    this.#container = container;
    this.#counters = counters;
  }

  async read(projectId: string, taskId: string): Promise<StoredTask | undefined> {
    const read = await pointRead<Record<string, unknown>>(this.#container.item(taskId, projectId));
    return read && { task: fromTaskDocument(read.resource), etag: read.etag };
  }

  async mutateOne(projectId: string, taskId: string, mutation: TaskMutation): Promise<MutationResult> {
    const delta: CounterDelta = {};
    try {
      return await this.#mutateWithRetries(projectId, { taskId, mutation }, delta);
    } finally {
      await this.#counters.apply(projectId, delta);
    }
  }

  /**
   * Bulk path for ingestion bursts, per 100 items: one bulk read, the decisions, one bulk write of creates and
   * IfMatch replaces (bulk keeps those conditions per operation), and a lost race is redone through the single-task
   * path. Counter deltas are summed into one patch per 1,000 items. Items naming the same task are applied in input
   * order, one occurrence per round, as the SQLite adapter applies them.
   *
   * This uses `items.bulk` (deprecated in SDK 4.x) rather than `executeBulkOperations`: the latter polls for
   * partial batches once a second, which adds about a second to every call, however small the batch.
   */
  async mutateMany(projectId: string, items: readonly Item[]): Promise<MutationResult[]> {
    const results = new Array<MutationResult>(items.length);
    for (const round of occurrenceRounds(items)) {
      for (const group of slices(round, countersFlushSize)) {
        const delta: CounterDelta = {};
        try {
          await mapBounded(slices(group, bulkRequestSize), bulkConcurrency, (indexes) =>
            this.#mutateSlice(projectId, items, indexes, results, delta),
          );
        } finally {
          await this.#counters.apply(projectId, delta);
        }
      }
    }
    return results;
  }

  async #mutateSlice(
    projectId: string,
    items: readonly Item[],
    indexes: number[],
    results: MutationResult[],
    delta: CounterDelta,
  ): Promise<void> {
    const reads = await this.#container.items.bulk(
      indexes.map((i) => ({ operationType: 'Read', id: items[i]!.taskId, partitionKey: projectId })),
      { continueOnError: true },
    );
    // Decide everything before writing anything: a mutation that throws leaves this slice unwritten.
    const planned: Array<{ index: number; before?: Task; after: Task; operation: OperationInput }> = [];
    const redo: number[] = [];
    reads.forEach((read, k) => {
      const index = indexes[k]!;
      const { taskId, mutation } = items[index]!;
      const etag = read.eTag ?? (read.resourceBody?._etag as string | undefined);
      if (read.statusCode !== notFound && (!succeeded(read.statusCode) || etag === undefined)) {
        // Throttled or failed (or no ETag to make the write conditional on): the single-task path reads again.
        redo.push(index);
        return;
      }
      const before = read.statusCode === notFound ? undefined : fromTaskDocument(read.resourceBody!);
      const decision = mutation(before);
      if (decision.kind === 'ignore') {
        results[index] = { taskId, outcome: 'ignored', reason: decision.reason };
        return;
      }
      checkIdentity(projectId, taskId, decision.task);
      const resourceBody = toTaskDocument(decision.task) as unknown as JSONObject;
      const operation: OperationInput = before
        ? { operationType: 'Replace', id: taskId, partitionKey: projectId, resourceBody, ifMatch: etag }
        : { operationType: 'Create', partitionKey: projectId, resourceBody };
      planned.push({ index, before, after: decision.task, operation });
    });

    if (planned.length > 0) {
      const writes = await this.#container.items.bulk(
        planned.map((p) => p.operation),
        { continueOnError: true },
      );
      writes.forEach((write, k) => {
        const { index, before, after } = planned[k]!;
        if (succeeded(write.statusCode)) {
          addDelta(delta, counterDelta(before, after));
          results[index] = { taskId: after.id, outcome: 'written', task: after };
        } else {
          // 409/412: another writer got there first; 429 and the like: not applied. Either way decide again.
          redo.push(index);
        }
      });
    }
    await mapBounded(redo, retryConcurrency, async (index) => {
      results[index] = await this.#mutateWithRetries(projectId, items[index]!, delta);
    });
  }

  async #mutateWithRetries(projectId: string, item: Item, delta: CounterDelta): Promise<MutationResult> {
    const { taskId, mutation } = item;
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(projectId, taskId);
      const decision = mutation(current?.task);
      if (decision.kind === 'ignore') return { taskId, outcome: 'ignored', reason: decision.reason };
      checkIdentity(projectId, taskId, decision.task);
      if (await this.#tryWrite(projectId, decision.task, current?.etag)) {
        addDelta(delta, counterDelta(current?.task, decision.task));
        return { taskId, outcome: 'written', task: decision.task };
      }
      if (attempt >= maxAttempts) {
        throw new ConflictError(`Task ${projectId}/${taskId} kept changing during ${maxAttempts} attempts.`);
      }
      await sleep(Math.random() * Math.min(100, 2 ** attempt));
    }
  }

  /** False when another writer got there first (the caller re-reads and decides again). */
  async #tryWrite(projectId: string, task: Task, etag: string | undefined): Promise<boolean> {
    const doc = toTaskDocument(task);
    try {
      if (etag === undefined) await this.#container.items.create(doc);
      else
        await this.#container
          .item(task.id, projectId)
          .replace(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
      return true;
    } catch (err) {
      if (hasStatus(err, conflict, preconditionFailed, notFound)) return false;
      throw err;
    }
  }
}

function checkIdentity(projectId: string, taskId: string, task: Task): void {
  if (task.id !== taskId || task.projectId !== projectId) {
    throw new Error(`A mutation of task ${projectId}/${taskId} returned task ${task.projectId}/${task.id}.`);
  }
  if (taskId.startsWith(countersId))
    throw new Error(`Ids starting '${countersId}' are reserved for the counters documents.`);
}

function succeeded(status: number): boolean {
  return status >= 200 && status < 300;
}

function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Splits item indexes into rounds holding at most one item per task id, keeping each task's items in order. */
function occurrenceRounds(items: readonly Item[]): number[][] {
  const seen = new Map<string, number>();
  const rounds: number[][] = [];
  items.forEach((item, index) => {
    const occurrence = seen.get(item.taskId) ?? 0;
    seen.set(item.taskId, occurrence + 1);
    (rounds[occurrence] ??= []).push(index);
  });
  return rounds;
}
