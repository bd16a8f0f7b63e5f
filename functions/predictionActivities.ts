import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { services, trainingServices } from '../adapters/composition';
import type { PartApplied } from '../shared/domain/prelabeling';
import { PredictionsService } from '../shared/services/predictions';
import { TrainingRunService } from '../shared/services/trainingRuns';
import type { InputOf } from '../shared/workflows/contract';
import { applyPredictionPart, listPredictionParts, recordPredictionsApplied } from '../shared/workflows/predictions';
import { nudgeMlAssist } from './http/labelingSignals';
import { registerActivity } from './workflow/registerActivity';

/** The activities of orchestrations/applyPredictions.ts; each is safe to run again (see PredictionsService). */

function predictions(): PredictionsService {
  return new PredictionsService({ store: services().store, backend: trainingServices().backend });
}

export async function listPredictionPartsActivity(input: InputOf<typeof listPredictionParts>): Promise<string[]> {
  const run = (await services().store.trainingRuns.get(input.projectId, input.runId))?.value;
  if (!run) throw new Error(`training run ${input.runId} of ${input.projectId} does not exist`);
  return predictions().parts(run);
}

export function applyPredictionPartActivity(input: InputOf<typeof applyPredictionPart>): Promise<PartApplied> {
  return predictions().applyPart(input.projectId, input.runId, input.part);
}

/** Records progress; when the last part completes the run, the ML Assist coordinator looks at what is due next. */
export async function recordPredictionsAppliedActivity(
  input: InputOf<typeof recordPredictionsApplied>,
  context: InvocationContext,
): Promise<void> {
  const { projectId, runId, ...counts } = input;
  const { store } = services();
  const { backend, files } = trainingServices();
  const { finished } = await new TrainingRunService({ store, backend, files }).recordPredictionsApplied(
    projectId,
    runId,
    counts,
  );
  if (finished) await nudgeMlAssist(df.getClient(context), projectId);
}

registerActivity(listPredictionParts, listPredictionPartsActivity);
registerActivity(applyPredictionPart, applyPredictionPartActivity);
registerActivity(recordPredictionsApplied, recordPredictionsAppliedActivity, { durableClient: true });
