import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { blobCreated, counters, facts } from './storeFixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The app's store checkpoints its WAL from a worker thread (adapters/sqlite/walCheckpointer.ts), so no commit of a
// request stalls the event loop copying pages into the database file. What a user of the file can observe: the WAL
// is copied back and reused while the app writes (it stays a fraction of what was written, though the app's own
// connection would checkpoint only past 16,384 pages), everything written is in the database, and closing the
// store stops the thread and leaves no WAL behind.
describe('the SQLite store with background checkpoints', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps the WAL small while the app writes, loses nothing, and leaves no WAL when closed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wal-'));
    dirs.push(dir);
    const file = path.join(dir, 'labels.db');
    const store = new SqliteStore(file, { backgroundCheckpoints: true });
    const rounds = 25;
    const perRound = 200;
    let largestWal = 0;
    const restartsBefore = walRestarts(file);
    for (let round = 0; round < rounds; round++) {
      const items = Array.from({ length: perRound }, (_, i) =>
        blobCreated('p', facts(`r${round}/img-${i}-${'x'.repeat(200)}.jpg`, round * perRound + i)),
      );
      await store.tasks.mutateMany('p', items);
      largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
      await sleep(250); // a checkpoint interval or so between rounds, as between labelers' submissions
    }
    // The WAL restarts from its start only after every frame in it was copied into the database: the app's own
    // connection would not have copied any yet (its backstop is 16,384 pages), so the thread did, repeatedly.
    expect(walRestarts(file) - restartsBefore).toBeGreaterThanOrEqual(3);
    // Without it the WAL would hold everything written; with it, the database file does.
    expect(largestWal).toBeLessThan(statSync(file).size / 2);
    expect(await store.tasks.counters('p')).toEqual(counters({ new: rounds * perRound }));
    await store.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = new Database(file, { readonly: true });
    expect(reopened.prepare('SELECT COUNT(*) AS n FROM tasks').get()).toEqual({ n: rounds * perRound });
    reopened.close();
  });

  // One thread serves every file of the process (devhost has the store and the task hub): it keeps checkpointing
  // the files still open when another is closed, ends with the last, and a store opened after that starts anew.
  it('checkpoints several files at once, each until it is closed, and again for a store opened afterwards', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wal-'));
    dirs.push(dir);
    const files = ['a.db', 'b.db', 'c.db'].map((f) => path.join(dir, f));
    const [a, b] = files.slice(0, 2).map((f) => new SqliteStore(f, { backgroundCheckpoints: true }));
    // Small rounds: eight of them stay under the 1,000 pages at which SQLite's own checkpoint on commit (what a
    // connection falls back to without the thread) would restart the WAL, so every restart here is the thread's.
    const perRound = 40;
    const write = async (store: SqliteStore, round: number) =>
      store.tasks.mutateMany(
        'p',
        Array.from({ length: perRound }, (_, i) =>
          blobCreated('p', facts(`r${round}/img-${i}-${'x'.repeat(200)}.jpg`, round * perRound + i)),
        ),
      );
    const restarted = async (store: SqliteStore, file: string, firstRound: number) => {
      const before = walRestarts(file);
      for (let round = firstRound; round < firstRound + 8; round++) {
        await write(store, round);
        await sleep(250);
      }
      return walRestarts(file) - before;
    };
    const [fromA, fromB] = await Promise.all([restarted(a!, files[0]!, 0), restarted(b!, files[1]!, 0)]);
    expect(fromA).toBeGreaterThanOrEqual(2);
    expect(fromB).toBeGreaterThanOrEqual(2);
    await a!.close();
    expect(existsSync(`${files[0]}-wal`)).toBe(false);
    // b is still checkpointed after a is gone.
    expect(await restarted(b!, files[1]!, 8)).toBeGreaterThanOrEqual(2);
    await b!.close();
    expect(existsSync(`${files[1]}-wal`)).toBe(false);
    const c = new SqliteStore(files[2]!, { backgroundCheckpoints: true });
    expect(await restarted(c, files[2]!, 0)).toBeGreaterThanOrEqual(2);
    await c.close();
    expect(existsSync(`${files[2]}-wal`)).toBe(false);
    for (const [file, n] of [
      [files[0]!, 8 * perRound],
      [files[1]!, 16 * perRound],
      [files[2]!, 8 * perRound],
    ] as const) {
      const reopened = new Database(file, { readonly: true });
      expect(reopened.prepare('SELECT COUNT(*) AS n FROM tasks').get()).toEqual({ n });
      reopened.close();
    }
  });
});

/** The WAL header's checkpoint sequence number: SQLite increments it each time the WAL is restarted. */
function walRestarts(file: string): number {
  const header = Buffer.alloc(32);
  const fd = openSync(`${file}-wal`, 'r');
  try {
    readSync(fd, header, 0, 32, 0);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(12);
}
