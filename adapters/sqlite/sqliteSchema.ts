import type Database from 'better-sqlite3';

/*
 * Tables whose rows are documents (a task's JSON is 0.6–2 KB, a batch's up to ~5 KB) are ordinary rowid tables
 * with their key as a unique index. As WITHOUT ROWID tables (as they were first) every row sat in the key's B-tree,
 * whose cells SQLite keeps to ~1,000 bytes on a 4 KB page (the rest overflows) and whose interior pages hold copies
 * of whole rows as separators: on COCO train2017's 118,287 tasks the table took 113,318 pages at depth 6 (34,132 at
 * depth 3 as a rowid table); point reads were ~2.7× and claims ~1.5× as costly (docs/store-design.md).
 * WITHOUT ROWID stays where rows are small (counters, members, training runs).
 */
function tasksTable(name: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  shuffle_key REAL NOT NULL,
  confidence REAL,
  labeler TEXT,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
);`;
}

const tasksIndexes = `
CREATE INDEX IF NOT EXISTS ix_tasks_claim ON tasks (project_id, state, shuffle_key);
-- Least confident first, shuffled among equals (unscored tasks hold unscoredConfidence, above every real one).
DROP INDEX IF EXISTS ix_tasks_confidence;
CREATE INDEX IF NOT EXISTS ix_tasks_queue ON tasks (project_id, state, confidence, shuffle_key);
-- Labeler indexes are partial: a task nobody has touched (every newly ingested one) costs them nothing.
DROP INDEX IF EXISTS ix_tasks_labeler;
CREATE INDEX IF NOT EXISTS ix_tasks_by_labeler ON tasks (project_id, labeler, id) WHERE labeler IS NOT NULL;
-- "Tasks still assigned to this labeler" (batch release and expiry) without walking the labeler's whole history.
CREATE INDEX IF NOT EXISTS ix_tasks_by_labeler_state ON tasks (project_id, labeler, state, id)
  WHERE labeler IS NOT NULL;`;

function batchesTable(name: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  labeler_id TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
);`;
}

const batchesIndexes = `
-- At most one live batch per labeler and project: a second concurrent allocation fails instead of double-assigning.
CREATE UNIQUE INDEX IF NOT EXISTS ux_batches_live ON batches (project_id, labeler_id) WHERE state = 'live';`;

/** The embedded store's tables: one SQLite file, one connection per process (sqliteStore.ts). */
export const schema = `
CREATE TABLE IF NOT EXISTS projects (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  doc TEXT NOT NULL
);
${tasksTable('tasks')}
${tasksIndexes}
CREATE TABLE IF NOT EXISTS counters (
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (project_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_members_user ON members (user_id, project_id);
${batchesTable('batches')}
${batchesIndexes}
CREATE TABLE IF NOT EXISTS training_runs (
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
) WITHOUT ROWID;
`;

/** Confidence of a task no model has scored: above every real confidence (0–1), so such tasks sort last. */
export const unscoredConfidence = 2;

/**
 * Brings files written by earlier versions up to date: training runs get a version column (state updates); tasks
 * no model had scored move from NULL to unscoredConfidence (one index serves the queue); tasks and batches move
 * from WITHOUT ROWID tables to rowid tables (see `tasksTable`).
 */
export function migrate(db: Database.Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) < 2) {
    db.prepare('UPDATE tasks SET confidence = ? WHERE confidence IS NULL').run(unscoredConfidence);
    db.pragma('user_version = 2');
  }
  rebuildAsRowidTable(db, 'tasks', tasksTable, tasksIndexes);
  rebuildAsRowidTable(db, 'batches', batchesTable, batchesIndexes);
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(training_runs)').all();
  if (!columns.some((c) => c.name === 'version')) {
    db.exec('ALTER TABLE training_runs ADD COLUMN version INTEGER NOT NULL DEFAULT 1');
  }
}

/**
 * Copies a WITHOUT ROWID table into a rowid table of the same columns and key, in key order (the rows stay
 * clustered by key, as exports read them), then puts its indexes back: SQLite's documented way to change a table's
 * kind (create, copy, drop, rename). One IMMEDIATE transaction, checked again inside it, so two processes opening the
 * same old file (devhost and a CLI) rebuild it once; a crash midway leaves the old table as it was. ~4 s for
 * 118,287 tasks. The old table's pages go to the file's free list and are reused as it grows.
 */
function rebuildAsRowidTable(
  db: Database.Database,
  table: string,
  definition: (name: string) => string,
  indexes: string,
): void {
  const isWithoutRowid = () => {
    const sql = db
      .prepare<[string], string>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
      .pluck()
      .get(table);
    return sql !== undefined && /\bWITHOUT\s+ROWID\s*$/i.test(sql);
  };
  if (!isWithoutRowid()) return;
  db.transaction(() => {
    if (!isWithoutRowid()) return;
    const staging = `${table}__rowid`;
    const columns = db
      .prepare<[string], string>('SELECT name FROM pragma_table_info(?) ORDER BY cid')
      .pluck()
      .all(table)
      .join(', ');
    db.exec(`DROP TABLE IF EXISTS ${staging}`);
    db.exec(definition(staging));
    db.exec(`INSERT INTO ${staging} (${columns}) SELECT ${columns} FROM ${table} ORDER BY project_id, id`);
    db.exec(`DROP TABLE ${table}`);
    db.exec(`ALTER TABLE ${staging} RENAME TO ${table}`);
    db.exec(indexes);
  }).immediate();
}
