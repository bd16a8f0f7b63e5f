import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { services } from '../adapters/composition';
import { liveTotal, remainingWork } from '../shared/domain/counters';
import { projectResponse } from './http/projectResponse';
import { adminProject } from './http/projectRoute';
import { backfillSummary } from './http/backfillSummary';

/**
 * `GET /api/projects/{projectId}` (admin): the project with its ETag, its task counters (maintained on write, so
 * this never scans) and the backfill's progress when one has run.
 */
export async function getProject(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const { project } = admin;

  const [counters, backfill] = await Promise.all([
    services().store.tasks.counters(project.value.id),
    backfillSummary(df.getClient(context), project.value.id),
  ]);
  return projectResponse(200, project, {
    counters: { ...counters, total: liveTotal(counters), remaining: remainingWork(counters) },
    backfill: backfill ?? null,
  });
}

app.http('getProject', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}',
  extraInputs: [df.input.durableClient()],
  handler: getProject,
});
