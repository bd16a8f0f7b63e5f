import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { authorize } from './http/auth';
import { projectIdParam, projectNotFound } from './http/projectRoute';

/** `DELETE /api/projects/{projectId}/members/{userId}` (admin): removes a member; 204 whether or not it existed. */
export async function deleteMember(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth.response;
  const projectId = projectIdParam(request);
  const project = projectId && (await services().store.projects.get(projectId));
  if (!project) return projectNotFound(request.params.projectId);
  await services().store.members.delete(project.value.id, request.params.userId ?? '');
  return { status: 204 };
}

app.http('deleteMember', {
  methods: ['DELETE'],
  authLevel: 'anonymous',
  route: 'projects/{projectId}/members/{userId}',
  handler: deleteMember,
});
