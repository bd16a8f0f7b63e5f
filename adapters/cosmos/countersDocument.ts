import type { Container, PatchOperation } from '@azure/cosmos';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  addDelta,
  applyDelta,
  counterDrift,
  emptyCounters,
  taskContribution,
  type CounterDelta,
  type ProjectCounters,
} from '../../shared/domain/counters';
import type { Task } from '../../shared/domain/task';
import { ConflictError, type Recount } from '../../shared/ports/store';
import { conflict, hasStatus, notFound, preconditionFailed, statusOf } from './cosmosErrors';
import { countersId, inProject, type CountersDocument } from './documents';

export { addDelta };

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

/**
 * Which counters document a key lives in. The project document (`counters`) holds what every batch request and the
 * training trigger read, plus the small per-class and per-run figures; the series that grow with time and people
 * live apart, because a patch costs request units in proportion to the size of the document it patches:
 *  - `hour.<h>` → one document per month of the project's series (`counters~h~2026-12`);
 *  - `labeler.<id>.hour.<h>` → one per labeler and month; other `labeler.<id>.…` keys → one per labeler.
 * The labeler id is hashed into the document id (ids cannot hold `/`, `\`, `?` or `#`); the keys inside keep it.
 */
export function shardOf(key: string): string {
  const parts = key.split('.');
  if (parts[0] === 'hour') return `${countersId}~h~${parts[1]!.slice(0, 7)}`;
  if (parts[0] === 'labeler') {
    const labeler = createHash('sha256').update(parts[1]!).digest('base64url').slice(0, 16);
    return parts[2] === 'hour' ? `${countersId}~l~${labeler}~${parts[3]!.slice(0, 7)}` : `${countersId}~l~${labeler}`;
  }
  return countersId;
}

/** Prefixes whose keys all live in the project document (reading them needs no query). */
function inProjectDocument(prefix: string): boolean {
  return !(
    'hour'.startsWith(prefix) ||
    prefix.startsWith('hour.') ||
    'labeler'.startsWith(prefix) ||
    prefix.startsWith('labeler.')
  );
}

function byShard(delta: CounterDelta): Map<string, CounterDelta> {
  const shards = new Map<string, CounterDelta>();
  for (const [key, n] of Object.entries(delta)) {
    if (n === 0) continue;
    const id = shardOf(key);
    const shard = shards.get(id) ?? {};
    shard[key] = n;
    shards.set(id, shard);
  }
  return shards;
}

/**
 * The per-project counters documents, kept in step with task writes by `incr` patches on `/counts/<key>`. A task
 * write and its counter patches are separate requests: a transactional batch could join them, but cosmosdb-server
 * cannot run one (so no test could cover it), and it would cost ingestion its bulk path (one batch request per task
 * instead of 100 tasks per bulk request). So the patches are retried on transient failures, and a crash between the
 * two (or a failure that outlasts the retries) leaves the counters off by that write's delta until the reconcile
 * timer's `recount` rebuilds them from the tasks and reports the drift it repaired.
 *
 * The project document of stores written before the counters were generalised holds `byState` and
 * `labeledReviewed` as top-level fields; reads add them to `counts`, and the next recount folds them in.
 */
export class CountersDocumentStore {
  readonly #container: Container;
  /** Projects whose project document is known to have the `counts` map the patches write into. */
  readonly #current = new Set<string>();

  constructor(container: Container) {
    this.#container = container;
  }

  async read(projectId: string): Promise<ProjectCounters> {
    return applyDelta(emptyCounters(), (await this.#readDocument(projectId, countersId))?.values ?? {});
  }

  /** Counters with one of the key prefixes (all when omitted): one point read when they all live in the project document. */
  async values(projectId: string, prefixes?: readonly string[]): Promise<CounterDelta> {
    const all: CounterDelta = {};
    if (prefixes && prefixes.every(inProjectDocument)) {
      addDelta(all, (await this.#readDocument(projectId, countersId))?.values ?? {});
    } else {
      for (const doc of await this.#readAll(projectId)) addDelta(all, doc.values);
    }
    if (!prefixes) return all;
    return Object.fromEntries(Object.entries(all).filter(([key]) => prefixes.some((p) => key.startsWith(p))));
  }

  /** Applies a delta with server-side increments: concurrent writers never overwrite each other's counts. */
  async apply(projectId: string, delta: CounterDelta): Promise<void> {
    await Promise.all(
      [...byShard(delta)].map(async ([id, shardDelta]) => {
        const operations: PatchOperation[] = Object.entries(shardDelta).map(([key, n]) => ({
          op: 'incr',
          path: `/counts/${key}`,
          value: n,
        }));
        for (let i = 0; i < operations.length; i += maxPatchOperations) {
          await this.#patch(projectId, id, operations.slice(i, i + maxPatchOperations));
        }
      }),
    );
  }

  async #patch(projectId: string, id: string, operations: PatchOperation[]): Promise<void> {
    if (id === countersId) await this.#upgradeOnce(projectId);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#container.item(id, projectId).patch(operations);
        return;
      } catch (err) {
        if (hasStatus(err, notFound)) {
          // First write to this document: create it (another writer may win that race), then increment.
          await this.#createIfAbsent(projectId, id);
          continue;
        }
        const status = statusOf(err);
        if (status === undefined || !transientStatuses.has(status) || attempt >= patchAttempts) throw err;
        await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  /**
   * An `incr` below `/counts` needs the map to exist, which an old-shape project document lacks: rewrite it once
   * in the new shape under its etag (a concurrent patch makes the rewrite retry on what that patch left).
   */
  async #upgradeOnce(projectId: string): Promise<void> {
    if (this.#current.has(projectId)) return;
    for (let attempt = 1; attempt <= maxRecountAttempts; attempt++) {
      let doc: CountersDocument | undefined;
      try {
        doc = (await this.#container.item(countersId, projectId).read<CountersDocument>()).resource;
      } catch (err) {
        if (!hasStatus(err, notFound)) throw err;
      }
      if (!doc || doc.counts) break;
      const { values, etag } = stored(doc);
      try {
        await this.#replace(projectId, countersId, values, etag);
        break;
      } catch (err) {
        if (!hasStatus(err, preconditionFailed)) throw err;
      }
    }
    this.#current.add(projectId);
  }

  async #createIfAbsent(projectId: string, id: string): Promise<void> {
    try {
      await this.#container.items.create(emptyDocument(projectId, id));
    } catch (err) {
      if (!hasStatus(err, conflict)) throw err;
    }
  }

  async #readDocument(projectId: string, id: string): Promise<StoredCounters | undefined> {
    try {
      const { resource } = await this.#container.item(id, projectId).read<CountersDocument>();
      return resource ? stored(resource) : undefined;
    } catch (err) {
      if (hasStatus(err, notFound)) return undefined;
      throw err;
    }
  }

  async #readAll(projectId: string): Promise<StoredCounters[]> {
    const { resources } = await this.#container.items
      .query<CountersDocument>(
        {
          query: "SELECT * FROM c WHERE c.projectId = @projectId AND c.type = 'counters'",
          parameters: [{ name: '@projectId', value: projectId }],
        },
        { partitionKey: projectId },
      )
      .fetchAll();
    return resources.map(stored);
  }

  /**
   * Rebuilds the counters from a paged scan of the project's tasks and stores each document if no counter patch
   * landed on it while scanning (IfMatch on its etag); under a steady stream of writes it retries, then gives up
   * with ConflictError so reconciliation can try again later.
   */
  async recount(projectId: string): Promise<Recount> {
    for (let attempt = 1; attempt <= maxRecountAttempts; attempt++) {
      await this.#createIfAbsent(projectId, countersId);
      const before = await this.#readAll(projectId);
      const actual = await this.#scan(projectId);
      const shards = byShard(actual);
      try {
        await Promise.all([
          ...before.map((doc) => this.#replace(projectId, doc.id, shards.get(doc.id) ?? {}, doc.etag)),
          ...[...shards]
            .filter(([id]) => !before.some((doc) => doc.id === id))
            .map(([id, values]) => this.#create(projectId, id, values)),
        ]);
      } catch (err) {
        if (hasStatus(err, preconditionFailed) || hasStatus(err, conflict)) continue;
        throw err;
      }
      const storedValues: CounterDelta = {};
      for (const doc of before) addDelta(storedValues, doc.values);
      return { counters: applyDelta(emptyCounters(), actual), drift: counterDrift(storedValues, actual) };
    }
    throw new ConflictError(`Counters of project '${projectId}' kept changing during ${maxRecountAttempts} recounts.`);
  }

  async #replace(projectId: string, id: string, values: CounterDelta, etag: string): Promise<void> {
    await this.#container
      .item(id, projectId)
      .replace<CountersDocument>(
        { ...emptyDocument(projectId, id), counts: values },
        { accessCondition: { type: 'IfMatch', condition: etag } },
      );
  }

  async #create(projectId: string, id: string, values: CounterDelta): Promise<void> {
    await this.#container.items.create({ ...emptyDocument(projectId, id), counts: values });
  }

  async #scan(projectId: string): Promise<CounterDelta> {
    const iterator = this.#container.items.query<Pick<Task, 'state' | 'annotation' | 'skip'>>(
      {
        query: `SELECT c.state, c.annotation, c.skip FROM c WHERE ${inProject}`,
        parameters: [{ name: '@projectId', value: projectId }],
      },
      { partitionKey: projectId, maxItemCount: recountPageSize },
    );
    const total: CounterDelta = {};
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      for (const row of resources) addDelta(total, taskContribution(row as Task));
    }
    return total;
  }
}

interface StoredCounters {
  id: string;
  etag: string;
  values: CounterDelta;
}

function stored(doc: CountersDocument): StoredCounters {
  const values: CounterDelta = {};
  // Documents written before the counters were generalised (see the class comment).
  for (const [state, n] of Object.entries(doc.byState ?? {})) addDelta(values, { [`byState.${state}`]: n });
  if (doc.labeledReviewed) addDelta(values, { labeledReviewed: doc.labeledReviewed });
  addDelta(values, doc.counts ?? {});
  return { id: doc.id, etag: doc._etag ?? '', values };
}

function emptyDocument(projectId: string, id: string): CountersDocument {
  return { id, projectId, type: 'counters', counts: {} };
}
