import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { durableClient } from './http/durableClient';
import { labelingProblem } from './http/labelingErrors';
import { labelingContext, labelingService } from './http/labelingRoute';
import { signalBatchEnded } from './http/labelingSignals';
import { readJsonBody } from './http/parse';

const skipSchema = z.object({ reason: z.enum(['noObjects', 'badImage', 'unsure']).optional() }).strict();

/**
 * `POST /api/projects/{projectId}/tasks/{taskId}/skip` (labeler, member), body `{ "reason": "noObjects" | "badImage"
 * | "unsure" }` (optional; an empty body skips without a reason). Repeating the same skip is a no-op.
 */
export async function skipTask(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const taskId = request.params.taskId ?? '';
  let reason: z.infer<typeof skipSchema>['reason'];
  const hasBody = Number(request.headers.get('content-length') ?? 0) > 0;
  if (hasBody) {
    const body = await readJsonBody(request, skipSchema);
    if (!body.ok) return body.response;
    reason = body.value.reason;
  }
  let skipped;
  try {
    skipped = await labelingService().skip(ctx.project.id, ctx.principal.userId, taskId, reason);
  } catch (err) {
    return labelingProblem(err);
  }
  if (skipped.finishedBatch) {
    await signalBatchEnded(durableClient(context), ctx.project.id, ctx.principal.userId, skipped.finishedBatch.id);
  }
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
  route: 'projects/{projectId}/tasks/{taskId}/skip',
  extraInputs: [df.input.durableClient()],
  handler: skipTask,
});
