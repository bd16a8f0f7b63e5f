import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { authorize } from './http/auth';
import { projectIdParam, projectNotFound } from './http/projectRoute';

/** `GET /api/projects/{projectId}/members` (admin): the project's members. */
export async function listMembers(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth.response;
  const projectId = projectIdParam(request);
  const project = projectId && (await services().store.projects.get(projectId));
  if (!project) return projectNotFound(request.params.projectId);
  return { status: 200, jsonBody: { items: await services().store.members.list(project.value.id) } };
}

app.http('listMembers', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'projects/{projectId}/members',
  handler: listMembers,
});
