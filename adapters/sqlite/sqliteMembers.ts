import type Database from 'better-sqlite3';
import type { Member } from '../../shared/domain/labelingRecords';
import type { MemberRepository } from '../../shared/ports/store';
import { parseDocs } from './sqliteRows';

export class SqliteMembers implements MemberRepository {
  readonly #s;

  constructor(db: Database.Database) {
    this.#s = {
      put: db.prepare(
        'INSERT INTO members (project_id, user_id, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc',
      ),
      delete: db.prepare('DELETE FROM members WHERE project_id = ? AND user_id = ?'),
      get: db.prepare<[string, string], { doc: string }>(
        'SELECT doc FROM members WHERE project_id = ? AND user_id = ?',
      ),
      list: db.prepare<[string], { doc: string }>('SELECT doc FROM members WHERE project_id = ? ORDER BY user_id'),
      listForUser: db.prepare<[string], { doc: string }>(
        'SELECT doc FROM members WHERE user_id = ? ORDER BY project_id',
      ),
    };
  }

  async put(m: Member): Promise<void> {
    this.#s.put.run(m.projectId, m.userId, JSON.stringify(m));
  }

  async delete(projectId: string, userId: string): Promise<boolean> {
    return this.#s.delete.run(projectId, userId).changes === 1;
  }

  async get(projectId: string, userId: string): Promise<Member | undefined> {
    const row = this.#s.get.get(projectId, userId);
    return row ? (JSON.parse(row.doc) as Member) : undefined;
  }

  async list(projectId: string): Promise<Member[]> {
    return parseDocs<Member>(this.#s.list.all(projectId));
  }

  async listForUser(userId: string): Promise<Member[]> {
    return parseDocs<Member>(this.#s.listForUser.all(userId));
  }
}
