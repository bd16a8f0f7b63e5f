import type { Container, PatchOperation } from '@azure/cosmos';
import { addDelta, counterDelta, type CounterDelta } from '../../shared/domain/counters';
import { claimTask } from '../../shared/domain/labeling';
import type { Task, TaskState } from '../../shared/domain/task';
import type { ClaimRequest } from '../../shared/ports/store';
import { mapBounded } from '../../shared/util/mapBounded';
import { hasStatus, notFound, preconditionFailed } from './cosmosErrors';
import type { CountersDocumentStore } from './countersDocument';
import { fromTaskDocument, inProject, toTaskDocument } from './documents';

/**
 * Each round either claims a candidate or sees another writer take it, so rounds are bounded by the work available;
 * this cap only guards against a task that keeps being rewritten without leaving the queue.
 */
const maxRounds = 50;
const claimConcurrency = 8;

/** Claim orders, each served by a composite index on (state, …) (see containers.ts). */
const orderBy = {
  prelabeled: 'c.state, c.confidence, c.id',
  shuffled: 'c.state, c.shuffleKey, c.id',
  leastConfidentFirst: 'c.state, c.confidence, c.shuffleKey',
} as const;

interface Candidate {
  task: Task;
  etag: string;
}

/**
 * Claims without transactions: query the next candidates with `TOP n` in claim order, then move each one to
 * `assigned` with a patch conditioned on the ETag the query returned. Two claimers racing for a task both send
 * IfMatch with the same ETag; Cosmos applies one and answers 412 to the other, so a task can never end up in two
 * assignments. The loser moves on and queries again for what is left.
 */
export class TaskClaimer {
  readonly #container: Container;
  readonly #counters: CountersDocumentStore;

  constructor(container: Container, counters: CountersDocumentStore) {
    this.#container = container;
    this.#counters = counters;
  }

  async claim(projectId: string, request: ClaimRequest): Promise<Task[]> {
    const claimed: Task[] = [];
    const delta: CounterDelta = {};
    try {
      for (let round = 0; round < maxRounds && claimed.length < request.max; round++) {
        const candidates = await this.#candidates(projectId, request.max - claimed.length, request.order);
        if (candidates.length === 0) break;
        const won = await mapBounded(candidates, claimConcurrency, (c) =>
          this.#tryClaim(projectId, c, request.assignment, request.now),
        );
        won.forEach((after, k) => {
          if (!after) return;
          claimed.push(after);
          addDelta(delta, counterDelta(candidates[k]!.task, after));
        });
      }
    } finally {
      await this.#counters.apply(projectId, delta);
    }
    return claimed;
  }

  /** Prelabeled tasks (reviews) first, least confident first; then `new` ones in the requested order. */
  async #candidates(projectId: string, n: number, order: ClaimRequest['order']): Promise<Candidate[]> {
    const prelabeled = await this.#top(projectId, 'prelabeled', orderBy.prelabeled, n);
    if (prelabeled.length >= n) return prelabeled;
    return [...prelabeled, ...(await this.#top(projectId, 'new', orderBy[order], n - prelabeled.length))];
  }

  async #top(projectId: string, state: TaskState, order: string, n: number): Promise<Candidate[]> {
    const { resources } = await this.#container.items
      .query<Record<string, unknown> & { _etag: string }>(
        {
          query: `SELECT TOP @n * FROM c WHERE ${inProject} AND c.state = @state ORDER BY ${order}`,
          parameters: [
            { name: '@projectId', value: projectId },
            { name: '@n', value: n },
            { name: '@state', value: state },
          ],
        },
        { partitionKey: projectId },
      )
      .fetchAll();
    return resources.map((doc) => ({ task: fromTaskDocument(doc), etag: doc._etag }));
  }

  /** The claimed task, or undefined when another writer changed the candidate since the query saw it. */
  async #tryClaim(
    projectId: string,
    candidate: Candidate,
    assignment: ClaimRequest['assignment'],
    now: string,
  ): Promise<Task | undefined> {
    const after = claimTask(candidate.task, assignment, now);
    if (!after) return undefined;
    const doc = toTaskDocument(after);
    const operations: PatchOperation[] = [
      { op: 'set', path: '/state', value: doc.state },
      { op: 'set', path: '/assignment', value: doc.assignment },
      { op: 'set', path: '/updatedAt', value: doc.updatedAt },
      { op: 'set', path: '/labeler', value: doc.labeler },
    ];
    try {
      await this.#container
        .item(after.id, projectId)
        .patch(operations, { accessCondition: { type: 'IfMatch', condition: candidate.etag } });
      return after;
    } catch (err) {
      if (hasStatus(err, preconditionFailed, notFound)) return undefined;
      throw err;
    }
  }
}
