import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  afterCheckPage,
  afterListPage,
  backfillActivities,
  backfillOrchestration,
  completedProgress,
  initialProgress,
  startCursor,
  type BackfillCursor,
  type BackfillInput,
  type CheckPageResult,
  type ListPageResult,
  type PrepareResult,
} from '../shared/domain/backfill';

/** Pages per execution before `continueAsNew`: keeps the replayed history short on a 1M-blob container. */
const pagesPerExecution = 20;

/** Storage hiccups and throttling are retried with backoff; a persistent failure fails the run (the next refresh or
 * reconcile starts over, and registration is idempotent). */
function retryOptions(): df.RetryOptions {
  const options = new df.RetryOptions(2_000, 6);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 60_000;
  return options;
}

/**
 * `backfillProject`, instance `backfill-<projectId>`, input `{ projectId }`: registers every blob the project's
 * dataset holds (page by page), then — if the project already had tasks — marks tasks whose blob vanished without a
 * delete event as removed. Progress is the custom status. Started by project creation, `POST .../refresh` and the
 * reconcile timer; live Event Grid events may run at the same time (all writes are sequencer-aware decisions).
 */
export const backfillProject: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as BackfillInput;
  const { projectId } = input;
  const retry = retryOptions();
  let cursor: BackfillCursor;

  if (input.resume) {
    cursor = input.resume;
  } else {
    const startedAt = context.df.currentUtcDateTime.toISOString();
    context.df.setCustomStatus(initialProgress(startedAt));
    const prepared = (yield context.df.callActivityWithRetry(backfillActivities.prepare, retry, {
      projectId,
    })) as PrepareResult;
    if (prepared.skip) {
      const skipped = { ...initialProgress(startedAt), phase: 'skipped' as const, note: prepared.skip };
      context.df.setCustomStatus(skipped);
      return skipped;
    }
    cursor = startCursor(startedAt, prepared.tasksBefore);
  }
  context.df.setCustomStatus(cursor.progress);

  for (let pages = 0; cursor.phase !== 'completed'; pages++) {
    if (pages === pagesPerExecution) {
      context.df.continueAsNew({ projectId, resume: cursor } satisfies BackfillInput);
      return undefined;
    }
    if (cursor.phase === 'listing') {
      const page = (yield context.df.callActivityWithRetry(backfillActivities.listPage, retry, {
        projectId,
        continuationToken: cursor.continuationToken,
      })) as ListPageResult;
      cursor = afterListPage(cursor, page);
    } else {
      const page = (yield context.df.callActivityWithRetry(backfillActivities.checkPage, retry, {
        projectId,
        continuationToken: cursor.continuationToken,
        createdBefore: cursor.progress.startedAt,
      })) as CheckPageResult;
      cursor = afterCheckPage(cursor, page);
    }
    context.df.setCustomStatus(cursor.progress);
  }

  const done = completedProgress(cursor, context.df.currentUtcDateTime.toISOString());
  context.df.setCustomStatus(done);
  return done;
};

df.app.orchestration(backfillOrchestration, backfillProject);
