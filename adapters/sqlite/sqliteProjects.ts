import type Database from 'better-sqlite3';
import type { Project } from '../../shared/domain/project';
import { ConflictError, type Inserted, type ProjectRepository, type Versioned } from '../../shared/ports/store';
import { parseDocs, versioned, type VersionedRow } from './sqliteRows';

export class SqliteProjects implements ProjectRepository {
  readonly #s;

  constructor(db: Database.Database) {
    this.#s = {
      get: db.prepare<[string], VersionedRow>('SELECT version, doc FROM projects WHERE id = ?'),
      insert: db.prepare('INSERT OR IGNORE INTO projects (id, version, doc) VALUES (?, 1, ?)'),
      replace: db.prepare('UPDATE projects SET version = version + 1, doc = ? WHERE id = ? AND version = ?'),
      list: db.prepare<[], { doc: string }>('SELECT doc FROM projects ORDER BY id'),
    };
  }

  async insert(project: Project): Promise<Inserted<Project>> {
    const created = this.#s.insert.run(project.id, JSON.stringify(project)).changes === 1;
    return { created, stored: (await this.get(project.id))! };
  }

  async get(id: string): Promise<Versioned<Project> | undefined> {
    const row = this.#s.get.get(id);
    return row ? versioned<Project>(row) : undefined;
  }

  async list(): Promise<Project[]> {
    return parseDocs<Project>(this.#s.list.all());
  }

  async replace(project: Project, ifMatch: string): Promise<Versioned<Project>> {
    const changed = this.#s.replace.run(JSON.stringify(project), project.id, Number(ifMatch)).changes;
    if (changed !== 1) throw new ConflictError(`Project '${project.id}' was changed by another writer.`);
    return { value: project, etag: String(Number(ifMatch) + 1) };
  }
}
