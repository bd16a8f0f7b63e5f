import type { Container, PatchOperation } from '@azure/cosmos';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  addDelta,
  applyDelta,
  counterDrift,
  emptyCounters,
  inWindow,
  isHourSeries,
  seriesOf,
  taskContribution,
  type CounterWindow,
  type CounterDelta,
  type ProjectCounters,
} from '../../shared/domain/counters';
import type { Task } from '../../shared/domain/task';
import { ConflictError, type CounterRead, type Recount } from '../../shared/ports/store';
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

/**
 * Which counters document a key lives in. The project document (`counters`) holds what every batch request and the
 * training trigger read, plus the small per-class and per-run figures; the series that grow with time and people
 * live apart, because a patch costs request units in proportion to the size of the document it patches, and so
 * that a reader of a window of the series (the dashboard: 48 hours, a year of days) reads only the documents of
 * that window:
 *  - `hour.<h>` → one document per month (`counters~h~2026-12`); `day.<d>` → one per year (`counters~d~2026`);
 *  - `labelerHour.<h>.<id>` / `labelerDay.<d>.<id>` → one per labeler and month / year; `labeler.<id>.…` → one
 *    per labeler.
 * The labeler id is hashed into the document id (ids cannot hold `/`, `\`, `?` or `#`); the keys inside keep it.
 */
export function shardOf(key: string): { id: string; series?: 'hour' | 'day'; period?: string } {
  const parts = key.split('.');
  const found = seriesOf(key);
  const series: 'hour' | 'day' | undefined = found && (isHourSeries(found.series) ? 'hour' : 'day');
  const period = found && (series === 'hour' ? found.period.slice(0, 7) : found.period.slice(0, 4));
  const suffix = series ? `~${series[0]}~${period}` : '';
  const labelerId = parts[0] === 'labeler' ? parts[1] : found?.series.startsWith('labeler') ? parts[2] : undefined;
  const where = series ? { series, period: period! } : {};
  if (labelerId !== undefined) {
    const labeler = createHash('sha256').update(labelerId).digest('base64url').slice(0, 16);
    return { id: `${countersId}~l~${labeler}${suffix}`, ...where };
  }
  return { id: `${countersId}${suffix}`, ...where };
}

/** Prefixes whose keys all live in the project document (reading them needs no query). */
function inProjectDocument(prefix: string): boolean {
  return ['hour', 'day', 'labeler', 'labelerHour', 'labelerDay'].every(
    (p) => !(p.startsWith(prefix) || prefix.startsWith(`${p}.`)),
  );
}

interface Shard {
  id: string;
  series?: 'hour' | 'day';
  period?: string;
  values: CounterDelta;
}

function byShard(delta: CounterDelta): Map<string, Shard> {
  const shards = new Map<string, Shard>();
  for (const [key, n] of Object.entries(delta)) {
    if (n === 0) continue;
    const where = shardOf(key);
    let shard = shards.get(where.id);
    if (!shard) shards.set(where.id, (shard = { ...where, values: {} }));
    shard.values[key] = n;
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

  /**
   * Counters with one of the key prefixes (all when omitted) and series within the window (whole when omitted): one
   * point read when they all live in the project document, else one query that skips series documents outside
   * the window.
   */
  async values(projectId: string, read: CounterRead = {}): Promise<CounterDelta> {
    const { prefixes, window } = read;
    const all: CounterDelta = {};
    if (prefixes && prefixes.every(inProjectDocument)) {
      addDelta(all, (await this.#readDocument(projectId, countersId))?.values ?? {});
    } else {
      for (const doc of await this.#readAll(projectId, window)) addDelta(all, doc.values);
    }
    return Object.fromEntries(
      Object.entries(all).filter(
        ([key]) => (!prefixes || prefixes.some((p) => key.startsWith(p))) && (!window || inWindow(key, window)),
      ),
    );
  }

  /** Applies a delta with server-side increments: concurrent writers never overwrite each other's counts. */
  async apply(projectId: string, delta: CounterDelta): Promise<void> {
    await Promise.all(
      [...byShard(delta).values()].map(async (shard) => {
        const operations: PatchOperation[] = Object.entries(shard.values).map(([key, n]) => ({
          op: 'incr',
          path: `/counts/${key}`,
          value: n,
        }));
        for (let i = 0; i < operations.length; i += maxPatchOperations) {
          await this.#patch(projectId, shard, operations.slice(i, i + maxPatchOperations));
        }
      }),
    );
  }

  async #patch(projectId: string, shard: Omit<Shard, 'values'>, operations: PatchOperation[]): Promise<void> {
    const { id } = shard;
    if (id === countersId) await this.#upgradeOnce(projectId);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#container.item(id, projectId).patch(operations);
        return;
      } catch (err) {
        if (hasStatus(err, notFound)) {
          // First write to this document: create it (another writer may win that race), then increment.
          await this.#createIfAbsent(projectId, shard);
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
        await this.#replace(projectId, { id: countersId, values }, etag);
        break;
      } catch (err) {
        if (!hasStatus(err, preconditionFailed)) throw err;
      }
    }
    this.#current.add(projectId);
  }

  async #createIfAbsent(projectId: string, shard: Omit<Shard, 'values'>): Promise<void> {
    try {
      await this.#container.items.create(emptyDocument(projectId, shard));
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

  async #readAll(projectId: string, window?: CounterWindow): Promise<StoredCounters[]> {
    const parameters = [{ name: '@projectId', value: projectId }];
    let inside = '';
    if (window) {
      // A series document covers a month of hours or a year of days: keep those that reach into the window.
      inside =
        " AND (NOT IS_DEFINED(c.series) OR (c.series = 'hour' AND c.period >= @hourPeriod)" +
        " OR (c.series = 'day' AND c.period >= @dayPeriod))";
      parameters.push(
        { name: '@hourPeriod', value: window.hoursFrom.slice(0, 7) },
        { name: '@dayPeriod', value: window.daysFrom.slice(0, 4) },
      );
    }
    const { resources } = await this.#container.items
      .query<CountersDocument>(
        { query: `SELECT * FROM c WHERE c.projectId = @projectId AND c.type = 'counters'${inside}`, parameters },
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
      await this.#createIfAbsent(projectId, { id: countersId });
      const before = await this.#readAll(projectId);
      const actual = await this.#scan(projectId);
      const shards = byShard(actual);
      try {
        await Promise.all([
          ...before.map((doc) => this.#replace(projectId, shards.get(doc.id) ?? { ...doc, values: {} }, doc.etag)),
          ...[...shards.values()]
            .filter((shard) => !before.some((doc) => doc.id === shard.id))
            .map((shard) => this.#create(projectId, shard)),
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

  async #replace(projectId: string, shard: Shard, etag: string): Promise<void> {
    await this.#container
      .item(shard.id, projectId)
      .replace<CountersDocument>(
        { ...emptyDocument(projectId, shard), counts: shard.values },
        { accessCondition: { type: 'IfMatch', condition: etag } },
      );
  }

  async #create(projectId: string, shard: Shard): Promise<void> {
    await this.#container.items.create({ ...emptyDocument(projectId, shard), counts: shard.values });
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
  series?: 'hour' | 'day';
  period?: string;
}

function stored(doc: CountersDocument): StoredCounters {
  const values: CounterDelta = {};
  // Documents written before the counters were generalised (see the class comment).
  for (const [state, n] of Object.entries(doc.byState ?? {})) addDelta(values, { [`byState.${state}`]: n });
  if (doc.labeledReviewed) addDelta(values, { labeledReviewed: doc.labeledReviewed });
  addDelta(values, doc.counts ?? {});
  return {
    id: doc.id,
    etag: doc._etag ?? '',
    values,
    ...(doc.series ? { series: doc.series } : {}),
    ...(doc.period ? { period: doc.period } : {}),
  };
}

function emptyDocument(projectId: string, shard: Omit<Shard, 'values'>): CountersDocument {
  return {
    id: shard.id,
    projectId,
    type: 'counters',
    ...(shard.series ? { series: shard.series, period: shard.period! } : {}),
    counts: {},
  };
}
