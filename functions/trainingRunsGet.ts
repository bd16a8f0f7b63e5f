import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { labelingContext } from './http/labelingRoute';
import { notFound } from './http/problem';
import { runIdParam, runsWithFieldOutcomes } from './http/trainingRoute';

/**
 * `GET /api/projects/{projectId}/training-runs/{runId}` (admin or member): one run with its state and figures, and
 * how labelers treated its prelabels.
 */
export async function getTrainingRun(request: HttpRequest): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const runId = runIdParam(request);
  const run = runId && (await services().store.trainingRuns.get(ctx.project.id, runId));
  if (!run) return notFound(`Training run '${request.params.runId ?? ''}'`);
  const [shown] = await runsWithFieldOutcomes(ctx.project.id, [run.value]);
  return { status: 200, headers: { etag: run.etag, 'cache-control': 'no-store' }, jsonBody: shown };
}

app.http('getTrainingRun', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/training-runs/{runId}',
  handler: getTrainingRun,
});
