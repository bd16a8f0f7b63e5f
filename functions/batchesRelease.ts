import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durableClient } from './http/durableClient';
import { batchService, labelingContext } from './http/labelingRoute';
import { signalBatchEnded } from './http/labelingSignals';

/**
 * `POST /api/projects/{projectId}/batches/current/release` (labeler, member): hands the unfinished images of the
 * caller's live batch back to the pool. Safe to repeat: without a live batch it releases nothing.
 */
export async function releaseBatch(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const { batch, released } = await batchService().releaseCurrent(ctx.project.id, ctx.principal.userId);
  if (batch) await signalBatchEnded(durableClient(context), ctx.project.id, ctx.principal.userId, batch.id);
  return { status: 200, jsonBody: { batchId: batch?.id ?? null, released } };
}

app.http('releaseBatch', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/batches/current/release',
  extraInputs: [df.input.durableClient()],
  handler: releaseBatch,
});
