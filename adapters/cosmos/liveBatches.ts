import type { Container } from '@azure/cosmos';
import type { Batch } from '../../shared/domain/labelingRecords';
import { ConflictError, type BatchRepository, type Inserted, type Versioned } from '../../shared/ports/store';
import type { Ready } from './cosmosStore';
import { conflict, hasStatus, notFound, preconditionFailed } from './cosmosErrors';
import { pointRead } from './pointRead';
import { queryProjectRecords } from './projectRecords';
import {
  batchDocumentId,
  fromBatchDocument,
  liveBatchLockId,
  toBatchDocument,
  toLiveBatchLock,
  type LiveBatchLockDocument,
} from './labelingDocuments';

/**
 * Each round of a lock race has a winner, and a loser that sees a live winner stops with ConflictError; rounds repeat
 * only when the lock vanished or a stale lock was taken over by someone else, so a handful is plenty.
 */
const maxLockRounds = 10;

interface HeldLock {
  lock: LiveBatchLockDocument;
  etag: string;
}

/**
 * Batches with "at most one live batch per (project, labeler)" without transactions. The rule is carried by a lock
 * document per labeler (`liveBatch:<labelerId>`) that names the live batch:
 *
 * - Inserting a live batch first creates the lock (`create`: 409 when one exists). Creating the lock decides the
 *   insert; the batch document is written next, from the copy of the batch the lock holds. If that second write never
 *   happens (a crash), whoever finds the lock writes it ("rolls forward"), so a lock never names a missing batch for
 *   long and two inserts of one id always store the same content.
 * - Replacing a batch so that it leaves `live` removes the lock afterwards (delete with IfMatch). A crash in between
 *   leaves a stale lock naming a batch that is no longer live: reads ignore it, and the next insert takes it over
 *   (replace with IfMatch, so of two racing inserts only one can).
 * - A batch never returns to `live`, so a batch that is not live can never again conflict with the lock's batch.
 *
 * So whenever a batch document says `live`, the lock names it, and a second live batch is refused.
 */
export class LiveBatches implements BatchRepository {
  readonly #container: Container;
  readonly #ready: Ready;

  constructor(container: Container, ready: Ready) {
    this.#container = container;
    this.#ready = ready;
  }

  async get(projectId: string, batchId: string): Promise<Versioned<Batch> | undefined> {
    await this.#ready();
    const read = await pointRead<Record<string, unknown>>(this.#container.item(batchDocumentId(batchId), projectId));
    return read && { value: fromBatchDocument(read.resource), etag: read.etag };
  }

  async insert(batch: Batch): Promise<Inserted<Batch>> {
    const existing = await this.get(batch.projectId, batch.id);
    if (existing) return { created: false, stored: existing };
    if (batch.state !== 'live') return this.#createBatch(batch);

    let acquired: { created: boolean; lock: HeldLock };
    try {
      acquired = await this.#acquireLock(batch);
    } catch (err) {
      // Another live batch holds the lock; but if this very batch was inserted meanwhile, insert-if-absent wins.
      const inserted = err instanceof ConflictError ? await this.get(batch.projectId, batch.id) : undefined;
      if (inserted) return { created: false, stored: inserted };
      throw err;
    }
    const stored = acquired.created
      ? (await this.#createBatch(acquired.lock.lock.batch)).stored
      : await this.#rollForward(acquired.lock.lock);
    if (stored.value.state !== 'live') {
      // The batch existed before this call took the lock and has already left `live`: the lock just taken is stale.
      await this.#deleteLock(acquired.lock);
      return { created: false, stored };
    }
    return { created: acquired.created, stored };
  }

  async getLive(projectId: string, labelerId: string): Promise<Versioned<Batch> | undefined> {
    await this.#ready();
    const held = await this.#readLock(projectId, labelerId);
    if (!held) return undefined;
    const batch = await this.#rollForward(held.lock);
    // A stale lock (its batch left `live` but the lock was not removed yet) means no live batch.
    return batch.value.state === 'live' ? batch : undefined;
  }

  async replace(batch: Batch, ifMatch: string): Promise<Versioned<Batch>> {
    await this.#ready();
    const current = await this.get(batch.projectId, batch.id);
    if (!current || current.etag !== ifMatch) {
      throw new ConflictError(`Batch '${batch.id}' was changed by another writer.`);
    }
    assertAllowedChange(current.value, batch);
    let replaced: Versioned<Batch>;
    try {
      const { resource, etag } = await this.#container
        .item(batchDocumentId(batch.id), batch.projectId)
        .replace(toBatchDocument(batch), { accessCondition: { type: 'IfMatch', condition: ifMatch } });
      replaced = { value: fromBatchDocument(resource as unknown as Record<string, unknown>), etag };
    } catch (err) {
      if (hasStatus(err, preconditionFailed, notFound)) {
        throw new ConflictError(`Batch '${batch.id}' was changed by another writer.`);
      }
      throw err;
    }
    if (batch.state !== 'live') {
      // The crash window: between the replace above and this delete, the lock is stale (see the class comment).
      const held = await this.#readLock(batch.projectId, batch.labelerId);
      if (held?.lock.batchId === batch.id) await this.#deleteLock(held);
    }
    return replaced;
  }

  /** Live batch documents, not locks: a stale lock must not name a batch that is still at work. */
  async listLive(projectId: string): Promise<Batch[]> {
    await this.#ready();
    const docs = await queryProjectRecords(this.#container, projectId, 'batch', "c.state = 'live'");
    return docs.map(fromBatchDocument).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Live batch documents, not locks: a stale lock must not count as a labeler at work. */
  async countLive(projectId: string): Promise<number> {
    await this.#ready();
    const { resources } = await this.#container.items
      .query<number>(
        {
          query: `SELECT VALUE COUNT(1) FROM c WHERE c.projectId = @projectId AND c.type = @type AND c.state = 'live'`,
          parameters: [
            { name: '@projectId', value: projectId },
            { name: '@type', value: 'batch' },
          ],
        },
        { partitionKey: projectId },
      )
      .fetchAll();
    return resources[0] ?? 0;
  }

  async #createBatch(batch: Batch): Promise<Inserted<Batch>> {
    try {
      const { resource, etag } = await this.#container.items.create(toBatchDocument(batch));
      return {
        created: true,
        stored: { value: fromBatchDocument(resource as unknown as Record<string, unknown>), etag },
      };
    } catch (err) {
      if (!hasStatus(err, conflict)) throw err;
    }
    return { created: false, stored: await this.#mustGet(batch.projectId, batch.id) };
  }

  /** Makes the lock name `batch`; `created` says whether this call did it (false: it already named this batch). */
  async #acquireLock(batch: Batch): Promise<{ created: boolean; lock: HeldLock }> {
    const wanted = toLiveBatchLock(batch);
    for (let round = 0; round < maxLockRounds; round++) {
      try {
        const { etag } = await this.#container.items.create(wanted);
        return { created: true, lock: { lock: wanted, etag } };
      } catch (err) {
        if (!hasStatus(err, conflict)) throw err;
      }
      const held = await this.#readLock(batch.projectId, batch.labelerId);
      if (!held) continue; // removed since the create failed: try again
      if (held.lock.batchId === batch.id) return { created: false, lock: held };
      const holder = await this.#rollForward(held.lock);
      if (holder.value.state === 'live') {
        throw new ConflictError(
          `Labeler '${batch.labelerId}' already has a live batch in '${batch.projectId}' (${holder.value.id}).`,
        );
      }
      // A stale lock: take it over, unless another insert does so first (then look again).
      try {
        const { etag } = await this.#container
          .item(wanted.id, batch.projectId)
          .replace(wanted, { accessCondition: { type: 'IfMatch', condition: held.etag } });
        return { created: true, lock: { lock: wanted, etag } };
      } catch (err) {
        if (!hasStatus(err, preconditionFailed, notFound)) throw err;
      }
    }
    throw new ConflictError(`The live batch of '${batch.labelerId}' in '${batch.projectId}' kept changing.`);
  }

  /** The batch the lock names, writing it from the lock's copy when its insert stopped before doing so. */
  async #rollForward(lock: LiveBatchLockDocument): Promise<Versioned<Batch>> {
    return (await this.get(lock.projectId, lock.batchId)) ?? (await this.#createBatch(lock.batch)).stored;
  }

  async #readLock(projectId: string, labelerId: string): Promise<HeldLock | undefined> {
    const read = await pointRead<LiveBatchLockDocument>(this.#container.item(liveBatchLockId(labelerId), projectId));
    return read && { lock: read.resource, etag: read.etag };
  }

  /** Deletes the lock if it is still the version read; otherwise another writer already removed or took it over. */
  async #deleteLock(held: HeldLock): Promise<void> {
    try {
      await this.#container
        .item(held.lock.id, held.lock.projectId)
        .delete({ accessCondition: { type: 'IfMatch', condition: held.etag } });
    } catch (err) {
      if (!hasStatus(err, preconditionFailed, notFound)) throw err;
    }
  }

  async #mustGet(projectId: string, batchId: string): Promise<Versioned<Batch>> {
    const stored = await this.get(projectId, batchId);
    if (!stored) throw new Error(`Batch '${batchId}' was reported to exist but could not be read.`);
    return stored;
  }
}

/** The rules both adapters enforce on a replace (the lock protocol above depends on them). */
function assertAllowedChange(current: Batch, next: Batch): void {
  if (next.labelerId !== current.labelerId) {
    throw new Error(`Batch '${next.id}' belongs to '${current.labelerId}'; its labeler cannot change.`);
  }
  if (next.state === 'live' && current.state !== 'live') {
    throw new Error(`Batch '${next.id}' is ${current.state}; a batch that left 'live' cannot return to it.`);
  }
}
