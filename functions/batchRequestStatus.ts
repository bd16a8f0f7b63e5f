import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { idempotencyKeySchema } from '../shared/domain/ids';
import { durableClient } from './http/durableClient';
import { allocatingResponse } from './http/allocating';
import { isServing, sessionStatus } from './http/batchRequest';
import { batchService, labelingContext } from './http/labelingRoute';
import { readRouteParams } from './http/parse';
import { problem } from './http/problem';

/** Request ids are Idempotency-Key values (or the ids the app generates for requests without one). */
export const paramsSchema = z.object({ requestId: idempotencyKeySchema });

/**
 * `GET /api/projects/{projectId}/batches/requests/{requestId}` (labeler, member): the status URL of a batch request
 * answered 202. 200 with the batch once allocated (also an empty one, with its reason); 202 while the caller's
 * session still works on that request; 404 for a request the session never saw.
 */
export async function batchRequestStatus(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  const { requestId } = params.value;
  const service = batchService();
  const status = await sessionStatus(durableClient(context), ctx.project.id, ctx.principal.userId);
  const served = status.customStatus?.requestId === requestId ? status.customStatus.batchId : undefined;
  const batch = await service.forRequest(ctx.project.id, ctx.principal.userId, requestId, served);
  if (batch) {
    return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: await service.view(ctx.project, batch) };
  }
  if (isServing(status, requestId)) return allocatingResponse(ctx.project.id, requestId);
  return problem(404, 'Unknown batch request', `No batch request '${requestId}' is being allocated for you.`);
}

app.http('batchRequestStatus', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/batches/requests/{requestId}',
  extraInputs: [df.input.durableClient()],
  handler: batchRequestStatus,
});
