import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { jsonResponse, route } from './components';

/** The two anonymous endpoints: health and this document. */
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
}
