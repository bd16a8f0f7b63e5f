import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { labelingContext } from './http/labelingRoute';
import { runsWithFieldOutcomes } from './http/trainingRoute';

/**
 * `GET /api/projects/{projectId}/training-runs` (admin or member): training runs, oldest first, each with how
 * labelers treated its prelabels.
 */
export async function listTrainingRuns(request: HttpRequest): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const runs = await services().store.trainingRuns.list(ctx.project.id);
  return { status: 200, jsonBody: { items: await runsWithFieldOutcomes(ctx.project.id, runs) } };
}

app.http('listTrainingRuns', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/training-runs',
  handler: listTrainingRuns,
});
