import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { services } from '../../adapters/composition';
import type { Project } from '../../shared/domain/project';
import { BatchService } from '../../shared/services/batches';
import { SubmissionService } from '../../shared/services/submissions';
import { authorize } from './auth';
import type { Principal } from './principal';
import { problem } from './problem';
import { projectIdParam, projectNotFound } from './projectRoute';

export const batchService = () => new BatchService(services());
export const submissionService = () => new SubmissionService(services());

const isMember = async (projectId: string, userId: string) =>
  (await services().store.members.get(projectId, userId)) !== undefined;

export type LabelingContext =
  { ok: true; principal: Principal; project: Project } | { ok: false; response: HttpResponseInit };

/**
 * The start of every labeling endpoint: authenticated, labeler (or admin) role, member of the project, and the
 * project exists and takes work. Admins pass the membership check (they manage every project).
 */
export async function labelingContext(
  request: HttpRequest,
  opts: { needsActive?: boolean } = {},
): Promise<LabelingContext> {
  const projectId = projectIdParam(request);
  const auth = await authorize(request, {
    role: ['labeler', 'admin'],
    ...(projectId ? { project: { id: projectId, isMember } } : {}),
  });
  if (!auth.ok) return auth;
  const project = projectId ? await services().store.projects.get(projectId) : undefined;
  if (!project) return { ok: false, response: projectNotFound(request.params.projectId) };
  if (opts.needsActive && project.value.status !== 'active') {
    return {
      ok: false,
      response: problem(409, 'Project not accepting work', `Project '${project.value.id}' is ${project.value.status}.`),
    };
  }
  return { ok: true, principal: auth.principal, project: project.value };
}
