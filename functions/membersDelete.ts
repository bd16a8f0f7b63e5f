import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { services } from '../adapters/composition';
import { userIdSchema } from '../shared/domain/ids';
import { authorize } from './http/auth';
import { readRouteParams } from './http/parse';
import { projectIdParam, projectNotFound } from './http/projectRoute';

const paramsSchema = z.object({ userId: userIdSchema });

/** `DELETE /api/projects/{projectId}/members/{userId}` (admin): removes a member; 204 whether or not it existed. */
export async function deleteMember(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth.response;
  const projectId = projectIdParam(request);
  const project = projectId && (await services().store.projects.get(projectId));
  if (!project) return projectNotFound(request.params.projectId);
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  await services().store.members.delete(project.value.id, params.value.userId);
  return { status: 204 };
}

app.http('deleteMember', {
  methods: ['DELETE'],
  authLevel: 'anonymous',
  route: 'projects/{projectId}/members/{userId}',
  handler: deleteMember,
});
