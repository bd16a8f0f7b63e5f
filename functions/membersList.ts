import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { adminProject } from './http/projectRoute';

/** `GET /api/projects/{projectId}/members` (admin): the project's members. */
export async function listMembers(request: HttpRequest): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const { project } = admin;
  return { status: 200, jsonBody: { items: await services().store.members.list(project.value.id) } };
}

app.http('listMembers', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/members',
  handler: listMembers,
});
