import type { PluginConfig } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosSettingsFrom, connectCosmos } from '../../adapters/cosmos/cosmosConfig';
import { CosmosStore, createCosmosStore } from '../../adapters/cosmos/cosmosStore';
import { projectDataContainerId } from '../../adapters/cosmos/containers';
import { toTaskDocument } from '../../adapters/cosmos/documents';
import { decideBlobCreated } from '../../shared/domain/blobFacts';
import { pingProbe } from '../../shared/ports/healthProbe';
import { startCosmosServer, type RunningCosmosServer } from './cosmosServer';
import { describeStoreContract } from './store.contract';
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

describeStoreContract(
  'cosmos (cosmosdb-server)',
  async () => {
    const store = createCosmosStore({ ...server.env, COSMOS_DATABASE: nextDatabase() });
    return { store, cleanup: () => store.close() };
  },
  { propertyRuns: 25 },
);

/**
 * A fault-injecting plugin: answers the counters document's patches with `status` (a throttle or a "retry with")
 * `times` times, before they reach the server, as Cosmos would under load.
 */
function failCounterPatches(status: number, times: number): { plugin: PluginConfig; failed: () => number } {
  let failed = 0;
  const plugin: PluginConfig = {
    on: 'request',
    plugin: async (context, _diagnostics, next) => {
      const isCountersPatch = context.operationType === 'patch' && /\/docs\/counters$/.test(context.path ?? '');
      if (isCountersPatch && failed < times) {
        failed++;
        throw Object.assign(new Error(`injected ${status}`), { code: status, headers: {} });
      }
      return next(context);
    },
  };
  return { plugin, failed: () => failed };
}

describe('Cosmos store specifics', () => {
  it('retries a counters patch refused with 449 after the task write, so the counters stay right', async () => {
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    const fault = failCounterPatches(449, 3);
    const store = new CosmosStore(cosmosSettingsFrom(env), { plugins: [fault.plugin] } as object);
    const created = blobCreated('p', facts('a.jpg', 1));
    await store.tasks.mutate('p', created.taskId, created.mutation);
    expect(fault.failed()).toBe(3);
    expect(await store.tasks.counters('p')).toEqual(counters({ new: 1 }));
    await store.close();
  });

  it('a counters patch lost after its task write is repaired by the recount, which reports the drift', async () => {
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    const healthy = createCosmosStore(env);
    await healthy.tasks.mutateMany('p', [blobCreated('p', facts('a.jpg', 1))]);
    const fault = failCounterPatches(429, 1_000);
    const faulty = new CosmosStore(cosmosSettingsFrom(env), { plugins: [fault.plugin] } as object);
    const lost = blobCreated('p', facts('b.jpg', 1));
    await expect(faulty.tasks.mutate('p', lost.taskId, lost.mutation)).rejects.toThrow(/429/);
    expect((await healthy.tasks.get('p', lost.taskId))?.value.state).toBe('new'); // the task write happened
    expect(await healthy.tasks.counters('p')).toEqual(counters({ new: 1 })); // its increment did not

    const repaired = await healthy.tasks.recountCounters('p');
    expect(repaired).toEqual({ counters: counters({ new: 2 }), drift: { 'byState.new': 1 } });
    expect(await healthy.tasks.counters('p')).toEqual(counters({ new: 2 }));
    expect((await healthy.tasks.recountCounters('p')).drift).toEqual({});
    await Promise.all([healthy.close(), faulty.close()]);
  });

  it('recountCounters repairs counters left wrong by a crash between a task write and its counter patch', async () => {
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    const store = createCosmosStore(env);
    await store.tasks.mutateMany('p', [blobCreated('p', facts('a.jpg', 1)), blobCreated('p', facts('b.jpg', 1))]);

    // The crash: a task written without its counter patch (straight into the container, as the adapter would).
    const decision = decideBlobCreated('p', undefined, facts('c.jpg', 1), now);
    if (decision.kind !== 'write') throw new Error('expected a write');
    const raw = connectCosmos(cosmosSettingsFrom(env));
    await raw.client
      .database(env.COSMOS_DATABASE)
      .container(projectDataContainerId)
      .items.create(toTaskDocument(decision.task));
    raw.dispose();
    expect(await store.tasks.counters('p')).toEqual(counters({ new: 2 }));

    // Another instance on the same (now existing) database runs the reconciliation.
    const reconciler = createCosmosStore(env);
    expect((await reconciler.tasks.recountCounters('p')).counters).toEqual(counters({ new: 3 }));
    expect(await store.tasks.counters('p')).toEqual(counters({ new: 3 }));
    expect(await store.tasks.counters('p')).toEqual(await recount(store, 'p'));
    expect(await reconciler.tasks.recountCounters('empty')).toEqual({ counters: counters({}), drift: {} });
    await Promise.all([store.close(), reconciler.close()]);
  });

  it('reads a counters document written before the counters were generalised, and the recount folds it in', async () => {
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    let store = createCosmosStore(env);
    await store.tasks.mutateMany('p', [blobCreated('p', facts('a.jpg', 1)), blobCreated('p', facts('b.jpg', 1))]);
    // The old shape: counts as top-level fields of the one counters document (no `counts` map).
    const raw = connectCosmos(cosmosSettingsFrom(env));
    const data = raw.client.database(env.COSMOS_DATABASE).container(projectDataContainerId);
    await data.items.upsert({
      id: 'counters',
      projectId: 'p',
      type: 'counters',
      byState: { new: 1 },
      labeledReviewed: 0,
    });
    // A process of the new version meets the old document.
    await store.close();
    store = createCosmosStore(env);
    await store.tasks.mutateMany('p', [blobCreated('p', facts('c.jpg', 1))]);
    // One task from the old document, one from the new increments (the old shape's `new: 1` stood for a, b lost).
    expect(await store.tasks.counters('p')).toEqual(counters({ new: 2 }));
    expect((await store.tasks.recountCounters('p')).drift).toEqual({ 'byState.new': 1 });
    expect(await store.tasks.counters('p')).toEqual(counters({ new: 3 }));
    const { resource } = await data.item('counters', 'p').read();
    expect(resource.byState).toBeUndefined();
    raw.dispose();
    await store.close();
  });

  it('reads its settings with a default database and refuses to start without an endpoint', () => {
    expect(cosmosSettingsFrom({ COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/' })).toEqual({
      endpoint: 'https://acct.documents.azure.com:443/',
      databaseId: 'mlassist',
      allowInsecureTls: false,
      createMissing: false,
    });
    expect(() => createCosmosStore({})).toThrow(/COSMOS_ENDPOINT/);
  });

  it('without a key it creates nothing, and names what is missing (Entra ID data roles cannot create)', async () => {
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    const keyless = () => new CosmosStore({ ...cosmosSettingsFrom(env), createMissing: false });
    const first = keyless();
    await expect(first.projects.list()).rejects.toThrow(`Cosmos DB database '${env.COSMOS_DATABASE}' does not exist`);
    await expect(first.ping()).rejects.toThrow(/does not exist/);
    await first.close();

    // Half provisioned: the database and one container. The error names the container still missing.
    const raw = connectCosmos(cosmosSettingsFrom(env));
    const { database } = await raw.client.databases.createIfNotExists({ id: env.COSMOS_DATABASE });
    await database.containers.createIfNotExists({ id: 'projects', partitionKey: { paths: ['/id'] } });
    const second = keyless();
    await expect(second.tasks.counters('p')).rejects.toThrow(/container 'projectData' in '.*' does not exist/);
    expect((await raw.client.database(env.COSMOS_DATABASE).containers.readAll().fetchAll()).resources).toHaveLength(1);
    await second.close();

    // Provisioned (here by a store with a key, as infrastructure would): the keyless store works on it.
    const withKey = createCosmosStore(env);
    await withKey.ping();
    await withKey.close();
    const third = keyless();
    expect(await third.projects.list()).toEqual([]);
    await third.close();
    raw.dispose();
  });

  it('without a key it signs every request with an Entra ID token for the account (the managed identity path)', async () => {
    // Provisioned first with the key, as infrastructure would; then a store with no key at all.
    const env = { ...server.env, COSMOS_DATABASE: nextDatabase() };
    const provisioner = createCosmosStore(env);
    await provisioner.ping();
    await provisioner.close();

    const scopes: string[][] = [];
    const credential = {
      getToken: async (scope: string | string[]) => {
        scopes.push([scope].flat());
        return { token: 'eyJ0eXAiOiJKV1QifQ.entra-token-for-the-app', expiresOnTimestamp: Date.now() + 3.6e6 };
      },
    };
    const authorizations: string[] = [];
    const stopObserving = server.observe((headers) => authorizations.push(String(headers.authorization)));
    const { key: _key, ...keyless } = { ...cosmosSettingsFrom(env), createMissing: false };
    const store = new CosmosStore(keyless, { aadCredentials: credential });
    await store.projects.list();
    await store.tasks.counters('p');
    await store.close();
    stopObserving();

    expect(authorizations.length).toBeGreaterThan(0);
    for (const a of authorizations) {
      expect(decodeURIComponent(a)).toBe('type=aad&ver=1.0&sig=eyJ0eXAiOiJKV1QifQ.entra-token-for-the-app');
    }
    // The token is asked for the account's own scope (Cosmos DB data-plane RBAC), not a management scope.
    expect(new Set(scopes.flat())).toEqual(new Set([`${new URL(env.COSMOS_ENDPOINT!).origin}/.default`]));
  });

  it('answers the health probe as the cosmos store', async () => {
    const store = createCosmosStore({ ...server.env, COSMOS_DATABASE: nextDatabase() });
    const result = await pingProbe('store', () => store).check(AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ ok: true, kind: 'cosmos' });
    await store.close();
  });
});
