import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { services } from '../adapters/composition';
import { callerIdSchema } from '../shared/domain/ids';
import { taskStates, type Task } from '../shared/domain/task';
import { decimalIntegerQueryParam, readQuery } from './http/parse';
import { adminProject } from './http/projectRoute';

export const querySchema = z.object({
  state: z.enum(taskStates).optional(),
  /**
   * Tasks assigned to, labeled by or skipped by this user id. Any id a signed-in caller may have (an admin needs no
   * membership, so not only member ids), but never with control characters.
   */
  labeler: callerIdSchema(/^[\s\S]{1,256}$/, 'must be 1-256 characters').optional(),
  limit: decimalIntegerQueryParam({ min: 1, max: 1000 }).default(100),
  /** Opaque: whatever the previous page returned (its format is the store adapter's). */
  continuationToken: z.string().min(1).max(8192).optional(),
});

/** A task as the "labeled data" view shows it; ingestion bookkeeping (sequencer, shuffle key) left out. */
function taskView(t: Task) {
  return {
    id: t.id,
    blobPath: t.blobPath,
    blobUrl: t.blobUrl,
    contentType: t.contentType,
    sizeBytes: t.sizeBytes,
    width: t.width,
    height: t.height,
    state: t.state,
    ...(t.rejectReason !== undefined ? { rejectReason: t.rejectReason } : {}),
    ...(t.assignment ? { assignment: t.assignment } : {}),
    ...(t.annotation ? { annotation: t.annotation } : {}),
    ...(t.prelabel ? { prelabel: t.prelabel } : {}),
    ...(t.skip ? { skip: t.skip } : {}),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/**
 * `GET /api/projects/{projectId}/tasks?state=&labeler=&limit=&continuationToken=` (admin): a project's tasks page
 * by page in a stable order. `state=rejected` lists the blobs that could not become tasks, with the reason.
 */
export async function listTasks(request: HttpRequest): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const id = admin.project.value.id;
  const query = readQuery(request, querySchema);
  if (!query.ok) return query.response;

  const page = await services().store.tasks.list(id, query.value);
  return {
    status: 200,
    headers: { 'cache-control': 'no-store' },
    jsonBody: {
      items: page.items.map(taskView),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    },
  };
}

app.http('listTasks', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/tasks',
  handler: listTasks,
});
