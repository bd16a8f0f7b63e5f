import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { durableClient } from './http/durableClient';
import { refusedProblem } from './http/labelingErrors';
import { labelingContext, submissionService } from './http/labelingRoute';
import { readJsonBody } from './http/parse';
import { signalSubmission } from './http/submissionSignals';

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
  route: 'projects/{projectId}/tasks/{taskId}/skip',
  extraInputs: [df.input.durableClient()],
  handler: skipTask,
});
