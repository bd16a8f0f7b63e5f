import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { services } from '../adapters/composition';
import { userIdSchema } from '../shared/domain/ids';
import { readRouteParams } from './http/parse';
import { adminProject } from './http/projectRoute';

export const paramsSchema = z.object({ userId: userIdSchema });

/** `DELETE /api/projects/{projectId}/members/{userId}` (admin): removes a member; 204 whether or not it existed. */
export async function deleteMember(request: HttpRequest): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const { project } = admin;
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  await services().store.members.delete(project.value.id, params.value.userId);
  return { status: 204 };
}

app.http('deleteMember', {
  methods: ['DELETE'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/members/{userId}',
  handler: deleteMember,
});
