import { z } from 'zod';

/**
 * Azure ML's JSONL for image object detection (shared/domain/azureMlJsonl.ts writes it) as an import reads it: one
 * JSON object per line, `image_url` naming the image, boxes as fractions of the image size, origin top-left. As
 * with COCO, members Azure ML or a tool adds are allowed and ignored; what a box is made of is checked strictly.
 */

const fraction = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, 'must be a finite number')
  .refine((v) => v >= 0 && v <= 1, 'must be a fraction of the image size (0 to 1)');

const side = z.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(100_000);

export const azureMlImportBoxSchema = z
  .looseObject({
    label: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(256),
    topX: fraction,
    topY: fraction,
    bottomX: fraction,
    bottomY: fraction,
    isCrowd: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' }).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.bottomX <= b.topX) ctx.addIssue({ code: 'custom', path: ['bottomX'], message: 'must be greater than topX' });
    if (b.bottomY <= b.topY) ctx.addIssue({ code: 'custom', path: ['bottomY'], message: 'must be greater than topY' });
  });

export const azureMlImportLineSchema = z.looseObject({
  image_url: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(2048),
  image_details: z
    .looseObject({ format: z.string().max(16).optional(), width: side.optional(), height: side.optional() })
    .optional(),
  label: z.array(azureMlImportBoxSchema, { error: 'must be an array' }).max(1000, 'at most 1000 boxes per image'),
});

export type AzureMlImportLine = z.infer<typeof azureMlImportLineSchema>;
export type AzureMlImportBox = z.infer<typeof azureMlImportBoxSchema>;
