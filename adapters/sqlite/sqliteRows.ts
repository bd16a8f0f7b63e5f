import type { Versioned } from '../../shared/ports/store';

/** A stored document and its row version (the etag of the SQLite adapter). */
export interface VersionedRow {
  version: number;
  doc: string;
}

export function versioned<T>(row: VersionedRow): Versioned<T> {
  return { value: JSON.parse(row.doc) as T, etag: String(row.version) };
}

export function parseDocs<T>(rows: Array<{ doc: string }>): T[] {
  return rows.map((r) => JSON.parse(r.doc) as T);
}
