import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { paramsSchema as deleteParams } from '../../membersDelete';
import { memberSchema as memberBody, paramsSchema as putParams } from '../../membersPut';
import { jsonBody, jsonResponse, projectParams, route } from './components';
import { items, memberSchema } from './views';

export function registerMembers(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/members',
    tags: ['members'],
    summary: "The project's members",
    roles: 'admin',
    request: { params: projectParams },
    responses: { 200: jsonResponse('The members', items(memberSchema)) },
    errors: [404],
  });
  route(registry, {
    method: 'put',
    path: '/api/projects/{projectId}/members/{userId}',
    tags: ['members'],
    summary: 'Add or update a member (idempotent)',
    roles: 'admin',
    request: { params: projectParams.extend(putParams.shape), body: jsonBody(memberBody) },
    responses: {
      201: jsonResponse('Added', memberSchema),
      200: jsonResponse('Already a member (role updated)', memberSchema),
    },
    errors: [400, 404, 413, 415, 422],
  });
  route(registry, {
    method: 'delete',
    path: '/api/projects/{projectId}/members/{userId}',
    tags: ['members'],
    summary: 'Remove a member (204 whether or not it existed)',
    roles: 'admin',
    request: { params: projectParams.extend(deleteParams.shape) },
    responses: { 204: { description: 'Removed' } },
    errors: [400, 404],
  });
}
