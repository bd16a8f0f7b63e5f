import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { annotationSchemaFor } from '../../../shared/domain/annotation';
import { idempotencyKeySchema } from '../../../shared/domain/ids';
import { maxLabels } from '../../../shared/services/projects';
import { paramsSchema as batchRequestParams } from '../../batchRequestStatus';
import { paramsSchema as annotationParams } from '../../tasksAnnotation';
import { skipSchema, paramsSchema as skipParams } from '../../tasksSkip';
import { jsonBody, jsonResponse, projectParams, route } from './components';
import { allocatingSchema, batchSchema, nextTaskSchema, submissionSchema } from './views';

// The annotation schema is built per project and image (labels, image size; shared/domain/annotation.ts). These are
// its two shapes, from the same builder; the label names and the box-inside-the-image rule are checked on top. The
// classification shape is the multi-label one for a project with the most labels a project may have (`maxLabels`), so
// `maxItems` is the bound over all projects; a single-label project takes one.
const noImage = { width: null, height: null };
const detectionBody = annotationSchemaFor({ type: 'objectDetection', labels: [] }, noImage);
const mostLabels = Array.from({ length: maxLabels }, (_, i) => ({ name: `label-${i}` }));
const classificationBody = annotationSchemaFor({ type: 'imageClassificationMultiLabel', labels: mostLabels }, noImage);

const allocating = jsonResponse("Still allocating: poll `Location` (this request's status URL)", allocatingSchema, {
  Location: { description: 'The batch request status URL', schema: { type: 'string' } },
});

export function registerLabeling(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/batches',
    tags: ['labeling'],
    summary: "The caller's live batch, or a new one",
    roles: 'member',
    request: {
      params: projectParams,
      headers: z.object({
        'idempotency-key': idempotencyKeySchema.optional().meta({ description: 'A retry returns the same batch' }),
      }),
    },
    responses: {
      200: jsonResponse('The batch (empty with a `reason` when no work is left)', batchSchema),
      202: allocating,
    },
    errors: [400, 404, 409],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/batches/current',
    tags: ['labeling'],
    summary: "The caller's live batch",
    roles: 'member',
    request: { params: projectParams },
    responses: { 200: jsonResponse('The live batch', batchSchema) },
    errors: [404],
  });
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/batches/current/release',
    tags: ['labeling'],
    summary: 'Hand the unfinished images back to the pool',
    roles: 'member',
    request: { params: projectParams },
    responses: {
      200: jsonResponse('Released', z.object({ batchId: z.string().nullable(), released: z.number().int() })),
    },
    errors: [404],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/batches/requests/{requestId}',
    tags: ['labeling'],
    summary: 'Status URL of a batch request answered 202',
    roles: 'member',
    request: { params: projectParams.extend(batchRequestParams.shape) },
    responses: { 200: jsonResponse('The batch', batchSchema), 202: allocating },
    errors: [400, 404],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/tasks/next',
    tags: ['labeling'],
    summary: 'The next image of the caller’s batch (allocating one when needed)',
    roles: 'member',
    request: { params: projectParams },
    responses: { 200: jsonResponse('The next task, or `task: null` with a reason', nextTaskSchema), 202: allocating },
    errors: [404, 409],
  });
  route(registry, {
    method: 'put',
    path: '/api/projects/{projectId}/tasks/{taskId}/annotation',
    tags: ['labeling'],
    summary: 'Submit boxes (object detection) or labels (classification)',
    description:
      "Boxes in image pixels, inside the image (1 px tolerance), labels from the project's; classification takes " +
      'one label, or several for multi-label projects.',
    roles: 'member',
    request: {
      params: projectParams.extend(annotationParams.shape),
      body: jsonBody(z.union([detectionBody, classificationBody])),
    },
    responses: { 200: jsonResponse('Recorded (`unchanged: true` for a repeat)', submissionSchema) },
    errors: [400, 404, 409, 413, 415, 422],
  });
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/tasks/{taskId}/skip',
    tags: ['labeling'],
    summary: 'Skip an image (optional reason; an empty body skips without one)',
    roles: 'member',
    request: {
      params: projectParams.extend(skipParams.shape),
      body: { ...jsonBody(skipSchema), required: false },
    },
    responses: {
      200: jsonResponse('Skipped', submissionSchema.omit({ annotation: true })),
    },
    errors: [400, 404, 409, 413, 415, 422],
  });
}
