import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { exportIdSchema } from '../shared/domain/formats/exportRequest';
import { durableClient } from './http/durableClient';
import { exportService, exportStatus, exportView } from './http/exportRoute';
import { readRouteParams } from './http/parse';
import { notFound } from './http/problem';
import { adminProject } from './http/projectRoute';

/** How long the read URLs of a finished export stay valid. */
const readUrlMinutes = 60;

const paramsSchema = z.object({ exportId: exportIdSchema });

/**
 * `GET /api/projects/{projectId}/exports/{exportId}` (admin): the run's state (`queued`, `running`, `completed`,
 * `failed`), progress, counts and, once completed, each file with a read URL valid for an hour.
 */
export async function getExport(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  const status = await exportStatus(durableClient(context), admin.project.value.id, params.value.exportId);
  if (!status) return notFound(`Export '${params.value.exportId}'`);
  const view = await exportView(status, (files) => exportService().readUrls(files, readUrlMinutes));
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: view };
}

app.http('getExport', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/exports/{exportId}',
  extraInputs: [df.input.durableClient()],
  handler: getExport,
});
