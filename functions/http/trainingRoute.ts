import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { services, trainingServices } from '../../adapters/composition';
import { runOutcomes, type PrelabelOutcome } from '../../shared/domain/counters';
import type { TrainingRun } from '../../shared/domain/labelingRecords';
import { trainingRunIdPattern } from '../../shared/domain/training';
import { TrainingRunService } from '../../shared/services/trainingRuns';

/** Run ids as the app makes them (shared/domain/training.ts): a malformed one cannot name a run. */
export const runIdSchema = z.string().regex(trainingRunIdPattern, 'is not a training run id');

export function runIdParam(request: HttpRequest): string | undefined {
  const parsed = runIdSchema.safeParse(request.params.runId ?? '');
  return parsed.success ? parsed.data : undefined;
}

export function trainingRunService(): TrainingRunService {
  const { store } = services();
  const { backend, files } = trainingServices();
  return new TrainingRunService({ store, backend, files });
}

/**
 * A run as the API shows it: the stored record plus how labelers treated its prelabels in the field (accepted
 * unchanged, edited, cleared), from the maintained counters.
 */
export async function runsWithFieldOutcomes(
  projectId: string,
  runs: readonly TrainingRun[],
): Promise<Array<TrainingRun & { fieldOutcomes: Record<PrelabelOutcome, number> }>> {
  const values = await services().store.tasks.counterValues(projectId, { prefixes: ['run.'] });
  return runs.map((run) => ({ ...run, fieldOutcomes: runOutcomes(values, run.id) }));
}
