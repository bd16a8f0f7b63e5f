import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { evaluateTraining, labeled, mlAssist as mlAssistContract } from '../shared/workflows/labeling';
import { call, continueAsNew, inputOf, waitFor } from './calls';

/**
 * The project's ML Assist coordinator (singleton `mlassist-<project>`). It counts labeled images toward the
 * training threshold by asking the store, never by counting nudges: it evaluates, then sleeps until the next nudge
 * (sent by labeled submissions once the count has reached the next threshold, and by the reconcile timer when it
 * finds a threshold reached, which covers a lost nudge) and continues as new. Nudges that arrive while it evaluates
 * collapse into that evaluation, so duplicates or losses cannot change the outcome.
 *
 * It holds no timer: an idle project costs nothing and the app can scale to zero. An evaluation that keeps failing
 * through its retries is given up until the next nudge rather than failing the instance (a failed singleton would
 * swallow every later nudge); the nudging side also restarts an instance it finds terminal. An archived or deleted
 * project ends the coordinator.
 */
export const mlAssist: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { projectId } = inputOf(context, mlAssistContract);
  try {
    const evaluation = yield* call(context, evaluateTraining, { projectId });
    context.df.setCustomStatus(evaluation);
    if (evaluation.stop) return undefined;
  } catch (err) {
    context.df.setCustomStatus({ lastError: err instanceof Error ? err.message : String(err) });
  }
  yield waitFor(context, labeled);
  continueAsNew(context, mlAssistContract, { projectId });
  return undefined;
};

df.app.orchestration(mlAssistContract.name, mlAssist);
