import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { batchService, labelingContext } from './http/labelingRoute';
import { problem } from './http/problem';

/** `GET /api/projects/{projectId}/batches/current` (labeler, member): the caller's live batch. */
export async function currentBatch(request: HttpRequest): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const service = batchService();
  const batch = await service.find(ctx.project.id, ctx.principal.userId);
  if (!batch) return problem(404, 'No live batch', 'You hold no batch in this project: POST …/batches to get one.');
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: await service.view(ctx.project, batch) };
}

app.http('currentBatch', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/batches/current',
  handler: currentBatch,
});
