import { z } from 'zod';
import { callerIdSchema } from './ids';
import { defaultImageExtensions } from './imageTypes';

export const projectTypes = ['objectDetection', 'imageClassification', 'imageClassificationMultiLabel'] as const;
export type ProjectType = (typeof projectTypes)[number];

export const projectStatuses = ['active', 'paused', 'archived'] as const;
export type ProjectStatus = (typeof projectStatuses)[number];

/** Project ids appear in URLs, blob paths and Cosmos partition keys: keep them boring. */
export const projectIdSchema = callerIdSchema(
  /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/,
  'must be 3-64 characters: lower-case letters, digits and inner hyphens',
);

/** Azure container naming rules (3-63, lower-case letters, digits, single hyphens). */
export const containerNameSchema = z
  .string()
  .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'is not a valid Azure blob container name');

// Nested objects are strict like the bodies around them: a misspelt or unsupported field is refused (422 naming it)
// rather than silently dropped.
export const labelClassSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a #rrggbb colour')
    .optional(),
});
export type LabelClass = z.infer<typeof labelClassSchema>;

const labelListSchema = z
  .array(labelClassSchema)
  .min(1)
  .max(1000)
  .refine((labels) => new Set(labels.map((l) => l.name.toLowerCase())).size === labels.length, {
    message: 'label names must be unique (case-insensitive)',
  });

export const datasetSchema = z.strictObject({
  /** App setting that holds the storage connection string (as Functions bindings name connections). */
  connectionSetting: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_:.-]*$/)
    .default('AzureWebJobsStorage'),
  container: containerNameSchema,
  /** Only blobs under this virtual folder belong to the project ('' = the whole container). */
  prefix: z
    .string()
    .max(512)
    .refine((p) => !p.startsWith('/'), 'must not start with /')
    .default(''),
  /** Lower-case extensions without dot. */
  extensions: z
    .array(
      z
        .string()
        .regex(/^[a-z0-9]{1,8}$/)
        .transform((e) => e.toLowerCase()),
    )
    .min(1)
    .default([...defaultImageExtensions]),
});
export type Dataset = z.infer<typeof datasetSchema>;

const trainingThresholdSchema = z.number().int().min(10).max(1_000_000);
const additionalLabelsSchema = z.number().int().min(1).max(1_000_000);
const fractionSchema = z.number().gt(0).max(1);

export const mlAssistSchema = z.object({
  enabled: z.boolean().default(true),
  /** Labeled images before the first training run (Azure ML's seed figure). */
  initialTrainingThreshold: trainingThresholdSchema.default(250),
  /** Extra manual labels to ask for when a model fails the validation gate (first failure; later runs extrapolate). */
  additionalLabelsOnRejectedModel: additionalLabelsSchema.default(250),
  /** After a model passed the gate, train again once this many more images are labeled. */
  retrainAfterLabels: additionalLabelsSchema.default(500),
  /** The validation gate: precision of the prelabel boxes and their mean IoU with the human boxes. */
  minPrecision: fractionSchema.default(0.9),
  minMeanIoU: fractionSchema.default(0.6),
});
export type MlAssistSettings = z.infer<typeof mlAssistSchema>;

// The *PatchSchema forms below list only what the caller sent: zod 4 still applies inner defaults inside
// `.partial()`, which would silently reset the fields a PATCH did not mention.
export const mlAssistPatchSchema = z
  .object({
    enabled: z.boolean().optional(),
    initialTrainingThreshold: trainingThresholdSchema.optional(),
    additionalLabelsOnRejectedModel: additionalLabelsSchema.optional(),
    retrainAfterLabels: additionalLabelsSchema.optional(),
    minPrecision: fractionSchema.optional(),
    minMeanIoU: fractionSchema.optional(),
  })
  .strict();

const batchSizeSchema = z.number().int().min(1).max(500);
/** Fractions are allowed (0.05 min = 3 s) so short leases can be tried out and tested. */
const leaseMinutesSchema = z
  .number()
  .min(0.05)
  .max(24 * 60);

export const batchPolicySchema = z.strictObject({
  /** Batch size once two or more labelers are active. */
  size: batchSizeSchema.default(75),
  /** Idle time after which an unfinished batch returns to the pool (extended by each submission). */
  leaseMinutes: leaseMinutesSchema.default(60),
});
export type BatchPolicy = z.infer<typeof batchPolicySchema>;

export const batchPolicyPatchSchema = z
  .object({ size: batchSizeSchema.optional(), leaseMinutes: leaseMinutesSchema.optional() })
  .strict();

const refreshIntervalSchema = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 60);

export const incrementalRefreshSchema = z.strictObject({
  enabled: z.boolean().default(true),
  intervalMinutes: refreshIntervalSchema.default(60),
});

export const incrementalRefreshPatchSchema = z
  .object({ enabled: z.boolean().optional(), intervalMinutes: refreshIntervalSchema.optional() })
  .strict();

export const projectCreateSchema = z
  .object({
    /** Optional client-chosen id: makes a retried create idempotent. */
    id: projectIdSchema.optional(),
    name: z.string().trim().min(1).max(200),
    type: z.enum(projectTypes),
    labels: labelListSchema,
    instructions: z.string().max(20_000).default(''),
    dataset: datasetSchema,
    mlAssist: mlAssistPatchSchema.optional(),
    batchPolicy: batchPolicySchema.default(batchPolicySchema.parse({})),
    incrementalRefresh: incrementalRefreshSchema.default(incrementalRefreshSchema.parse({})),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.type !== 'objectDetection' && p.mlAssist?.enabled === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['mlAssist', 'enabled'],
        message: 'ML assist is available for object detection projects only',
      });
    }
  })
  // ML assist defaults to on for object detection and off (unavailable) for classification.
  .transform((p) => ({
    ...p,
    mlAssist: mlAssistSchema.parse({ enabled: p.type === 'objectDetection', ...p.mlAssist }),
  }));
export type ProjectCreate = z.infer<typeof projectCreateSchema>;

export const projectUpdateSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    /** Labels can be added, never removed or renamed: existing annotations refer to them. */
    addLabels: z.array(labelClassSchema).min(1).max(1000).optional(),
    instructions: z.string().max(20_000).optional(),
    status: z.enum(['active', 'paused']).optional(),
    mlAssist: mlAssistPatchSchema.optional(),
    batchPolicy: batchPolicyPatchSchema.optional(),
    incrementalRefresh: incrementalRefreshPatchSchema.optional(),
  })
  .strict()
  .refine((u) => Object.keys(u).length > 0, {
    message: 'at least one field must be given',
    // Only for a truly empty update: a body with an unknown or invalid field already has its own error.
    when: (payload) => payload.issues.length === 0,
  });
export type ProjectUpdate = z.infer<typeof projectUpdateSchema>;

export interface Project {
  id: string;
  name: string;
  type: ProjectType;
  labels: LabelClass[];
  instructions: string;
  dataset: Dataset;
  mlAssist: MlAssistSettings;
  batchPolicy: BatchPolicy;
  incrementalRefresh: z.infer<typeof incrementalRefreshSchema>;
  status: ProjectStatus;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  /** Digest of the validated create request: a retried create with the same spec is recognised as a retry. */
  specDigest?: string;
}
