import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { projectCreateSchema, projectUpdateSchema } from '../../../shared/domain/project';
import { querySchema as listTasksQuery } from '../../listTasks';
import { querySchema as listProjectsQuery } from '../../projectsList';
import { jsonBody, jsonResponse, projectParams, route } from './components';
import { createdProjectSchema, items, page, projectDetailSchema, projectSchema, taskSchema } from './views';

const etag = { ETag: { description: "The project's version", schema: { type: 'string' as const } } };
const bodyErrors = [400, 413, 415, 422];

export function registerProjects(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'post',
    path: '/api/projects',
    tags: ['projects'],
    summary: 'Create a project and start its backfill',
    description: 'With an `id`, a retry with the same spec answers 200 with the stored project.',
    roles: 'admin',
    request: { body: jsonBody(projectCreateSchema) },
    responses: {
      201: jsonResponse('Created; `Location` names the project', createdProjectSchema, etag),
      200: jsonResponse('A retried create with the same id and spec', createdProjectSchema, etag),
    },
    errors: [...bodyErrors, 409],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects',
    tags: ['projects'],
    summary: 'List projects (labelers see the ones they are members of)',
    roles: 'labeler',
    request: { query: listProjectsQuery },
    responses: { 200: jsonResponse('Projects ordered by id', items(projectSchema)) },
    errors: [400],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}',
    tags: ['projects'],
    summary: 'A project with its counters and backfill status',
    roles: 'admin',
    request: { params: projectParams },
    responses: { 200: jsonResponse('The project', projectDetailSchema, etag) },
    errors: [404],
  });
  route(registry, {
    method: 'patch',
    path: '/api/projects/{projectId}',
    tags: ['projects'],
    summary: 'Change a project (only the fields sent)',
    roles: 'admin',
    request: {
      params: projectParams,
      headers: z.object({ 'if-match': z.string().optional().meta({ description: 'Apply only to this version' }) }),
      body: {
        required: true,
        content: {
          'application/json': { schema: projectUpdateSchema },
          'application/merge-patch+json': { schema: projectUpdateSchema },
        },
      },
    },
    responses: { 200: jsonResponse('The updated project', projectSchema, etag) },
    errors: [...bodyErrors, 404, 409, 412],
  });
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/archive',
    tags: ['projects'],
    summary: 'Archive a project (idempotent)',
    roles: 'admin',
    request: { params: projectParams },
    responses: { 200: jsonResponse('The archived project', projectSchema, etag) },
    errors: [404],
  });
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/refresh',
    tags: ['projects'],
    summary: "List the project's container again (backfill)",
    roles: 'admin',
    request: { params: projectParams },
    responses: {
      202: jsonResponse(
        'Started or joined; `Location` is the project',
        z.object({ projectId: z.string(), instanceId: z.string(), started: z.boolean(), statusUrl: z.string() }),
      ),
    },
    errors: [404, 409],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/tasks',
    tags: ['projects'],
    summary: "The project's tasks, page by page",
    roles: 'admin',
    request: { params: projectParams, query: listTasksQuery },
    responses: { 200: jsonResponse('One page', page(taskSchema)) },
    errors: [400, 404],
  });
}
