import { z } from 'zod';

/** What `POST /api/projects/{projectId}/exports` takes; strict, so a misspelt field is a 422, not a surprise. */
export const exportFormats = ['coco', 'azureml-jsonl', 'yolo', 'csv'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** `labeled`: human boxes and images skipped as "no objects"; `labeled+prelabeled` adds the model's prelabels. */
export const exportIncludes = ['labeled', 'labeled+prelabeled'] as const;
export type ExportInclude = (typeof exportIncludes)[number];

export const exportRequestSchema = z.strictObject({
  format: z.enum(exportFormats, { error: `must be one of ${exportFormats.join(', ')}` }),
  include: z.enum(exportIncludes, { error: `must be one of ${exportIncludes.join(', ')}` }).default('labeled'),
  split: z
    .strictObject({
      /** Share of the exported images in the validation split. */
      validation: z.number().gt(0, 'must be greater than 0').lt(1, 'must be less than 1'),
      seed: z.number().int('must be a whole number').min(0).max(2_147_483_647).default(0),
    })
    .optional(),
});
export type ExportRequest = z.output<typeof exportRequestSchema>;

export const exportIdSchema = z.string().regex(/^x[A-Za-z0-9_-]{22}$/, 'is not an export id');
