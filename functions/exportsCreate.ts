import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { exportRequestSchema } from '../shared/domain/formats/exportRequest';
import type { ExportSpec } from '../shared/domain/formats/exportRun';
import { idempotencyKeySchema } from '../shared/domain/ids';
import { exportInstanceId, exportProject } from '../shared/workflows/exports';
import { durableClient } from './http/durableClient';
import { exportIdFor, exportStatus, sameRequest } from './http/exportRoute';
import { readJsonBody } from './http/parse';
import { problem } from './http/problem';
import { adminProject } from './http/projectRoute';
import { requestPath } from './http/requestPath';

/**
 * `POST /api/projects/{projectId}/exports` (admin): starts an export run, `{format, include, split?}`. 202 with
 * `Location` (and `statusUrl`) to follow it. With `Idempotency-Key`, repeating the request returns the same export;
 * the same key with another body is 422.
 */
export async function createExport(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const key = request.headers.get('idempotency-key');
  if (key !== null && !idempotencyKeySchema.safeParse(key).success) {
    return problem(400, 'Invalid request', 'Idempotency-Key: 1-128 characters of letters, digits and ._:-', {
      errors: [{ field: 'Idempotency-Key', message: 'invalid format' }],
    });
  }
  const body = await readJsonBody(request, exportRequestSchema);
  if (!body.ok) return body.response;
  const project = admin.project.value;
  if (project.type !== 'objectDetection') {
    return problem(409, 'Export not started', 'Exports are written for object detection projects only.', {
      code: 'NOT_OBJECT_DETECTION',
    });
  }
  const exportId = exportIdFor(project.id, admin.principal.userId, key);
  const statusUrl = `${requestPath(request)}/${exportId}`;
  const accepted = (spec: ExportSpec): HttpResponseInit => ({
    status: 202,
    headers: { location: statusUrl, 'cache-control': 'no-store' },
    jsonBody: { id: exportId, statusUrl, format: spec.format, include: spec.include, requestedAt: spec.requestedAt },
  });
  const client = durableClient(context);
  const existing = async (): Promise<HttpResponseInit | undefined> => {
    const status = await exportStatus(client, project.id, exportId);
    if (!status) return undefined;
    const spec = status.input as ExportSpec;
    if (!sameRequest(spec, body.value)) {
      return problem(
        422,
        'Idempotency-Key reused',
        'This Idempotency-Key already started an export with another body.',
        {
          code: 'IDEMPOTENCY_KEY_REUSED',
          exportId,
        },
      );
    }
    return accepted(spec);
  };
  const known = await existing();
  if (known) return known;
  const spec: ExportSpec = {
    projectId: project.id,
    exportId,
    ...body.value,
    projectName: project.name,
    labels: project.labels.map((l) => l.name),
    requestedAt: new Date().toISOString(),
    requestedBy: admin.principal.userId,
  };
  try {
    await client.startNew(exportProject.name, { instanceId: exportInstanceId(project.id, exportId), input: spec });
  } catch (err) {
    // A concurrent retry started it first (devhost answers 409 for a running id): answer with that one.
    const raced = await existing();
    if (raced) return raced;
    throw err;
  }
  return accepted(spec);
}

app.http('createExport', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/exports',
  extraInputs: [df.input.durableClient()],
  handler: createExport,
});
