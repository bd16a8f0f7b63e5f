import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  labelingActivities,
  labelingEvents,
  labelingOrchestrations,
  type AllocatedBatch,
  type BatchEndedEvent,
  type BatchRequestEvent,
  type ExpireBatchResult,
  type LabelerSessionInput,
} from '../shared/domain/labelingWorkflow';

/**
 * One labeler's session in one project (instance `labeler-<project>-<hash(user)>`): allocate a batch for the
 * request, hold it until it is finished or released or its lease runs out (the lease is extended by each
 * submission, so the timer re-arms to the latest expiry), return unfinished tasks to the pool, then continue as new
 * and wait for the next request (or serve the one that arrived meanwhile).
 */
export const labelerSession: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as LabelerSessionInput;
  const { projectId, labelerId } = input;
  let requestId = input.requestId;
  if (!requestId) {
    const request = (yield context.df.waitForExternalEvent(labelingEvents.requestBatch)) as BatchRequestEvent;
    requestId = request.requestId;
  }
  const batch = (yield context.df.callActivity(labelingActivities.allocateBatch, {
    projectId,
    labelerId,
    requestId,
  })) as AllocatedBatch;
  context.df.setCustomStatus({ batchId: batch.batchId, requestId, leaseExpiresAt: batch.leaseExpiresAt });

  // A request for the next batch that arrives while this one is held is served by the next execution (events this
  // execution received but did not wait for are gone after continue-as-new).
  let nextRequestId: string | undefined;
  if (batch.taskCount > 0) {
    let lease = context.df.createTimer(new Date(batch.leaseExpiresAt));
    for (;;) {
      const ended = context.df.waitForExternalEvent(labelingEvents.batchEnded);
      const request = context.df.waitForExternalEvent(labelingEvents.requestBatch);
      const winner = yield context.df.Task.any([ended, request, lease]);
      if (winner === ended) {
        // A late hint about an earlier batch must not stop this one's lease: it would then never expire.
        if ((ended.result as BatchEndedEvent | undefined)?.batchId !== batch.batchId) continue;
        lease.cancel();
        break;
      }
      if (winner === request) {
        const asked = (request.result as BatchRequestEvent).requestId;
        if (asked === requestId) continue; // the same request raised again
        // The endpoint only asks when it found no live batch: this one has ended, or allocation returns it again.
        lease.cancel();
        nextRequestId = asked;
        break;
      }
      const check = (yield context.df.callActivity(labelingActivities.expireBatch, {
        projectId,
        batchId: batch.batchId,
      })) as ExpireBatchResult;
      if (check.closed || !check.leaseExpiresAt) break;
      lease = context.df.createTimer(new Date(check.leaseExpiresAt));
    }
  }
  context.df.continueAsNew({
    projectId,
    labelerId,
    ...(nextRequestId ? { requestId: nextRequestId } : {}),
  } satisfies LabelerSessionInput);
  return undefined;
};

df.app.orchestration(labelingOrchestrations.labelerSession, labelerSession);
