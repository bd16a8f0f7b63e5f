import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { projectCreateSchema } from '../shared/domain/project';
import { connectionSettingIssue } from './http/appSettings';
import { authorize } from './http/auth';
import { readJsonBody } from './http/parse';
import { fieldProblem, problem } from './http/problem';
import { projectResponse } from './http/projectResponse';
import { projectService } from './http/projectRoute';
import { requestPath } from './http/requestPath';
import { ensureBackfillStarted, startOrJoinBackfill } from './backfill/startBackfill';

/**
 * `POST /api/projects` (admin): creates a project and starts the backfill of its container. 201 + Location when
 * created; 200 with the existing project when a create with the same `id` and spec is retried; 409 when the id is
 * taken by a different spec.
 */
export async function createProject(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth.response;
  const body = await readJsonBody(request, projectCreateSchema);
  if (!body.ok) return body.response;
  const settingIssue = connectionSettingIssue(body.value.dataset.connectionSetting);
  if (settingIssue) return fieldProblem([settingIssue]);

  const outcome = await projectService().create(body.value, auth.principal.userId);
  if (outcome.kind === 'idTaken') {
    return problem(
      409,
      'Project id taken',
      `A project with id '${outcome.project.value.id}' already exists and was created from a different spec.`,
      { errors: [{ field: 'id', message: 'is taken by another project' }] },
    );
  }
  const projectId = outcome.project.value.id;
  const client = df.getClient(context);
  let backfill: { instanceId: string } | null = null;
  try {
    const instanceId =
      outcome.kind === 'created'
        ? (await startOrJoinBackfill(client, projectId)).instanceId
        : await ensureBackfillStarted(client, projectId);
    backfill = { instanceId };
  } catch (err) {
    // The project is stored; a retried create with the same id (or a refresh) starts the backfill later.
    context.warn(`Project ${projectId} created, but its backfill did not start: ${String(err)}`);
  }
  // A path below the request's own, so it holds whatever the route prefix is and never names another host.
  const location = `${requestPath(request)}/${projectId}`;
  return projectResponse(outcome.kind === 'created' ? 201 : 200, outcome.project, { backfill }, { location });
}

app.http('createProject', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects',
  extraInputs: [df.input.durableClient()],
  handler: createProject,
});
