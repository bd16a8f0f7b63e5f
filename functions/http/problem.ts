import type { HttpResponseInit } from '@azure/functions';
import type { ZodError } from 'zod';

/** One invalid field, as RFC 9457 extension member `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem details response. */
export function problem(
  status: number,
  title: string,
  detail?: string,
  extra: Record<string, unknown> = {},
): HttpResponseInit {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), ...extra }),
  };
}

/** Dotted path of a zod issue, e.g. `dataset.container` or `labels.2.name`; '' for the body itself. */
function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map(String).join('.');
}

/** The fields one zod issue is about; an unknown key is named itself rather than its parent object. */
function fieldsOf(issue: ZodError['issues'][number], where: string): FieldError[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ field: fieldOf([...issue.path, key]), message: 'is not a known field' }));
  }
  return [{ field: fieldOf(issue.path) || where, message: issue.message }];
}

/** 422 naming every invalid field; nothing has been written when this is returned. */
export function validationProblem(error: ZodError, where: 'body' | 'query' | 'path' = 'body'): HttpResponseInit {
  return fieldProblem(
    error.issues.flatMap((i) => fieldsOf(i, where)),
    where === 'body' ? 422 : 400,
  );
}

/** A problem naming each invalid field (422 for a body that parsed but breaks the rules, 400 for bad query/path). */
export function fieldProblem(errors: FieldError[], status = 422): HttpResponseInit {
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return problem(status, 'Invalid request', detail, { errors });
}

export const notFound = (what: string) => problem(404, 'Not found', `${what} does not exist.`);
export const unauthorized = () => problem(401, 'Unauthorized', 'Sign in: this endpoint needs an authenticated caller.');
export const forbidden = (why: string) => problem(403, 'Forbidden', why);
