import Database from 'better-sqlite3';

/** What the bridge remembers of a blob between passes (and restarts). */
export interface KnownBlob {
  etag: string;
  creationTime: string;
  contentLength: number;
  contentType: string;
  blobType: string;
  propsHash: string;
}

export type Snapshot = Map<string, Map<string, KnownBlob>>;

/** One event waiting for delivery to one subscription. */
export interface OutboxRow {
  seq: number;
  subscription: string;
  event: string;
  publishedAt: number;
  attempts: number;
  dueAt: number;
  lastOutcome: string | null;
  lastStatus: number | null;
  lastAttemptAt: number | null;
  /** Set once the event is given up on: the row then only waits for its dead-letter blob to be written. */
  deadLetterReason: string | null;
}

export interface PassCommit {
  upserts: Array<{ container: string; name: string; blob: KnownBlob }>;
  removals: Array<{ container: string; name: string }>;
  /** Builds the outbox entries; called inside the transaction with a sequencer allocator. */
  outbox: (nextSequencer: () => number) => Array<{ subscription: string; event: string }>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
  container TEXT NOT NULL, name TEXT NOT NULL, etag TEXT NOT NULL, creation_time TEXT NOT NULL,
  content_length INTEGER NOT NULL, content_type TEXT NOT NULL, blob_type TEXT NOT NULL, props_hash TEXT NOT NULL,
  PRIMARY KEY (container, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, subscription TEXT NOT NULL, event TEXT NOT NULL,
  published_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL,
  last_outcome TEXT, last_status INTEGER, last_attempt_at INTEGER, dead_letter_reason TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (due_at, seq);
`;

/**
 * The bridge's durable state in SQLite: the blob snapshot it diffs against and the outbox of undelivered events.
 * A pass writes both in one transaction, so a crash either keeps a change's events or re-detects the change.
 */
export class BridgeStore {
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(file: string) {
    this.#db = new Database(file);
    // WAL + NORMAL survives a killed process (not a power cut), at a fraction of the fsync cost.
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    const db = this.#db;
    this.#stmts = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      allBlobs: db.prepare('SELECT * FROM blobs'),
      upsertBlob: db.prepare(
        'INSERT INTO blobs VALUES (@container, @name, @etag, @creationTime, @contentLength, @contentType, ' +
          '@blobType, @propsHash) ' +
          'ON CONFLICT(container, name) DO UPDATE SET etag = excluded.etag, creation_time = excluded.creation_time, ' +
          'content_length = excluded.content_length, content_type = excluded.content_type, ' +
          'blob_type = excluded.blob_type, props_hash = excluded.props_hash',
      ),
      removeBlob: db.prepare('DELETE FROM blobs WHERE container = ? AND name = ?'),
      enqueue: db.prepare('INSERT INTO outbox (subscription, event, published_at, due_at) VALUES (?, ?, ?, ?)'),
      due: db.prepare('SELECT * FROM outbox WHERE due_at <= ? ORDER BY due_at, seq LIMIT ?'),
      nextDue: db.prepare<[], { due: number | null }>('SELECT MIN(due_at) AS due FROM outbox'),
      reschedule: db.prepare(
        'UPDATE outbox SET attempts = @attempts, due_at = @dueAt, last_outcome = @lastOutcome, ' +
          'last_status = @lastStatus, last_attempt_at = @lastAttemptAt, dead_letter_reason = @deadLetterReason ' +
          'WHERE seq = @seq',
      ),
      remove: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      pendingCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox'),
    };
  }

  /** True once the first pass has recorded what already existed (that pass publishes nothing). */
  get baselineTaken(): boolean {
    return this.#stmts.getMeta.get('baseline') !== undefined;
  }

  markBaselineTaken(): void {
    this.#stmts.setMeta.run('baseline', new Date().toISOString());
  }

  loadSnapshot(): Snapshot {
    const snapshot: Snapshot = new Map();
    for (const row of this.#stmts.allBlobs.iterate() as Iterable<Record<string, string | number>>) {
      const container = row.container as string;
      let blobs = snapshot.get(container);
      if (!blobs) snapshot.set(container, (blobs = new Map()));
      blobs.set(row.name as string, {
        etag: row.etag as string,
        creationTime: row.creation_time as string,
        contentLength: row.content_length as number,
        contentType: row.content_type as string,
        blobType: row.blob_type as string,
        propsHash: row.props_hash as string,
      });
    }
    return snapshot;
  }

  /** Records a pass's snapshot changes and their events atomically; returns how many events were queued. */
  commitPass(commit: PassCommit, now: number): number {
    return this.#db.transaction(() => {
      for (const { container, name, blob } of commit.upserts) this.#stmts.upsertBlob.run({ container, name, ...blob });
      for (const { container, name } of commit.removals) this.#stmts.removeBlob.run(container, name);
      let counter = Number(this.#stmts.getMeta.get('sequencer')?.value ?? 0);
      const entries = commit.outbox(() => ++counter);
      this.#stmts.setMeta.run('sequencer', String(counter));
      for (const entry of entries) this.#stmts.enqueue.run(entry.subscription, entry.event, now, now);
      return entries.length;
    })();
  }

  dueDeliveries(now: number, limit: number): OutboxRow[] {
    return (this.#stmts.due.all(now, limit) as Array<Record<string, unknown>>).map((r) => ({
      seq: r.seq as number,
      subscription: r.subscription as string,
      event: r.event as string,
      publishedAt: r.published_at as number,
      attempts: r.attempts as number,
      dueAt: r.due_at as number,
      lastOutcome: r.last_outcome as string | null,
      lastStatus: r.last_status as number | null,
      lastAttemptAt: r.last_attempt_at as number | null,
      deadLetterReason: r.dead_letter_reason as string | null,
    }));
  }

  nextDueAt(): number | undefined {
    return this.#stmts.nextDue.get()?.due ?? undefined;
  }

  reschedule(row: OutboxRow): void {
    const { seq, attempts, dueAt, lastOutcome, lastStatus, lastAttemptAt, deadLetterReason } = row;
    this.#stmts.reschedule.run({ seq, attempts, dueAt, lastOutcome, lastStatus, lastAttemptAt, deadLetterReason });
  }

  remove(seq: number): void {
    this.#stmts.remove.run(seq);
  }

  pendingCount(): number {
    return this.#stmts.pendingCount.get()!.n;
  }

  /** Drops queued events of subscriptions that no longer exist (devhost.json changed between runs). */
  dropSubscriptionsExcept(names: string[]): number {
    const placeholders = names.map(() => '?').join(', ');
    const sql = names.length ? `DELETE FROM outbox WHERE subscription NOT IN (${placeholders})` : 'DELETE FROM outbox';
    return this.#db.prepare(sql).run(...names).changes;
  }

  close(): void {
    this.#db.close();
  }
}
