import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { randomUUID } from 'node:crypto';
import { idempotencyKeySchema } from '../shared/domain/ids';
import { durableClient } from './http/durableClient';
import { allocatingResponse } from './http/allocating';
import { obtainBatch } from './http/batchRequest';
import { batchService, labelingContext } from './http/labelingRoute';
import { problem } from './http/problem';

/**
 * `POST /api/projects/{projectId}/batches` (labeler, member): returns the caller's live batch or allocates a new one
 * through their session orchestration — images with read URLs valid ~1 h, sizes, prelabels, and the lease expiry.
 * `Idempotency-Key` makes a retried request return the batch of the first attempt. An empty batch (200,
 * `tasks: []`) carries the reason. When allocation takes longer than a few seconds the answer is 202 with a
 * status URL for this request (`GET …/batches/requests/{requestId}`).
 */
export async function requestBatchHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request, { needsActive: true });
  if (!ctx.ok) return ctx.response;
  const key = request.headers.get('idempotency-key');
  if (key !== null && !idempotencyKeySchema.safeParse(key).success) {
    return problem(400, 'Invalid request', 'Idempotency-Key: 1-128 characters of letters, digits and ._:-', {
      errors: [{ field: 'Idempotency-Key', message: 'invalid format' }],
    });
  }
  const service = batchService();
  const requestId = key ?? randomUUID();
  const batch = await obtainBatch(durableClient(context), service, ctx.project.id, ctx.principal.userId, requestId);
  if (!batch) return allocatingResponse(ctx.project.id, requestId);
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: await service.view(ctx.project, batch) };
}

app.http('requestBatch', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/batches',
  extraInputs: [df.input.durableClient()],
  handler: requestBatchHandler,
});
