import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { projectStatuses } from '../shared/domain/project';
import { services } from '../adapters/composition';
import { authorize } from './http/auth';
import { readQuery } from './http/parse';
import { projectView } from './http/projectResponse';
import { projectService } from './http/projectRoute';

export const querySchema = z.object({ status: z.enum(projectStatuses).optional() });

/**
 * `GET /api/projects[?status=active|paused|archived]`: every project for admins; for labelers only the projects
 * they are members of. Ordered by id.
 */
export async function listProjects(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: ['admin', 'labeler'] });
  if (!auth.ok) return auth.response;
  const query = readQuery(request, querySchema);
  if (!query.ok) return query.response;
  let projects = await projectService().list(query.value);
  if (!auth.principal.roles.includes('admin')) {
    const memberOf = new Set(
      (await services().store.members.listForUser(auth.principal.userId)).map((m) => m.projectId),
    );
    projects = projects.filter((p) => memberOf.has(p.id));
  }
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: { items: projects.map(projectView) } };
}

app.http('listProjects', { methods: ['GET'], authLevel: 'anonymous', route: 'api/projects', handler: listProjects });
