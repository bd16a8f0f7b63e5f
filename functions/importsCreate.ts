import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { services } from '../adapters/composition';
import { importRequestSchema } from '../shared/domain/imports/importRequest';
import { ImportService, projectRefusal } from '../shared/services/imports';
import { startBlobImport } from './http/blobImport';
import { durableClient } from './http/durableClient';
import { nudgeMlAssist } from './http/labelingSignals';
import { readJsonBody } from './http/parse';
import { problem } from './http/problem';
import { adminProject } from './http/projectRoute';

/** Inline files up to this; larger ones go as a blob in the project's container (`source.blobPath`). */
export const maxInlineImportBytes = 16 * 1024 * 1024;

/**
 * `POST /api/projects/{projectId}/imports` (admin): imports a COCO dataset or Azure ML JSONL as labels, or a COCO
 * results file as prelabels for review. From a blob (`source.blobPath`, any size): a durable import, 202 with its
 * status URL (functions/http/blobImport.ts). Inline: at once, all or nothing: any issue (malformed file, unknown
 * image or category, a box outside its image, duplicate ids) → 422 with the per-item report and nothing written.
 * Otherwise 200 with the report of what was written and which images were left alone (human work is never
 * overwritten); re-running the same import changes nothing. `dryRun: true` reports without writing.
 */
export async function createImport(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const body = await readJsonBody(request, importRequestSchema, { maxBytes: maxInlineImportBytes });
  if (!body.ok) return body.response;
  const project = admin.project.value;
  const source = body.value.source;
  if ('blobPath' in source) {
    const refused = projectRefusal(project);
    if (refused) return problem(refused.status, refused.title, refused.message);
    return startBlobImport(request, durableClient(context), project, { ...body.value, source }, admin.principal.userId);
  }
  const outcome = await new ImportService(services()).run(project, body.value);
  if (outcome.kind === 'refused') {
    const { status, title, message, field } = outcome;
    return field
      ? problem(status, title, `${field}: ${message}`, { errors: [{ field, message }] })
      : problem(status, title, message);
  }
  if (outcome.kind === 'invalid') {
    const { issues } = outcome.report;
    const first = issues.items[0];
    return problem(
      422,
      'Import refused',
      `The file has ${issues.count} issue(s); nothing was imported. First: ${first?.at}: ${first?.message}`,
      { report: outcome.report },
    );
  }
  // Imported labels count toward ML Assist's training threshold as submissions do.
  if (outcome.trainingDue) await nudgeMlAssist(durableClient(context), project.id);
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: outcome.report };
}

app.http('createImport', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/imports',
  extraInputs: [df.input.durableClient()],
  handler: createImport,
});
