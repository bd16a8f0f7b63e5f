import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { notFound, problem } from './http/problem';
import { adminProject } from './http/projectRoute';
import { runIdParam, trainingRunService } from './http/trainingRoute';

/**
 * `POST /api/projects/{projectId}/training-runs/{runId}/cancel` (admin): stops a run. A run not yet at the provider
 * (or only writing prelabels) ends at once; otherwise the provider's job is canceled by the next training poll and
 * the run ends when the provider confirms. 202 with the run; repeating it is harmless; 409 for a finished run.
 */
export async function cancelTrainingRun(request: HttpRequest): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const runId = runIdParam(request);
  const outcome = runId
    ? await trainingRunService().requestCancel(admin.project.value.id, runId, admin.principal.userId)
    : ({ kind: 'unknown' } as const);
  if (outcome.kind === 'unknown') return notFound(`Training run '${request.params.runId ?? ''}'`);
  if (outcome.kind === 'finished') {
    const { state } = outcome.run;
    return problem(409, 'Training run finished', `Training run ${runId} is ${state}; there is nothing to cancel.`, {
      state,
    });
  }
  return { status: 202, headers: { 'cache-control': 'no-store' }, jsonBody: outcome.run };
}

app.http('cancelTrainingRun', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/training-runs/{runId}/cancel',
  handler: cancelTrainingRun,
});
