import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Opens (creating if needed) the embedded store's SQLite file the way every adapter needs it: WAL so readers never
 * block the writer and several connections can share the file, `synchronous = NORMAL` (a committed transaction
 * survives a killed process), and a busy timeout instead of immediate SQLITE_BUSY errors. Applies `schema`.
 */
export function openDatabase(file: string, schema: string): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(schema);
  return db;
}
