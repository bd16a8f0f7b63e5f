import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { taskIdSchema } from '../shared/domain/ids';
import { durableClient } from './http/durableClient';
import { refusedProblem } from './http/labelingErrors';
import { labelingContext, submissionService } from './http/labelingRoute';
import { readOptionalJsonBody, readRouteParams } from './http/parse';
import { signalSubmission } from './http/submissionSignals';

export const skipSchema = z.object({ reason: z.enum(['noObjects', 'badImage', 'unsure']).optional() }).strict();
export const paramsSchema = z.object({ taskId: taskIdSchema });

/**
 * `POST /api/projects/{projectId}/tasks/{taskId}/skip` (labeler, member), body `{ "reason": "noObjects" | "badImage"
 * | "unsure" }` (optional; an empty body skips without a reason). Repeating the same skip is a no-op.
 */
export async function skipTask(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  const { taskId } = params.value;
  // Whether a body exists is decided by reading it: a chunked body carries no Content-Length.
  const body = await readOptionalJsonBody(request, skipSchema);
  if (!body.ok) return body.response;
  const reason = body.value?.reason;
  const skipped = await submissionService().skip(ctx.project, ctx.principal.userId, taskId, reason);
  if (skipped.kind === 'refused') return refusedProblem(skipped);
  await signalSubmission(durableClient(context), ctx.project.id, ctx.principal.userId, skipped);
  return {
    status: 200,
    jsonBody: {
      taskId,
      state: skipped.result.task?.state ?? 'skipped',
      unchanged: skipped.result.outcome === 'ignored',
      batchFinished: skipped.finishedBatch !== undefined,
    },
  };
}

app.http('skipTask', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/tasks/{taskId}/skip',
  extraInputs: [df.input.durableClient()],
  handler: skipTask,
});
