import { batchSizeFor, emptyBatchReason, waitingLabelers } from '../domain/batching';
import { decideRelease } from '../domain/labeling';
import { batchIdFor } from '../domain/labelingIds';
import type { Batch } from '../domain/labelingRecords';
import type { Project } from '../domain/project';
import type { Task } from '../domain/task';
import type { BlobGateway } from '../ports/blobGateway';
import { ConflictError, type Store } from '../ports/store';
import { nextTurn } from '../util/eventLoopTurns';
import { tasksAssignedTo, updateBatch } from './batchRecords';

export interface BatchServiceDeps {
  store: Store;
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

export interface ExpireResult {
  closed: boolean;
  leaseExpiresAt?: string;
}

/** How long image read URLs handed to labelers stay valid. */
export const imageUrlMinutes = 60;

/** Read URLs signed per slice of a batch view (see `view`). */
const viewSlice = 25;

/**
 * Labelers' batches: allocation (called by the labeler-session orchestration's activity), lookup, the labeler's
 * view, release, and lease expiry, by the session's timer or by the reconcile timer's sweep.
 */
export class BatchService {
  readonly #d: BatchServiceDeps;

  constructor(deps: BatchServiceDeps) {
    this.#d = deps;
  }

  #now(): Date {
    return this.#d.now?.() ?? new Date();
  }

  /**
   * Allocates the labeler's next batch for request `requestId`, idempotently: a re-run (activities run at least
   * once) finds the batch it created and the tasks it already claimed. A labeler holds at most one live batch.
   */
  async allocate(projectId: string, labelerId: string, requestId: string): Promise<Batch> {
    const { store } = this.#d;
    const batchId = batchIdFor(projectId, labelerId, requestId);
    const own = await store.batches.get(projectId, batchId);
    if (own && (own.value.state !== 'live' || own.value.taskIds.length > 0)) return own.value;
    const live = await store.batches.getLive(projectId, labelerId);
    if (live && live.value.id !== batchId) return live.value;

    const project = await store.projects.get(projectId);
    const now = this.#now();
    const fresh = {
      id: batchId,
      projectId,
      labelerId,
      requestId,
      taskIds: [],
      finishedTaskIds: [],
      createdAt: now.toISOString(),
    };
    const closed = (reason: string): Batch => ({
      ...fresh,
      leaseExpiresAt: now.toISOString(),
      state: 'done',
      closedAt: now.toISOString(),
      emptyReason: reason,
    });
    if (!project || project.value.status !== 'active') {
      const why = !project ? 'The project does not exist.' : `The project is ${project.value.status}.`;
      return (await store.batches.insert(closed(why))).stored.value;
    }

    const counters = await store.tasks.counters(projectId);
    const size = batchSizeFor({
      policySize: project.value.batchPolicy.size,
      waitingLabelers: await this.#waitingLabelers(projectId, labelerId, live !== undefined),
      claimable: counters.byState.new + counters.byState.prelabeled,
    });
    if (size === 0 && !own) return (await store.batches.insert(closed(emptyBatchReason(counters)))).stored.value;

    const leaseExpiresAt = new Date(now.getTime() + project.value.batchPolicy.leaseMinutes * 60_000).toISOString();
    let batch = own;
    let createdNow = false;
    if (!batch) {
      try {
        const inserted = await store.batches.insert({ ...fresh, leaseExpiresAt, state: 'live' });
        batch = inserted.stored;
        createdNow = inserted.created;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // A concurrent request of the same labeler won the race for the one live batch: hand out that one.
        const winner = await store.batches.getLive(projectId, labelerId);
        if (winner) return winner.value;
        throw err;
      }
    }

    // Tasks claimed for this batch by an earlier, interrupted run are adopted, not claimed twice. A batch this run
    // has just created holds none yet (claims follow the insert), so the usual path skips that listing.
    const adopted = createdNow ? [] : await tasksAssignedTo(store.tasks, projectId, labelerId, batchId);
    const claimed = await store.tasks.claim(projectId, {
      max: Math.max(0, size - adopted.length),
      assignment: { batchId, labelerId, leaseExpiresAt: batch.value.leaseExpiresAt },
      now: now.toISOString(),
      // Review (prelabeled) first, then the manual queue least confident first; shuffled until a model has scored it.
      order: 'leastConfidentFirst',
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
            emptyReason: emptyBatchReason(await store.tasks.counters(projectId)),
          };
    return (await store.batches.replace(next, batch.etag)).value;
  }

  /** The requester and the project's labelers who hold no live batch: who the rest of the pool is split among. */
  async #waitingLabelers(projectId: string, labelerId: string, requesterHoldsOne: boolean): Promise<number> {
    const { store } = this.#d;
    const [members, liveBatches] = await Promise.all([
      store.members.list(projectId),
      store.batches.countLive(projectId),
    ]);
    const labelers = members.filter((m) => m.role === 'labeler');
    return waitingLabelers({
      labelers: labelers.length,
      liveBatches: liveBatches - (requesterHoldsOne ? 1 : 0),
      requesterIsCounted: labelers.some((m) => m.userId === labelerId),
    });
  }

  /**
   * The labeler's live batch that still has work in it, or the (possibly empty) batch created for `requestId`. A
   * live batch whose unfinished images all left it (deleted blobs) is finished here, so the labeler gets new work
   * instead of an empty batch until its lease runs out.
   */
  async find(projectId: string, labelerId: string, requestId?: string): Promise<Batch | undefined> {
    const { store } = this.#d;
    const live = await store.batches.getLive(projectId, labelerId);
    if (live && live.value.taskIds.length > 0) {
      const finished = await this.#finishIfEmptied(live.value);
      if (!finished) return live.value;
    }
    if (!requestId) return undefined;
    const own = await store.batches.get(projectId, batchIdFor(projectId, labelerId, requestId));
    return own && (own.value.state !== 'live' || own.value.taskIds.length > 0) ? own.value : undefined;
  }

  /**
   * The batch allocated for `requestId` (also an empty one), or the batch the session handed out for it when the
   * labeler already held one (`servedBatchId`, from the session's status); undefined while not allocated yet.
   */
  async forRequest(projectId: string, labelerId: string, requestId: string, servedBatchId?: string) {
    const { store } = this.#d;
    const own = await store.batches.get(projectId, batchIdFor(projectId, labelerId, requestId));
    if (own && (own.value.state !== 'live' || own.value.taskIds.length > 0)) return own.value;
    if (!servedBatchId) return undefined;
    const served = await store.batches.get(projectId, servedBatchId);
    return served?.value.labelerId === labelerId ? served.value : undefined;
  }

  /** True when the batch had no unfinished task still assigned to it and is now closed as done. */
  async #finishIfEmptied(batch: Batch): Promise<boolean> {
    const finished = new Set(batch.finishedTaskIds);
    if (batch.taskIds.every((id) => finished.has(id))) return false; // closed by its last submission already
    const { store } = this.#d;
    const stillAssigned = await tasksAssignedTo(store.tasks, batch.projectId, batch.labelerId, batch.id);
    if (stillAssigned.length > 0) return false;
    const now = this.#now().toISOString();
    const updated = await updateBatch(store.batches, batch.projectId, batch.id, (b) =>
      b.state === 'live' ? { ...b, state: 'done', closedAt: now } : undefined,
    );
    return updated?.state !== 'live';
  }

  async view(project: Project, batch: Batch): Promise<BatchView> {
    const at = { connectionSetting: project.dataset.connectionSetting, container: project.dataset.container };
    const finished = new Set(batch.finishedTaskIds);
    // Reads issued a slice per turn of the event loop and awaited together (still one round of point reads on
    // Cosmos DB, whose reads wait on the network), then the URLs signed in slices the same way: twenty labelers
    // starting a shift ask at once, and each view is (on SQLite) 75 synchronous reads and parses plus 75 signatures.
    const reads: Array<ReturnType<Store['tasks']['get']>> = [];
    for (const [i, id] of batch.taskIds.entries()) {
      if (i > 0 && i % viewSlice === 0) await nextTurn();
      const read = this.#d.store.tasks.get(project.id, id);
      // Handled here too: a read failing while later slices wait for their turn must not count as unhandled.
      read.catch(() => undefined);
      reads.push(read);
    }
    const tasks = await Promise.all(reads);
    const items: BatchView['tasks'] = [];
    for (const [i, found] of tasks.entries()) {
      if (i > 0 && i % viewSlice === 0) await nextTurn();
      if (!found) continue;
      const t = found.value;
      items.push({
        taskId: t.id,
        imageUrl: await this.#d.blobs.readUrl(at, t.blobPath, imageUrlMinutes),
        width: t.width,
        height: t.height,
        state: t.state,
        ...(t.prelabel ? { prelabel: t.prelabel } : {}),
        ...(t.annotation ? { annotation: t.annotation } : {}),
      });
    }
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
   * A batch idle past its lease returns its unfinished tasks to the pool. Submissions extend the lease, so a batch
   * still in use answers with its new expiry instead (the session re-arms its timer to it).
   */
  async expire(projectId: string, batchId: string): Promise<ExpireResult> {
    const batch = await this.#d.store.batches.get(projectId, batchId);
    if (!batch || batch.value.state !== 'live') return { closed: true };
    if (Date.parse(batch.value.leaseExpiresAt) > this.#now().getTime()) {
      return { closed: false, leaseExpiresAt: batch.value.leaseExpiresAt };
    }
    await this.#close(batch.value, 'expired');
    return { closed: true };
  }

  /**
   * The reconcile timer's sweep: expires every live batch of the project past its lease, so a batch whose session
   * was terminated (or never got its timer) cannot hold its images forever. Returns how many it closed.
   */
  async sweepExpired(projectId: string): Promise<number> {
    const now = this.#now().getTime();
    const overdue = (await this.#d.store.batches.listLive(projectId)).filter(
      (b) => Date.parse(b.leaseExpiresAt) <= now,
    );
    let closed = 0;
    for (const batch of overdue) if ((await this.expire(projectId, batch.id)).closed) closed++;
    return closed;
  }

  /** `POST …/batches/current/release`: hands the unfinished tasks back. Safe to repeat. */
  async releaseCurrent(projectId: string, labelerId: string): Promise<{ batch?: Batch; released: number }> {
    const live = await this.#d.store.batches.getLive(projectId, labelerId);
    if (!live) return { released: 0 };
    const released = await this.#close(live.value, 'released');
    return { batch: live.value, released };
  }

  async #close(batch: Batch, state: 'expired' | 'released'): Promise<number> {
    const { store } = this.#d;
    const now = this.#now().toISOString();
    await updateBatch(store.batches, batch.projectId, batch.id, (b) =>
      b.state === 'live' ? { ...b, state, closedAt: now } : undefined,
    );
    // Tasks are released after the batch is closed, so a racing allocation cannot re-adopt them for this batch.
    const tasks = await tasksAssignedTo(store.tasks, batch.projectId, batch.labelerId, batch.id);
    const results = await store.tasks.mutateMany(
      batch.projectId,
      tasks.map((t) => ({ taskId: t.id, mutation: (existing) => decideRelease(existing, batch.id, now) })),
    );
    return results.filter((r) => r.outcome === 'written').length;
  }
}
