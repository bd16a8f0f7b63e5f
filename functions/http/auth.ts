import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { crossSiteRefusal } from './crossSite';
import { principalOf, type AppRole, type Principal } from './principal';
import { forbidden, unauthorized } from './problem';

/** Whether a user belongs to a project (the membership store arrives with the labeling endpoints). */
export type MembershipCheck = (projectId: string, userId: string) => Promise<boolean>;

export interface AuthorizeOptions {
  /** The caller needs at least one of these app roles. */
  role: AppRole | readonly AppRole[];
  /**
   * Project-scoped endpoints: a caller who is not an admin must also be a member of this project. Admins manage
   * every project, so they pass without a membership lookup.
   */
  project?: { id: string; isMember: MembershipCheck };
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; response: HttpResponseInit };

/**
 * The check every endpoint starts with: no principal → 401, a cookie session's state-changing call that a cross-site
 * form could have sent → 403 (./crossSite.ts), no allowed role or not a member → 403. Runs before
 * the request is parsed, so an unauthenticated caller learns nothing about what would have been valid.
 */
export async function authorize(request: HttpRequest, options: AuthorizeOptions): Promise<AuthResult> {
  const principal = principalOf(request);
  if (!principal) {
    const response = unauthorized();
    response.headers = { ...(response.headers as Record<string, string>), 'www-authenticate': 'Bearer' };
    return { ok: false, response };
  }
  const crossSite = crossSiteRefusal(request);
  if (crossSite) return { ok: false, response: crossSite };
  const allowed: readonly AppRole[] = typeof options.role === 'string' ? [options.role] : options.role;
  if (!allowed.some((r) => principal.roles.includes(r))) {
    return { ok: false, response: forbidden(`This endpoint needs the ${allowed.join(' or ')} role.`) };
  }
  const project = options.project;
  if (project && !principal.roles.includes('admin') && !(await project.isMember(project.id, principal.userId))) {
    return { ok: false, response: forbidden(`You are not a member of project '${project.id}'.`) };
  }
  return { ok: true, principal };
}
