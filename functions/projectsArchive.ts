import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { authorize } from './http/auth';
import { projectResponse } from './http/projectResponse';
import { projectIdParam, projectNotFound, projectService } from './http/projectRoute';

/**
 * `POST /api/projects/{projectId}/archive` (admin): sets the status to `archived`, after which the project can no
 * longer be changed. Idempotent: archiving an archived project answers 200 with it unchanged.
 */
export async function archiveProject(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth.response;
  const id = projectIdParam(request);
  const outcome = id ? await projectService().archive(id) : { kind: 'notFound' as const };
  if (outcome.kind === 'notFound') return projectNotFound(request.params.projectId);
  return projectResponse(200, outcome.project);
}

app.http('archiveProject', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/archive',
  handler: archiveProject,
});
