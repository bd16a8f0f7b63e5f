import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { orchestrationsQuerySchema } from '../../projectOrchestrations';
import { jsonResponse, projectParams, route } from './components';
import { orchestrationSchema, page } from './views';

export function registerOperations(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/orchestrations',
    tags: ['operations'],
    summary: "The project's durable instances, with links into the management API",
    description:
      'Backfill, ML Assist coordinator, labeler sessions and prelabel fan-outs, kind after kind, page by page (a ' +
      'page may hold fewer than `limit` items and still be followed by more). The links are paths on the Functions ' +
      'host without a key: add `code=<durabletask_extension system key>` (docs/operations.md).',
    roles: 'admin',
    request: { params: projectParams, query: orchestrationsQuerySchema },
    responses: { 200: jsonResponse('One page', page(orchestrationSchema)) },
    errors: [400, 404],
  });
}
