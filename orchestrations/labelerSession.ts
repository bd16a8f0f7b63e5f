import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import {
  allocateBatch,
  batchEnded,
  expireBatch,
  labelerSession as sessionContract,
  requestBatch,
  type AllocatedBatch,
  type LabelerSessionStatus,
} from '../shared/workflows/labeling';
import { call, continueAsNew, inputOf, payloadOf, waitFor } from './calls';

/**
 * One labeler's session in one project (instance `labeler-<project>-<hash(user)>`): allocate a batch for the
 * request, hold it until it is finished or released or its lease runs out (the lease is extended by each
 * submission, so the timer re-arms to the latest expiry), return unfinished tasks to the pool, wait for the next
 * request (or take the one that arrived meanwhile), then continue as new to serve it.
 *
 * The next request is waited for before continue-as-new, not after: continue-as-new drops every event its episode
 * received and did not consume (DTFx discards the rest of the batch; devhost does the same), and a labeler asks for
 * the next batch the moment they submit the last image, so that request often lands in the very episode that sees
 * `batchEnded`. Dropped, it was served only when the endpoint raised it again 1.5 s later.
 *
 * Every `Task.any` holds only tasks created for it. The Functions Durable extension re-creates a timer that is put
 * into a second compound task under a new task id (durable-js#574); its firing would then complete the wrong slot
 * and fail the instance. So each round of the wait creates its own events and timer, and cancels the timer it
 * leaves behind.
 */
export const labelerSession: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = inputOf(context, sessionContract);
  const { projectId, labelerId } = input;
  let requestId = input.requestId;
  while (!requestId) {
    const request = waitFor(context, requestBatch);
    yield request;
    requestId = payloadOf(requestBatch, request)?.requestId; // a malformed raise is ignored
  }
  context.df.setCustomStatus({ requestId } satisfies LabelerSessionStatus);

  let batch: AllocatedBatch;
  try {
    batch = yield* call(context, allocateBatch, { projectId, labelerId, requestId });
  } catch {
    // The store stayed unavailable through every retry: serve nothing now; the labeler's next request starts over.
    continueAsNew(context, sessionContract, { projectId, labelerId });
    return undefined;
  }
  context.df.setCustomStatus({
    requestId,
    batchId: batch.batchId,
    leaseExpiresAt: batch.leaseExpiresAt,
  } satisfies LabelerSessionStatus);

  const heldUntil = batch.taskCount > 0 ? yield* holdBatch(context, projectId, batch, requestId) : undefined;
  const nextRequestId = heldUntil ?? (yield* nextRequest(context, requestId));
  continueAsNew(context, sessionContract, { projectId, labelerId, requestId: nextRequestId });
  return undefined;
};

/**
 * The next request other than the one just served (raised again by a slow endpoint, it already has its batch). Only
 * events are waited for here: the session holds nothing, so there is no timer and the execution may idle for days.
 */
function* nextRequest(context: OrchestrationContext, served: string): Generator<Task, string, unknown> {
  for (;;) {
    const request = waitFor(context, requestBatch);
    yield request;
    const asked = payloadOf(requestBatch, request)?.requestId; // a malformed raise is ignored
    if (asked && asked !== served) return asked;
  }
}

/**
 * Waits until the batch ends (finished or released), its lease runs out, or the labeler asks for another batch
 * (the endpoint only asks when it found no live batch: this one has ended, or allocation returns it again). Returns
 * the request to serve next, if one arrived (it is carried in the next execution's input).
 */
function* holdBatch(
  context: OrchestrationContext,
  projectId: string,
  batch: AllocatedBatch,
  requestId: string,
): Generator<Task, string | undefined, unknown> {
  let leaseExpiresAt = batch.leaseExpiresAt;
  for (;;) {
    const ended = waitFor(context, batchEnded);
    const request = waitFor(context, requestBatch);
    const lease = context.df.createTimer(new Date(leaseExpiresAt));
    const winner = yield context.df.Task.any([ended, request, lease]);
    if (!lease.isCompleted) lease.cancel();

    if (winner === ended) {
      // A late hint about an earlier batch must not stop this one's lease: it would then never expire.
      if (payloadOf(batchEnded, ended)?.batchId === batch.batchId) return undefined;
      continue;
    }
    if (winner === request) {
      const asked = payloadOf(requestBatch, request)?.requestId;
      if (!asked || asked === requestId) continue; // the same request raised again, or a malformed one
      return asked;
    }
    const check = yield* call(context, expireBatch, { projectId, batchId: batch.batchId });
    // A request raised while the check ran went to this round's waiter, the only one open then (durable-js hands an
    // event to the newest open waiter of its name): take it from there, or it is lost with this round.
    const askedMeanwhile = request.isCompleted ? payloadOf(requestBatch, request)?.requestId : undefined;
    if (askedMeanwhile && askedMeanwhile !== requestId) return askedMeanwhile;
    if (check.closed || !check.leaseExpiresAt) return undefined;
    leaseExpiresAt = check.leaseExpiresAt;
  }
}

df.app.orchestration(sessionContract.name, labelerSession);
