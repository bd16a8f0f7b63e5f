import type { AnnotationBody } from '../domain/annotation';
import { decideSkip, decideSubmit, LabelingError, type SkipReason, type Submitter } from '../domain/labeling';
import type { Batch } from '../domain/labelingRecords';
import type { Project } from '../domain/project';
import type { Decision } from '../domain/blobFacts';
import type { Task } from '../domain/task';
import type { MutationResult, Store } from '../ports/store';
import { updateBatch } from './batchRecords';
import { TrainingService } from './training';

export interface SubmissionServiceDeps {
  store: Store;
  now?: () => Date;
}

/** Everything the trigger needs to answer and to signal the orchestrations, or why the submission was refused. */
export type SubmissionOutcome =
  | {
      kind: 'accepted';
      /** 'written', or 'ignored' when it repeated what was already recorded. */
      result: MutationResult;
      /** The task as stored after the submission. */
      task: Task | undefined;
      /** Set when this submission finished the caller's live batch. */
      finishedBatch?: Batch;
      /** Whether the labeled count has reached the next training threshold (the coordinator should look). */
      trainingDue: boolean;
    }
  | { kind: 'refused'; code: LabelingError['code']; message: string };

/** Submissions and skips: the domain decides, the store applies it, and the batch records its progress. */
export class SubmissionService {
  readonly #d: SubmissionServiceDeps;
  readonly #training: TrainingService;

  constructor(deps: SubmissionServiceDeps) {
    this.#d = deps;
    this.#training = new TrainingService(deps);
  }

  submit(project: Project, labelerId: string, taskId: string, body: AnnotationBody): Promise<SubmissionOutcome> {
    return this.#apply(project, labelerId, taskId, (t, by) => decideSubmit(t, body, by));
  }

  skip(project: Project, labelerId: string, taskId: string, reason?: SkipReason): Promise<SubmissionOutcome> {
    return this.#apply(project, labelerId, taskId, (t, by) => decideSkip(t, reason, by));
  }

  async #apply(
    project: Project,
    labelerId: string,
    taskId: string,
    decide: (task: Task | undefined, by: Submitter) => Decision,
  ): Promise<SubmissionOutcome> {
    const { store } = this.#d;
    const by: Submitter = { labelerId, now: this.#now().toISOString() };
    let result: MutationResult;
    try {
      result = await store.tasks.mutate(project.id, taskId, (t) => {
        if (!t) throw new LabelingError('TASK_NOT_FOUND', `Task '${taskId}' does not exist in this project.`);
        return decide(t, by);
      });
    } catch (err) {
      if (err instanceof LabelingError) return { kind: 'refused', code: err.code, message: err.message };
      throw err;
    }
    const written = result.outcome === 'written';
    const [finishedBatch, trainingDue] = written
      ? await Promise.all([this.#recordProgress(project, labelerId, taskId), this.#trainingDue(project, result)])
      : [undefined, false];
    const task = result.task ?? (await store.tasks.get(project.id, taskId))?.value;
    return { kind: 'accepted', result, task, trainingDue, ...(finishedBatch ? { finishedBatch } : {}) };
  }

  #now(): Date {
    return this.#d.now?.() ?? new Date();
  }

  /**
   * Labeled submissions wake the coordinator only once the labeled count has reached the next threshold: below it a
   * nudge cannot lead to a request, and one durable event per submission cost more than the submission itself.
   */
  async #trainingDue(project: Project, result: MutationResult): Promise<boolean> {
    if (result.task?.state !== 'labeled') return false;
    return (await this.#training.due(project)) !== undefined;
  }

  /** Extends the live batch's lease and closes it once every task in it is finished. */
  async #recordProgress(project: Project, labelerId: string, taskId: string): Promise<Batch | undefined> {
    const { store } = this.#d;
    const live = await store.batches.getLive(project.id, labelerId);
    if (!live || !live.value.taskIds.includes(taskId)) return undefined;
    const leaseMs = project.batchPolicy.leaseMinutes * 60_000;
    const now = this.#now();
    const updated = await updateBatch(
      store.batches,
      project.id,
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
}
