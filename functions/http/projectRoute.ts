import type { HttpRequest } from '@azure/functions';
import { services } from '../../adapters/composition';
import { projectIdSchema } from '../../shared/domain/project';
import { ProjectService } from '../../shared/services/projects';
import { notFound } from './problem';

export const projectService = () => new ProjectService(services().store.projects);

/** The `{projectId}` route parameter, if it is a well-formed id (a malformed one cannot name a project). */
export function projectIdParam(request: HttpRequest): string | undefined {
  const id = request.params.projectId ?? '';
  return projectIdSchema.safeParse(id).success ? id : undefined;
}

export const projectNotFound = (id: string | undefined) => notFound(`Project '${id ?? ''}'`);
