import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { importIdSchema } from '../shared/domain/imports/importJob';
import { durableClient } from './http/durableClient';
import { importStatus, importView } from './http/importRoute';
import { readRouteParams } from './http/parse';
import { notFound } from './http/problem';
import { adminProject } from './http/projectRoute';

const paramsSchema = z.object({ importId: importIdSchema });

/**
 * `GET /api/projects/{projectId}/imports/{importId}` (admin): a blob import's state (`scanning`, `writing`,
 * `completed`, `refused`, `failed`), its progress and, once it ended, the report (as the inline import answers).
 */
export async function getImport(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  const status = await importStatus(durableClient(context), admin.project.value.id, params.value.importId);
  if (!status) return notFound(`Import '${params.value.importId}'`);
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: importView(status) };
}

app.http('getImport', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/imports/{importId}',
  extraInputs: [df.input.durableClient()],
  handler: getImport,
});
