import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { services } from '../adapters/composition';
import { authorize } from './http/auth';
import { readJsonBody } from './http/parse';
import { problem } from './http/problem';
import { projectIdParam, projectNotFound } from './http/projectRoute';

const memberSchema = z.object({ role: z.enum(['labeler', 'admin']) }).strict();
const userIdPattern = /^[^\s/\\?#]{1,256}$/;

/**
 * `PUT /api/projects/{projectId}/members/{userId}` (admin), body `{ "role": "labeler" | "admin" }`: adds or
 * updates a member. Idempotent: 201 when added, 200 when it already existed.
 */
export async function putMember(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth.response;
  const projectId = projectIdParam(request);
  const project = projectId && (await services().store.projects.get(projectId));
  if (!project) return projectNotFound(request.params.projectId);
  const userId = request.params.userId ?? '';
  if (!userIdPattern.test(userId)) {
    return problem(400, 'Invalid request', 'userId: 1-256 characters without spaces, slashes, ? or #', {
      errors: [{ field: 'userId', message: 'invalid format' }],
    });
  }
  const body = await readJsonBody(request, memberSchema);
  if (!body.ok) return body.response;
  const { store } = services();
  const existing = await store.members.get(project.value.id, userId);
  const member = {
    projectId: project.value.id,
    userId,
    role: body.value.role,
    addedAt: existing?.addedAt ?? new Date().toISOString(),
    addedBy: existing?.addedBy ?? auth.principal.userId,
  };
  await store.members.put(member);
  return { status: existing ? 200 : 201, jsonBody: member };
}

app.http('putMember', {
  methods: ['PUT'],
  authLevel: 'anonymous',
  route: 'projects/{projectId}/members/{userId}',
  handler: putMember,
});
