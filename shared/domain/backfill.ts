import { decideBlobDeleted, type Decision } from './blobFacts';
import type { Project } from './project';
import { isLive, type Task } from './task';

/**
 * Backfill and reconciliation of a project's container (orchestrations/backfillProject.ts): the run's contract,
 * its progress arithmetic and its decisions. Pure, so the orchestrator (which must be deterministic) can use it.
 */

/** One instance per project: a second start while it runs joins the running one instead of racing it. */
export function backfillInstanceId(projectId: string): string {
  return `backfill-${projectId}`;
}

/**
 * listing: the container is listed page by page and each page registered.
 * reconciling: tasks that existed before the run are checked against storage; vanished blobs are marked removed.
 */
export type BackfillPhase = 'starting' | 'listing' | 'reconciling' | 'completed' | 'skipped';

/** The orchestration's custom status: what an admin sees while the run goes. */
export interface BackfillProgress {
  phase: BackfillPhase;
  pagesListed: number;
  blobsSeen: number;
  registered: number;
  alreadyKnown: number;
  rejected: number;
  tasksChecked: number;
  markedRemoved: number;
  startedAt: string;
  completedAt?: string;
  /** Why the run stopped early or what it could not see (project gone, container missing). */
  note?: string;
}

/** Where a run is; carried through `continueAsNew` so history stays bounded and a restart resumes. */
export interface BackfillCursor {
  phase: 'listing' | 'reconciling' | 'completed';
  continuationToken?: string;
  /** Whether the project held tasks before the run: a first backfill has nothing to reconcile. */
  reconcile: boolean;
  progress: BackfillProgress;
}

export interface PrepareResult {
  /** Why the project cannot be backfilled (not found, archived); absent when it can. */
  skip?: string;
  tasksBefore: number;
}

export interface ListPageResult {
  listed: number;
  registered: number;
  alreadyKnown: number;
  rejected: number;
  continuationToken?: string;
  note?: string;
}

export interface CheckPageResult {
  checked: number;
  markedRemoved: number;
  continuationToken?: string;
}

export function initialProgress(startedAt: string): BackfillProgress {
  return {
    phase: 'starting',
    pagesListed: 0,
    blobsSeen: 0,
    registered: 0,
    alreadyKnown: 0,
    rejected: 0,
    tasksChecked: 0,
    markedRemoved: 0,
    startedAt,
  };
}

export function startCursor(startedAt: string, tasksBefore: number): BackfillCursor {
  return {
    phase: 'listing',
    reconcile: tasksBefore > 0,
    progress: { ...initialProgress(startedAt), phase: 'listing' },
  };
}

function finished(cursor: BackfillCursor): BackfillCursor {
  return { ...cursor, phase: 'completed', continuationToken: undefined, progress: { ...cursor.progress } };
}

export function afterListPage(cursor: BackfillCursor, page: ListPageResult): BackfillCursor {
  const p = cursor.progress;
  const progress: BackfillProgress = {
    ...p,
    pagesListed: p.pagesListed + 1,
    blobsSeen: p.blobsSeen + page.listed,
    registered: p.registered + page.registered,
    alreadyKnown: p.alreadyKnown + page.alreadyKnown,
    rejected: p.rejected + page.rejected,
    ...(page.note ? { note: page.note } : {}),
  };
  if (page.continuationToken) return { ...cursor, continuationToken: page.continuationToken, progress };
  if (!cursor.reconcile) return finished({ ...cursor, progress });
  return {
    ...cursor,
    phase: 'reconciling',
    continuationToken: undefined,
    progress: { ...progress, phase: 'reconciling' },
  };
}

export function afterCheckPage(cursor: BackfillCursor, page: CheckPageResult): BackfillCursor {
  const p = cursor.progress;
  const progress = {
    ...p,
    tasksChecked: p.tasksChecked + page.checked,
    markedRemoved: p.markedRemoved + page.markedRemoved,
  };
  if (page.continuationToken) return { ...cursor, continuationToken: page.continuationToken, progress };
  return finished({ ...cursor, progress });
}

export function completedProgress(cursor: BackfillCursor, completedAt: string): BackfillProgress {
  return { ...cursor.progress, phase: 'completed', completedAt };
}

/** A task worth an existence check: live, and older than the run (so not just registered from the listing). */
export function needsExistenceCheck(task: Task, createdBefore: string): boolean {
  return isLive(task.state) && task.createdAt < createdBefore;
}

/**
 * Marks a task removed because its blob is gone although no BlobDeleted event said so (missed while the app was
 * down, or dead-lettered). The decision re-runs on the stored task inside the store's optimistic write, so:
 * - if an event changed the task after the existence check (new eTag or sequencer), the event wins: nothing written;
 * - the removal keeps the task's own sequencer, so any real event for a later upload (a newer sequencer) still
 *   applies, while stale or duplicate deliveries of older events stay ignored.
 * The state change itself (labels kept, assignment released) is decideBlobDeleted's.
 */
export function decideBlobMissing(projectId: string, existing: Task | undefined, checked: Task, now: string): Decision {
  if (!existing || !isLive(existing.state)) return { kind: 'ignore', reason: 'not live any more' };
  if (existing.eTag !== checked.eTag || existing.sequencer !== checked.sequencer) {
    return { kind: 'ignore', reason: 'changed since the existence check' };
  }
  // decideBlobDeleted applies only a strictly newer sequencer; this removal has none of its own, so present the
  // task as unsequenced with a placeholder and put its real sequencer back afterwards.
  const decision = decideBlobDeleted(
    projectId,
    { ...existing, sequencer: '' },
    existing.container,
    existing.blobPath,
    existing.blobUrl,
    '0',
    now,
  );
  if (decision.kind === 'ignore') return decision;
  return { kind: 'write', task: { ...decision.task, sequencer: existing.sequencer } };
}

/** Whether the reconcile timer should start a run now, given the project and its last run (if any). */
export function isReconcileDue(
  project: Pick<Project, 'status' | 'incrementalRefresh'>,
  lastRun: { running: boolean; lastUpdatedTime: Date } | undefined,
  now: Date,
): boolean {
  if (project.status === 'archived' || !project.incrementalRefresh.enabled) return false;
  if (!lastRun) return true;
  if (lastRun.running) return false;
  return now.getTime() - lastRun.lastUpdatedTime.getTime() >= project.incrementalRefresh.intervalMinutes * 60_000;
}
