import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { startOrJoinBackfill } from './backfill/startBackfill';
import { problem } from './http/problem';
import { adminProject } from './http/projectRoute';
import { requestPath } from './http/requestPath';

/**
 * `POST /api/projects/{projectId}/refresh` (admin): lists the project's container again, registering blobs that
 * events missed and marking tasks removed whose blob is gone. 202 with `Location` = the project, whose `backfill`
 * member shows the run's progress. A refresh while a run is going joins it (`started: false`).
 */
export async function refreshProject(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const { project } = admin;
  if (project.value.status === 'archived') {
    return problem(
      409,
      'Project archived',
      `Project '${project.value.id}' is archived; archived projects are not refreshed.`,
    );
  }

  const run = await startOrJoinBackfill(df.getClient(context), project.value.id);
  // The project's own path (the request's, without `/refresh`): relative, so no caller-sent Host ends up in it.
  const statusUrl = requestPath(request).replace(/\/refresh$/, '');
  context.log(`Refresh of ${project.value.id}: ${run.started ? 'started' : 'joined'} ${run.instanceId}`);
  return {
    status: 202,
    headers: { location: statusUrl, 'cache-control': 'no-store' },
    jsonBody: { projectId: project.value.id, instanceId: run.instanceId, started: run.started, statusUrl },
  };
}

app.http('refreshProject', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/refresh',
  extraInputs: [df.input.durableClient()],
  handler: refreshProject,
});
