import type Database from 'better-sqlite3';

/** The embedded store's tables: one SQLite file, one connection per process (sqliteStore.ts). */
export const schema = `
CREATE TABLE IF NOT EXISTS projects (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  shuffle_key REAL NOT NULL,
  confidence REAL,
  labeler TEXT,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_tasks_claim ON tasks (project_id, state, shuffle_key);
-- Least confident first, shuffled among equals (unscored tasks hold unscoredConfidence, above every real one).
DROP INDEX IF EXISTS ix_tasks_confidence;
CREATE INDEX IF NOT EXISTS ix_tasks_queue ON tasks (project_id, state, confidence, shuffle_key);
-- Labeler indexes are partial: a task nobody has touched (every newly ingested one) costs them nothing.
DROP INDEX IF EXISTS ix_tasks_labeler;
CREATE INDEX IF NOT EXISTS ix_tasks_by_labeler ON tasks (project_id, labeler, id) WHERE labeler IS NOT NULL;
-- "Tasks still assigned to this labeler" (batch release and expiry) without walking the labeler's whole history.
CREATE INDEX IF NOT EXISTS ix_tasks_by_labeler_state ON tasks (project_id, labeler, state, id)
  WHERE labeler IS NOT NULL;
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
CREATE TABLE IF NOT EXISTS batches (
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  labeler_id TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
) WITHOUT ROWID;
-- At most one live batch per labeler and project: a second concurrent allocation fails instead of double-assigning.
CREATE UNIQUE INDEX IF NOT EXISTS ux_batches_live ON batches (project_id, labeler_id) WHERE state = 'live';
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
 * no model had scored move from NULL to unscoredConfidence (one index serves the queue).
 */
export function migrate(db: Database.Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) < 2) {
    db.prepare('UPDATE tasks SET confidence = ? WHERE confidence IS NULL').run(unscoredConfidence);
    db.pragma('user_version = 2');
  }
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(training_runs)').all();
  if (!columns.some((c) => c.name === 'version')) {
    db.exec('ALTER TABLE training_runs ADD COLUMN version INTEGER NOT NULL DEFAULT 1');
  }
}
