import type { AnnotationBody } from '../domain/annotation';
import { batchSizeFor, emptyBatchReason } from '../domain/batching';
import { decideRelease, decideSkip, decideSubmit, type SkipReason } from '../domain/labeling';
import { batchIdFor } from '../domain/labelingIds';
import type { Batch, TrainingRun } from '../domain/labelingRecords';
import type { Project } from '../domain/project';
import type { Task } from '../domain/task';
import { nextTrainingThreshold, trainingRunIdFor } from '../domain/training';
import type { BlobGateway } from '../ports/blobGateway';
import type { LabelingRecords } from '../ports/labelingRecords';
import { ConflictError, type LabelStore, type MutationResult, type Versioned } from '../ports/labelStore';

export interface LabelingDeps {
  store: LabelStore;
  records: LabelingRecords;
  blobs: BlobGateway;
  now?: () => Date;
}

/** What a labeler receives for a batch: images with short-lived read URLs, prelabels, and the lease expiry. */
export interface BatchView {
  batchId: string;
  state: Batch['state'];
  leaseExpiresAt: string;
  tasks: Array<{
    taskId: string;
    imageUrl: string;
    width: number | null;
    height: number | null;
    state: Task['state'];
    prelabel?: Task['prelabel'];
    annotation?: Task['annotation'];
  }>;
  remaining: number;
  reason?: string;
}

export interface SubmitResult {
  result: MutationResult;
  /** Set when this submission finished the caller's live batch. */
  finishedBatch?: Batch;
}

/** How long image read URLs handed to labelers stay valid. */
export const imageUrlMinutes = 60;

/** Concurrent writers of one batch record are the same labeler's parallel requests: a few retries settle them. */
const batchWriteAttempts = 5;

/**
 * The labeling workflow over the store ports: allocating batches (called by the labeler-session orchestration's
 * activity), submissions, skips, releases and lease expiry, and the training-trigger evaluation.
 */
export class LabelingService {
  readonly #d: LabelingDeps;

  constructor(deps: LabelingDeps) {
    this.#d = deps;
  }

  #now(): Date {
    return this.#d.now?.() ?? new Date();
  }

  // ---------------------------------------------------------------- batches

  /**
   * Allocates the labeler's next batch for request `requestId`, idempotently: a re-run (activities run at least
   * once) finds the batch it created and the tasks it already claimed. A labeler holds at most one live batch.
   */
  async allocateBatch(projectId: string, labelerId: string, requestId: string): Promise<Batch> {
    const { store, records } = this.#d;
    const batchId = batchIdFor(projectId, labelerId, requestId);
    const own = await records.getBatch(projectId, batchId);
    if (own && (own.value.state !== 'live' || own.value.taskIds.length > 0)) return own.value;
    const live = await records.getLiveBatch(projectId, labelerId);
    if (live && live.value.id !== batchId) return live.value;

    const project = await store.getProject(projectId);
    const now = this.#now();
    const closed = (reason: string): Batch => ({
      id: batchId,
      projectId,
      labelerId,
      requestId,
      taskIds: [],
      finishedTaskIds: [],
      createdAt: now.toISOString(),
      leaseExpiresAt: now.toISOString(),
      state: 'done',
      closedAt: now.toISOString(),
      emptyReason: reason,
    });
    if (!project || project.value.status !== 'active') {
      const why = !project ? 'The project does not exist.' : `The project is ${project.value.status}.`;
      return (await records.insertBatch(closed(why))).batch.value;
    }

    const counters = await store.getCounters(projectId);
    const claimable = counters.byState.new + counters.byState.prelabeled;
    const size = batchSizeFor({
      policySize: project.value.batchPolicy.size,
      activeLabelers: (await records.countLiveBatches(projectId)) + (live ? 0 : 1),
      claimable,
    });
    if (size === 0 && !own) return (await records.insertBatch(closed(emptyBatchReason(counters)))).batch.value;

    const leaseExpiresAt = new Date(now.getTime() + project.value.batchPolicy.leaseMinutes * 60_000).toISOString();
    let batch = own;
    let createdNow = false;
    if (!batch) {
      try {
        const inserted = await records.insertBatch({
          id: batchId,
          projectId,
          labelerId,
          requestId,
          taskIds: [],
          finishedTaskIds: [],
          createdAt: now.toISOString(),
          leaseExpiresAt,
          state: 'live',
        });
        batch = inserted.batch;
        createdNow = inserted.created;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // A concurrent request of the same labeler won the race for the one live batch: hand out that one.
        const winner = await records.getLiveBatch(projectId, labelerId);
        if (winner) return winner.value;
        throw err;
      }
    }

    // Tasks claimed for this batch by an earlier, interrupted run are adopted, not claimed twice. A batch this run
    // has just created holds none yet (claims follow the insert), so the usual path skips that listing.
    const adopted = createdNow ? [] : await this.#assignedTo(projectId, labelerId, batchId);
    const claimed = await store.claimTasks(projectId, {
      max: Math.max(0, size - adopted.length),
      assignment: { batchId, labelerId, leaseExpiresAt: batch.value.leaseExpiresAt },
      order: 'shuffled',
    });
    const taskIds = [...adopted, ...claimed].map((t) => t.id);
    // Concurrent labelers may have claimed what the counters showed: say whether anything is still out there.
    const next: Batch =
      taskIds.length > 0
        ? { ...batch.value, taskIds }
        : {
            ...batch.value,
            state: 'done',
            closedAt: now.toISOString(),
            emptyReason: emptyBatchReason(await store.getCounters(projectId)),
          };
    return (await records.replaceBatch(next, batch.etag)).value;
  }

  /** The labeler's live batch, or the (possibly empty) batch created for `requestId`. */
  async findBatch(projectId: string, labelerId: string, requestId?: string): Promise<Batch | undefined> {
    const live = await this.#d.records.getLiveBatch(projectId, labelerId);
    if (live && live.value.taskIds.length > 0) return live.value;
    if (!requestId) return undefined;
    const own = await this.#d.records.getBatch(projectId, batchIdFor(projectId, labelerId, requestId));
    return own && (own.value.state !== 'live' || own.value.taskIds.length > 0) ? own.value : undefined;
  }

  async view(project: Project, batch: Batch): Promise<BatchView> {
    const at = { connectionSetting: project.dataset.connectionSetting, container: project.dataset.container };
    const tasks = await Promise.all(batch.taskIds.map((id) => this.#d.store.getTask(project.id, id)));
    const finished = new Set(batch.finishedTaskIds);
    const items = await Promise.all(
      tasks
        .filter((t): t is NonNullable<typeof t> => t !== undefined)
        .map(async ({ value: t }) => ({
          taskId: t.id,
          imageUrl: await this.#d.blobs.readUrl(at, t.blobPath, imageUrlMinutes),
          width: t.width,
          height: t.height,
          state: t.state,
          ...(t.prelabel ? { prelabel: t.prelabel } : {}),
          ...(t.annotation ? { annotation: t.annotation } : {}),
        })),
    );
    return {
      batchId: batch.id,
      state: batch.state,
      leaseExpiresAt: batch.leaseExpiresAt,
      tasks: items,
      remaining: batch.taskIds.filter((id) => !finished.has(id)).length,
      ...(batch.emptyReason ? { reason: batch.emptyReason } : {}),
    };
  }

  /**
   * Called when the lease timer fires: a batch idle past its lease returns its unfinished tasks to the pool.
   * Submissions extend the lease, so the session re-arms its timer to the new expiry instead.
   */
  async expireBatch(projectId: string, batchId: string): Promise<{ closed: boolean; leaseExpiresAt?: string }> {
    const batch = await this.#d.records.getBatch(projectId, batchId);
    if (!batch || batch.value.state !== 'live') return { closed: true };
    const now = this.#now();
    if (Date.parse(batch.value.leaseExpiresAt) > now.getTime()) {
      return { closed: false, leaseExpiresAt: batch.value.leaseExpiresAt };
    }
    await this.#close(batch.value, 'expired');
    return { closed: true };
  }

  /** `POST …/batches/current/release`: hands the unfinished tasks back. Safe to repeat. */
  async releaseCurrent(projectId: string, labelerId: string): Promise<{ batch?: Batch; released: number }> {
    const live = await this.#d.records.getLiveBatch(projectId, labelerId);
    if (!live) return { released: 0 };
    const released = await this.#close(live.value, 'released');
    return { batch: live.value, released };
  }

  async #close(batch: Batch, state: 'expired' | 'released'): Promise<number> {
    const now = this.#now().toISOString();
    await this.#updateBatch(batch.projectId, batch.id, (b) =>
      b.state === 'live' ? { ...b, state, closedAt: now } : undefined,
    );
    // Tasks are released after the batch is closed, so a racing allocation cannot re-adopt them for this batch.
    const tasks = await this.#assignedTo(batch.projectId, batch.labelerId, batch.id);
    const results = await this.#d.store.mutateTasks(
      batch.projectId,
      tasks.map((t) => ({ taskId: t.id, mutation: (existing) => decideRelease(existing, batch.id, now) })),
    );
    return results.filter((r) => r.outcome === 'written').length;
  }

  /** Every task still assigned to this labeler under `batchId` (paged through the labeler index). */
  async #assignedTo(projectId: string, labelerId: string, batchId: string): Promise<Task[]> {
    const out: Task[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.#d.store.listTasks(projectId, {
        state: 'assigned',
        labeler: labelerId,
        limit: 500,
        continuationToken,
      });
      out.push(...page.items.filter((t) => t.assignment?.batchId === batchId));
      continuationToken = page.continuationToken;
    } while (continuationToken);
    return out;
  }

  /** Read–change–write of a batch under its etag; `known` (a fresh read) spares the first read. */
  async #updateBatch(
    projectId: string,
    batchId: string,
    change: (b: Batch) => Batch | undefined,
    known?: Versioned<Batch>,
  ) {
    for (let attempt = 1; ; attempt++) {
      const current = attempt === 1 && known ? known : await this.#d.records.getBatch(projectId, batchId);
      const next = current && change(current.value);
      if (!current || !next) return current?.value;
      try {
        return (await this.#d.records.replaceBatch(next, current.etag)).value;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= batchWriteAttempts) throw err;
      }
    }
  }

  // ---------------------------------------------------------------- submissions

  async submit(projectId: string, labelerId: string, taskId: string, body: AnnotationBody): Promise<SubmitResult> {
    const now = this.#now().toISOString();
    const result = await this.#d.store.mutateTask(projectId, taskId, (t) => decideSubmit(t, body, { labelerId, now }));
    return { result, finishedBatch: await this.#recordProgress(projectId, labelerId, taskId, result) };
  }

  async skip(
    projectId: string,
    labelerId: string,
    taskId: string,
    reason: SkipReason | undefined,
  ): Promise<SubmitResult> {
    const now = this.#now().toISOString();
    const result = await this.#d.store.mutateTask(projectId, taskId, (t) => decideSkip(t, reason, { labelerId, now }));
    return { result, finishedBatch: await this.#recordProgress(projectId, labelerId, taskId, result) };
  }

  /** Extends the live batch's lease and closes it once every task in it is finished. */
  async #recordProgress(projectId: string, labelerId: string, taskId: string, result: MutationResult) {
    if (result.outcome !== 'written') return undefined;
    const live = await this.#d.records.getLiveBatch(projectId, labelerId);
    if (!live || !live.value.taskIds.includes(taskId)) return undefined;
    const project = await this.#d.store.getProject(projectId);
    const leaseMs = (project?.value.batchPolicy.leaseMinutes ?? 60) * 60_000;
    const now = this.#now();
    const updated = await this.#updateBatch(
      projectId,
      live.value.id,
      (b) => {
        if (b.state !== 'live') return undefined;
        const finished = b.finishedTaskIds.includes(taskId) ? b.finishedTaskIds : [...b.finishedTaskIds, taskId];
        const done = b.taskIds.every((id) => finished.includes(id));
        return {
          ...b,
          finishedTaskIds: finished,
          leaseExpiresAt: new Date(now.getTime() + leaseMs).toISOString(),
          ...(done ? { state: 'done' as const, closedAt: now.toISOString() } : {}),
        };
      },
      live,
    );
    return updated?.state === 'done' ? updated : undefined;
  }

  // ---------------------------------------------------------------- training trigger

  /**
   * Whether the labeled count has reached the next training threshold (the rule the coordinator applies). Labeled
   * submissions nudge the coordinator only then: below the threshold a nudge cannot lead to a request, and one
   * durable event per submission cost more than the submission itself (bench/labeling.mjs).
   */
  async trainingDue(project: Project): Promise<boolean> {
    return (await this.#dueTraining(project)) !== undefined;
  }

  async #dueTraining(project: Project): Promise<{ threshold: number; labeled: number } | undefined> {
    if (project.status === 'archived') return undefined;
    const threshold = nextTrainingThreshold(project.mlAssist, await this.#d.records.listTrainingRuns(project.id));
    if (threshold === undefined) return undefined;
    const labeled = (await this.#d.store.getCounters(project.id)).byState.labeled;
    return labeled >= threshold ? { threshold, labeled } : undefined;
  }

  /**
   * Requests a training run when the labeled count has crossed the next threshold. The store is the source of
   * truth and the run id is fixed per crossing, so duplicate or concurrent evaluations create exactly one request.
   */
  async evaluateTrainingTrigger(projectId: string): Promise<TrainingRun | undefined> {
    const project = await this.#d.store.getProject(projectId);
    const due = project && (await this.#dueTraining(project.value));
    if (!due) return undefined;
    const { created, run } = await this.#d.records.insertTrainingRun({
      id: trainingRunIdFor(due.threshold),
      projectId,
      state: 'requested',
      threshold: due.threshold,
      labeledAtRequest: due.labeled,
      requestedAt: this.#now().toISOString(),
      trigger: 'threshold',
    });
    return created ? run : undefined;
  }
}
