import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { authorize } from './http/auth';

/**
 * `GET /api/me`: who the caller is, as the app sees them (user id, name, app roles). The web app asks this rather
 * than App Service Authentication's `/.auth/me`, which answers only with the token store on; the principal headers
 * reach the app either way, on Azure and on devhost.
 */
export async function me(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: ['admin', 'labeler'] });
  if (!auth.ok) return auth.response;
  const { userId, name, roles } = auth.principal;
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: { userId, name, roles } };
}

app.http('me', { methods: ['GET'], authLevel: 'anonymous', route: 'api/me', handler: me });
