import type Database from 'better-sqlite3';
import type { Store } from '../../shared/ports/store';
import { openDatabase } from './openDatabase';
import { SqliteBatches } from './sqliteBatches';
import { SqliteMembers } from './sqliteMembers';
import { SqliteProjects } from './sqliteProjects';
import { migrate, schema } from './sqliteSchema';
import { SqliteTasks } from './sqliteTasks';
import { SqliteTrainingRuns } from './sqliteTrainingRuns';
import { WalCheckpointer } from './walCheckpointer';

export interface SqliteStoreOptions {
  /**
   * Checkpoint the WAL from a worker thread instead of on the commits of this connection (walCheckpointer.ts). The
   * app's store does (adapters/composition.ts); a store a test or tool opens for a moment need not start a thread.
   */
  backgroundCheckpoints?: boolean;
}

/**
 * The embedded store: one SQLite file (WAL) in the data directory, one connection per process shared by every
 * repository, so a transaction of one repository is atomic with respect to all of them.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly projects: SqliteProjects;
  readonly tasks: SqliteTasks;
  readonly members: SqliteMembers;
  readonly batches: SqliteBatches;
  readonly trainingRuns: SqliteTrainingRuns;
  readonly #checkpointer: WalCheckpointer | undefined;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.#db = openDatabase(file, schema);
    migrate(this.#db);
    if (options.backgroundCheckpoints && !this.#db.memory) this.#checkpointer = WalCheckpointer.start(this.#db, file);
    this.projects = new SqliteProjects(this.#db);
    this.tasks = new SqliteTasks(this.#db);
    this.members = new SqliteMembers(this.#db);
    this.batches = new SqliteBatches(this.#db);
    this.trainingRuns = new SqliteTrainingRuns(this.#db);
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.#checkpointer?.stop();
    this.#db.close();
  }
}
