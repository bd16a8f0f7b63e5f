import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { describe, expect, it } from 'vitest';
import { describeStoreContract } from './store.contract';
import { blobCreated, counters, facts, recountAll, submitted } from './storeFixtures';

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

// As the app opens it (adapters/composition.ts): a worker thread checkpoints the WAL while the contract writes.
describeStoreContract('sqlite with background checkpoints', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-'));
  const store = new SqliteStore(path.join(dir, 'labels.db'), { backgroundCheckpoints: true });
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

  it('recounts while labelers keep writing (the scan yields between chunks) and still repairs exactly', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'store-'));
    const file = path.join(dir, 'labels.db');
    const store = new SqliteStore(file);
    try {
      const blobs = Array.from({ length: 6_000 }, (_, i) => blobCreated('p', facts(`img-${i}.jpg`, 1)));
      await store.tasks.mutateMany('p', blobs);
      const at = '2026-12-01T14:00:00.000Z';
      // 5,000 labeled tasks: several chunks for the recount, so writes land between them.
      await store.tasks.mutateMany(
        'p',
        blobs.slice(0, 5_000).map((b) => ({ taskId: b.taskId, mutation: submitted('ann', at, [{ label: 'cat' }]) })),
      );
      const other = new Database(file);
      other.prepare("UPDATE counters SET value = value + 7 WHERE project_id = 'p' AND name = 'label.cat'").run();
      other.close();

      let recountDone = false;
      let writesDuringRecount = 0;
      const recount = store.tasks.recountCounters('p').finally(() => (recountDone = true));
      for (const b of blobs.slice(5_000)) {
        if (recountDone) break;
        await store.tasks.mutate('p', b.taskId, submitted('bob', at, [{ label: 'dog' }, { label: 'cat' }]));
        // Committed while the recount was still scanning.
        if (!recountDone) writesDuringRecount++;
      }
      const { drift } = await recount;

      expect(writesDuringRecount).toBeGreaterThan(0);
      expect(drift).toEqual({ 'label.cat': -7 });
      expect(await store.tasks.counterValues('p')).toEqual(await recountAll(store, 'p'));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
