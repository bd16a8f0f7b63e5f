import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosSettingsFrom, connectCosmos } from '../../adapters/cosmos/cosmosConfig';
import { createCosmosLabelStore } from '../../adapters/cosmos/cosmosLabelStore';
import { projectDataContainerId } from '../../adapters/cosmos/containers';
import { toTaskDocument } from '../../adapters/cosmos/documents';
import { StoreHealthProbe } from '../../adapters/store/storeHealthProbe';
import { decideBlobCreated } from '../../shared/domain/blobFacts';
import { startCosmosServer, type RunningCosmosServer } from './cosmosServer';
import { describeLabelStoreContract } from './labelStore.contract';
import { blobCreated, counters, facts, now, recount } from './storeFixtures';

// One in-memory cosmosdb-server for the file; each store gets its own database.
let server: RunningCosmosServer;
let databases = 0;
const nextDatabase = () => `store-${++databases}`;

beforeAll(async () => {
  server = await startCosmosServer();
});
afterAll(async () => {
  await server?.stop();
});

describeLabelStoreContract(
  'cosmos (cosmosdb-server)',
  async () => {
    const store = createCosmosLabelStore({ ...server.env, COSMOS_DATABASE: nextDatabase() });
    return { store, cleanup: () => store.close() };
  },
  { propertyRuns: 40 },
);

describe('Cosmos label store specifics', () => {
  it('recountCounters repairs counters left wrong by a crash between a task write and its counter patch', async () => {
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    const store = createCosmosLabelStore(env);
    await store.mutateTasks('p', [blobCreated('p', facts('a.jpg', 1)), blobCreated('p', facts('b.jpg', 1))]);

    // The crash: a task written without its counter patch (straight into the container, as the adapter would).
    const decision = decideBlobCreated('p', undefined, facts('c.jpg', 1), now);
    if (decision.kind !== 'write') throw new Error('expected a write');
    const raw = connectCosmos(cosmosSettingsFrom(env));
    await raw.client
      .database(env.COSMOS_DATABASE)
      .container(projectDataContainerId)
      .items.create(toTaskDocument(decision.task));
    raw.dispose();
    expect(await store.getCounters('p')).toEqual(counters({ new: 2 }));

    // Another instance on the same (now existing) database runs the reconciliation.
    const reconciler = createCosmosLabelStore(env);
    expect(await reconciler.recountCounters('p')).toEqual(counters({ new: 3 }));
    expect(await store.getCounters('p')).toEqual(counters({ new: 3 }));
    expect(await store.getCounters('p')).toEqual(await recount(store, 'p'));
    expect(await reconciler.recountCounters('empty')).toEqual(counters({}));
    await Promise.all([store.close(), reconciler.close()]);
  });

  it('reads its settings with a default database and refuses to start without an endpoint', () => {
    expect(cosmosSettingsFrom({ COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/' })).toEqual({
      endpoint: 'https://acct.documents.azure.com:443/',
      key: undefined,
      databaseId: 'mlassist',
      allowInsecureTls: false,
    });
    expect(() => createCosmosLabelStore({})).toThrow(/COSMOS_ENDPOINT/);
  });

  it('answers the health probe as the cosmos store', async () => {
    const store = createCosmosLabelStore({ ...server.env, COSMOS_DATABASE: nextDatabase() });
    const result = await new StoreHealthProbe(() => store).check(AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ ok: true, kind: 'cosmos' });
    await store.close();
  });
});
