import type { Project } from '../../shared/domain/project';
import { labelerOf, queueConfidence, type Task } from '../../shared/domain/task';

/** Id of the one counters document in each project's partition (task ids start with `t`, see taskIdFor). */
export const countersId = 'counters';

/**
 * Confidence stored for tasks no model has scored yet. Confidences lie in [0, 1]; Cosmos sorts null before
 * numbers and drops undefined values from single-property sorts, so a number above every real confidence is what
 * puts unscored tasks last in a least-confident-first queue (as `confidence IS NULL` does in SQLite).
 */
export const unscoredConfidence = 2;

/** A task as stored: the domain record plus the fields queries filter and sort on. */
export interface TaskDocument extends Task {
  type: 'task';
  /** Assignee, labeler or skipper: the "labeled by" filter (same rule as the SQLite adapter's labeler column). */
  labeler: string | null;
  confidence: number;
}

/** One counters document of a project (adapters/cosmos/countersDocument.ts shardOf: which keys live where). */
export interface CountersDocument {
  id: string;
  projectId: string;
  type: 'counters';
  /** Series documents: which series, and the month (hours) or year (days) they cover. */
  series?: 'hour' | 'day';
  period?: string;
  counts: Record<string, number>;
  /** Fields of the project document as stores before the counters were generalised wrote them. */
  byState?: Record<string, number>;
  labeledReviewed?: number;
  _etag?: string;
}

/**
 * Where-clause for "this project's tasks" (binds `@projectId`). The partition key already scopes the query on Azure;
 * saying it in the query too keeps it scoped on servers that ignore the partition-key header (cosmosdb-server does).
 */
export const inProject = "c.projectId = @projectId AND c.type = 'task'";

const systemProperties = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

/** A stored document without the properties Cosmos adds (`_etag` and friends). */
export function withoutSystemProperties(doc: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...doc };
  for (const key of systemProperties) delete copy[key];
  return copy;
}

export function toTaskDocument(task: Task): TaskDocument {
  return {
    ...task,
    type: 'task',
    labeler: labelerOf(task),
    confidence: queueConfidence(task) ?? unscoredConfidence,
  };
}

export function fromTaskDocument(doc: Record<string, unknown>): Task {
  const { type: _type, labeler: _labeler, confidence: _confidence, ...task } = withoutSystemProperties(doc);
  return task as unknown as Task;
}

export function fromProjectDocument(doc: Record<string, unknown>): Project {
  return withoutSystemProperties(doc) as unknown as Project;
}
