import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../workerThreads';
import type { CheckpointWorkerData, FromCheckpointWorker, ToCheckpointWorker } from './walCheckpointWorker';

/**
 * How often the background thread checkpoints. At the labeling pace (tens of commits a second) the WAL then holds
 * well under a thousand pages between checkpoints.
 */
const intervalMs = 200;

/**
 * The WAL size (pages) at which the app's own connection still checkpoints on commit, as SQLite does by default at
 * 1,000: a backstop that keeps the WAL bounded if the thread falls behind (a bulk import) or is gone.
 */
const backstopPages = 16_384;

/** How long a stop waits for the thread's last checkpoint before ending the thread. */
const stopTimeoutMs = 5_000;

/**
 * Moves a WAL database's checkpoints off the event loop. With SQLite's default, the connection whose commit takes
 * the WAL past 1,000 pages copies them into the database file and syncs it, synchronously: 20–40 ms on this
 * project's VMs, every few seconds while labelers submit, and every other request waited behind it (the
 * dashboard's p99, bench/dashboard.mjs). Here a worker thread with its own connection checkpoints PASSIVE on a
 * timer (it never blocks the writer or readers, and the writer restarts the WAL from its start once every frame is
 * copied), and the app's connection keeps only a high backstop.
 *
 * One thread serves every file of the process (devhost has two: the store and the task hub). A thread is an
 * isolate of its own, ~9 MB of resident memory each on Node 20, which the host process holds for as long as it runs.
 */
export class WalCheckpointer {
  readonly #thread: CheckpointThread;
  readonly #id: number;
  #stopped: Promise<void> | undefined;

  private constructor(thread: CheckpointThread, id: number) {
    this.#thread = thread;
    this.#id = id;
  }

  /** Starts checkpointing `file`, which `db` (the app's connection, in WAL mode) has open. */
  static start(db: Database.Database, file: string): WalCheckpointer {
    db.pragma(`wal_autocheckpoint = ${backstopPages}`);
    current ??= new CheckpointThread();
    return new WalCheckpointer(current, current.add(db, file));
  }

  /** Stops checkpointing the file after a last checkpoint; call before closing the app's connection. */
  stop(): Promise<void> {
    this.#stopped ??= this.#thread.remove(this.#id);
    return this.#stopped;
  }
}

/** The thread checkpoints are taken on, until its last file is handed back (a later start begins a new one). */
let current: CheckpointThread | undefined;

interface Registration {
  db: Database.Database;
  file: string;
  /** Set while a stop waits for the thread's last checkpoint of this file. */
  removed?: () => void;
}

class CheckpointThread {
  readonly #worker: Worker;
  readonly #files = new Map<number, Registration>();
  #nextId = 1;
  #stopping = 0;
  #exited = false;

  constructor() {
    this.#worker = startWorker(__dirname, 'walCheckpointWorker', { intervalMs } satisfies CheckpointWorkerData);
    this.#worker.on('message', (m: FromCheckpointWorker) => {
      const registration = this.#files.get(m.id);
      if (m.kind === 'error') {
        console.warn(`WAL checkpoint of ${registration?.file ?? 'a file'} failed (retried): ${m.message}`);
      } else if (registration) {
        this.#files.delete(m.id);
        this.#stopped(registration);
      }
    });
    this.#worker.on('error', (error) => console.warn(`WAL checkpointer failed: ${String(error)}`));
    this.#worker.once('exit', () => {
      this.#exited = true;
      if (current === this) current = undefined;
      for (const registration of this.#files.values()) {
        if (registration.removed) this.#stopped(registration);
        // Gone without being stopped: the app's connection checkpoints again as SQLite does by default, rather
        // than letting the WAL grow to the backstop and then copying 16,384 pages inside one request.
        else if (registration.db.open) registration.db.pragma('wal_autocheckpoint = 1000');
      }
      this.#files.clear();
    });
    // The thread must never keep the process alive (a stop holds it while the last checkpoint runs).
    this.#worker.unref();
  }

  add(db: Database.Database, file: string): number {
    const id = this.#nextId++;
    this.#files.set(id, { db, file });
    this.#post({ kind: 'add', id, file });
    return id;
  }

  remove(id: number): Promise<void> {
    const registration = this.#files.get(id);
    if (!registration || this.#exited) return Promise.resolve();
    // The thread ends by itself once it holds no file: the next start must not hand it a new one.
    if ([...this.#files.values()].every((r) => r === registration || r.removed) && current === this) {
      current = undefined;
    }
    return new Promise<void>((resolve) => {
      const timeout = setTimeout(() => void this.#worker.terminate(), stopTimeoutMs);
      registration.removed = () => {
        clearTimeout(timeout);
        resolve();
      };
      // Referenced while it ends: an unreferenced worker would let the process exit with this promise pending, and
      // the caller's close (and whatever follows it at shutdown) would never run.
      if (this.#stopping++ === 0) this.#worker.ref();
      this.#post({ kind: 'remove', id });
    });
  }

  #stopped(registration: Registration): void {
    registration.removed?.();
    if (registration.removed && --this.#stopping === 0) this.#worker.unref();
  }

  #post(message: ToCheckpointWorker): void {
    this.#worker.postMessage(message);
  }
}
