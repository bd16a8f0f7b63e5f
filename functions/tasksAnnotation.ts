import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { services } from '../adapters/composition';
import { annotationSchemaFor } from '../shared/domain/annotation';
import { taskIdSchema } from '../shared/domain/ids';
import { durableClient } from './http/durableClient';
import { labelingProblem } from './http/labelingErrors';
import { labelingContext, labelingService } from './http/labelingRoute';
import { nudgeMlAssist, signalBatchEnded } from './http/labelingSignals';
import { readJsonBody, readRouteParams } from './http/parse';
import { notFound } from './http/problem';

const paramsSchema = z.object({ taskId: taskIdSchema });

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
  const task = await services().store.getTask(ctx.project.id, taskId);
  if (!task) return notFound(`Task '${taskId}'`);
  const body = await readJsonBody(request, annotationSchemaFor(ctx.project, task.value));
  if (!body.ok) return body.response;

  const service = labelingService();
  let submitted;
  try {
    submitted = await service.submit(ctx.project.id, ctx.principal.userId, taskId, body.value);
  } catch (err) {
    return labelingProblem(err);
  }
  const client = durableClient(context);
  if (submitted.finishedBatch) {
    await signalBatchEnded(client, ctx.project.id, ctx.principal.userId, submitted.finishedBatch.id);
  }
  // The coordinator re-reads the store; it only needs waking once a training threshold has been reached.
  if (submitted.result.outcome === 'written' && (await service.trainingDue(ctx.project))) {
    await nudgeMlAssist(client, ctx.project.id);
  }
  const stored = submitted.result.task ?? (await services().store.getTask(ctx.project.id, taskId))?.value;
  return {
    status: 200,
    jsonBody: {
      taskId,
      state: stored?.state,
      annotation: stored?.annotation,
      unchanged: submitted.result.outcome === 'ignored',
      batchFinished: submitted.finishedBatch !== undefined,
    },
  };
}

app.http('submitAnnotation', {
  methods: ['PUT'],
  authLevel: 'anonymous',
  route: 'projects/{projectId}/tasks/{taskId}/annotation',
  extraInputs: [df.input.durableClient()],
  handler: submitAnnotation,
});
