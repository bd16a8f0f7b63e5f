import type Database from 'better-sqlite3';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import { ConflictError, type Inserted, type TrainingRunRepository, type Versioned } from '../../shared/ports/store';
import { parseDocs, versioned, type VersionedRow } from './sqliteRows';

export class SqliteTrainingRuns implements TrainingRunRepository {
  readonly #s;

  constructor(db: Database.Database) {
    this.#s = {
      insert: db.prepare('INSERT OR IGNORE INTO training_runs (project_id, id, version, doc) VALUES (?, ?, 1, ?)'),
      get: db.prepare<[string, string], VersionedRow>(
        'SELECT version, doc FROM training_runs WHERE project_id = ? AND id = ?',
      ),
      list: db.prepare<[string], { doc: string }>('SELECT doc FROM training_runs WHERE project_id = ? ORDER BY id'),
      replace: db.prepare(
        'UPDATE training_runs SET version = version + 1, doc = ? WHERE project_id = ? AND id = ? AND version = ?',
      ),
    };
  }

  async insert(run: TrainingRun): Promise<Inserted<TrainingRun>> {
    const created = this.#s.insert.run(run.projectId, run.id, JSON.stringify(run)).changes === 1;
    return { created, stored: (await this.get(run.projectId, run.id))! };
  }

  async get(projectId: string, runId: string): Promise<Versioned<TrainingRun> | undefined> {
    const row = this.#s.get.get(projectId, runId);
    return row ? versioned<TrainingRun>(row) : undefined;
  }

  async list(projectId: string): Promise<TrainingRun[]> {
    return parseDocs<TrainingRun>(this.#s.list.all(projectId));
  }

  async replace(run: TrainingRun, ifMatch: string): Promise<Versioned<TrainingRun>> {
    const changed = this.#s.replace.run(JSON.stringify(run), run.projectId, run.id, Number(ifMatch)).changes;
    if (changed !== 1) throw new ConflictError(`Training run '${run.id}' was changed by another writer.`);
    return { value: run, etag: String(Number(ifMatch) + 1) };
  }
}
