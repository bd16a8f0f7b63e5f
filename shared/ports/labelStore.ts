import type { ProjectCounters } from '../domain/counters';
import type { Project } from '../domain/project';
import type { Decision } from '../domain/blobFacts';
import type { Assignment, Task, TaskState } from '../domain/task';

/**
 * The label store: projects, tasks and per-project counters. Two adapters implement it (embedded SQLite, Azure
 * Cosmos DB) and one contract-test suite runs against both (tests/store/).
 *
 * Writes are optimistic: every record carries an opaque `etag`; a conditional write against a stale etag fails
 * with ConflictError instead of silently overwriting another writer's change.
 */

export class ConflictError extends Error {
  constructor(message = 'The record was changed by another writer.') {
    super(message);
    this.name = 'ConflictError';
  }
}

export interface Versioned<T> {
  value: T;
  etag: string;
}

/** Decides, from what is stored now, what to write (see shared/domain/blobFacts.ts and the labeling rules). */
export type TaskMutation = (existing: Task | undefined) => Decision;

export interface MutationResult {
  taskId: string;
  /** 'written' when the decision wrote the task; 'ignored' with the decision's reason otherwise. */
  outcome: 'written' | 'ignored';
  reason?: string;
  task?: Task;
}

export interface TaskQuery {
  state?: TaskState;
  /** Tasks labeled by, skipped by or assigned to this user. */
  labeler?: string;
  limit: number;
  continuationToken?: string;
}

export interface TaskPage {
  items: Task[];
  continuationToken?: string;
}

export interface ClaimRequest {
  /** At most this many tasks. */
  max: number;
  assignment: Assignment;
  /** Claim order: prelabeled (review) first, then `new` by this order. */
  order: 'shuffled' | 'leastConfidentFirst';
}

export interface ProjectRepository {
  /** Inserts unless a project with this id exists; returns the stored one either way. */
  insertProject(project: Project): Promise<{ created: boolean; project: Versioned<Project> }>;
  getProject(id: string): Promise<Versioned<Project> | undefined>;
  listProjects(): Promise<Project[]>;
  /** Replaces the project if `ifMatch` is still its etag; throws ConflictError otherwise. */
  replaceProject(project: Project, ifMatch: string): Promise<Versioned<Project>>;
}

export interface TaskRepository {
  getTask(projectId: string, taskId: string): Promise<Versioned<Task> | undefined>;
  /**
   * Read–decide–write for one task under optimistic concurrency, with the counters kept in step. The mutation may
   * run more than once (it is re-run on a conflicting concurrent write), so it must be a pure function.
   */
  mutateTask(projectId: string, taskId: string, mutation: TaskMutation): Promise<MutationResult>;
  /** Many independent mutations (ingestion bursts, listings); same guarantees per task, results in input order. */
  mutateTasks(projectId: string, items: Array<{ taskId: string; mutation: TaskMutation }>): Promise<MutationResult[]>;
  /** Lists a project's tasks in a stable order, page by page. */
  listTasks(projectId: string, query: TaskQuery): Promise<TaskPage>;
  getCounters(projectId: string): Promise<ProjectCounters>;
  /**
   * Atomically moves up to `max` claimable tasks to `assigned` with the given assignment. A task is never handed
   * to two live batches: concurrent claims race on each task's etag and only one wins.
   */
  claimTasks(projectId: string, request: ClaimRequest): Promise<Task[]>;
}

export interface LabelStore extends ProjectRepository, TaskRepository {
  /** Which adapter answers ('sqlite', 'cosmos'), for health and logs. */
  readonly kind: string;
  /** Cheap round trip for health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
