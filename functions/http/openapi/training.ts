import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { runIdSchema } from '../trainingRoute';
import { jsonResponse, projectParams, route } from './components';
import { items, trainingRunSchema, trainingRunViewSchema } from './views';

const runParams = projectParams.extend({ runId: runIdSchema.meta({ description: 'A run id (`run-000000250`)' }) });

export function registerTraining(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/training-runs',
    tags: ['ml-assist'],
    summary: "The project's training runs, oldest first",
    roles: 'member',
    request: { params: projectParams },
    responses: { 200: jsonResponse('The runs, each with `fieldOutcomes`', items(trainingRunViewSchema)) },
    errors: [404],
  });
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/training-runs',
    tags: ['ml-assist'],
    summary: 'Train now on the labels as they are',
    roles: 'admin',
    request: { params: projectParams },
    responses: {
      202: jsonResponse('Requested; `Location` is the run', trainingRunSchema),
      200: jsonResponse('The same request before more labels arrived: that run', trainingRunSchema),
    },
    errors: [404, 409, 422],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/training-runs/{runId}',
    tags: ['ml-assist'],
    summary: 'One training run',
    roles: 'member',
    request: { params: runParams },
    responses: {
      200: jsonResponse('The run with `fieldOutcomes`', trainingRunViewSchema, {
        ETag: { description: "The run record's version", schema: { type: 'string' } },
      }),
    },
    errors: [404],
  });
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/training-runs/{runId}/cancel',
    tags: ['ml-assist'],
    summary: 'Cancel a training run',
    roles: 'admin',
    request: { params: runParams },
    responses: {
      202: jsonResponse('Canceled, or `cancelRequested: true` until the provider confirms', trainingRunSchema),
    },
    errors: [404, 409],
  });
}
