import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { describe, expect, it } from 'vitest';
import { describeStoreContract } from './store.contract';
import { blobCreated, counters, facts } from './storeFixtures';

// A real file (WAL mode, as deployed), one per test.
describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-'));
  const store = new SqliteStore(path.join(dir, 'labels.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite store specifics', () => {
  it('recountCounters repairs counters that drifted and reports by how much', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'store-'));
    const file = path.join(dir, 'labels.db');
    const store = new SqliteStore(file);
    try {
      await store.tasks.mutateMany('p', [blobCreated('p', facts('a.jpg', 1)), blobCreated('p', facts('b.jpg', 1))]);
      // Another process on the file leaves the counters wrong (the kind of damage a recount exists for).
      const other = new Database(file);
      other.prepare("UPDATE counters SET value = 5 WHERE project_id = 'p' AND name = 'byState.new'").run();
      other.close();
      expect(await store.tasks.counters('p')).toEqual(counters({ new: 5 }));

      expect(await store.tasks.recountCounters('p')).toEqual({
        counters: counters({ new: 2 }),
        drift: { 'byState.new': -3 },
      });
      expect(await store.tasks.counters('p')).toEqual(counters({ new: 2 }));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
