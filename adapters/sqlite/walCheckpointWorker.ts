import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The body of the WAL checkpoints' thread (started by walCheckpointer.ts): its own connection to every file it is
 * given, a PASSIVE checkpoint of each every `intervalMs` (it never blocks the app's writer or readers; a checkpoint
 * with nothing new to copy costs a lock and a look at the WAL index), and a last one when a file is handed back.
 * It ends once it holds no file.
 */
export interface CheckpointWorkerData {
  intervalMs: number;
}

/** From the app's thread: start or stop checkpointing registration `id`'s file. */
export type ToCheckpointWorker = { kind: 'add'; id: number; file: string } | { kind: 'remove'; id: number };

/** To the app's thread: a failed checkpoint (retried), or a file checkpointed one last time and closed. */
export type FromCheckpointWorker = { kind: 'error'; id: number; message: string } | { kind: 'removed'; id: number };

const { intervalMs } = workerData as CheckpointWorkerData;
const files = new Map<number, Database.Database>();
const post = (message: FromCheckpointWorker) => parentPort?.postMessage(message);

function checkpoint(id: number, db: Database.Database): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // SQLITE_BUSY or a closed file: the next tick tries again; the app's own backstop keeps the WAL bounded.
    post({ kind: 'error', id, message: String(error) });
  }
}

const timer = setInterval(() => {
  for (const [id, db] of files) checkpoint(id, db);
}, intervalMs);

parentPort?.on('message', (message: ToCheckpointWorker) => {
  if (message.kind === 'add') {
    try {
      const db = new Database(message.file, { fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      // This connection only checkpoints; it must never start one of its own on commit (it never commits anyway).
      db.pragma('wal_autocheckpoint = 0');
      files.set(message.id, db);
    } catch (error) {
      post({ kind: 'error', id: message.id, message: String(error) });
    }
    return;
  }
  const db = files.get(message.id);
  if (db) {
    checkpoint(message.id, db);
    db.close();
    files.delete(message.id);
  }
  post({ kind: 'removed', id: message.id });
  if (files.size === 0) {
    clearInterval(timer);
    parentPort?.close();
  }
});
