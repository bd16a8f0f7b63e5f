import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { projectIdSchema } from '../../../shared/domain/project';

/**
 * What every area of the OpenAPI document shares: the problem+json body of functions/http/problem.ts, the error
 * responses built on it, the callers' security schemes and the `{projectId}` path parameter. Areas register their
 * routes with `route(...)`, so each operation states the roles it needs in one place.
 */

export const problemSchema = z
  .object({
    type: z.string().meta({ example: 'about:blank' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Every invalid field: a dotted path into the body, or the parameter name.' }),
    code: z.string().optional().meta({ description: 'A machine-readable reason, where the endpoint documents one.' }),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details; endpoints may add members (`currentEtag`, `runId`, `state`).',
  });

const problemReasons: Record<number, string> = {
  400: 'Invalid JSON, or an invalid query or route parameter (`errors` names it)',
  401: 'No signed-in caller (`WWW-Authenticate: Bearer`)',
  403: 'The caller lacks the role, or is not a member of the project',
  404: 'The project (or the item named in the path) does not exist',
  409: 'The request conflicts with the current state',
  412: '`If-Match` does not name the current version',
  413: 'The body is over 1 MB',
  415: 'The body is not JSON',
  422: 'The JSON breaks the rules (`errors` names each field); nothing was written',
};

export function problemResponse(status: number, description = problemReasons[status] ?? 'Error'): ResponseConfig {
  return { description, content: { 'application/problem+json': { schema: problemSchema } } };
}

export function jsonResponse(description: string, schema: z.ZodType, headers?: ResponseConfig['headers']) {
  return { description, content: { 'application/json': { schema } }, ...(headers ? { headers } : {}) };
}

/** JSON request body. */
export function jsonBody(schema: z.ZodType, description?: string) {
  return { content: { 'application/json': { schema } }, required: true, ...(description ? { description } : {}) };
}

export const projectParams = z.object({
  projectId: projectIdSchema.meta({ description: 'The project id (a malformed one answers 404).' }),
});

export type Role = 'admin' | 'labeler' | 'member';

const roleText: Record<Role, string> = {
  admin: 'the `admin` app role',
  labeler: 'the `labeler` app role (admins too)',
  member: 'the `labeler` role and membership of the project, or the `admin` role',
};

/** The security schemes callers use: App Service Authentication's bearer tokens and session cookie. */
export function registerSecuritySchemes(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'On Azure: an Entra ID access token for the app registration, validated by App Service Authentication, which ' +
      'passes the caller to the app as `x-ms-client-principal` (headers a client sends itself are removed). On ' +
      'devhost: a token from `$DATA_DIR/users.json`.',
  });
  registry.registerComponent('securitySchemes', 'appServiceSession', {
    type: 'apiKey',
    in: 'cookie',
    name: 'AppServiceAuthSession',
    description: "App Service Authentication's session cookie, after a browser sign-in at `/.auth/login/aad`.",
  });
}

export const signedIn: Array<Record<string, string[]>> = [{ bearer: [] }, { appServiceSession: [] }];

type Route = Omit<RouteConfig, 'responses' | 'security'> & {
  /** Who may call it; `anonymous` for the two public endpoints. */
  roles: Role | 'anonymous';
  responses: RouteConfig['responses'];
  /** Error statuses besides 401/403 (added for every signed-in endpoint). */
  errors?: number[];
};

/** Registers one operation with its security, its role requirement and its problem responses. */
export function route(registry: OpenAPIRegistry, r: Route): void {
  const { roles, errors = [], responses, description, ...rest } = r;
  const anonymous = roles === 'anonymous';
  const problems = [...(anonymous ? [] : [401, 403]), ...errors];
  registry.registerPath({
    ...rest,
    description: anonymous ? description : `${description ?? ''}\n\nCaller: ${roleText[roles]}.`.trim(),
    security: anonymous ? [] : signedIn,
    ...(anonymous ? {} : { 'x-roles': roles === 'admin' ? ['admin'] : ['admin', 'labeler'] }),
    responses: {
      ...responses,
      ...Object.fromEntries(problems.map((status) => [status, problemResponse(status)])),
    },
  });
}
