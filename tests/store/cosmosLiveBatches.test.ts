import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCosmos, cosmosSettingsFrom, type ConnectedClient } from '../../adapters/cosmos/cosmosConfig';
import { createCosmosStore, type CosmosStore } from '../../adapters/cosmos/cosmosStore';
import { projectDataContainerId } from '../../adapters/cosmos/containers';
import { liveBatchLockId, toBatchDocument, toLiveBatchLock } from '../../adapters/cosmos/labelingDocuments';
import { ConflictError } from '../../shared/ports/store';
import { startCosmosServer, type RunningCosmosServer } from './cosmosServer';
import { aBatch, conflictsAndWinners } from './labelingRecords.contract';

// One in-memory cosmosdb-server for the file; each store gets its own database.
let server: RunningCosmosServer;
let databases = 0;
const nextDatabase = () => `records-${++databases}`;

beforeAll(async () => {
  server = await startCosmosServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('Cosmos labeling records: crash windows of the live-batch lock', () => {
  const p = 'proj-a';
  let store: CosmosStore;
  let raw: ConnectedClient;
  let container: Container;

  /** A fresh store plus a raw client on its container, to leave documents as a crashed writer would. */
  async function freshStore(): Promise<void> {
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    store = createCosmosStore(env);
    await store.batches.countLive(p); // creates the database and containers
    raw = connectCosmos(cosmosSettingsFrom(env));
    container = raw.client.database(env.COSMOS_DATABASE).container(projectDataContainerId);
  }
  async function closeStore(): Promise<void> {
    raw.dispose();
    await store.close();
  }

  it('a lock left behind by a close that stopped half-way is ignored, and exactly one of racing inserts takes it', async () => {
    await freshStore();
    const { stored: batch } = await store.batches.insert(aBatch('b1', 'alice'));
    // The crash: the batch was closed but the lock naming it was never deleted.
    await container.item(`batch:b1`, p).replace(toBatchDocument({ ...batch.value, state: 'done', closedAt: 'x' }));
    expect((await container.item(liveBatchLockId('alice'), p).read()).resource?.batchId).toBe('b1');

    expect(await store.batches.getLive(p, 'alice')).toBeUndefined();
    expect(await store.batches.countLive(p)).toBe(0);

    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.batches.insert(aBatch(`n${i}`, 'alice'))),
    );
    const { winners, conflicts } = conflictsAndWinners(settled);
    expect(winners).toHaveLength(1);
    expect(conflicts).toBe(9);
    expect(await store.batches.getLive(p, 'alice')).toEqual(winners[0]!.stored);
    expect((await container.item(liveBatchLockId('alice'), p).read()).resource?.batchId).toBe(
      winners[0]!.stored.value.id,
    );
    expect(await store.batches.countLive(p)).toBe(1);
    await closeStore();
  });

  it('an insert that stopped after taking the lock is completed from the lock by whoever finds it', async () => {
    await freshStore();
    // The crash: the lock was created, the batch document was not.
    await container.items.create(toLiveBatchLock(aBatch('b1', 'alice')));
    expect(await store.batches.get(p, 'b1')).toBeUndefined();

    const live = await store.batches.getLive(p, 'alice');
    expect(live?.value).toEqual(aBatch('b1', 'alice'));
    await expect(store.batches.insert(aBatch('b2', 'alice'))).rejects.toBeInstanceOf(ConflictError);
    // The retried request that asked for b1 finds it, with its original content.
    expect(await store.batches.insert(aBatch('b1', 'alice', { taskIds: ['other'] }))).toEqual({
      created: false,
      stored: live,
    });
    expect(await store.batches.countLive(p)).toBe(1);

    // Closing it through the adapter removes the lock, so the next insert needs no take-over.
    await store.batches.replace({ ...live!.value, state: 'released', closedAt: 'x' }, live!.etag);
    expect((await container.item(liveBatchLockId('alice'), p).read()).resource).toBeUndefined();
    await closeStore();
  });
});
