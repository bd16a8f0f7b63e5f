import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { randomUUID } from 'node:crypto';
import { durableClient } from './http/durableClient';
import { allocatingResponse } from './http/allocating';
import { obtainBatch } from './http/batchRequest';
import { batchService, labelingContext } from './http/labelingRoute';

/**
 * `GET /api/projects/{projectId}/tasks/next` (labeler, member): the next image to label from the caller's live
 * batch, allocating a batch when they hold none. `task: null` with a reason when nothing is left.
 */
export async function nextTask(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request, { needsActive: true });
  if (!ctx.ok) return ctx.response;
  const service = batchService();
  const requestId = randomUUID();
  const batch = await obtainBatch(durableClient(context), service, ctx.project.id, ctx.principal.userId, requestId);
  if (!batch) return allocatingResponse(ctx.project.id, requestId);
  const view = await service.view(ctx.project, batch);
  const next = view.tasks.find((t) => t.state === 'assigned');
  return {
    status: 200,
    headers: { 'cache-control': 'no-store' },
    jsonBody: {
      batchId: view.batchId,
      leaseExpiresAt: view.leaseExpiresAt,
      remaining: view.remaining,
      task: next ?? null,
      ...(next ? {} : { reason: view.reason ?? 'Your batch is finished: ask for the next one.' }),
    },
  };
}

app.http('nextTask', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/tasks/next',
  extraInputs: [df.input.durableClient()],
  handler: nextTask,
});
