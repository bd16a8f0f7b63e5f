import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { services } from '../adapters/composition';
import { DashboardService } from '../shared/services/dashboard';
import { labelingContext } from './http/labelingRoute';

/**
 * `GET /api/projects/{projectId}/dashboard` (admin; a labeler member gets the project's figures and their own row):
 * progress, classes, queue, progress over time, ML Assist state and per-labeler performance, all from maintained
 * counters.
 */
export async function getDashboard(request: HttpRequest): Promise<HttpResponseInit> {
  const ctx = await labelingContext(request);
  if (!ctx.ok) return ctx.response;
  const onlyLabeler = ctx.principal.roles.includes('admin') ? undefined : ctx.principal.userId;
  const dashboard = await new DashboardService(services()).dashboard(ctx.project, onlyLabeler);
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: dashboard };
}

app.http('getDashboard', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/dashboard',
  handler: getDashboard,
});
