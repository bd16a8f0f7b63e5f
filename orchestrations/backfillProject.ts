import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  afterCheckPage,
  afterListPage,
  completedProgress,
  initialProgress,
  startCursor,
  type BackfillCursor,
} from '../shared/domain/backfill';
import {
  backfillProject as backfillContract,
  checkBackfillPage,
  listBackfillPage,
  prepareBackfill,
} from '../shared/workflows/backfill';
import { call, continueAsNew, inputOf } from './calls';

/** Pages per execution before `continueAsNew`: keeps the replayed history short on a 1M-blob container. */
const pagesPerExecution = 20;

/**
 * `backfillProject`, instance `backfill-<projectId>`, input `{ projectId }`: registers every blob the project's
 * dataset holds (page by page), then — if the project already had tasks — marks tasks whose blob vanished without a
 * delete event as removed. Progress is the custom status. Started by project creation, `POST .../refresh` and the
 * reconcile timer; live Event Grid events may run at the same time (all writes are sequencer-aware decisions).
 * Storage hiccups and throttling are retried per the contracts; a persistent failure fails the run (the next refresh
 * or reconcile starts over, and registration is idempotent).
 */
export const backfillProject: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = inputOf(context, backfillContract);
  const { projectId } = input;
  let cursor: BackfillCursor;

  if (input.resume) {
    cursor = input.resume;
  } else {
    const startedAt = context.df.currentUtcDateTime.toISOString();
    context.df.setCustomStatus(initialProgress(startedAt));
    const prepared = yield* call(context, prepareBackfill, { projectId });
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
      continueAsNew(context, backfillContract, { projectId, resume: cursor });
      return undefined;
    }
    if (cursor.phase === 'listing') {
      const page = yield* call(context, listBackfillPage, {
        projectId,
        ...(cursor.continuationToken ? { continuationToken: cursor.continuationToken } : {}),
      });
      cursor = afterListPage(cursor, page);
    } else {
      const page = yield* call(context, checkBackfillPage, {
        projectId,
        ...(cursor.continuationToken ? { continuationToken: cursor.continuationToken } : {}),
        createdBefore: cursor.progress.startedAt,
      });
      cursor = afterCheckPage(cursor, page);
    }
    context.df.setCustomStatus(cursor.progress);
  }

  const done = completedProgress(cursor, context.df.currentUtcDateTime.toISOString());
  context.df.setCustomStatus(done);
  return done;
};

df.app.orchestration(backfillContract.name, backfillProject);
