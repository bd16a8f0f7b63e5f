import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  labelingActivities,
  labelingEvents,
  labelingOrchestrations,
  mlAssistSafetyIntervalMs,
  type MlAssistInput,
} from '../shared/domain/labelingWorkflow';

/**
 * The project's ML Assist coordinator (singleton `mlassist-<project>`). It counts labeled images toward the
 * training threshold by asking the store, never by counting nudges: it evaluates, waits for the next nudge (sent by
 * labeled submissions once the count has reached the next threshold) or the safety interval, and continues as new.
 * Nudges that arrive while it evaluates collapse into that evaluation, so a burst of submissions costs one read,
 * and duplicates or losses cannot change the outcome.
 */
export const mlAssist: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as MlAssistInput;
  yield context.df.callActivity(labelingActivities.evaluateTraining, { projectId: input.projectId });
  const nudge = context.df.waitForExternalEvent(labelingEvents.labeled);
  const safety = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + mlAssistSafetyIntervalMs));
  const winner = yield context.df.Task.any([nudge, safety]);
  if (winner === nudge) safety.cancel();
  context.df.continueAsNew({ projectId: input.projectId } satisfies MlAssistInput);
  return undefined;
};

df.app.orchestration(labelingOrchestrations.mlAssist, mlAssist);
