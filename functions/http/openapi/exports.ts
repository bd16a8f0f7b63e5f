import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  exportFormats,
  exportIdSchema,
  exportIncludes,
  exportRequestSchema,
} from '../../../shared/domain/formats/exportRequest';
import type { ExportView } from '../exportRoute';
import { jsonBody, jsonResponse, projectParams, route } from './components';

const count = z.number().int();
const countsSchema = z.object({
  images: count,
  annotations: count,
  prelabeled: count.meta({ description: "Images whose boxes are the model's (include `labeled+prelabeled`)" }),
  train: count,
  validation: count,
  labelFiles: count.meta({ description: 'Files of their own per image (YOLO label files)' }),
});

/** `satisfies` keeps this description in step with the view the trigger builds. */
export const exportViewSchema = z.object({
  id: z.string(),
  state: z.enum(['queued', 'running', 'completed', 'failed']),
  format: z.string(),
  include: z.string(),
  split: z.object({ validation: z.number(), seed: count }).optional(),
  requestedAt: z.string(),
  requestedBy: z.string(),
  progress: z
    .object({
      phase: z.enum(['planning', 'writing', 'committing']),
      chunks: count.optional(),
      chunksDone: count.optional(),
      counts: countsSchema.optional(),
    })
    .nullable(),
  counts: countsSchema.optional(),
  folder: z.string().optional().meta({ description: 'Where the files are in the training container' }),
  files: z
    .array(z.object({ name: z.string(), url: z.string(), expiresAt: z.string() }))
    .optional()
    .meta({ description: 'Read URLs valid for an hour (a user delegation SAS on Azure)' }),
  error: z.string().optional(),
}) satisfies z.ZodType<ExportView>;

const acceptedSchema = z.object({
  id: z.string(),
  statusUrl: z.string(),
  format: z.enum(exportFormats),
  include: z.enum(exportIncludes),
  requestedAt: z.string(),
});

export function registerExports(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'post',
    path: '/api/projects/{projectId}/exports',
    tags: ['projects'],
    summary: 'Export the labels (COCO, Azure ML JSONL + MLTable, YOLO, CSV) to blob storage',
    roles: 'admin',
    request: {
      params: projectParams,
      headers: z.object({
        'idempotency-key': z.string().optional().meta({ description: 'The same key repeats the same export' }),
      }),
      body: jsonBody(exportRequestSchema),
    },
    responses: { 202: jsonResponse('Started; `Location` follows it', acceptedSchema) },
    errors: [400, 404, 409, 415, 422],
  });
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/exports/{exportId}',
    tags: ['projects'],
    summary: "An export's state, progress, counts and read URLs",
    roles: 'admin',
    request: { params: projectParams.extend({ exportId: exportIdSchema }) },
    responses: { 200: jsonResponse('The export', exportViewSchema) },
    errors: [400, 404],
  });
}
