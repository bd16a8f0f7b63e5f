import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { services, trainingServices } from '../adapters/composition';
import { TrainingRunService } from '../shared/services/trainingRuns';
import { appSettings } from '../shared/settings';
import { applyPredictions, predictionsInstanceId } from '../shared/workflows/predictions';
import { nudgeMlAssist } from './http/labelingSignals';

const running = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/**
 * The training poll (TRAINING_POLL_SCHEDULE, every minute by default): moves every run in progress along by asking
 * its provider (dataset and training job for a new request, inference once trained, the validation gate once
 * predicted), makes sure the prelabel fan-out runs for a run whose predictions are not all written, and tells the
 * project's ML Assist coordinator when a run has finished. Everything it does is idempotent, so a missed or repeated
 * tick, or a restart in the middle, only delays the next step.
 */
export async function pollTrainingRuns(_timer: Timer, context: InvocationContext): Promise<void> {
  const client = df.getClient(context);
  const { store } = services();
  const { backend, files } = trainingServices();
  const runs = new TrainingRunService({ store, backend, files });
  for (const run of await runs.runsToAdvance()) {
    try {
      const outcome = await runs.advance(run.projectId, run.id);
      if (!outcome) continue;
      if (outcome.run.state !== run.state) {
        context.log(`Training run ${run.projectId}/${run.id}: ${run.state} → ${outcome.run.state}.`);
      }
      if (outcome.applyPredictions) await ensureFanOut(client, run.projectId, run.id);
      if (outcome.finished) await nudgeMlAssist(client, run.projectId);
    } catch (err) {
      context.error(`Training run ${run.projectId}/${run.id} could not be advanced: ${String(err)}`);
    }
  }
}

/** Starts the run's fan-out unless it is running; a failed or terminated one starts over (its parts are idempotent). */
async function ensureFanOut(client: df.DurableClient, projectId: string, runId: string): Promise<void> {
  const instanceId = predictionsInstanceId(projectId, runId);
  const status = await client.getStatus(instanceId, { showInput: false }).catch(() => undefined);
  if (status && running.has(String(status.runtimeStatus))) return;
  try {
    await client.startNew(applyPredictions.name, {
      instanceId,
      input: applyPredictions.input.parse({ projectId, runId }),
    });
  } catch {
    // Started by a concurrent tick meanwhile: that one carries on.
  }
}

app.timer('pollTrainingRuns', {
  schedule: appSettings().training.pollSchedule,
  extraInputs: [df.input.durableClient()],
  handler: pollTrainingRuns,
});
