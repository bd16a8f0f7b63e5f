import { describe, expect, it } from 'vitest';
import { AzureBlobGateway } from '../../adapters/blob/azureBlobGateway';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { BackfillService } from '../../shared/services/backfill';
import { aProject } from '../store/storeFixtures';

describe('a backfill of a project whose storage setting is unusable', () => {
  it('stops at once with a note naming the setting, instead of failing every page after retries', async () => {
    const store = new SqliteStore(':memory:');
    const blobs = new AzureBlobGateway({ BROKEN_STORAGE: 'this is not a connection string' });
    await store.projects.insert(
      aProject('p', { dataset: { ...aProject('p').dataset, connectionSetting: 'BROKEN_STORAGE' } }),
    );
    await store.projects.insert(aProject('q', { dataset: { ...aProject('q').dataset, connectionSetting: 'MISSING' } }));
    const backfill = new BackfillService({ store, blobs });
    expect(await backfill.prepare('p')).toEqual({
      skip: expect.stringMatching(/^the storage connection setting BROKEN_STORAGE is not usable: /),
      tasksBefore: 0,
    });
    expect((await backfill.prepare('q')).skip).toMatch(/MISSING is not usable: App setting MISSING .* is not set/);
    await store.close();
  });
});
