import Database from 'better-sqlite3';
import {
  addDelta,
  applyDelta,
  counterDelta,
  counterDrift,
  emptyCounters,
  taskContribution,
  type CounterDelta,
  type ProjectCounters,
} from '../../shared/domain/counters';
import { claimTask } from '../../shared/domain/labeling';
import { nextTurn } from '../../shared/util/eventLoopTurns';
import { labelerOf, queueConfidence, type Task } from '../../shared/domain/task';
import {
  ConflictError,
  type ClaimRequest,
  type CounterRead,
  type MutationResult,
  type Page,
  type Recount,
  type TaskMutation,
  type TaskQuery,
  type TaskRepository,
  type Versioned,
} from '../../shared/ports/store';
import { decodeToken, encodeToken } from '../store/pageTokens';
import { versioned, type VersionedRow } from './sqliteRows';
import { unscoredConfidence } from './sqliteSchema';
import { counterNameRanges, rangesQuery, type NameRange } from './counterRanges';

/**
 * Done tasks read per recount chunk, between yields to the event loop. Each costs about 50 µs (reading and parsing its
 * annotation), so a chunk holds requests up for ~12 ms; 2,000 held them up for ~100 ms, seen as the dashboard's and
 * the labelers' tail latency while the reconcile timer recounted a COCO-sized project.
 */
const recountChunk = 250;

/**
 * Tasks claimed per transaction (3–7 ms of work each, idle to under load; see `claim`). 10 was tried: the dashboard's
 * tail at a shift's start barely moved (the batch view's reads were the larger slice), while every yield is one more
 * wait for a turn, and at saturation allocations took 2–4× longer (p50 53–88 → 208–255 ms, `bench:labeling`).
 */
const claimChunk = 25;
/** More names written since the last counters read than this, and the next read reads everything again. */
const maxPatchedNames = 256;

/** A project's last counters answer (see `counterValues`). */
interface CachedCounters {
  ranges: string;
  nameRanges: NameRange[] | undefined;
  dataVersion: number;
  values: Readonly<CounterDelta>;
  /** Names this connection wrote since `values` was read; undefined when too many to patch. */
  changed: Set<string> | undefined;
}

interface QueuedMutation {
  projectId: string;
  taskId: string;
  mutation: TaskMutation;
  resolve: (result: MutationResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Tasks and their counters. Every mutation and its counter update are one transaction; better-sqlite3 is
 * synchronous, so a transaction is also atomic with respect to this process's other requests, which makes claims
 * race-free. Read–decide–write transactions start IMMEDIATE: another process on the same file (a CLI, a test) then
 * waits on busy_timeout instead of failing the upgrade from read to write with SQLITE_BUSY_SNAPSHOT.
 */
export class SqliteTasks implements TaskRepository {
  readonly #db: Database.Database;
  readonly #s;
  /** Counter reads by shape (prefixes, window): a handful of statements, prepared once. */
  readonly #counterReads = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      get: db.prepare<[string, string], VersionedRow>('SELECT version, doc FROM tasks WHERE project_id = ? AND id = ?'),
      insert: db.prepare(`INSERT INTO tasks (project_id, id, version, state, shuffle_key, confidence, labeler, doc)
        VALUES (@projectId, @id, 1, @state, @shuffleKey, @confidence, @labeler, @doc)`),
      update: db.prepare(`UPDATE tasks SET version = version + 1, state = @state, shuffle_key = @shuffleKey,
        confidence = @confidence, labeler = @labeler, doc = @doc
        WHERE project_id = @projectId AND id = @id AND version = @version`),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      counterValue: db
        .prepare<[string, string], number>('SELECT value FROM counters WHERE project_id = ? AND name = ?')
        .pluck(),
      bumpCounter: db.prepare(`INSERT INTO counters (project_id, name, value) VALUES (?, ?, ?)
        ON CONFLICT (project_id, name) DO UPDATE SET value = value + excluded.value`),
      // The hot paths (every batch request, the training trigger) read only these, not the per-hour series.
      // Two SELECTs, not an OR of the two: an OR makes SQLite walk every counter of the project (counterRanges.ts).
      projectCounters: db.prepare<[{ projectId: string }], { name: string; value: number }>(
        `SELECT name, value FROM counters WHERE project_id = @projectId AND name >= 'byState.' AND name < 'byState/'
         UNION ALL SELECT name, value FROM counters WHERE project_id = @projectId AND name = 'labeledReviewed'`,
      ),
      claimNew: db.prepare<[string, number], VersionedRow & { id: string }>(
        `SELECT id, version, doc FROM tasks WHERE project_id = ? AND state = 'new' ORDER BY shuffle_key LIMIT ?`,
      ),
      claimPrelabeled: db.prepare<[string, number], VersionedRow & { id: string }>(
        `SELECT id, version, doc FROM tasks WHERE project_id = ? AND state = 'prelabeled'
         ORDER BY confidence, shuffle_key LIMIT ?`,
      ),
      claimNewByConfidence: db.prepare<[string, number], VersionedRow & { id: string }>(
        `SELECT id, version, doc FROM tasks WHERE project_id = ? AND state = 'new'
         ORDER BY confidence, shuffle_key LIMIT ?`,
      ),
    };
  }

  async get(projectId: string, taskId: string): Promise<Versioned<Task> | undefined> {
    const row = this.#s.get.get(projectId, taskId);
    return row ? versioned<Task>(row) : undefined;
  }

  /**
   * Group commit: single-task mutations that arrive in the same event-loop turn (concurrent Event Grid deliveries,
   * HTTP requests) share one transaction, each in its own savepoint so a failure rolls back only that mutation.
   * A commit per mutation made the commit itself the largest cost of ingesting an event (bench/ingest.mjs); the
   * promise still settles only after the commit.
   */
  async mutate(projectId: string, taskId: string, mutation: TaskMutation): Promise<MutationResult> {
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

  async mutateMany(
    projectId: string,
    items: Array<{ taskId: string; mutation: TaskMutation }>,
  ): Promise<MutationResult[]> {
    return this.#db.transaction(() => items.map((i) => this.#mutate(projectId, i.taskId, i.mutation))).immediate();
  }

  /** Runs inside a transaction: the read and the write cannot interleave with another writer here. */
  #mutate(projectId: string, taskId: string, mutation: TaskMutation): MutationResult {
    const row = this.#s.get.get(projectId, taskId);
    const existing = row ? (JSON.parse(row.doc) as Task) : undefined;
    const decision = mutation(existing);
    if (decision.kind === 'ignore') return { taskId, outcome: 'ignored', reason: decision.reason };
    const task = decision.task;
    if (task.id !== taskId || task.projectId !== projectId) {
      throw new Error(`A mutation of task ${projectId}/${taskId} returned task ${task.projectId}/${task.id}.`);
    }
    this.#write(task, row?.version);
    this.#bump(projectId, counterDelta(existing, task));
    return { taskId, outcome: 'written', task };
  }

  #write(task: Task, version: number | undefined): void {
    const params = {
      projectId: task.projectId,
      id: task.id,
      state: task.state,
      shuffleKey: task.shuffleKey,
      confidence: queueConfidence(task) ?? unscoredConfidence,
      labeler: labelerOf(task),
      doc: JSON.stringify(task),
      version: version ?? 0,
    };
    if (version === undefined) this.#s.insert.run(params);
    else if (this.#s.update.run(params).changes !== 1) throw new ConflictError();
  }

  #bump(projectId: string, delta: CounterDelta): void {
    const cached = this.#counterCache.get(projectId);
    for (const [name, n] of Object.entries(delta)) {
      this.#s.bumpCounter.run(projectId, name, n);
      cached?.changed?.add(name);
    }
    if (cached?.changed && cached.changed.size > maxPatchedNames) cached.changed = undefined;
  }

  async list(projectId: string, query: TaskQuery): Promise<Page<Task>> {
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

  async counters(projectId: string): Promise<ProjectCounters> {
    return this.#readCounters(projectId);
  }

  #readCounters(projectId: string): ProjectCounters {
    const delta: CounterDelta = {};
    for (const r of this.#s.projectCounters.all({ projectId })) delta[r.name] = r.value;
    return applyDelta(emptyCounters(), delta);
  }

  /**
   * The last read of each project's counters, kept up to date cheaply while nothing else could have changed them:
   * this connection notes the names of every counter it writes (also in a transaction later rolled back: re-reading
   * such a name gives its committed value, so the note is harmless), and `PRAGMA data_version` changes when any
   * other connection commits. With no name noted, the last answer is returned; after this connection's writes only
   * the names they touched are read again (a submission touches ~15 of the dashboard's ~1,200 counters: 1.5–2 ms for
   * the whole read); after another connection's commit, or more than `maxPatchedNames` names, everything.
   */
  readonly #counterCache = new Map<string, CachedCounters>();

  async counterValues(projectId: string, read: CounterRead = {}): Promise<Readonly<CounterDelta>> {
    const ranges = counterNameRanges(read);
    if (ranges?.length === 0) return {};
    const key = JSON.stringify(ranges ?? null);
    const dataVersion = this.#s.dataVersion.get() as number;
    // Inside a transaction a read may see writes that are then rolled back: never cache those.
    const cacheable = !this.#db.inTransaction;
    const cached = this.#counterCache.get(projectId);
    if (cacheable && cached?.ranges === key && cached.dataVersion === dataVersion) {
      const patched = cached.changed && (cached.changed.size === 0 ? cached.values : this.#patched(projectId, cached));
      if (patched) return patched;
    }
    const query = rangesQuery(ranges ?? [{ from: '' }]);
    let statement = this.#counterReads.get(query.sql);
    if (!statement) this.#counterReads.set(query.sql, (statement = this.#db.prepare(query.sql)));
    const values: CounterDelta = {};
    for (const r of statement.all(query.params(projectId)) as Array<{ name: string; value: number }>) {
      if (r.value !== 0) values[r.name] = r.value;
    }
    if (!cacheable) return values;
    // Shared by every caller until the next change, so read-only.
    Object.freeze(values);
    this.#counterCache.set(projectId, {
      ranges: key,
      nameRanges: ranges,
      dataVersion,
      values,
      changed: new Set(),
    });
    return values;
  }

  /**
   * The cached answer with the names this connection wrote since read again (a new frozen object: callers keep
   * theirs); undefined when another connection committed meanwhile (the caller then reads everything). The re-reads
   * share one read transaction, checked against `data_version` once its snapshot is taken, so the answer is one
   * state of the file, as a full read (one statement) is. Names compare in JavaScript's order, which is SQLite's
   * binary order for these names (ASCII: segments are percent-encoded).
   */
  #patched(projectId: string, cached: CachedCounters): Readonly<CounterDelta> | undefined {
    const ranges = cached.nameRanges;
    const names = [...cached.changed!].filter(
      (name) => !ranges || ranges.some((r) => name >= r.from && (r.to === undefined || name < r.to)),
    );
    if (names.length > 0) {
      const reread = this.#db.transaction(() => {
        const read = names.map((name) => (this.#s.counterValue.get(projectId, name) as number | undefined) ?? 0);
        return this.#s.dataVersion.get() === cached.dataVersion ? read : undefined;
      })();
      if (!reread) return undefined;
      const values: CounterDelta = { ...cached.values };
      names.forEach((name, i) => {
        if (reread[i] !== 0) values[name] = reread[i]!;
        else delete values[name];
      });
      cached.values = Object.freeze(values);
    }
    cached.changed = new Set();
    return cached.values;
  }

  /**
   * Rebuilds the counters from the tasks without holding up the process: the scan reads a snapshot (its own
   * read-only connection in one read transaction, WAL keeps it stable while writers go on) in chunks, yielding to
   * the event loop between them, so labelers' requests keep flowing while 100K labeled tasks are recounted. Every
   * write changes a task and its counters in one transaction, so the drift found in the snapshot (its tasks'
   * counters minus its stored counters) is still the drift now, and adding it repairs the live counters exactly.
   */
  async recountCounters(projectId: string): Promise<Recount> {
    const reader = this.#db.memory ? this.#db : new Database(this.#db.name, { readonly: true, fileMustExist: true });
    let drift: CounterDelta;
    try {
      if (reader !== this.#db) reader.pragma('busy_timeout = 5000');
      drift = await this.#snapshotDrift(reader, projectId);
    } finally {
      if (reader !== this.#db) reader.close();
    }
    this.#db.transaction(() => this.#bump(projectId, drift)).immediate();
    return { counters: this.#readCounters(projectId), drift };
  }

  async #snapshotDrift(reader: Database.Database, projectId: string): Promise<CounterDelta> {
    const storedRows = reader.prepare<[string], { name: string; value: number }>(
      'SELECT name, value FROM counters WHERE project_id = ?',
    );
    const byState = reader.prepare<[string], { state: Task['state']; n: number }>(
      `SELECT state, count(*) AS n FROM tasks WHERE project_id = ? AND state NOT IN ('labeled', 'skipped')
       GROUP BY state`,
    );
    // Only what taskContribution reads of a done task: its annotation or skip, not the whole document.
    const doneChunk = reader.prepare<
      [string, string, number],
      { id: string; state: Task['state']; annotation: string | null; skip: string | null }
    >(
      `SELECT id, state, json_extract(doc, '$.annotation') AS annotation, json_extract(doc, '$.skip') AS skip
       FROM tasks WHERE project_id = ? AND id > ? AND state IN ('labeled', 'skipped') ORDER BY id LIMIT ?`,
    );
    const inMemory = reader === this.#db;
    // An in-memory database has one connection: one synchronous transaction is its snapshot.
    reader.exec(inMemory ? 'BEGIN IMMEDIATE' : 'BEGIN');
    try {
      const stored: CounterDelta = {};
      for (const r of storedRows.all(projectId)) if (r.value !== 0) stored[r.name] = r.value;
      const total: CounterDelta = {};
      for (const row of byState.all(projectId)) addDelta(total, { [`byState.${row.state}`]: row.n });
      for (let after = ''; ;) {
        const rows = doneChunk.all(projectId, after, recountChunk);
        for (const row of rows) {
          const done = {
            state: row.state,
            annotation: row.annotation ? JSON.parse(row.annotation) : undefined,
            skip: row.skip ? JSON.parse(row.skip) : undefined,
          };
          addDelta(total, taskContribution(done as Task));
        }
        if (rows.length < recountChunk) break;
        after = rows[rows.length - 1]!.id;
        if (!inMemory) await nextTurn();
      }
      return counterDrift(stored, total);
    } finally {
      reader.exec('COMMIT');
    }
  }

  /**
   * Claims in transactions of `claimChunk` tasks with a turn of the event loop between them: a 75-task claim is
   * 8–20 ms of synchronous work (idle to under load), and when a shift starts twenty labelers ask at once, which
   * held every other request (a submission, the dashboard) up behind hundreds of milliseconds of claims. Each task still moves once, in its transaction; an
   * allocation cut short is finished by its re-run, which adopts what this one claimed (BatchService.allocate).
   */
  async claim(projectId: string, request: ClaimRequest): Promise<Task[]> {
    const claimed: Task[] = [];
    while (claimed.length < request.max) {
      const want = Math.min(claimChunk, request.max - claimed.length);
      const { tasks, exhausted } = this.#claimChunk(projectId, request, want);
      claimed.push(...tasks);
      // Nothing movable in a full chunk would be selected again: stop rather than spin.
      if (exhausted || tasks.length === 0) break;
      if (claimed.length < request.max && !this.#db.memory) await nextTurn();
    }
    return claimed;
  }

  #claimChunk(projectId: string, request: ClaimRequest, max: number): { tasks: Task[]; exhausted: boolean } {
    return this.#db
      .transaction(() => {
        const rows = this.#s.claimPrelabeled.all(projectId, max);
        if (rows.length < max) {
          const byOrder = request.order === 'leastConfidentFirst' ? this.#s.claimNewByConfidence : this.#s.claimNew;
          rows.push(...byOrder.all(projectId, max - rows.length));
        }
        // One counter update per chunk, not per task: the write lock is held noticeably shorter.
        const total: CounterDelta = {};
        const tasks: Task[] = [];
        for (const row of rows) {
          const before = JSON.parse(row.doc) as Task;
          const after = claimTask(before, request.assignment, request.now);
          if (!after) continue;
          this.#write(after, row.version);
          addDelta(total, counterDelta(before, after));
          tasks.push(after);
        }
        this.#bump(projectId, total);
        return { tasks, exhausted: rows.length < max };
      })
      .immediate();
  }
}
