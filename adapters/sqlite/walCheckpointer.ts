import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../workerThreads';

/**
 * How often the background thread checkpoints. At the labeling pace (tens of commits a second) the WAL then holds
 * well under a thousand pages between checkpoints.
 */
const defaultIntervalMs = 200;

/**
 * The WAL size (pages) at which the app's own connection still checkpoints on commit, as SQLite does by default at
 * 1,000: a backstop that keeps the WAL bounded if the thread falls behind (a bulk import) or is gone.
 */
const backstopPages = 16_384;

/**
 * Moves a WAL database's checkpoints off the event loop. With SQLite's default, the connection whose commit takes
 * the WAL past 1,000 pages copies them into the database file and syncs it, synchronously: 20–40 ms on this
 * project's VMs, every few seconds while labelers submit, and every other request waited behind it (the
 * dashboard's p99, bench/dashboard.mjs). Here a worker thread with its own connection checkpoints PASSIVE on a
 * timer (it never blocks the writer or readers, and the writer restarts the WAL from its start once every frame is
 * copied), and the app's connection keeps only a high backstop.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  #exited = false;
  #stopped: Promise<void> | undefined;

  private constructor(worker: Worker, db: Database.Database, file: string) {
    this.#worker = worker;
    worker.on('message', (m: { kind?: string; message?: string }) => {
      if (m.kind === 'error') console.warn(`WAL checkpoint of ${file} failed (retried): ${m.message}`);
    });
    worker.on('error', (error) => console.warn(`WAL checkpointer of ${file} failed: ${String(error)}`));
    worker.once('exit', () => {
      this.#exited = true;
      // Gone without being stopped: the app's connection checkpoints again as SQLite does by default, rather than
      // letting the WAL grow to the backstop and then copying 16,384 pages inside one request.
      if (!this.#stopped && db.open) db.pragma('wal_autocheckpoint = 1000');
    });
    // The thread must never keep the process alive (stop() holds it while it ends).
    worker.unref();
  }

  /** Starts checkpointing `file`, which `db` (the app's connection, in WAL mode) has open. */
  static start(db: Database.Database, file: string, intervalMs = defaultIntervalMs): WalCheckpointer {
    db.pragma(`wal_autocheckpoint = ${backstopPages}`);
    return new WalCheckpointer(startWorker(__dirname, 'walCheckpointWorker', { file, intervalMs }), db, file);
  }

  /** Ends the thread after a last checkpoint; call before closing the app's connection. */
  stop(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      if (this.#exited) return resolve();
      // Referenced while it ends: an unreferenced worker would let the process exit with this promise pending, and
      // the caller's close (and whatever follows it at shutdown) would never run.
      this.#worker.ref();
      const timeout = setTimeout(() => void this.#worker.terminate().then(() => resolve()), 5_000);
      this.#worker.once('exit', () => {
        clearTimeout(timeout);
        resolve();
      });
      this.#worker.postMessage({ kind: 'stop' });
    });
    return this.#stopped;
  }
}
