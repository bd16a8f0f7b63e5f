import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { ConflictError } from '../../shared/ports/store';
import { aBatch } from './labelingRecords.contract';
import { allTasks, blobCreated, facts, labeledBy, now, recountAll, skippedBy, withPrelabel } from './storeFixtures';

/**
 * The tasks and batches tables as every release up to 1e26b6c created them (WITHOUT ROWID), word for word: the
 * files our users already have. Opening one must bring it to the current layout without losing or changing a row.
 */
const releasedWithoutRowid = {
  tasks: `CREATE TABLE tasks (
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  shuffle_key REAL NOT NULL,
  confidence REAL,
  labeler TEXT,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
) WITHOUT ROWID`,
  batches: `CREATE TABLE batches (
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  labeler_id TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
) WITHOUT ROWID`,
};

const p = 'proj-a';
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function aFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-migration-'));
  dirs.push(dir);
  return path.join(dir, 'labels.db');
}

/** Rewrites a file's tasks and batches tables (rows, indexes and all) the way released versions laid them out. */
function asReleasedFile(file: string): void {
  const db = new Database(file);
  try {
    db.transaction(() => {
      for (const [table, ddl] of Object.entries(releasedWithoutRowid)) {
        const indexes = db
          .prepare<[string], string>(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
          )
          .pluck()
          .all(table);
        db.exec(`ALTER TABLE ${table} RENAME TO ${table}_current`);
        db.exec(ddl);
        db.exec(`INSERT INTO ${table} SELECT * FROM ${table}_current`);
        db.exec(`DROP TABLE ${table}_current`);
        for (const sql of indexes) db.exec(sql);
      }
    })();
  } finally {
    db.close();
  }
}

interface Layout {
  tables: Record<string, string>;
  indexes: string[];
}

/** The two tables' definitions and every index on them, as SQLite records them. */
function layoutOf(file: string): Layout & { schemaVersion: number } {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare<[], { type: string; name: string; sql: string | null }>(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('tasks', 'batches') ORDER BY name",
      )
      .all();
    return {
      // A renamed table's name is recorded quoted; the definition is what counts.
      tables: Object.fromEntries(
        rows
          .filter((r) => r.type === 'table')
          .map((r) => [r.name, (r.sql ?? '').replace(/^CREATE TABLE "(\w+)"/, 'CREATE TABLE $1')]),
      ),
      indexes: rows.filter((r) => r.type === 'index').map((r) => `${r.name}: ${r.sql ?? '(key)'}`),
      schemaVersion: db.pragma('schema_version', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}

/** A project in every task state, two live batches and a closed one. */
async function writeProject(file: string) {
  const store = new SqliteStore(file);
  try {
    const blobs = Array.from({ length: 40 }, (_, i) =>
      blobCreated(p, facts(`img-${String(i).padStart(3, '0')}.jpg`, i + 1)),
    );
    await store.tasks.mutateMany(p, blobs);
    await store.tasks.mutateMany(p, [
      ...blobs.slice(0, 10).map((b) => ({ taskId: b.taskId, mutation: labeledBy('alice') })),
      ...blobs.slice(10, 13).map((b) => ({ taskId: b.taskId, mutation: skippedBy('bob') })),
      ...blobs.slice(13, 20).map((b, i) => ({ taskId: b.taskId, mutation: withPrelabel(0.3 + i / 20) })),
    ]);
    const assignment = (labelerId: string) => ({ batchId: `batch-${labelerId}`, labelerId, leaseExpiresAt: now });
    await store.tasks.claim(p, { max: 5, assignment: assignment('carol'), order: 'shuffled', now });
    await store.batches.insert(aBatch('b-carol', 'carol'));
    await store.batches.insert(aBatch('b-dave', 'dave'));
    await store.batches.insert(aBatch('b-old', 'carol', { state: 'done', closedAt: now }));
    return {
      tasks: await allTasks(store, p),
      counters: await store.tasks.counterValues(p),
      batches: await Promise.all(['b-carol', 'b-dave', 'b-old'].map((id) => store.batches.get(p, id))),
    };
  } finally {
    await store.close();
  }
}

describe('SQLite store: opening a file written by an earlier release', () => {
  it('turns its WITHOUT ROWID tasks and batches into the current tables with every row, counter and index', async () => {
    const file = aFile();
    const written = await writeProject(file);
    const current = layoutOf(file);
    asReleasedFile(file);
    expect(layoutOf(file).tables.tasks).toMatch(/WITHOUT ROWID$/);

    const store = new SqliteStore(file);
    try {
      const migrated = layoutOf(file);
      expect(migrated.tables).toEqual(current.tables);
      expect(migrated.indexes).toEqual(current.indexes);
      // The same rows, versions (etags) included: a labeler's pending submission still matches its task.
      expect(await allTasks(store, p)).toEqual(written.tasks);
      expect(await store.tasks.counterValues(p)).toEqual(written.counters);
      expect(await store.tasks.counterValues(p)).toEqual(await recountAll(store, p));
      expect(await Promise.all(['b-carol', 'b-dave', 'b-old'].map((id) => store.batches.get(p, id)))).toEqual(
        written.batches,
      );

      // The rules the indexes carry still hold: one live batch per labeler; the queue serves prelabels first.
      await expect(store.batches.insert(aBatch('b-carol-2', 'carol'))).rejects.toBeInstanceOf(ConflictError);
      const claimed = await store.tasks.claim(p, {
        max: 30,
        assignment: { batchId: 'batch-erin', labelerId: 'erin', leaseExpiresAt: now },
        order: 'leastConfidentFirst',
        now,
      });
      const stillNew = written.tasks.filter((t) => t.state === 'new' || t.state === 'prelabeled');
      expect(claimed.map((t) => t.id).sort()).toEqual(stillNew.map((t) => t.id).sort());
      const reviews = stillNew.filter((t) => t.state === 'prelabeled').length;
      expect(reviews).toBeGreaterThan(0);
      expect(claimed.slice(0, reviews).every((t) => t.prelabel !== undefined)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('leaves a file already in the current layout untouched when it is opened again', async () => {
    const file = aFile();
    await writeProject(file);
    asReleasedFile(file);
    await new SqliteStore(file).close();
    const once = layoutOf(file);

    await new SqliteStore(file).close();
    // schema_version counts every change to sqlite_master: a second rebuild would move it.
    expect(layoutOf(file)).toEqual(once);
  });
});
