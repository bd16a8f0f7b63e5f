import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { importSkips } from '../../../shared/domain/imports/decideImport';
import { importIssueKinds } from '../../../shared/domain/imports/importIssues';
import type { ImportReport } from '../../../shared/domain/imports/importReport';
import { importFormats, importRequestSchema } from '../../../shared/domain/imports/importRequest';
import { jsonBody, jsonResponse, projectParams, route } from './components';

const count = z.number().int();
type LeftAlone = Exclude<keyof typeof importSkips, 'unchanged'>;
const leftAlone = Object.keys(importSkips).filter((k) => k !== 'unchanged') as [LeftAlone, ...LeftAlone[]];

/** `satisfies` keeps this description in step with the report's type. */
export const importReportSchema = z.object({
  importId: z
    .string()
    .meta({ description: 'Derived from the format and the file: the same file imports under the same id' }),
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
        'What was written and what was left alone (human work is never overwritten)',
        importReportSchema,
      ),
    },
    errors: [400, 404, 413, 422],
  });
}
