import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { services } from '../../adapters/composition';
import { projectIdSchema } from '../../shared/domain/project';
import type { Project } from '../../shared/domain/project';
import type { Versioned } from '../../shared/ports/store';
import { ProjectService } from '../../shared/services/projects';
import { authorize } from './auth';
import type { Principal } from './principal';
import { notFound } from './problem';

export const projectService = () => new ProjectService(services().store.projects);

/** The `{projectId}` route parameter, if it is a well-formed id (a malformed one cannot name a project). */
export function projectIdParam(request: HttpRequest): string | undefined {
  const id = request.params.projectId ?? '';
  return projectIdSchema.safeParse(id).success ? id : undefined;
}

export const projectNotFound = (id: string | undefined) => notFound(`Project '${id ?? ''}'`);

export type AdminProject =
  { ok: true; principal: Principal; project: Versioned<Project> } | { ok: false; response: HttpResponseInit };

/** The start of every admin endpoint on one project: authenticated, admin, and the `{projectId}` project exists. */
export async function adminProject(request: HttpRequest): Promise<AdminProject> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth;
  const id = projectIdParam(request);
  const project = id && (await services().store.projects.get(id));
  if (!project) return { ok: false, response: projectNotFound(request.params.projectId) };
  return { ok: true, principal: auth.principal, project };
}
