import type { Decision } from './blobFacts';
import { sameLabels, type AnnotationBody } from './annotation';
import { claimableStates, type Annotation, type Assignment, type Task } from './task';

/** Expected labeling refusals; triggers map `code` to an HTTP status (409 for conflicts, 404 for missing). */
export class LabelingError extends Error {
  constructor(
    readonly code: 'TASK_NOT_FOUND' | 'NOT_YOUR_TASK' | 'ALREADY_LABELED' | 'NOT_LABELABLE',
    message: string,
  ) {
    super(message);
    this.name = 'LabelingError';
  }
}

export interface Submitter {
  labelerId: string;
  now: string;
}

/**
 * Whether `who` may still write to this task: it is in their live batch, or their lease expired and nobody has
 * claimed the task since (it was released from them and is still waiting in the pool).
 */
function mayWrite(task: Task, who: string): boolean {
  if (task.state === 'assigned') return task.assignment?.labelerId === who;
  if (task.state === 'new' || task.state === 'prelabeled') return task.releasedFrom?.labelerId === who;
  return false;
}

function refuse(task: Task | undefined): never {
  if (!task || task.state === 'removed' || task.state === 'rejected') {
    throw new LabelingError('NOT_LABELABLE', 'This image is no longer part of the project (deleted or unusable).');
  }
  if (task.state === 'assigned') {
    throw new LabelingError('NOT_YOUR_TASK', 'This image is in another labeler’s batch.');
  }
  if (task.state === 'labeled' || task.state === 'skipped') {
    throw new LabelingError(
      'ALREADY_LABELED',
      `This image was already ${task.state} by ${task.annotation?.by ?? task.skip?.by}.`,
    );
  }
  throw new LabelingError(
    'NOT_YOUR_TASK',
    'This image is not in your live batch: ask for a batch (POST …/batches) and label what it holds.',
  );
}

function prelabelOutcome(task: Task, body: AnnotationBody): Annotation['prelabelOutcome'] {
  if (!task.prelabel) return undefined;
  if ((body.boxes?.length ?? 0) === 0 && (body.labels?.length ?? 0) === 0) return 'cleared';
  return sameLabels(body, { boxes: task.prelabel.boxes, labels: task.prelabel.labels }) ? 'accepted' : 'edited';
}

/** Submitting labels. Re-sending the same labels is a no-op; anything else outside the caller's batch is refused. */
export function decideSubmit(task: Task | undefined, body: AnnotationBody, by: Submitter): Decision {
  if (task?.state === 'labeled' && task.annotation?.by === by.labelerId && sameLabels(task.annotation, body)) {
    return { kind: 'ignore', reason: 'same annotation already recorded' };
  }
  if (!task || !mayWrite(task, by.labelerId)) refuse(task);
  const annotation: Annotation = {
    ...(body.boxes ? { boxes: body.boxes } : {}),
    ...(body.labels ? { labels: body.labels } : {}),
    by: by.labelerId,
    at: by.now,
    ...(body.secondsOnTask !== undefined ? { secondsOnTask: body.secondsOnTask } : {}),
  };
  const outcome = prelabelOutcome(task, body);
  if (outcome) {
    annotation.prelabelOutcome = outcome;
    annotation.prelabelRunId = task.prelabel!.modelRunId;
  }
  // A prelabel still pending for this task is moot: a person labeled it.
  const { assignment: _done, releasedFrom: _r, skip: _s, pendingPrelabel: _p, ...rest } = task;
  return { kind: 'write', task: { ...rest, state: 'labeled', annotation, updatedAt: by.now } };
}

export type SkipReason = 'noObjects' | 'badImage' | 'unsure';

/** Skipping an image (no objects, bad image, unsure). Repeating the same skip is a no-op. */
export function decideSkip(task: Task | undefined, reason: SkipReason | undefined, by: Submitter): Decision {
  if (task?.state === 'skipped' && task.skip?.by === by.labelerId && task.skip.reason === reason) {
    return { kind: 'ignore', reason: 'already skipped' };
  }
  if (!task || !mayWrite(task, by.labelerId)) refuse(task);
  const { assignment: _done, releasedFrom: _r, pendingPrelabel: _p, ...rest } = task;
  return {
    kind: 'write',
    task: {
      ...rest,
      state: 'skipped',
      skip: { by: by.labelerId, at: by.now, ...(reason ? { reason } : {}) },
      updatedAt: by.now,
    },
  };
}

/**
 * Returns an unfinished task of batch `batchId` to the pool (lease expiry or an explicit release). Tasks already
 * submitted, or claimed by a later batch, are left alone: releasing is safe to repeat.
 */
export function decideRelease(task: Task | undefined, batchId: string, now: string): Decision {
  if (!task || task.state !== 'assigned' || task.assignment?.batchId !== batchId) {
    return { kind: 'ignore', reason: 'not in this batch any more' };
  }
  // A prelabel that arrived while the task was out is shown from now on (it never changed what the labeler saw).
  const { assignment, pendingPrelabel, ...rest } = task;
  const prelabel = pendingPrelabel ?? task.prelabel;
  return {
    kind: 'write',
    task: {
      ...rest,
      ...(prelabel ? { prelabel } : {}),
      state: prelabel ? 'prelabeled' : 'new',
      releasedFrom: { ...assignment!, at: now },
      updatedAt: now,
    },
  };
}

/**
 * The claim transition, applied by both store adapters to each candidate they race for: a claimable task (`new`, or
 * `prelabeled` awaiting review) moves to `assigned` under the batch's assignment. Anything else is not claimable
 * (undefined), which is what keeps a task out of two live batches whatever order claims arrive in.
 */
export function claimTask(task: Task, assignment: Assignment, now: string): Task | undefined {
  if (!claimableStates.includes(task.state)) return undefined;
  return { ...task, state: 'assigned', assignment, updatedAt: now };
}
