import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { WalCheckpointer } from '../../adapters/sqlite/walCheckpointer';
import type { HistoryEvent } from './historyEvents';
import type { RetryOptions } from './actions';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated';

export interface InstanceRow {
  instanceId: string;
  executionId: string;
  name: string;
  version: string | null;
  runtimeStatus: RuntimeStatus;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  parentInstanceId: string | null;
  parentExecutionId: string | null;
  parentTaskId: number | null;
  /** Next task id of the current execution (the SDK's sequence number, mirrored). */
  nextEventId: number;
  /** Signatures and task ids of the actions recorded so far in this execution, for the determinism check. */
  actions: RecordedAction[];
}

export interface RecordedAction {
  sig: string;
  /** Task id, or -1 for actions that take none. */
  id: number;
}

export type MessageKind = 'start' | 'event' | 'completion' | 'terminate';

export interface MessageRow {
  id: number;
  instanceId: string;
  /** Completions belong to one execution; events and terminations follow the instance. */
  executionId: string | null;
  visibleAt: number;
  kind: MessageKind;
  event: HistoryEvent;
}

export interface NewMessage {
  instanceId: string;
  executionId: string | null;
  visibleAt: number;
  kind: MessageKind;
  event: HistoryEvent;
}

export type WorkItemKind = 'activity';

export interface WorkItemRow {
  id: number;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  input: string;
}

/** A retryable activity or sub-orchestration between attempts (the SDK emits no action for re-attempts). */
export interface RetryRow {
  instanceId: string;
  executionId: string;
  /** Task id of the first attempt: identifies the retryable task. */
  originId: number;
  kind: 'activity' | 'subOrchestration';
  name: string;
  input: string;
  subInstanceId: string | null;
  options: RetryOptions;
  attemptsMade: number;
  /** Id of the attempt currently running, or -1 while waiting on the retry timer. */
  currentTaskId: number;
  /** Id of the retry timer being waited on, or -1. */
  timerId: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY,
  execution_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT,
  runtime_status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  custom_status TEXT,
  created_time TEXT NOT NULL,
  last_updated_time TEXT NOT NULL,
  parent_instance_id TEXT,
  parent_execution_id TEXT,
  parent_task_id INTEGER,
  next_event_id INTEGER NOT NULL DEFAULT 0,
  actions TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS ix_instances_created ON instances (created_time, instance_id);
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  execution_id TEXT NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT,
  visible_at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_messages_instance ON messages (instance_id, id);
CREATE INDEX IF NOT EXISTS ix_messages_visible ON messages (visible_at);
CREATE TABLE IF NOT EXISTS work_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  input TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS retries (
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  origin_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  input TEXT NOT NULL,
  sub_instance_id TEXT,
  options TEXT NOT NULL,
  attempts_made INTEGER NOT NULL,
  current_task_id INTEGER NOT NULL,
  timer_id INTEGER NOT NULL,
  PRIMARY KEY (instance_id, execution_id, origin_id)
) WITHOUT ROWID;
`;

interface InstanceDbRow {
  instance_id: string;
  execution_id: string;
  name: string;
  version: string | null;
  runtime_status: RuntimeStatus;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  created_time: string;
  last_updated_time: string;
  parent_instance_id: string | null;
  parent_execution_id: string | null;
  parent_task_id: number | null;
  next_event_id: number;
  actions: string;
}

function toInstance(r: InstanceDbRow): InstanceRow {
  return {
    instanceId: r.instance_id,
    executionId: r.execution_id,
    name: r.name,
    version: r.version,
    runtimeStatus: r.runtime_status,
    input: r.input,
    output: r.output,
    customStatus: r.custom_status,
    createdTime: r.created_time,
    lastUpdatedTime: r.last_updated_time,
    parentInstanceId: r.parent_instance_id,
    parentExecutionId: r.parent_execution_id,
    parentTaskId: r.parent_task_id,
    nextEventId: r.next_event_id,
    actions: JSON.parse(r.actions) as RecordedAction[],
  };
}

export interface InstanceQuery {
  createdTimeFrom?: string;
  createdTimeTo?: string;
  runtimeStatus?: RuntimeStatus[];
  instanceIdPrefix?: string;
  /** Resume after this (createdTime, instanceId) position. */
  after?: { createdTime: string; instanceId: string };
  top: number;
}

/**
 * The Durable backend's persistent state in one SQLite file (WAL). Every state transition of the engine is one
 * transaction, so a crash at any point leaves either the old or the new state; work items and messages left behind
 * are simply processed again after a restart (at-least-once, as on Azure).
 */
export class DurableStore {
  readonly db: Database.Database;
  readonly #s;
  readonly #checkpointer: WalCheckpointer;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'durable.db');
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(schema);
    // Every orchestration step commits here: its checkpoints must not stall the event loop either.
    this.#checkpointer = WalCheckpointer.start(this.db, file);
    const db = this.db;
    this.#s = {
      getInstance: db.prepare<[string], InstanceDbRow>('SELECT * FROM instances WHERE instance_id = ?'),
      getStatus: db.prepare<[string], { runtime_status: RuntimeStatus }>(
        'SELECT runtime_status FROM instances WHERE instance_id = ?',
      ),
      upsertInstance:
        db.prepare(`INSERT INTO instances (instance_id, execution_id, name, version, runtime_status, input,
          output, custom_status, created_time, last_updated_time, parent_instance_id, parent_execution_id,
          parent_task_id, next_event_id, actions)
        VALUES (@instanceId, @executionId, @name, @version, @runtimeStatus, @input, @output, @customStatus,
          @createdTime, @lastUpdatedTime, @parentInstanceId, @parentExecutionId, @parentTaskId, @nextEventId, @actions)
        ON CONFLICT (instance_id) DO UPDATE SET execution_id = excluded.execution_id, name = excluded.name,
          version = excluded.version, runtime_status = excluded.runtime_status, input = excluded.input,
          output = excluded.output, custom_status = excluded.custom_status, created_time = excluded.created_time,
          last_updated_time = excluded.last_updated_time, parent_instance_id = excluded.parent_instance_id,
          parent_execution_id = excluded.parent_execution_id, parent_task_id = excluded.parent_task_id,
          next_event_id = excluded.next_event_id, actions = excluded.actions`),
      history: db.prepare<[string, string], { event: string }>(
        'SELECT event FROM history WHERE instance_id = ? AND execution_id = ? ORDER BY seq',
      ),
      historyAll: db.prepare<[string], { event: string }>(
        'SELECT event FROM history WHERE instance_id = ? ORDER BY seq',
      ),
      maxSeq: db.prepare<[string], { m: number | null }>('SELECT max(seq) AS m FROM history WHERE instance_id = ?'),
      appendHistory: db.prepare('INSERT INTO history (instance_id, seq, execution_id, event) VALUES (?, ?, ?, ?)'),
      deleteHistory: db.prepare('DELETE FROM history WHERE instance_id = ?'),
      insertMessage: db.prepare(
        'INSERT INTO messages (instance_id, execution_id, visible_at, kind, event) VALUES (?, ?, ?, ?, ?)',
      ),
      readyMessages: db.prepare<
        [string, number, number],
        {
          id: number;
          instance_id: string;
          execution_id: string | null;
          visible_at: number;
          kind: MessageKind;
          event: string;
        }
      >('SELECT * FROM messages WHERE instance_id = ? AND visible_at <= ? ORDER BY id LIMIT ?'),
      deleteMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
      deleteMessagesOf: db.prepare('DELETE FROM messages WHERE instance_id = ?'),
      deleteTimerMessage: db.prepare(
        "DELETE FROM messages WHERE instance_id = ? AND execution_id = ? AND kind = 'completion' AND json_extract(event, '$.TimerId') = ?",
      ),
      readyInstances: db.prepare<[number], { instance_id: string }>(
        'SELECT DISTINCT instance_id FROM messages WHERE visible_at <= ?',
      ),
      nextVisible: db.prepare<[number], { v: number | null }>(
        'SELECT min(visible_at) AS v FROM messages WHERE visible_at > ?',
      ),
      insertWorkItem: db.prepare(
        'INSERT INTO work_items (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteWorkItem: db.prepare('DELETE FROM work_items WHERE id = ?'),
      deleteWorkItemsOf: db.prepare('DELETE FROM work_items WHERE instance_id = ?'),
      allWorkItems: db.prepare<
        [],
        { id: number; instance_id: string; execution_id: string; task_id: number; name: string; input: string }
      >('SELECT * FROM work_items ORDER BY id'),
      retries: db.prepare<[string, string], Record<string, unknown>>(
        'SELECT * FROM retries WHERE instance_id = ? AND execution_id = ?',
      ),
      upsertRetry: db.prepare(`INSERT INTO retries (instance_id, execution_id, origin_id, kind, name, input,
          sub_instance_id, options, attempts_made, current_task_id, timer_id)
        VALUES (@instanceId, @executionId, @originId, @kind, @name, @input, @subInstanceId, @options, @attemptsMade,
          @currentTaskId, @timerId)
        ON CONFLICT (instance_id, execution_id, origin_id) DO UPDATE SET attempts_made = excluded.attempts_made,
          current_task_id = excluded.current_task_id, timer_id = excluded.timer_id`),
      deleteRetry: db.prepare('DELETE FROM retries WHERE instance_id = ? AND execution_id = ? AND origin_id = ?'),
      deleteRetriesOf: db.prepare('DELETE FROM retries WHERE instance_id = ?'),
      deleteInstance: db.prepare('DELETE FROM instances WHERE instance_id = ?'),
    };
  }

  async close(): Promise<void> {
    await this.#checkpointer.stop();
    this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getInstance(instanceId: string): InstanceRow | undefined {
    const row = this.#s.getInstance.get(instanceId);
    return row ? toInstance(row) : undefined;
  }

  /** Cheap status lookup for hot paths (raising events) that must not parse the whole row. */
  getRuntimeStatus(instanceId: string): RuntimeStatus | undefined {
    return this.#s.getStatus.get(instanceId)?.runtime_status;
  }

  saveInstance(i: InstanceRow): void {
    this.#s.upsertInstance.run({ ...i, actions: JSON.stringify(i.actions) });
  }

  deleteInstance(instanceId: string): void {
    this.#s.deleteInstance.run(instanceId);
    this.#s.deleteHistory.run(instanceId);
    this.#s.deleteMessagesOf.run(instanceId);
    this.#s.deleteWorkItemsOf.run(instanceId);
    this.#s.deleteRetriesOf.run(instanceId);
  }

  loadHistory(instanceId: string, executionId?: string): HistoryEvent[] {
    const rows = executionId ? this.#s.history.all(instanceId, executionId) : this.#s.historyAll.all(instanceId);
    return rows.map((r) => JSON.parse(r.event) as HistoryEvent);
  }

  nextHistorySeq(instanceId: string): number {
    return (this.#s.maxSeq.get(instanceId)?.m ?? -1) + 1;
  }

  appendHistory(instanceId: string, executionId: string, seq: number, events: HistoryEvent[]): number {
    for (const e of events) this.#s.appendHistory.run(instanceId, seq++, executionId, JSON.stringify(e));
    return seq;
  }

  clearHistory(instanceId: string): void {
    this.#s.deleteHistory.run(instanceId);
  }

  addMessage(m: NewMessage): void {
    this.#s.insertMessage.run(m.instanceId, m.executionId, m.visibleAt, m.kind, JSON.stringify(m.event));
  }

  readyMessages(instanceId: string, now: number, limit: number): MessageRow[] {
    return this.#s.readyMessages.all(instanceId, now, limit).map((r) => ({
      id: r.id,
      instanceId: r.instance_id,
      executionId: r.execution_id,
      visibleAt: r.visible_at,
      kind: r.kind,
      event: JSON.parse(r.event) as HistoryEvent,
    }));
  }

  deleteMessage(id: number): void {
    this.#s.deleteMessage.run(id);
  }

  deleteTimerMessage(instanceId: string, executionId: string, timerId: number): void {
    this.#s.deleteTimerMessage.run(instanceId, executionId, timerId);
  }

  readyInstances(now: number): string[] {
    return this.#s.readyInstances.all(now).map((r) => r.instance_id);
  }

  nextVisibleAfter(now: number): number | undefined {
    return this.#s.nextVisible.get(now)?.v ?? undefined;
  }

  addWorkItem(instanceId: string, executionId: string, taskId: number, name: string, input: string): number {
    return Number(this.#s.insertWorkItem.run(instanceId, executionId, taskId, name, input).lastInsertRowid);
  }

  deleteWorkItem(id: number): void {
    this.#s.deleteWorkItem.run(id);
  }

  allWorkItems(): WorkItemRow[] {
    return this.#s.allWorkItems.all().map((r) => ({
      id: r.id,
      instanceId: r.instance_id,
      executionId: r.execution_id,
      taskId: r.task_id,
      name: r.name,
      input: r.input,
    }));
  }

  retries(instanceId: string, executionId: string): RetryRow[] {
    return this.#s.retries.all(instanceId, executionId).map((r) => ({
      instanceId: r.instance_id as string,
      executionId: r.execution_id as string,
      originId: r.origin_id as number,
      kind: r.kind as RetryRow['kind'],
      name: r.name as string,
      input: r.input as string,
      subInstanceId: (r.sub_instance_id as string | null) ?? null,
      options: JSON.parse(r.options as string) as RetryOptions,
      attemptsMade: r.attempts_made as number,
      currentTaskId: r.current_task_id as number,
      timerId: r.timer_id as number,
    }));
  }

  saveRetry(r: RetryRow): void {
    this.#s.upsertRetry.run({ ...r, options: JSON.stringify(r.options) });
  }

  deleteRetry(r: RetryRow): void {
    this.#s.deleteRetry.run(r.instanceId, r.executionId, r.originId);
  }

  queryInstances(q: InstanceQuery): InstanceRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.createdTimeFrom) {
      where.push('created_time >= ?');
      args.push(q.createdTimeFrom);
    }
    if (q.createdTimeTo) {
      where.push('created_time <= ?');
      args.push(q.createdTimeTo);
    }
    if (q.runtimeStatus?.length) {
      where.push(`runtime_status IN (${q.runtimeStatus.map(() => '?').join(',')})`);
      args.push(...q.runtimeStatus);
    }
    if (q.instanceIdPrefix) {
      where.push('instance_id >= ? AND instance_id < ?');
      args.push(q.instanceIdPrefix, q.instanceIdPrefix + '\uffff');
    }
    if (q.after) {
      where.push('(created_time > ? OR (created_time = ? AND instance_id > ?))');
      args.push(q.after.createdTime, q.after.createdTime, q.after.instanceId);
    }
    const sql = `SELECT * FROM instances ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY created_time, instance_id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.top) as InstanceDbRow[]).map(toInstance);
  }
}
