import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { services } from '../adapters/composition';
import { userIdSchema } from '../shared/domain/ids';
import { readJsonBody, readRouteParams } from './http/parse';
import { adminProject } from './http/projectRoute';

export const memberSchema = z.object({ role: z.enum(['labeler', 'admin']) }).strict();
export const paramsSchema = z.object({ userId: userIdSchema });

/**
 * `PUT /api/projects/{projectId}/members/{userId}` (admin), body `{ "role": "labeler" | "admin" }`: adds or
 * updates a member. Idempotent: 201 when added, 200 when it already existed.
 */
export async function putMember(request: HttpRequest): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const { project } = admin;
  const params = readRouteParams(request, paramsSchema);
  if (!params.ok) return params.response;
  const { userId } = params.value;
  const body = await readJsonBody(request, memberSchema);
  if (!body.ok) return body.response;
  const { store } = services();
  const existing = await store.members.get(project.value.id, userId);
  const member = {
    projectId: project.value.id,
    userId,
    role: body.value.role,
    addedAt: existing?.addedAt ?? new Date().toISOString(),
    addedBy: existing?.addedBy ?? admin.principal.userId,
  };
  await store.members.put(member);
  return { status: existing ? 200 : 201, jsonBody: member };
}

app.http('putMember', {
  methods: ['PUT'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/members/{userId}',
  handler: putMember,
});
