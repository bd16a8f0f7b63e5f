import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { labelingContext } from './http/labelingRoute';

/** `GET /api/projects/{projectId}/training-runs` (admin or member): training runs, oldest first. */
export async function listTrainingRuns(request: HttpRequest): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  return { status: 200, jsonBody: { items: await services().store.trainingRuns.list(ctx.project.id) } };
}

app.http('listTrainingRuns', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/training-runs',
  handler: listTrainingRuns,
});
