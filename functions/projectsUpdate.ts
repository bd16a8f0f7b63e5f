import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { projectUpdateSchema } from '../shared/domain/project';
import { authorize } from './http/auth';
import { readJsonBody } from './http/parse';
import { fieldProblem, problem } from './http/problem';
import { etagHeader, projectResponse } from './http/projectResponse';
import { projectIdParam, projectNotFound, projectService } from './http/projectRoute';

/**
 * `PATCH /api/projects/{projectId}` (admin): rename, add labels, change instructions, pause/resume, switch ML Assist,
 * change the batch policy or incremental refresh. `If-Match` (optional) makes it conditional: 412 when the project
 * changed since the caller read it.
 */
export async function updateProject(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = await authorize(request, { role: 'admin' });
  if (!auth.ok) return auth.response;
  const id = projectIdParam(request);
  if (!id) return projectNotFound(request.params.projectId);
  const body = await readJsonBody(request, projectUpdateSchema);
  if (!body.ok) return body.response;

  const ifMatch = request.headers.get('if-match') ?? undefined;
  const outcome = await projectService().update(id, body.value, { ifMatch });
  switch (outcome.kind) {
    case 'updated':
    case 'unchanged':
      return projectResponse(200, outcome.project);
    case 'notFound':
      return projectNotFound(id);
    case 'preconditionFailed':
      return problem(
        412,
        'Precondition failed',
        `The project changed since you read it (If-Match: ${ifMatch}); read it again and re-apply your change.`,
        { currentEtag: etagHeader(outcome.project.etag) },
      );
    case 'archived':
      return problem(409, 'Project archived', `Project '${id}' is archived and can no longer be changed.`);
    case 'invalid':
      return fieldProblem(outcome.issues);
  }
}

app.http('updateProject', {
  methods: ['PATCH'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}',
  handler: updateProject,
});
