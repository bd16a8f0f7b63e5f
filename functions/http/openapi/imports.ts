import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { importSkips } from '../../../shared/domain/imports/decideImport';
import { importIssueKinds } from '../../../shared/domain/imports/importIssues';
import { importIdSchema, type ImportProgress, type ImportView } from '../../../shared/domain/imports/importJob';
import type { ImportReport } from '../../../shared/domain/imports/importReport';
import { importFormats, importRequestSchema } from '../../../shared/domain/imports/importRequest';
import { jsonBody, jsonResponse, projectParams, route } from './components';

const count = z.number().int();
type LeftAlone = Exclude<keyof typeof importSkips, 'unchanged'>;
const leftAlone = Object.keys(importSkips).filter((k) => k !== 'unchanged') as [LeftAlone, ...LeftAlone[]];

/** `satisfies` keeps this description in step with the report's type. */
export const importReportSchema = z.object({
  importId: z.string().meta({
    description:
      'Inline: derived from the format and the file (the same file imports under the same id); from a blob: the ' +
      "import's id, derived from the request and the blobs' etags",
  }),
  format: z.enum(importFormats),
  as: z.enum(['labels', 'prelabels']),
  dryRun: z.boolean(),
  images: count,
  boxes: count,
  crowdIgnored: count,
  issues: z.object({
    count,
    byKind: z.partialRecord(z.enum(importIssueKinds), count),
    items: z.array(
      z.object({
        kind: z.enum(importIssueKinds),
        file: z.enum(['source', 'dataset']),
        at: z.string().meta({ description: 'Where in the file, as a dotted path (`annotations.12.bbox`)' }),
        message: z.string(),
        image: z.string().optional(),
      }),
    ),
    unknownLabels: z.record(z.string(), count).optional(),
  }),
  result: z
    .object({
      written: count,
      unchanged: count,
      leftAlone: z.partialRecord(z.enum(leftAlone), count),
      items: z.array(
        z.object({ taskId: z.string(), image: z.string(), reason: z.enum(leftAlone), detail: z.string() }),
      ),
    })
    .optional()
    .meta({ description: 'Absent when the file has issues: then nothing was written' }),
}) satisfies z.ZodType<ImportReport>;

const progressSchema = z.object({
  imagesScanned: count.meta({ description: 'Images read from the file (all of them once the scan is done)' }),
  imagesWritten: count.meta({ description: 'Images applied: written, or left alone as the report says' }),
  imagesTotal: count.optional().meta({ description: 'Images to apply, known once the scan is done' }),
}) satisfies z.ZodType<ImportProgress>;

/** `satisfies` keeps this description in step with the view the trigger builds. */
export const importViewSchema = z.object({
  importId: importIdSchema,
  format: z.enum(importFormats),
  state: z.enum(['scanning', 'writing', 'completed', 'refused', 'failed']).meta({
    description: '`refused`: the file has issues (the report lists them) and nothing was written',
  }),
  requestedAt: z.string(),
  requestedBy: z.string(),
  progress: progressSchema,
  report: importReportSchema.optional().meta({ description: 'Once completed or refused' }),
  error: z.string().optional().meta({ description: 'Why the run failed (not the file: storage, store)' }),
}) satisfies z.ZodType<ImportView>;

const acceptedSchema = z.object({
  importId: importIdSchema.meta({
    description: "Derived from the request and the blobs' etags: the same request names the same import",
  }),
  state: z.enum(['scanning', 'writing', 'completed', 'refused', 'failed']),
  statusUrl: z.string(),
});

export function registerImports(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/imports',
    tags: ['projects'],
    summary: 'Import labels (COCO, Azure ML JSONL) or a COCO results file as prelabels; all or nothing',
    roles: 'admin',
    request: { params: projectParams, body: jsonBody(importRequestSchema) },
    responses: {
      200: jsonResponse(
        'Inline source: what was written and what was left alone (human work is never overwritten)',
        importReportSchema,
      ),
      202: jsonResponse(
        'Blob source: a durable import started (or the one this request started before); `Location` follows it',
        acceptedSchema,
      ),
    },
    errors: [400, 404, 409, 413, 422],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/imports/{importId}',
    tags: ['projects'],
    summary: "A blob import's state, progress and, once it ended, its report",
    roles: 'admin',
    request: { params: projectParams.extend({ importId: importIdSchema }) },
    responses: { 200: jsonResponse('The import', importViewSchema) },
    errors: [400, 404],
  });
}
