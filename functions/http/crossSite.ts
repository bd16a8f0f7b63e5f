import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { isJsonContentType } from './parse';
import { forbidden } from './problem';

const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cross-site request forgery guard. A browser signed in through App Service Authentication sends its session cookie
 * with every request to the app, including one a hostile page triggers with a plain HTML form. Such a form can only
 * send `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain` and no custom header; anything else
 * needs a CORS preflight, which this app never grants. So a state-changing call that carries no `Authorization`
 * header (the caller is cookie-authenticated) must be JSON or carry `X-Requested-With`. Bearer-token clients and the
 * platform's own webhooks (/runtime/…, not app routes) are not affected.
 */
export function crossSiteRefusal(request: HttpRequest): HttpResponseInit | undefined {
  if (!stateChanging.has(request.method.toUpperCase())) return undefined;
  if (request.headers.get('authorization')) return undefined;
  if (isJsonContentType(request.headers.get('content-type'))) return undefined;
  if (request.headers.get('x-requested-with')) return undefined;
  return forbidden(
    'A signed-in browser session must send state-changing requests as JSON (Content-Type: application/json) ' +
      'or with an X-Requested-With header; this one looks like a cross-site form.',
  );
}
