import type Database from 'better-sqlite3';
import { openDatabase } from './openDatabase';
import {
  applyDelta,
  counterDelta,
  emptyCounters,
  type CounterDelta,
  type ProjectCounters,
} from '../../shared/domain/counters';
import type { Project } from '../../shared/domain/project';
import type { Task } from '../../shared/domain/task';
import {
  ConflictError,
  type ClaimRequest,
  type LabelStore,
  type MutationResult,
  type TaskMutation,
  type TaskPage,
  type TaskQuery,
  type Versioned,
} from '../../shared/ports/labelStore';

const schema = `
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
CREATE INDEX IF NOT EXISTS ix_tasks_confidence ON tasks (project_id, state, confidence);
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
`;

interface QueuedMutation {
  projectId: string;
  taskId: string;
  mutation: TaskMutation;
  resolve: (result: MutationResult) => void;
  reject: (error: unknown) => void;
}

interface TaskRow {
  version: number;
  doc: string;
}

/** Who a task belongs to for the "labeled by" filter: the assignee, the labeler or the skipper. */
function labelerOf(t: Task): string | null {
  return t.assignment?.labelerId ?? t.annotation?.by ?? t.skip?.by ?? null;
}

function encodeToken(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeToken(token: string | undefined): string {
  if (!token) return '';
  return Buffer.from(token, 'base64url').toString('utf8');
}

/**
 * The embedded label store: one SQLite file (WAL) in the data directory. Every mutation and its counter update are
 * one transaction; better-sqlite3 is synchronous, so a transaction is also atomic with respect to this process's
 * other requests, which makes claims trivially race-free. Read–decide–write transactions start IMMEDIATE: another
 * process on the same file (a CLI, a test) then waits on busy_timeout instead of failing the upgrade from read to
 * write with SQLITE_BUSY_SNAPSHOT.
 */
export class SqliteLabelStore implements LabelStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #s;

  constructor(file: string) {
    this.#db = openDatabase(file, schema);
    const db = this.#db;
    this.#s = {
      getProject: db.prepare<[string], { version: number; doc: string }>(
        'SELECT version, doc FROM projects WHERE id = ?',
      ),
      insertProject: db.prepare('INSERT OR IGNORE INTO projects (id, version, doc) VALUES (?, 1, ?)'),
      replaceProject: db.prepare('UPDATE projects SET version = version + 1, doc = ? WHERE id = ? AND version = ?'),
      listProjects: db.prepare<[], { doc: string }>('SELECT doc FROM projects ORDER BY id'),
      getTask: db.prepare<[string, string], TaskRow>('SELECT version, doc FROM tasks WHERE project_id = ? AND id = ?'),
      insertTask: db.prepare(`INSERT INTO tasks (project_id, id, version, state, shuffle_key, confidence, labeler, doc)
        VALUES (@projectId, @id, 1, @state, @shuffleKey, @confidence, @labeler, @doc)`),
      updateTask: db.prepare(`UPDATE tasks SET version = version + 1, state = @state, shuffle_key = @shuffleKey,
        confidence = @confidence, labeler = @labeler, doc = @doc
        WHERE project_id = @projectId AND id = @id AND version = @version`),
      bumpCounter: db.prepare(`INSERT INTO counters (project_id, name, value) VALUES (?, ?, ?)
        ON CONFLICT (project_id, name) DO UPDATE SET value = value + excluded.value`),
      counters: db.prepare<[string], { name: string; value: number }>(
        'SELECT name, value FROM counters WHERE project_id = ?',
      ),
      claimNew: db.prepare<[string, number], TaskRow & { id: string }>(
        `SELECT id, version, doc FROM tasks WHERE project_id = ? AND state = 'new' ORDER BY shuffle_key LIMIT ?`,
      ),
      claimPrelabeled: db.prepare<[string, number], TaskRow & { id: string }>(
        `SELECT id, version, doc FROM tasks WHERE project_id = ? AND state = 'prelabeled'
         ORDER BY confidence, id LIMIT ?`,
      ),
      claimNewByConfidence: db.prepare<[string, number], TaskRow & { id: string }>(
        `SELECT id, version, doc FROM tasks WHERE project_id = ? AND state = 'new'
         ORDER BY confidence IS NULL, confidence, shuffle_key LIMIT ?`,
      ),
    };
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  // ---------------------------------------------------------------- projects

  async insertProject(project: Project): Promise<{ created: boolean; project: Versioned<Project> }> {
    const created = this.#s.insertProject.run(project.id, JSON.stringify(project)).changes === 1;
    return { created, project: (await this.getProject(project.id))! };
  }

  async getProject(id: string): Promise<Versioned<Project> | undefined> {
    const row = this.#s.getProject.get(id);
    return row ? { value: JSON.parse(row.doc) as Project, etag: String(row.version) } : undefined;
  }

  async listProjects(): Promise<Project[]> {
    return this.#s.listProjects.all().map((r) => JSON.parse(r.doc) as Project);
  }

  async replaceProject(project: Project, ifMatch: string): Promise<Versioned<Project>> {
    const changed = this.#s.replaceProject.run(JSON.stringify(project), project.id, Number(ifMatch)).changes;
    if (changed !== 1) throw new ConflictError(`Project '${project.id}' was changed by another writer.`);
    return { value: project, etag: String(Number(ifMatch) + 1) };
  }

  // ---------------------------------------------------------------- tasks

  async getTask(projectId: string, taskId: string): Promise<Versioned<Task> | undefined> {
    const row = this.#s.getTask.get(projectId, taskId);
    return row ? { value: JSON.parse(row.doc) as Task, etag: String(row.version) } : undefined;
  }

  /**
   * Group commit: single-task mutations that arrive in the same event-loop turn (concurrent Event Grid deliveries,
   * HTTP requests) share one transaction, each in its own savepoint so a failure rolls back only that mutation.
   * A commit per mutation made the commit itself the largest cost of ingesting an event (bench/ingest.mjs); the
   * promise still settles only after the commit.
   */
  async mutateTask(projectId: string, taskId: string, mutation: TaskMutation): Promise<MutationResult> {
    return new Promise((resolve, reject) => {
      if (this.#queued.length === 0) setImmediate(() => this.#commitQueued());
      this.#queued.push({ projectId, taskId, mutation, resolve, reject });
    });
  }

  #queued: QueuedMutation[] = [];

  #commitQueued(): void {
    const batch = this.#queued;
    this.#queued = [];
    const settled: Array<{ ok: true; result: MutationResult } | { ok: false; error: unknown }> = [];
    try {
      this.#db
        .transaction(() => {
          for (const q of batch) {
            try {
              settled.push({ ok: true, result: this.#mutateInSavepoint(q) });
            } catch (error) {
              settled.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const q of batch) q.reject(error);
      return;
    }
    batch.forEach((q, i) => {
      const outcome = settled[i]!;
      if (outcome.ok) q.resolve(outcome.result);
      else q.reject(outcome.error);
    });
  }

  /** A transaction started inside another one is a savepoint in better-sqlite3. */
  readonly #mutateInSavepoint = (q: QueuedMutation): MutationResult =>
    this.#db.transaction(() => this.#mutate(q.projectId, q.taskId, q.mutation))();

  async mutateTasks(
    projectId: string,
    items: Array<{ taskId: string; mutation: TaskMutation }>,
  ): Promise<MutationResult[]> {
    return this.#db.transaction(() => items.map((i) => this.#mutate(projectId, i.taskId, i.mutation))).immediate();
  }

  /** Runs inside a transaction: the read and the write cannot interleave with another writer here. */
  #mutate(projectId: string, taskId: string, mutation: TaskMutation): MutationResult {
    const row = this.#s.getTask.get(projectId, taskId);
    const existing = row ? (JSON.parse(row.doc) as Task) : undefined;
    const decision = mutation(existing);
    if (decision.kind === 'ignore') return { taskId, outcome: 'ignored', reason: decision.reason };
    const task = decision.task;
    if (task.id !== taskId || task.projectId !== projectId) {
      throw new Error(`A mutation of task ${projectId}/${taskId} returned task ${task.projectId}/${task.id}.`);
    }
    this.#writeTask(task, row?.version);
    this.#bump(projectId, counterDelta(existing, task));
    return { taskId, outcome: 'written', task };
  }

  #writeTask(task: Task, version: number | undefined): void {
    const params = {
      projectId: task.projectId,
      id: task.id,
      state: task.state,
      shuffleKey: task.shuffleKey,
      confidence: task.prelabel?.confidence ?? null,
      labeler: labelerOf(task),
      doc: JSON.stringify(task),
      version: version ?? 0,
    };
    if (version === undefined) this.#s.insertTask.run(params);
    else if (this.#s.updateTask.run(params).changes !== 1) throw new ConflictError();
  }

  #bump(projectId: string, delta: CounterDelta): void {
    for (const [name, n] of Object.entries(delta)) this.#s.bumpCounter.run(projectId, name, n);
  }

  async listTasks(projectId: string, query: TaskQuery): Promise<TaskPage> {
    const where = ['project_id = ?', 'id > ?'];
    const args: unknown[] = [projectId, decodeToken(query.continuationToken)];
    if (query.state) {
      where.push('state = ?');
      args.push(query.state);
    }
    if (query.labeler) {
      where.push('labeler = ?');
      args.push(query.labeler);
    }
    // SQLite's planner prefers the primary key for `ORDER BY id`, which walks every task of the project; a labeler
    // filter is far more selective, so name the index that seeks straight to that labeler's tasks.
    const index = query.labeler
      ? query.state
        ? 'INDEXED BY ix_tasks_by_labeler_state'
        : 'INDEXED BY ix_tasks_by_labeler'
      : '';
    const rows = this.#db
      .prepare(`SELECT doc FROM tasks ${index} WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`)
      .all(...args, query.limit + 1) as Array<{ doc: string }>;
    const items = rows.slice(0, query.limit).map((r) => JSON.parse(r.doc) as Task);
    return {
      items,
      continuationToken: rows.length > query.limit ? encodeToken(items[items.length - 1]!.id) : undefined,
    };
  }

  async getCounters(projectId: string): Promise<ProjectCounters> {
    const delta: CounterDelta = {};
    for (const r of this.#s.counters.all(projectId)) delta[r.name] = r.value;
    return applyDelta(emptyCounters(), delta);
  }

  async claimTasks(projectId: string, request: ClaimRequest): Promise<Task[]> {
    return this.#db
      .transaction(() => {
        const rows = this.#s.claimPrelabeled.all(projectId, request.max);
        if (rows.length < request.max) {
          const byOrder = request.order === 'leastConfidentFirst' ? this.#s.claimNewByConfidence : this.#s.claimNew;
          rows.push(...byOrder.all(projectId, request.max - rows.length));
        }
        const now = new Date().toISOString();
        // One counter update per claim, not per task: a 75-task claim holds the write lock noticeably shorter.
        const total: CounterDelta = {};
        const claimed = rows.map((row) => {
          const before = JSON.parse(row.doc) as Task;
          const after: Task = { ...before, state: 'assigned', assignment: request.assignment, updatedAt: now };
          this.#writeTask(after, row.version);
          for (const [name, n] of Object.entries(counterDelta(before, after))) total[name] = (total[name] ?? 0) + n;
          return after;
        });
        this.#bump(projectId, total);
        return claimed;
      })
      .immediate();
  }
}
