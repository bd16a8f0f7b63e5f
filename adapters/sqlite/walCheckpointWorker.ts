import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The body of the WAL checkpointer's thread (started by walCheckpointer.ts): its own connection to the file, a
 * PASSIVE checkpoint every `intervalMs` (it never blocks the app's writer or readers; a checkpoint with nothing new
 * to copy costs a lock and a look at the WAL index), and a last one when told to stop.
 */
interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
}

const { file, intervalMs } = workerData as CheckpointWorkerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// This connection only checkpoints; it must never start one of its own on commit (it never commits anyway).
db.pragma('wal_autocheckpoint = 0');

function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // SQLITE_BUSY or a closed file: the next tick tries again; the app's own backstop keeps the WAL bounded.
    parentPort?.postMessage({ kind: 'error', message: String(error) });
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort?.on('message', (message: { kind: string }) => {
  if (message.kind !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort?.close();
});
parentPort?.postMessage({ kind: 'ready' });
