import type { Container, PatchOperation } from '@azure/cosmos';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  applyDelta,
  counterDelta,
  counterDrift,
  emptyCounters,
  type CounterDelta,
  type ProjectCounters,
} from '../../shared/domain/counters';
import type { Task, TaskState } from '../../shared/domain/task';
import { ConflictError, type Recount } from '../../shared/ports/store';
import { conflict, hasStatus, notFound, preconditionFailed, statusOf } from './cosmosErrors';
import { countersId, inProject, type CountersDocument } from './documents';

/** Cosmos accepts at most 10 operations in one patch. */
const maxPatchOperations = 10;
const maxRecountAttempts = 5;
const recountPageSize = 1000;
/**
 * A counters patch follows a task write that has already happened: losing it would leave the counters off for good
 * (a redelivered event finds the task written and changes nothing). So transient refusals are retried well past the
 * SDK's own throttling retries; whatever still slips through is repaired by the reconcile timer's recount.
 */
const patchAttempts = 8;
const transientStatuses = new Set([408, 429, 449, 500, 503]);

/** Adds counter deltas together, so a batch of task writes costs one counters patch instead of one per task. */
export function addDelta(into: CounterDelta, delta: CounterDelta): void {
  for (const [key, n] of Object.entries(delta)) {
    into[key] = (into[key] ?? 0) + n;
    if (into[key] === 0) delete into[key];
  }
}

/**
 * The per-project counters document, kept in step with task writes by `incr` patches. A task write and its
 * counter patch are two requests: a transactional batch could join them, but cosmosdb-server cannot run one (so no
 * test could cover it), and it would cost ingestion its bulk path (one batch request per task instead of 100 tasks
 * per bulk request). So the patch is retried on transient failures, and a crash between the two (or a failure that
 * outlasts the retries) leaves the counters off by that write's delta until the reconcile timer's `recount`
 * rebuilds them from the tasks and reports the drift it repaired.
 */
export class CountersDocumentStore {
  readonly #container: Container;

  constructor(container: Container) {
    this.#container = container;
  }

  async read(projectId: string): Promise<ProjectCounters> {
    try {
      const { resource } = await this.#container.item(countersId, projectId).read<CountersDocument>();
      return resource ? toCounters(resource) : emptyCounters();
    } catch (err) {
      if (hasStatus(err, notFound)) return emptyCounters();
      throw err;
    }
  }

  /** Applies a delta with server-side increments: concurrent writers never overwrite each other's counts. */
  async apply(projectId: string, delta: CounterDelta): Promise<void> {
    const operations: PatchOperation[] = Object.entries(delta)
      .filter(([, n]) => n !== 0)
      .map(([key, n]) => ({ op: 'incr', path: `/${key.split('.').join('/')}`, value: n }));
    for (let i = 0; i < operations.length; i += maxPatchOperations) {
      await this.#patch(projectId, operations.slice(i, i + maxPatchOperations));
    }
  }

  async #patch(projectId: string, operations: PatchOperation[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#container.item(countersId, projectId).patch(operations);
        return;
      } catch (err) {
        if (hasStatus(err, notFound)) {
          // First write in this project: create the document (another writer may win that race), then increment.
          await this.#createIfAbsent(projectId);
          continue;
        }
        const status = statusOf(err);
        if (status === undefined || !transientStatuses.has(status) || attempt >= patchAttempts) throw err;
        await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  async #createIfAbsent(projectId: string): Promise<void> {
    try {
      await this.#container.items.create(zeroDocument(projectId));
    } catch (err) {
      if (!hasStatus(err, conflict)) throw err;
    }
  }

  /**
   * Rebuilds the counters from a paged scan of the project's tasks and stores them if no counter patch landed
   * while scanning (IfMatch on the counters document); under a steady stream of writes it retries, then gives up
   * with ConflictError so reconciliation can try again later.
   */
  async recount(projectId: string): Promise<Recount> {
    for (let attempt = 1; attempt <= maxRecountAttempts; attempt++) {
      const { stored, etag } = await this.#readCreatingIfAbsent(projectId);
      const counters = await this.#scan(projectId);
      try {
        await this.#container
          .item(countersId, projectId)
          .replace<CountersDocument>(
            { ...zeroDocument(projectId), byState: { ...counters.byState }, labeledReviewed: counters.labeledReviewed },
            { accessCondition: { type: 'IfMatch', condition: etag } },
          );
        return { counters, drift: counterDrift(stored, counters) };
      } catch (err) {
        if (!hasStatus(err, preconditionFailed)) throw err;
      }
    }
    throw new ConflictError(`Counters of project '${projectId}' kept changing during ${maxRecountAttempts} recounts.`);
  }

  async #readCreatingIfAbsent(projectId: string): Promise<{ stored: ProjectCounters; etag: string }> {
    await this.#createIfAbsent(projectId);
    const { resource, etag } = await this.#container.item(countersId, projectId).read<CountersDocument>();
    return { stored: resource ? toCounters(resource) : emptyCounters(), etag };
  }

  async #scan(projectId: string): Promise<ProjectCounters> {
    const iterator = this.#container.items.query<{ state: TaskState; outcome?: string }>(
      {
        query: `SELECT c.state, c.annotation.prelabelOutcome AS outcome FROM c WHERE ${inProject}`,
        parameters: [{ name: '@projectId', value: projectId }],
      },
      { partitionKey: projectId, maxItemCount: recountPageSize },
    );
    const total: CounterDelta = {};
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      for (const row of resources) addDelta(total, counterDelta(undefined, asCountedTask(row)));
    }
    return applyDelta(emptyCounters(), total);
  }
}

/** Just the fields `counterDelta` looks at, so the recount applies the same rule as the writes did. */
function asCountedTask(row: { state: TaskState; outcome?: string }): Task {
  const annotation = row.outcome === undefined ? undefined : { prelabelOutcome: row.outcome };
  return { state: row.state, annotation } as unknown as Task;
}

function zeroDocument(projectId: string): CountersDocument {
  const zero = emptyCounters();
  return { id: countersId, projectId, type: 'counters', byState: zero.byState, labeledReviewed: 0 };
}

function toCounters(doc: CountersDocument): ProjectCounters {
  const counters = emptyCounters();
  for (const state of Object.keys(counters.byState) as TaskState[]) counters.byState[state] = doc.byState?.[state] ?? 0;
  counters.labeledReviewed = doc.labeledReviewed ?? 0;
  return counters;
}
