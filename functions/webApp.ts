import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import path from 'node:path';
import { problem } from './http/problem';
import { readStaticFile, resolveUnder } from './http/staticFiles';

/**
 * Serves the labeling web app (web/, built by `npm run build` into web/dist) at the site root. The route is a
 * catch-all, which the host tries after every literal and parameter route (ASP.NET Core route precedence), so the
 * API under `api/` always wins; paths the platform or the host own are refused here as well, in case a host version
 * hands them over (azure-functions-host#6990).
 */
const webRoot = path.resolve(__dirname, '..', '..', 'web', 'dist');
const reservedPrefixes = ['api', 'runtime', 'admin', '.auth'];

/** Vite puts content-hashed files under assets/: they never change, so browsers may keep them for a year. */
const immutable = 'public, max-age=31536000, immutable';

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  // Images come from the storage account as SAS URLs (another origin); nothing else does.
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob: https: http:; style-src 'self' 'unsafe-inline'; " +
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
};

export async function webApp(request: HttpRequest): Promise<HttpResponseInit> {
  const urlPath = request.params.path ?? '';
  const first = urlPath.split('/')[0]!.toLowerCase();
  if (reservedPrefixes.includes(first)) return problem(404, 'Not found', `Nothing is served at /${urlPath}.`);

  const file = resolveUnder(webRoot, urlPath);
  const found = file ? await readStaticFile(file) : undefined;
  if (found) {
    const hashed = urlPath.startsWith('assets/');
    return {
      status: 200,
      headers: {
        'content-type': found.contentType,
        'cache-control': hashed ? immutable : 'no-cache',
        ...securityHeaders,
      },
      body: found.body,
    };
  }
  // A path with a file extension names a file that is not there; anything else is a client route of the app.
  if (path.extname(urlPath)) return problem(404, 'Not found', `/${urlPath} does not exist.`);
  const index = await readStaticFile(path.join(webRoot, 'index.html'));
  if (!index) {
    return problem(404, 'Not found', 'The web app is not built: run `npm run build` (it writes web/dist).');
  }
  return {
    status: 200,
    headers: { 'content-type': index.contentType, 'cache-control': 'no-cache', ...securityHeaders },
    body: index.body,
  };
}

app.http('webApp', { methods: ['GET', 'HEAD'], authLevel: 'anonymous', route: '{*path}', handler: webApp });
