import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { jsonResponse, route } from './components';

/** The anonymous endpoints (health, this document, the web app) and who the caller is. */
export function registerPublic(registry: OpenAPIRegistry): void {
  const check = z.object({
    ok: z.boolean(),
    kind: z.string().optional(),
    latencyMs: z.number().optional(),
    error: z.string().optional(),
  });
  const health = z.object({
    status: z.enum(['ok', 'unhealthy']),
    version: z.string(),
    uptimeSeconds: z.number().int(),
    checks: z.record(z.string(), check),
  });
  route(registry, {
    method: 'get',
    path: '/api/health',
    tags: ['operations'],
    summary: 'Version, uptime and dependency checks',
    roles: 'anonymous',
    responses: {
      200: jsonResponse('Every check passed', health),
      503: jsonResponse('A check failed', health),
    },
  });
  route(registry, {
    method: 'get',
    path: '/api/openapi.json',
    tags: ['operations'],
    summary: 'This OpenAPI 3.1 document',
    roles: 'anonymous',
    responses: { 200: jsonResponse('The document', z.record(z.string(), z.unknown())) },
  });
  route(registry, {
    method: 'get',
    path: '/api/me',
    tags: ['operations'],
    summary: 'Who the caller is, as the app sees them (the web app asks this)',
    roles: 'member',
    description: 'Any signed-in user with the admin or labeler role; no project membership is needed.',
    responses: {
      200: jsonResponse(
        'The caller',
        z.object({ userId: z.string(), name: z.string(), roles: z.array(z.enum(['admin', 'labeler'])) }),
      ),
    },
  });
  for (const method of ['get', 'head'] as const) {
    route(registry, {
      method,
      path: '/{path}',
      tags: ['operations'],
      summary: 'The web app (web/dist): a file, or index.html for a client route; never a path under api/',
      roles: 'anonymous',
      request: {
        params: z.object({ path: z.string().meta({ description: 'Any path outside api/, runtime/, admin/, .auth/' }) }),
      },
      responses: {
        200: {
          description: 'The file',
          content: { 'text/html': { schema: z.string() }, '*/*': { schema: z.string() } },
        },
        404: { description: 'No such file' },
      },
    });
  }
}
