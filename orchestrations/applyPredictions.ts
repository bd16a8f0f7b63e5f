import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  applyPredictionPart,
  applyPredictions as applyPredictionsContract,
  listPredictionParts,
  recordPredictionsApplied,
  type ApplyPredictionsResult,
} from '../shared/workflows/predictions';
import { call, callAll, continueAsNew, inputOf } from './calls';

/** Parts in flight at once: each is ~500 task writes, so this bounds the store's load, not the host's. */
const partsInParallel = 4;
/** Parts per execution before continue-as-new, so the replayed history stays short on a 118K-task project. */
const partsPerExecution = 40;

/**
 * `applyPredictions`, instance `predictions-<projectId>-<runId>`: writes a run's predictions onto the tasks, part by
 * part with bounded parallelism, recording progress on the run after each wave. Each part is idempotent (see
 * PredictionsService.applyPart), so a crash mid-fan-out resumes from the history with no gap and no duplicate, and
 * the counts come out the same. Started (again, if need be) by the training poll timer until the run shows every
 * part applied.
 */
export const applyPredictions: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = inputOf(context, applyPredictionsContract);
  const { projectId, runId } = input;
  const parts = yield* call(context, listPredictionParts, { projectId, runId });
  let done = input.done ?? 0;
  let prelabeled = input.prelabeled ?? 0;
  let scored = input.scored ?? 0;
  const stopAt = Math.min(parts.length, done + partsPerExecution);

  while (done < stopAt) {
    const wave = parts.slice(done, Math.min(stopAt, done + partsInParallel));
    const results = yield* callAll(
      context,
      applyPredictionPart,
      wave.map((part) => ({ projectId, runId, part })),
    );
    for (const r of results) {
      prelabeled += r.prelabeled;
      scored += r.scored;
    }
    done += wave.length;
    yield* call(context, recordPredictionsApplied, { projectId, runId, partsApplied: done, prelabeled, scored });
    context.df.setCustomStatus({ parts: parts.length, partsApplied: done, prelabeled, scored });
  }

  if (done < parts.length) {
    continueAsNew(context, applyPredictionsContract, { projectId, runId, done, prelabeled, scored });
    return undefined;
  }
  const result: ApplyPredictionsResult = { parts: parts.length, prelabeled, scored };
  return result;
};

df.app.orchestration(applyPredictionsContract.name, applyPredictions);
