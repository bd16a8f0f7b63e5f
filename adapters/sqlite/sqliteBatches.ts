import type Database from 'better-sqlite3';
import type { Batch } from '../../shared/domain/labelingRecords';
import { ConflictError, type BatchRepository, type Inserted, type Versioned } from '../../shared/ports/store';
import { parseDocs, versioned, type VersionedRow } from './sqliteRows';

export class SqliteBatches implements BatchRepository {
  readonly #s;

  constructor(db: Database.Database) {
    this.#s = {
      // Not `INSERT OR IGNORE`: that would also swallow the live-batch index violation. Only an existing id is ignored.
      insert: db.prepare(
        'INSERT INTO batches (project_id, id, labeler_id, state, version, doc) VALUES (?, ?, ?, ?, 1, ?) ' +
          'ON CONFLICT (project_id, id) DO NOTHING',
      ),
      get: db.prepare<[string, string], VersionedRow>(
        'SELECT version, doc FROM batches WHERE project_id = ? AND id = ?',
      ),
      head: db.prepare<[string, string], { version: number; labeler_id: string; state: string }>(
        'SELECT version, labeler_id, state FROM batches WHERE project_id = ? AND id = ?',
      ),
      live: db.prepare<[string, string], VersionedRow>(
        "SELECT version, doc FROM batches WHERE project_id = ? AND labeler_id = ? AND state = 'live'",
      ),
      listLive: db.prepare<[string], { doc: string }>(
        "SELECT doc FROM batches WHERE project_id = ? AND state = 'live' ORDER BY id",
      ),
      replace: db.prepare(
        'UPDATE batches SET state = ?, version = version + 1, doc = ? WHERE project_id = ? AND id = ? AND version = ?',
      ),
      countLive: db.prepare<[string], { n: number }>(
        "SELECT count(*) AS n FROM batches WHERE project_id = ? AND state = 'live'",
      ),
    };
  }

  async insert(batch: Batch): Promise<Inserted<Batch>> {
    let created: boolean;
    try {
      created =
        this.#s.insert.run(batch.projectId, batch.id, batch.labelerId, batch.state, JSON.stringify(batch)).changes ===
        1;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ConflictError(`Labeler '${batch.labelerId}' already has a live batch in '${batch.projectId}'.`);
      }
      throw err;
    }
    return { created, stored: (await this.get(batch.projectId, batch.id))! };
  }

  async get(projectId: string, batchId: string): Promise<Versioned<Batch> | undefined> {
    const row = this.#s.get.get(projectId, batchId);
    return row ? versioned<Batch>(row) : undefined;
  }

  async getLive(projectId: string, labelerId: string): Promise<Versioned<Batch> | undefined> {
    const row = this.#s.live.get(projectId, labelerId);
    return row ? versioned<Batch>(row) : undefined;
  }

  async listLive(projectId: string): Promise<Batch[]> {
    return parseDocs<Batch>(this.#s.listLive.all(projectId));
  }

  async replace(batch: Batch, ifMatch: string): Promise<Versioned<Batch>> {
    const current = this.#s.head.get(batch.projectId, batch.id);
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
    // The version condition still guards the write (another process on the file may have written since the read).
    const changes = this.#s.replace.run(
      batch.state,
      JSON.stringify(batch),
      batch.projectId,
      batch.id,
      current.version,
    ).changes;
    if (changes !== 1) throw new ConflictError(`Batch '${batch.id}' was changed by another writer.`);
    return { value: batch, etag: String(current.version + 1) };
  }

  async countLive(projectId: string): Promise<number> {
    return this.#s.countLive.get(projectId)?.n ?? 0;
  }
}
