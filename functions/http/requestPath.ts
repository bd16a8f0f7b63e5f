import type { HttpRequest } from '@azure/functions';

/**
 * The request's own path, for building URLs the API hands back (Location headers, status links). Only the path is
 * taken: `request.url` gets its scheme and host from the caller (the Host header, or an authority in the request
 * target), so an absolute URL built from it could point clients at any site. Repeated slashes collapse, so the result
 * is never a protocol-relative `//host/…` reference, and a trailing slash is dropped.
 */
export function requestPath(request: HttpRequest): string {
  const path = new URL(request.url).pathname.replace(/\/{2,}/g, '/').replace(/\/$/, '');
  return path.startsWith('/') ? path : `/${path}`;
}
