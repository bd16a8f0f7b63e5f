import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { TrainingService } from '../shared/services/training';
import { problem } from './http/problem';
import { adminProject } from './http/projectRoute';
import { requestPath } from './http/requestPath';

const refusals = { ARCHIVED: 409, ML_ASSIST_OFF: 409, RUN_IN_PROGRESS: 409, TOO_FEW_LABELS: 422 } as const;

/**
 * `POST /api/projects/{projectId}/training-runs` (admin, "train now"): requests a training run on the labels as they
 * are. 202 with the run and `Location` to follow it; the training poll takes it from there. Repeating the request
 * before more labels arrive returns the same run (200). 409 while another run is in progress (naming it).
 */
export async function createTrainingRun(request: HttpRequest): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const outcome = await new TrainingService(services()).requestNow(admin.project.value, admin.principal.userId);
  if (!outcome.ok) {
    return problem(refusals[outcome.code], 'Training run not started', outcome.message, {
      code: outcome.code,
      ...(outcome.run ? { runId: outcome.run.id } : {}),
    });
  }
  const location = `${requestPath(request).replace(/\/$/, '')}/${outcome.run.id}`;
  return {
    status: outcome.created ? 202 : 200,
    headers: { location, 'cache-control': 'no-store' },
    jsonBody: outcome.run,
  };
}

app.http('createTrainingRun', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/training-runs',
  handler: createTrainingRun,
});
