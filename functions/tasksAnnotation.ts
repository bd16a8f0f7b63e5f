import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { services } from '../adapters/composition';
import { annotationSchemaFor } from '../shared/domain/annotation';
import { taskIdSchema } from '../shared/domain/ids';
import { durableClient } from './http/durableClient';
import { refusedProblem } from './http/labelingErrors';
import { labelingContext, submissionService } from './http/labelingRoute';
import { readJsonBody, readRouteParams } from './http/parse';
import { notFound } from './http/problem';
import { signalSubmission } from './http/submissionSignals';

export const paramsSchema = z.object({ taskId: taskIdSchema });

/**
 * `PUT /api/projects/{projectId}/tasks/{taskId}/annotation` (labeler, member): submits boxes (object detection,
 * image pixels, validated against the image size and the project's labels) or class labels. Re-sending the same
 * annotation is a no-op (200); a task outside the caller's live batch → 409 with the reason.
 */
export async function submitAnnotation(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  const { taskId } = params.value;
  const task = await services().store.tasks.get(ctx.project.id, taskId);
  if (!task) return notFound(`Task '${taskId}'`);
  const body = await readJsonBody(request, annotationSchemaFor(ctx.project, task.value));
  if (!body.ok) return body.response;

  const submitted = await submissionService().submit(ctx.project, ctx.principal.userId, taskId, body.value);
  if (submitted.kind === 'refused') return refusedProblem(submitted);
  await signalSubmission(durableClient(context), ctx.project.id, ctx.principal.userId, submitted);
  return {
    status: 200,
    jsonBody: {
      taskId,
      state: submitted.task?.state,
      annotation: submitted.task?.annotation,
      unchanged: submitted.result.outcome === 'ignored',
      batchFinished: submitted.finishedBatch !== undefined,
    },
  };
}

app.http('submitAnnotation', {
  methods: ['PUT'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/tasks/{taskId}/annotation',
  extraInputs: [df.input.durableClient()],
  handler: submitAnnotation,
});
