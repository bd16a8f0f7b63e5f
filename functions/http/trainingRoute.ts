import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { services, trainingServices } from '../../adapters/composition';
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
