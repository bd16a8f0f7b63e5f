import type { Decision } from '../domain/blobFacts';
import type { CounterDelta, CounterWindow, ProjectCounters } from '../domain/counters';
import type { Batch, Member, TrainingRun } from '../domain/labelingRecords';
import type { Project } from '../domain/project';
import type { Assignment, Task, TaskState } from '../domain/task';

/**
 * The store, one port organised by aggregate: projects, their tasks (with the per-project counters kept in step),
 * memberships, labelers' batches and training runs. Two adapters implement it (embedded SQLite, Azure Cosmos DB), each
 * over one connection per process, and one contract-test suite runs against both (tests/store/store.contract.ts).
 * Prelabels, exports and dashboard aggregates join as further repositories here.
 *
 * Writes are optimistic: every record carries an opaque `etag`; a conditional write against a stale etag fails
 * with ConflictError instead of silently overwriting another writer's change.
 */
export interface Store {
  /** Which adapter answers ('sqlite', 'cosmos'), for health and logs. */
  readonly kind: string;
  readonly projects: ProjectRepository;
  readonly tasks: TaskRepository;
  readonly members: MemberRepository;
  readonly batches: BatchRepository;
  readonly trainingRuns: TrainingRunRepository;
  /** Cheap round trip for health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

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

export interface Inserted<T> {
  created: boolean;
  /** The stored record: the new one, or the one that already had this id. */
  stored: Versioned<T>;
}

export interface ProjectRepository {
  /** Inserts unless a project with this id exists; returns the stored one either way. */
  insert(project: Project): Promise<Inserted<Project>>;
  get(id: string): Promise<Versioned<Project> | undefined>;
  list(): Promise<Project[]>;
  /** Replaces the project if `ifMatch` is still its etag; throws ConflictError otherwise. */
  replace(project: Project, ifMatch: string): Promise<Versioned<Project>>;
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

export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

export interface ClaimRequest {
  /** At most this many tasks. */
  max: number;
  assignment: Assignment;
  /** When the claim happens (the tasks' `updatedAt`). */
  now: string;
  /** Claim order: prelabeled (review) first, then `new` by this order. */
  order: 'shuffled' | 'leastConfidentFirst';
}

export interface CounterRead {
  prefixes?: readonly string[];
  window?: CounterWindow;
}

/** What a recount found: the counters rebuilt from the tasks, and how far the stored ones had drifted from them. */
export interface Recount {
  counters: ProjectCounters;
  /** Rebuilt minus stored, per counter; empty when nothing had drifted. */
  drift: CounterDelta;
}

export interface TaskRepository {
  get(projectId: string, taskId: string): Promise<Versioned<Task> | undefined>;
  /**
   * Read–decide–write for one task under optimistic concurrency, with the counters kept in step. The mutation may
   * run more than once (it is re-run on a conflicting concurrent write), so it must be a pure function.
   */
  mutate(projectId: string, taskId: string, mutation: TaskMutation): Promise<MutationResult>;
  /** Many independent mutations (ingestion bursts, listings); same guarantees per task, results in input order. */
  mutateMany(projectId: string, items: Array<{ taskId: string; mutation: TaskMutation }>): Promise<MutationResult[]>;
  /** Lists a project's tasks in id order (exports cut it into ranges by id), page by page. */
  list(projectId: string, query: TaskQuery): Promise<Page<Task>>;
  counters(projectId: string): Promise<ProjectCounters>;
  /**
   * The maintained counters (shared/domain/counters.ts) whose key starts with one of `prefixes` (all when omitted),
   * hour and day series only within `window` (whole when omitted): the dashboard's figures, read without touching
   * a task. Read-only: an adapter may hand the same (frozen) answer to every caller until the counters change.
   */
  counterValues(projectId: string, read?: CounterRead): Promise<Readonly<CounterDelta>>;
  /** Rebuilds the project's counters from its tasks and stores them (the reconcile timer's repair). */
  recountCounters(projectId: string): Promise<Recount>;
  /**
   * Moves up to `max` claimable tasks to `assigned` with the given assignment (the transition is the domain's
   * `claimTask`), each task atomically, possibly in several transactions (an interrupted claim is completed by the
   * allocation's re-run, which adopts the tasks already assigned to its batch). A task is never handed to two live
   * batches: concurrent claims race on each task's etag and only one wins.
   */
  claim(projectId: string, request: ClaimRequest): Promise<Task[]>;
}

export interface MemberRepository {
  put(member: Member): Promise<void>;
  delete(projectId: string, userId: string): Promise<boolean>;
  get(projectId: string, userId: string): Promise<Member | undefined>;
  list(projectId: string): Promise<Member[]>;
  /** Projects a user belongs to (labelers see only these). */
  listForUser(userId: string): Promise<Member[]>;
}

export interface BatchRepository {
  /** Inserts unless a batch with this id exists; ConflictError when the labeler already holds another live batch. */
  insert(batch: Batch): Promise<Inserted<Batch>>;
  get(projectId: string, batchId: string): Promise<Versioned<Batch> | undefined>;
  /** The labeler's live batch in a project, if any (at most one exists). */
  getLive(projectId: string, labelerId: string): Promise<Versioned<Batch> | undefined>;
  /** Every live batch of the project (the reconcile timer sweeps those past their lease). */
  listLive(projectId: string): Promise<Batch[]>;
  /** Replaces if `ifMatch` is still the etag; throws ConflictError otherwise. */
  replace(batch: Batch, ifMatch: string): Promise<Versioned<Batch>>;
  /** Labelers with a live batch in the project (batch sizing splits the tail of the queue among them). */
  countLive(projectId: string): Promise<number>;
}

export interface TrainingRunRepository {
  /** Inserts unless a run with this id exists; returns the stored one either way. */
  insert(run: TrainingRun): Promise<Inserted<TrainingRun>>;
  get(projectId: string, runId: string): Promise<Versioned<TrainingRun> | undefined>;
  /** The project's runs in id order (ids sort by the threshold they were requested at). */
  list(projectId: string): Promise<TrainingRun[]>;
  /** Replaces if `ifMatch` is still the etag (state updates as the run progresses); ConflictError otherwise. */
  replace(run: TrainingRun, ifMatch: string): Promise<Versioned<TrainingRun>>;
}
