import type Database from 'better-sqlite3';
import { openDatabase } from './openDatabase';
import { ConflictError, type Versioned } from '../../shared/ports/labelStore';
import type { Batch, LabelingRecords, Member, TrainingRun } from '../../shared/ports/labelingRecords';

const schema = `
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
  doc TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
) WITHOUT ROWID;
`;

/** Labeling records in the same SQLite file as the label store (its own connection; WAL lets both write). */
export class SqliteLabelingRecords implements LabelingRecords {
  readonly #db: Database.Database;
  readonly #s;

  constructor(file: string) {
    this.#db = openDatabase(file, schema);
    const db = this.#db;
    this.#s = {
      putMember: db.prepare(
        'INSERT INTO members (project_id, user_id, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc',
      ),
      deleteMember: db.prepare('DELETE FROM members WHERE project_id = ? AND user_id = ?'),
      getMember: db.prepare<[string, string], { doc: string }>(
        'SELECT doc FROM members WHERE project_id = ? AND user_id = ?',
      ),
      listMembers: db.prepare<[string], { doc: string }>(
        'SELECT doc FROM members WHERE project_id = ? ORDER BY user_id',
      ),
      listMemberships: db.prepare<[string], { doc: string }>(
        'SELECT doc FROM members WHERE user_id = ? ORDER BY project_id',
      ),
      // Not `INSERT OR IGNORE`: that would also swallow the live-batch index violation. Only an existing id is ignored.
      insertBatch: db.prepare(
        'INSERT INTO batches (project_id, id, labeler_id, state, version, doc) VALUES (?, ?, ?, ?, 1, ?) ' +
          'ON CONFLICT (project_id, id) DO NOTHING',
      ),
      getBatch: db.prepare<[string, string], { version: number; doc: string }>(
        'SELECT version, doc FROM batches WHERE project_id = ? AND id = ?',
      ),
      batchHead: db.prepare<[string, string], { version: number; labeler_id: string; state: string }>(
        'SELECT version, labeler_id, state FROM batches WHERE project_id = ? AND id = ?',
      ),
      liveBatch: db.prepare<[string, string], { version: number; doc: string }>(
        "SELECT version, doc FROM batches WHERE project_id = ? AND labeler_id = ? AND state = 'live'",
      ),
      replaceBatch: db.prepare(
        'UPDATE batches SET state = ?, version = version + 1, doc = ? WHERE project_id = ? AND id = ? AND version = ?',
      ),
      countLive: db.prepare<[string], { n: number }>(
        "SELECT count(*) AS n FROM batches WHERE project_id = ? AND state = 'live'",
      ),
      insertRun: db.prepare('INSERT OR IGNORE INTO training_runs (project_id, id, doc) VALUES (?, ?, ?)'),
      getRun: db.prepare<[string, string], { doc: string }>(
        'SELECT doc FROM training_runs WHERE project_id = ? AND id = ?',
      ),
      listRuns: db.prepare<[string], { doc: string }>('SELECT doc FROM training_runs WHERE project_id = ? ORDER BY id'),
    };
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  async putMember(m: Member): Promise<void> {
    this.#s.putMember.run(m.projectId, m.userId, JSON.stringify(m));
  }

  async deleteMember(projectId: string, userId: string): Promise<boolean> {
    return this.#s.deleteMember.run(projectId, userId).changes === 1;
  }

  async getMember(projectId: string, userId: string): Promise<Member | undefined> {
    const row = this.#s.getMember.get(projectId, userId);
    return row ? (JSON.parse(row.doc) as Member) : undefined;
  }

  async listMembers(projectId: string): Promise<Member[]> {
    return this.#s.listMembers.all(projectId).map((r) => JSON.parse(r.doc) as Member);
  }

  async listMemberships(userId: string): Promise<Member[]> {
    return this.#s.listMemberships.all(userId).map((r) => JSON.parse(r.doc) as Member);
  }

  async insertBatch(batch: Batch): Promise<{ created: boolean; batch: Versioned<Batch> }> {
    let created: boolean;
    try {
      created =
        this.#s.insertBatch.run(batch.projectId, batch.id, batch.labelerId, batch.state, JSON.stringify(batch))
          .changes === 1;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ConflictError(`Labeler '${batch.labelerId}' already has a live batch in '${batch.projectId}'.`);
      }
      throw err;
    }
    return { created, batch: (await this.getBatch(batch.projectId, batch.id))! };
  }

  async getBatch(projectId: string, batchId: string): Promise<Versioned<Batch> | undefined> {
    const row = this.#s.getBatch.get(projectId, batchId);
    return row ? { value: JSON.parse(row.doc) as Batch, etag: String(row.version) } : undefined;
  }

  async getLiveBatch(projectId: string, labelerId: string): Promise<Versioned<Batch> | undefined> {
    const row = this.#s.liveBatch.get(projectId, labelerId);
    return row ? { value: JSON.parse(row.doc) as Batch, etag: String(row.version) } : undefined;
  }

  async replaceBatch(batch: Batch, ifMatch: string): Promise<Versioned<Batch>> {
    const current = this.#s.batchHead.get(batch.projectId, batch.id);
    if (!current || String(current.version) !== ifMatch) {
      throw new ConflictError(`Batch '${batch.id}' was changed by another writer.`);
    }
    // The same rules as the Cosmos adapter, whose live-batch lock depends on them.
    if (batch.labelerId !== current.labeler_id) {
      throw new Error(`Batch '${batch.id}' belongs to '${current.labeler_id}'; its labeler cannot change.`);
    }
    if (batch.state === 'live' && current.state !== 'live') {
      throw new Error(`Batch '${batch.id}' is ${current.state}; a batch that left 'live' cannot return to it.`);
    }
    // The version condition still guards the write (another connection to the file may have written since the read).
    const changes = this.#s.replaceBatch.run(
      batch.state,
      JSON.stringify(batch),
      batch.projectId,
      batch.id,
      current.version,
    ).changes;
    if (changes !== 1) throw new ConflictError(`Batch '${batch.id}' was changed by another writer.`);
    return { value: batch, etag: String(current.version + 1) };
  }

  async countLiveBatches(projectId: string): Promise<number> {
    return this.#s.countLive.get(projectId)?.n ?? 0;
  }

  async insertTrainingRun(run: TrainingRun): Promise<{ created: boolean; run: TrainingRun }> {
    const created = this.#s.insertRun.run(run.projectId, run.id, JSON.stringify(run)).changes === 1;
    const stored = JSON.parse(this.#s.getRun.get(run.projectId, run.id)!.doc) as TrainingRun;
    return { created, run: stored };
  }

  async listTrainingRuns(projectId: string): Promise<TrainingRun[]> {
    return this.#s.listRuns.all(projectId).map((r) => JSON.parse(r.doc) as TrainingRun);
  }
}
